#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The sealing scheme's test vectors (doc/sealing.md, "Test vectors"), computed from the
specification by a second implementation that shares no code with src/seal-canon.c: Python's
hmac and hashlib, and its own RFC 5424 splitter for the one line below. tests/unit/test_seal_canon.c
checks the C code against the values this prints; a SIEM team can check its own verifier the same
way. Run: python3 tests/tools/seal-vectors.py"""
import base64
import hashlib
import hmac
import re
import struct
from datetime import datetime, timezone


def F(x):
    if isinstance(x, str):
        x = x.encode()
    return struct.pack(">I", len(x)) + x


def H(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


K0 = bytes(range(32))
KEYID = hashlib.sha256(b"jbridge-seal key-id" + K0).digest()[:8].hex()
M0 = H(K0, b"jbridge-seal mac")
K1 = H(K0, b"jbridge-seal evolve")
M1 = H(K1, b"jbridge-seal mac")
RECORD_ID = "0123456789abcdef"
CHAIN = H(M0, b"jbridge-seal chain\0audit\0" + RECORD_ID.encode())[:8].hex()

# as the command writes it (UTC with Z, the tab already #011); rsyslog's omfile writes the same
# record with +00:00, and may write a trailing space after an empty message
LINE = ('<110>1 2026-12-03T12:00:00.123456Z host-1 tfe 0123456789ab audit '
        '[jbridge@32473 id="' + RECORD_ID + '" stream="audit" seal.key="x"]'
        '[audit@32473 user="al\\"ice" path="C:\\x\\]"] login#011ok \u00e9')


def unescape(v):
    return re.sub(r'\\(["\\\]])', r"\1", v)


def canon(line):
    m = re.match(r"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\"]|\"(?:[^\"\\]|\\.)*\")*\])+)(?: (.*))?$",
                 line, re.S)
    pri, ts, host, app, procid, msgid, sd, msg = m.groups()
    t = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    usec = (t - datetime(1970, 1, 1, tzinfo=timezone.utc)) // __import__("datetime").timedelta(microseconds=1)
    out = F(str(int(pri))) + F(str(usec)) + F(host) + F(app) + F(procid) + F(msgid)
    elements = [] if sd == "-" else re.findall(r"\[([^ \]]+)((?: [^=]+=\"(?:[^\"\\]|\\.)*\")*)\]", sd)
    out += F(str(len(elements)))
    for sdid, params in elements:
        ps = re.findall(r" ([^=]+)=\"((?:[^\"\\]|\\.)*)\"", params)
        if sdid.startswith("jbridge@"):
            ps = [p for p in ps if not p[0].startswith("seal.")]
        out += F(sdid) + F(str(len(ps)))
        for name, value in ps:
            out += F(name) + F(unescape(value))
    msg = (msg or "").encode()
    if msg.startswith(b"\xef\xbb\xbf"):
        msg = msg[3:]
    msg = b"".join(b"#%03o" % c if c < 0x20 or c == 0x7f else bytes([c]) for c in msg).rstrip(b" ")
    return out + F(msg)


CANON = canon(LINE)
ZERO = bytes(32)
HEAD = F("jbridge-seal 1")
MAC1 = H(M0, HEAD + F("record") + F(KEYID) + F(CHAIN) + F("1") + F("0") + F(b"") + F(ZERO) + F(CANON))
TX1 = H(M0, HEAD + F("epoch") + F(KEYID) + F(CHAIN) + F("2") + F("1") + F(MAC1))
MAC2 = H(M1, HEAD + F("record") + F(KEYID) + F(CHAIN) + F("2") + F("1") + F(TX1) + F(MAC1) + F(CANON))
BEAT = H(M1, HEAD + F("beat") + F(KEYID) + F(CHAIN) + F("2") + F("1") + F(b"") + F(MAC2) + F("heartbeat") +
         F("1764763200000000") + F("60"))


def b64(x):
    return base64.b64encode(x).decode()


print("K0", K0.hex())
print("KEYID", KEYID)
print("M0", M0.hex())
print("K1", K1.hex())
print("M1", M1.hex())
print("CHAIN", CHAIN)
print("LINE", LINE)
print("CANON", CANON.hex())
print("MAC1", b64(MAC1))
print("TX1", b64(TX1))
print("MAC2", b64(MAC2))
print("BEAT", b64(BEAT))

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An attacker's tool for the forward-security test (rsyslog-seal.sh): the sealing scheme written
again from doc/sealing.md with Python's hmac and hashlib, nothing of jbridge's.

    seal-forge.py KEYFILE VERIFYKEY LOG OUTPREFIX

KEYFILE is the key file as the attacker finds it on the host (epoch E). VERIFYKEY (K0, which the
attacker does not have) is used only to check this tool first: it must reproduce the MAC of a
genuine record of epoch 0 in LOG ("selfcheck ok"), and evolving K0 E times must give the key
file's K_E. Then it takes a record of epoch 0 < E, changes its action to "destroy" and re-seals it
with what the key file gives, writing LOG with that line replaced:
    OUTPREFIX.own      claiming its own epoch (0), MAC under M_E;
    OUTPREFIX.current  claiming epoch E, with a transition proof made under M_E (the real one
                       needs M_0 ... M_{E-1}).
Exit 0 when both were written and the self-check passed."""
import base64
import hashlib
import hmac
import re
import sys
from datetime import datetime


def F(b):
    if isinstance(b, str):
        b = b.encode()
    return len(b).to_bytes(4, "big") + b


def H(k, m):
    return hmac.new(k, m, hashlib.sha256).digest()


def evolve(k):
    return H(k, b"jbridge-seal evolve")


def mac_key(k):
    return H(k, b"jbridge-seal mac")


def parse_sd(sd):
    """[(id, [(name, raw, value)])]; raw as written between the quotes."""
    out, i = [], 0
    if sd == b"-":
        return out
    while i < len(sd):
        assert sd[i:i + 1] == b"[", sd[i:]
        j = i + 1
        while sd[j:j + 1] not in (b" ", b"]"):
            j += 1
        sid, params, i = sd[i + 1:j].decode(), [], j
        while sd[i:i + 1] == b" ":
            j = sd.index(b"=", i)
            name = sd[i + 1:j].decode()
            assert sd[j + 1:j + 2] == b'"'
            k, val = j + 2, bytearray()
            while sd[k:k + 1] != b'"':
                if sd[k:k + 1] == b"\\" and sd[k + 1:k + 2] in (b'"', b"\\", b"]"):
                    val += sd[k + 1:k + 2]
                    k += 2
                else:
                    val += sd[k:k + 1]
                    k += 1
            params.append((name, sd[j + 2:k], bytes(val)))
            i = k + 1
        assert sd[i:i + 1] == b"]"
        out.append((sid, params))
        i += 1
    return out


def split(line):
    m = re.match(rb"<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) ", line)
    rest = line[m.end():]
    if rest.startswith(b"-"):
        sd_end = 1
    else:
        i, depth, inq = 0, 0, False
        while True:
            c = rest[i:i + 1]
            if inq:
                if c == b"\\":
                    i += 1
                elif c == b'"':
                    inq = False
            elif c == b'"':
                inq = True
            elif c == b"]" and (i + 1 >= len(rest) or rest[i + 1:i + 2] != b"["):
                sd_end = i + 1
                break
            i += 1
    sd, msg = rest[:sd_end], rest[sd_end + 1:]
    return m.groups(), sd, msg


def usec(ts):
    ts = ts.decode()
    if ts == "-":
        return "-"
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", ts)
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = (m.group(2) or ".")[1:7].ljust(6, "0")
    off = 0 if m.group(3) == "Z" else (1 if m.group(3)[0] == "+" else -1) * (int(m.group(3)[1:3]) * 3600 + int(m.group(3)[4:6]) * 60)
    days = (base - datetime(1970, 1, 1)).days
    secs = days * 86400 + base.hour * 3600 + base.minute * 60 + base.second - off
    return str(secs * 1000000 + int(frac))


def canon(line):
    (pri, ts, host, app, procid, msgid), sd, msg = split(line)
    out = F(str(int(pri))) + F(usec(ts)) + F(host) + F(app) + F(procid) + F(msgid)
    els = parse_sd(sd)
    out += F(str(len(els)))
    for sid, params in els:
        kept = [(n, v) for n, _, v in params if not (sid.startswith("jbridge@") and n.startswith("seal."))]
        out += F(sid) + F(str(len(kept)))
        for n, v in kept:
            out += F(n) + F(v)
    if msg.startswith(b"\xef\xbb\xbf"):
        msg = msg[3:]
    esc = bytearray()
    for c in msg:
        esc += b"#%03o" % c if c < 0x20 or c == 0x7f else bytes([c])
    return out + F(bytes(esc).rstrip(b" "))


def seal_params(line):
    _, sd, _ = split(line)
    for sid, params in parse_sd(sd):
        if sid.startswith("jbridge@"):
            return {n: v.decode() for n, _, v in params if n.startswith("seal.")}
    return {}


def record_mac(mk, p, tx, prev, c):
    return H(mk, F("jbridge-seal 1") + F("record") + F(p["seal.key"]) + F(p["seal.chain"]) + F(p["seal.n"]) +
             F(p["seal.epoch"]) + F(tx) + F(prev) + F(c))


def replace_seal(line, new):
    """line with its seal.* parameters (the last ones of jbridge@) replaced by new (in order)."""
    seal = "".join(' %s="%s"' % kv for kv in new.items()).encode()
    return re.sub(rb'( seal\.[a-z]+="[^"]*")+\]', lambda m: seal + b"]", line, count=1)


def main():
    keyfile, verifykey, log, prefix = sys.argv[1:5]
    kv = dict(l.split("=", 1) for l in open(keyfile).read().splitlines()[1:] if "=" in l)
    E, KE = int(kv["epoch"]), bytes.fromhex(kv["key"])
    K0 = bytes.fromhex(open(verifykey).read().split()[4])
    lines = open(log, "rb").read().split(b"\n")
    recs = [(i, l) for i, l in enumerate(lines) if l and b" jbridge - " not in l and b"seal.mac=" in l]

    # the tool reproduces a genuine seal (K0 only for this check), and K0 evolved E times is K_E
    i0, l0 = next((i, l) for i, l in recs if seal_params(l)["seal.epoch"] == "0")
    p0 = seal_params(l0)
    m0 = record_mac(mac_key(K0), p0, b"", base64.b64decode(p0["seal.prev"]), canon(l0))
    k = K0
    for _ in range(E):
        k = evolve(k)
    if base64.b64encode(m0).decode() == p0["seal.mac"] and k == KE:
        print("selfcheck ok: record n=%s of epoch 0 reproduced; K0 evolved %d times is the key file's key" % (p0["seal.n"], E))
    else:
        print("selfcheck FAILED")
        return 1

    # forge: an epoch-0 record (not the first), its action changed, re-sealed with M_E
    i, l = [(i, l) for i, l in recs if seal_params(l)["seal.epoch"] == "0"][1]
    p = seal_params(l)
    forged = re.sub(rb'action="[a-z]*"', b'action="destroy"', l, count=1)
    forged = forged.replace(b'"action":"', b'"action":"destroy","was":"', 1)
    prev = base64.b64decode(p["seal.prev"])
    mE = mac_key(KE)
    c = canon(forged)
    own = dict(p)
    own["seal.mac"] = base64.b64encode(record_mac(mE, own, b"", prev, c)).decode()
    cur = {k2: v for k2, v in p.items() if k2 not in ("seal.prev", "seal.mac")}
    cur["seal.epoch"] = str(E)
    tx = H(mE, F("jbridge-seal 1") + F("epoch") + F(p["seal.key"]) + F(p["seal.chain"]) + F(p["seal.n"]) + F(str(E)) + F(prev))
    cur["seal.tx"] = base64.b64encode(tx).decode()
    cur["seal.prev"] = p["seal.prev"]
    cur["seal.mac"] = base64.b64encode(record_mac(mE, cur, tx, prev, c)).decode()
    for name, seal in (("own", own), ("current", cur)):
        out = list(lines)
        out[i] = replace_seal(forged, seal)
        open(prefix + "." + name, "wb").write(b"\n".join(out))
        print("forged %s: %s" % (name, out[i][:200]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

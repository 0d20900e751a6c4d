#!/bin/sh
# rotate-keep7.sh FILE: rotation for rsyslog's omfile rotation.sizeLimitCommand (used by
# cloudify.conf): FILE.6 becomes FILE.7, ..., FILE becomes FILE.1, the oldest (FILE.7) goes.
# rsyslogd runs it when FILE reaches rotation.sizeLimit, waits for it, and opens a new FILE.
# The new FILE is created here, empty, with the mode and owner of the file just rotated: rsyslog
# 8.2302's omfile reopens a size-rotated file with the legacy $FileCreateMode (0644 unless set),
# not with the action's fileCreateMode, so a 0600 audit log would otherwise become world-readable
# after its first rotation (rsyslogd then appends to the existing file and keeps its mode).
# Install: cp examples/rotate-keep7.sh /usr/local/bin/jbridge-rotate-keep7
set -eu
f=$1
keep=7
rm -f "$f.$keep"
i=$keep
while [ "$i" -gt 1 ]; do
    j=$((i - 1))
    if [ -e "$f.$j" ]; then mv -f "$f.$j" "$f.$i"; fi
    i=$j
done
if [ -e "$f" ]; then
    mv -f "$f" "$f.1"
    (umask 077 && : >>"$f")
    chown --reference="$f.1" "$f"
    chmod --reference="$f.1" "$f"
fi

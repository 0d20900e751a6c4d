#!/bin/bash
# The house rules (doc/HACKING.md, "Conventions"): no source file in src/ or plugin/ over 700 lines, and no
# function over 100 lines (rsyslog's BEGINx ... ENDx macro blocks count as functions).
# Prints each breach and exits 1 when there is one.
set -u
top=${1:-.}
bad=0
for f in "$top"/src/*.[ch] "$top"/plugin/*.[ch]; do
    n=$(wc -l <"$f")
    if [ "$n" -gt 700 ]; then
        echo "$f: $n lines (over 700)"
        bad=1
    fi
    awk -v file="$f" '
        function report(kind) {
            if (NR - start + 1 > 100) { printf "%s:%d: %s is %d lines\n", file, start, name, NR - start + 1; bad = 1 }
        }
        /^BEGIN[A-Za-z_]+/ { start = NR; name = $1; blk = 1; next }
        blk { if ($0 ~ /^END[A-Za-z_]+/) { report(); blk = 0 } next }
        # a definition starts at column 0 with a name and an opening parenthesis
        !fn && /^[A-Za-z_][^;=]*\(/ && !/^(typedef|struct|enum|union)/ { cand = NR; cname = $0 }
        !fn && cand && /\{[ \t]*$/ && NR - cand < 6 { start = cand; name = cname; fn = 1; cand = 0; next }
        !fn && /;[ \t]*$/ { cand = 0 }
        fn && /^\}/ { report(); fn = 0 }
        END { exit bad }
    ' "$f" || bad=1
done
exit $bad

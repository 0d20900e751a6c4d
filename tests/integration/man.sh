#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The man pages render without warnings (groff -ww, man --warnings), man-db can index them
# (lexgrog), and they, the reference pages and the README name every option of the jbridge
# command and every parameter of the rsyslog modules: documentation that leaves out what the
# code accepts fails here.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

jb_need_program /usr/bin/groff
jb_need_program /usr/bin/man
jb_need_program /usr/bin/lexgrog

pages="$JB_SRCDIR/doc/jbridge.1 $JB_SRCDIR/doc/jbridge-rsyslog.7"
for p in $pages; do
    name=$(basename "$p")
    out=$(groff -ww -z -man "$p" 2>&1)
    jb_is "$out" "" "$name: groff -ww -z -man prints no warning"
    out=$(MANWIDTH=80 man --warnings=all -l "$p" 2>&1 >/dev/null)
    jb_is "$out" "" "$name: man -l renders it without warnings"
    jb_ok "$name: lexgrog finds its NAME section (whatis, apropos)" lexgrog "$p"
done

# every long option that jbridge --help lists is in jbridge(1) and doc/jbridge.md
help=$("$JBRIDGE" --help 2>&1)
opts=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$opts" ] || jb_bail_out "jbridge --help lists no options"
missing_man="" missing_md=""
for o in $opts; do
    grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$JB_SRCDIR/doc/jbridge.1" || missing_man="$missing_man $o"
    grep -qF -- "$o" "$JB_SRCDIR/doc/jbridge.md" || missing_md="$missing_md $o"
done
jb_is "$missing_man" "" "jbridge(1) documents every option of jbridge --help"
jb_is "$missing_md" "" "doc/jbridge.md documents every option of jbridge --help"

# and every option of jbridge verify --help (its own options, doc/jbridge.md "Verify")
vopts=$("$JBRIDGE" verify --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$vopts" ] || jb_bail_out "jbridge verify --help lists no options"
missing_man="" missing_md=""
for o in $vopts; do
    grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$JB_SRCDIR/doc/jbridge.1" || missing_man="$missing_man $o"
    grep -qF -- "$o" "$JB_SRCDIR/doc/jbridge.md" || missing_md="$missing_md $o"
done
jb_is "$missing_man" "" "jbridge(1) documents every option of jbridge verify --help"
jb_is "$missing_md" "" "doc/jbridge.md documents every option of jbridge verify --help"

# every parameter the modules declare (cnfparamdescr tables) is documented, case-insensitively
params() { # FILE: the names in its cnfparamdescr table
    sed -n '/cnfparamdescr .*\[\] = {/,/^};/p' "$1" | grep -o '{"[^"]*",' | sed 's/^{"//; s/",$//'
}
for m in imjbridge mmjbridge; do
    names=$(params "$JB_SRCDIR/plugin/$m.c")
    [ -n "$names" ] || jb_bail_out "no parameters found in plugin/$m.c"
    miss_ref="" miss_man="" miss_readme=""
    for n in $names; do
        # the reference page lists each in its table as | `name` |
        grep -qiF -- "\`$n\`" "$JB_SRCDIR/doc/$m.md" || miss_ref="$miss_ref $n"
        grep -qiF -- ".BR $(printf '%s' "$n" | sed 's/-/\\-/g') " "$JB_SRCDIR/doc/jbridge-rsyslog.7" || miss_man="$miss_man $n"
        grep -qiF -- "\`$n\`" "$JB_SRCDIR/README.md" || miss_readme="$miss_readme $n"
    done
    jb_is "$miss_ref" "" "doc/$m.md documents every $m parameter"
    jb_is "$miss_man" "" "jbridge-rsyslog(7) documents every $m parameter"
    jb_is "$miss_readme" "" "README.md names every $m parameter"
done
jb_done

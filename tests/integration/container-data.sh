#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 17, defects 4 and 5: what Docker 20.10 writes about a container beyond its name, id and
# image, and the single-container TFE form. A real journald (private mount namespace) receives
# entries shaped as Docker 20.10's journald driver writes them (tests/tools/jb-write --docker20: no
# SYSLOG_TIMESTAMP, CONTAINER_LOG_EPOCH or ORDINAL): `--log-opt tag=...` (CONTAINER_TAG and
# SYSLOG_IDENTIFIER), `labels=com.hashicorp.tfe.role` (COM_HASHICORP_TFE_ROLE=atlas),
# `env=TFE_ENV` (TFE_ENV=production), and the newer TFE's {"component":"nginx","log":"..."} lines,
# one of them split by Docker at 16 KiB. The jbridge command and rsyslogd with imjbridge must
# carry the operator's tag (and not Docker's default, the short id), the named fields, the
# component in container@PEN and in $!container!..., filter by component and write the inner
# text on request; bad values are refused naming the option or parameter.

# shellcheck disable=SC2016 # single-quoted commands are evaluated later, on purpose
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_live_setup "$JBRIDGE" "$JB_WRITE" -- "$@"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"
SDCHECK=$JB_BUILDDIR/tests/tools/jb-sdcheck

TAG='tfe-atlas/hashicorp/tfe-atlas:v1/6f2c8d4e1a2b'
w() { "$JB_WRITE" --docker20 --quiet "$@" || jb_bail_out "jb-write $* failed"; }
w --container tfe-atlas --image hashicorp/tfe-atlas:v1 --tag "$TAG" --field COM_HASHICORP_TFE_ROLE=atlas \
    --field TFE_ENV=production --count 3 --prefix t
w --container plain --image busybox --field COM_HASHICORP_TFE_ROLE=other --count 2 --prefix p
w --container terraform-enterprise --image hashicorp/terraform-enterprise:v1 --wrap nginx --count 3 --prefix n
w --container terraform-enterprise --image hashicorp/terraform-enterprise:v1 --wrap atlas --audit-every 2 \
    --count 2 --prefix a
w --container terraform-enterprise --image hashicorp/terraform-enterprise:v1 --wrap nginx --split 40000 \
    --count 1 --prefix s
jb_wait_for '[ "$(jb_journal_count)" -ge 11 ]' 30 || jb_bail_out "journald did not store the entries"
jb_is "$(journalctl --no-pager -o export CONTAINER_NAME=tfe-atlas | grep -c -e '^SYSLOG_TIMESTAMP=' -e '^CONTAINER_LOG_')" 0 \
    "the entries are Docker 20.10's: no SYSLOG_TIMESTAMP, CONTAINER_LOG_EPOCH or ORDINAL"

# run NAME OPTIONS...: jbridge over the journal, both streams into $JB_TMP/NAME
run() {
    local name=$1
    shift
    "$JBRIDGE" "$@" --app-out "$JB_TMP/$name" --audit-out "$JB_TMP/$name" 2>"$JB_TMP/$name.err"
    jb_is "$?" 0 "jbridge $*: runs"
}
# lines NAME PATTERN: the records of NAME matching the fixed string PATTERN
lines() { grep -cF -- "$2" "$JB_TMP/$1"; }

# ---- the default: the operator's tag and the component, no other field ----
run def
jb_is "$(wc -l <"$JB_TMP/def")" 11 "default: 11 records"
jb_is "$(lines def "[container@32473 name=\"tfe-atlas\" id=\"")/$(lines def "tag=\"$TAG\"")" "3/3" \
    "default: the tag the operator set (--log-opt tag=) is in container@PEN"
jb_is "$(grep -c 'tag=' "$JB_TMP/def")" 3 "default: Docker's default tag (the short id) is not repeated as a tag"
jb_is "$(grep -c 'COM_HASHICORP_TFE_ROLE\|TFE_ENV' "$JB_TMP/def")" 0 "default: no label or env field"
jb_is "$(lines def 'component="nginx"]')/$(lines def 'component="atlas"]')" "4/2" \
    "default: the wrapped form's component is in container@PEN (the split line's too)"
jb_is "$(grep -c '\] {"component":' "$JB_TMP/def")" 6 "default: the message is the whole wrapped line"
jb_is "$(lines def 'stream="audit"')" 1 "default: the wrapped atlas audit line is audit"
"$SDCHECK" 32473 <"$JB_TMP/def" >/dev/null
jb_is "$?" 0 "default: every line is valid RFC 5424 with valid structured data"

# ---- the fields the operator names ----
run fields --container-field 'COM_HASHICORP_*' --container-field TFE_ENV
jb_is "$(lines fields "tag=\"$TAG\" COM_HASHICORP_TFE_ROLE=\"atlas\" TFE_ENV=\"production\"]")" 3 \
    "--container-field: the label and the env variable in container@PEN, after the tag"
jb_is "$(lines fields '[container@32473 name="plain"')/$(lines fields 'image="busybox" COM_HASHICORP_TFE_ROLE="other"]')" \
    "2/2" "--container-field: a container with the label and the default tag"
"$SDCHECK" 32473 <"$JB_TMP/fields" >/dev/null
jb_is "$?" 0 "--container-field: valid structured data"
run star --container-field '*'
jb_is "$(grep -c 'MESSAGE=\|CONTAINER_NAME=\|PRIORITY=' "$JB_TMP/star")" 0 \
    "--container-field '*': fields jbridge already writes are not repeated"
jb_is "$(lines star 'COM_HASHICORP_TFE_ROLE="atlas"')" 3 "--container-field '*': the label is copied"

# ---- the component: filters and the inner text ----
run nginx --component nginx
jb_is "$(wc -l <"$JB_TMP/nginx")/$(lines nginx 'component="nginx"')" "4/4" \
    "--component nginx: the nginx records, the split one too, and nothing else"
run two --component nginx --component 'at*'
jb_is "$(wc -l <"$JB_TMP/two")" 6 "--component repeated: any may match"
run all --component '*'
jb_is "$(wc -l <"$JB_TMP/all")" 11 "--component '*': a line that is not wrapped has the component \"\", which * matches"
run inner --message inner
jb_is "$(grep -c '\] {"component":' "$JB_TMP/inner")" 0 "--message inner: no wrapper left in a message"
jb_is "$(grep 'component="nginx"' "$JB_TMP/inner" | grep -cE '\] [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+ \[INFO\] \[Request\] GET [^"]* seq=n-[123]$')" 3 \
    "--message inner: the nginx lines' inner text is the message"
jb_is "$(grep -c 'stream="audit".* \[INFO\] \[Audit Log\] {"resource":"workspace"' "$JB_TMP/inner")" 1 \
    "--message inner: the audit line's inner text, with its JSON unescaped"
jb_is "$(grep -c 'seq=t-[123]$' "$JB_TMP/inner")" 3 "--message inner: lines that are not wrapped stay whole"
"$SDCHECK" 32473 <"$JB_TMP/inner" >/dev/null
jb_is "$?" 0 "--message inner: valid RFC 5424"

# ---- bad values: usage errors naming the option ----
bad() {
    local want=$1
    shift
    "$JBRIDGE" "$@" </dev/null >/dev/null 2>"$JB_TMP/bad.err"
    jb_is "$?/$(grep -c -- "$want" "$JB_TMP/bad.err")" "2/1" "jbridge $*: usage error naming the option"
}
bad "--container-field 'com.hashicorp.tfe.role': expected" --container-field com.hashicorp.tfe.role
bad "--component needs a non-empty pattern" --component ''
bad "--message 'whole': expected line or inner" --message whole

# ---- rsyslogd + imjbridge: the structured data and $!container!... ----
cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="impstats" interval="1" format="json" log.syslog="off" log.file="$JB_TMP/stats.json" resetCounters="off")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
template(name="props" type="string"
         string="%\$!container!name%|%\$!container!tag%|%\$!container!component%|%\$!container!COM_HASHICORP_TFE_ROLE%|%\$!container!TFE_ENV%|%msg%\n")
ruleset(name="app") {
    action(type="omfile" file="$JB_TMP/rs.sd" template="RSYSLOG_SyslogProtocol23Format")
    action(type="omfile" file="$JB_TMP/rs.props" template="props")
    if \$!container!component == "nginx" then action(type="omfile" file="$JB_TMP/rs.nginx" template="props")
}
ruleset(name="only") { action(type="omfile" file="$JB_TMP/rs.only" template="props") }
input(type="imjbridge" ruleset="app" audit.ruleset="app" stateFile="s.state"
      container.fields=["COM_HASHICORP_*", "TFE_ENV"] message="inner")
input(type="imjbridge" ruleset="only" audit.ruleset="only" stateFile="only.state" components=["ngi*", "none"])
EOC
mkdir -p "$JB_TMP/work"
# filtered: the last impstats value of filtered.component for the input with components=[...]
filtered() {
    python3 - "$JB_TMP/stats.json" <<'PY' 2>/dev/null
import json, sys
last = None
for line in open(sys.argv[1]):
    i = line.find("{")
    o = json.loads(line[i:]) if i >= 0 else {}
    if o.get("origin") == "imjbridge" and "only.state" in o.get("name", ""):
        last = o.get("filtered.component")
print(last)
PY
}
jb_rsyslogd_start rs "$JB_TMP/rsyslog.conf"
jb_wait_for "[ \$(cat '$JB_TMP/rs.props' 2>/dev/null | wc -l) -ge 11 ] && [ \$(cat '$JB_TMP/rs.only' 2>/dev/null | wc -l) -ge 4 ]" 60 || true
jb_wait_for '[ "$(filtered)" = 7 ]' 30 || true
jb_is "$(filtered)" 7 "imjbridge: impstats filtered.component counts the 7 records components=[...] left out"
jb_rsyslogd_stop "$RS_PID" "imjbridge"
jb_is "$(grep -c "^tfe-atlas|$TAG||atlas|production|.* seq=t-[123]\$" "$JB_TMP/rs.props")" 3 \
    "imjbridge: \$!container!tag and the named fields (\$!container!COM_HASHICORP_TFE_ROLE, TFE_ENV)"
jb_is "$(grep -c '^plain|||other||' "$JB_TMP/rs.props")" 2 "imjbridge: no tag for Docker's default one"
jb_is "$(grep -cE '^terraform-enterprise\|\|nginx\|\|\|[0-9]{4}-.* seq=n-[123]$' "$JB_TMP/rs.nginx")" 3 \
    "imjbridge: \$!container!component in a ruleset's filter; message=\"inner\" writes the inner text"
jb_is "$(wc -l <"$JB_TMP/rs.nginx")" 4 "imjbridge: the split nginx line has its component too"
jb_is "$(wc -l <"$JB_TMP/rs.only")/$(grep -c '^terraform-enterprise||nginx||' "$JB_TMP/rs.only")" "4/4" \
    "imjbridge components=[...]: only the nginx records"
jb_is "$(grep -c "tag=\"$TAG\" COM_HASHICORP_TFE_ROLE=\"atlas\" TFE_ENV=\"production\"]" "$JB_TMP/rs.sd")" 3 \
    "imjbridge: the same container@PEN as the command"
"$SDCHECK" 32473 <"$JB_TMP/rs.sd" >/dev/null
jb_is "$?" 0 "imjbridge: valid structured data"

# ---- bad values fail rsyslogd -N1 naming the parameter ----
for p in 'container.fields=["x y"]' 'components=[""]' 'message="whole"'; do
    name=${p%%=*}
    jb_imjbridge_conf "$JB_TMP/bad.conf" /dev/null /dev/null "$p"
    "$RSYSLOGD" -N1 -f "$JB_TMP/bad.conf" >"$JB_TMP/bad.out" 2>&1
    st=$?
    jb_is "$st/$(grep -c "imjbridge: parameter '$name'" "$JB_TMP/bad.out")" "1/1" "rsyslogd -N1: $p is refused, naming it"
done
jb_done

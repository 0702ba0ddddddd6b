#!/bin/sh
# The JSON Lines report of SPEC §6: every line is a JSON object; one
# fragment record per fragment in manifest order with the listed fields; -v
# adds one request record per request whose sums agree with the fragments;
# -q keeps failures only; the summary is last and agrees with the exit status.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

randfile src 10000
cat > m <<'M'
file src
data "hi" at=0x4000
zero len=1M
fill 7 len=3000
M
run 0 "$AIOWRITE" m -o out.img --report=json -v -b 4K
jq -e . out >/dev/null || fail "not JSON Lines"
[ "$(tail -n 1 out | jq -r .type)" = summary ] || fail "summary is not last"
[ "$(jq -r 'select(.type=="fragment") | .line' out | tr '\n' ' ')" = "1 2 3 4 " ] || fail "fragment lines"
jq -se '[.[] | select(.type=="fragment") | has("line","kind","offset","length","requests","written","error","message")] | all' out >/dev/null ||
	fail "fragment record fields"
[ "$(jq -c 'select(.type=="fragment" and .line==1) | [.kind,.offset,.length,.requests,.written,.error,.message]' out)" = \
  '["file",0,10000,3,10000,null,null]' ] || fail "file fragment record"
[ "$(jq -c 'select(.type=="fragment" and .line==2) | [.kind,.offset,.length,.requests,.written]' out)" = \
  '["data",16384,2,1,2]' ] || fail "data fragment record"
[ "$(jq -c 'select(.type=="fragment" and .line==3) | [.kind,.offset,.length,.requests,.written,.error]' out)" = \
  '["zero",16386,1048576,0,0,null]' ] || fail "zero fragment record (a hole)"
# request records: 3 + 1 + 1 = 5, numbered 1..5, each complete and successful
[ "$(jq -r 'select(.type=="request") | .req' out | sort -n | tr '\n' ' ')" = "1 2 3 4 5 " ] || fail "request numbers"
jq -se '[.[] | select(.type=="request") | has("req","line","offset","length","aio_error","aio_return")] | all' out >/dev/null ||
	fail "request record fields"
[ "$(jq -s '[.[] | select(.type=="request") | .aio_return] | add' out)" = 13002 ] || fail "request bytes"
[ "$(jq -s '[.[] | select(.type=="request" and .aio_error != 0)] | length' out)" = 0 ] || fail "request errors"
[ "$(jq -c 'select(.type=="request" and .line==1 and .offset==8192) | [.length,.aio_return]' out)" = '[1808,1808]' ] ||
	fail "last request of the file"
s='select(.type=="summary")'
[ "$(jq -c "$s | [.target,.mode,.fragments,.requests,.failed,.bytes_written,.bytes_out,.exit]" out)" = \
  '["out.img","aio",4,5,0,13002,13002,0]' ] || fail "summary"
jq -se "[.[] | $s | (.seconds | type) == \"number\" and .seconds >= 0] | all" out >/dev/null || fail "seconds"
jq -r "$s | .batch" out | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' || fail "batch is not a uuid"

# Without -v: no request records.  -q: no fragment records when all is well.
run 0 "$AIOWRITE" m -o out2.img --report=json
[ "$(jq -r .type out | sort | uniq -c | tr -s ' ' | tr '\n' ';')" = " 4 fragment; 1 summary;" ] || fail "records without -v"
run 0 "$AIOWRITE" m -o out3.img --report=json -q
[ "$(jq -r .type out)" = summary ] || fail "-q keeps only the summary"

# --report-file: stdout stays empty; with -o - the report goes to stderr.
run 0 "$AIOWRITE" m -o out4.img --report=json --report-file=rep.jsonl
[ ! -s out ] || fail "stdout not empty with --report-file"
[ "$(json rep.jsonl summary exit)" = 0 ] || fail "report file summary"
rm -f img; run 0 sh -c "\"$AIOWRITE\" m --report=json -o - > img"
same img out4.img
[ "$(json err summary target)" = - ] || fail "report on stderr when stdout is the target"
run 0 "$AIOWRITE" m -o out5.img --report=none
[ ! -s out ] || fail "--report=none printed"

# Names that need escaping stay valid JSON.
name=$(printf 'we"ird\\na\tme.img')
run 0 "$AIOWRITE" -e 'data x' -o "$name" --report=json
[ "$(json out summary target)" = "$name" ] || fail "escaped target name"

# Text: a header, one row per fragment (offset in hex and decimal, human
# sizes), the summary with throughput.
run 0 "$AIOWRITE" m -o out6.img -b 4K
has out '^ +line +kind +offset +length +reqs +written +result$'
has out '^ +1 +file +0x0 \(0\) +9\.8 KiB +3 +9\.8 KiB +ok$'
has out '^ +3 +zero +0x4002 \(16386\) +1\.0 MiB +0 +0 B +hole$'
has out '^out6.img: 4 fragments, 5 requests, 0 failed, 13002 bytes \(12\.7 KiB\) written in [0-9.]+ s \([0-9.]+ [KMG]?i?B/s\); aio mode'
# Colour: only on a terminal, never with NO_COLOR, never into a pipe or file.
# (A terminal that says TERM=dumb gets none either: the runs set TERM.)
[ "$(grep -c "$(printf '\033')" out)" = 0 ] || fail "colour in a report to a file"
if command -v script >/dev/null; then
	TERM=xterm script -qec "\"$AIOWRITE\" -e 'data x' -o /dev/full" /dev/null > screen
	grep -q "$(printf '\033')\[1;31mENOSPC" screen || { cat -v screen; fail "no colour on a terminal"; }
	NO_COLOR=1 TERM=xterm script -qec "\"$AIOWRITE\" -e 'data x' -o /dev/full" /dev/null > screen
	[ "$(grep -c "$(printf '\033')" screen)" = 0 ] || fail "colour with NO_COLOR set"
fi

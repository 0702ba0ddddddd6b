#!/bin/sh
# -n / --dry-run (SPEC §5): parse, check every source, print the plan; write
# nothing.  The plan names every fragment's line and offset; no target is
# created and an existing one is left as it was; a missing source is still
# an error (exit 2); --report=json gives one "plan" record per fragment and
# a summary with "dry_run":true.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs jq
randfile src.bin 10000
# Line numbers differ from fragment numbers (comments, a blank line, a
# directive); offsets are known from the text.
cat > m <<'M'
# a dry run
output made-by-output-line.img

data "hello"
file src.bin skip=10 len=5000 at=0x1000
fill 0xee len=3K at=+16
zero len=1M at=1M
hex 0011
uuid text at=0x300000
M
# line offset, for each fragment
cat > want.plan <<'W'
4 0
5 4096
6 9112
7 1048576
8 2097152
9 3145728
W

# Is line L's row in the text plan naming offset O (decimal or hex)?
plan_row() {
	_hex=$(printf '%x' "$2")
	grep -Eq "^[[:space:]]*$1[[:space:]].*([^0-9a-fA-Fx]|^)($2|0[xX]0*$_hex)([^0-9a-fA-F]|$)" out
}

run 0 "$AIOWRITE" -n m -o new.img
[ ! -e new.img ] || fail "-n created the target"
[ ! -e made-by-output-line.img ] || fail "-n created a file"
while read -r line off; do
	plan_row "$line" "$off" || { cat out; fail "the plan has no row for line $line at offset $off"; }
done < want.plan
# Without -o, the output line's target is not created either.
run 0 "$AIOWRITE" --dry-run m
[ ! -e made-by-output-line.img ] || fail "--dry-run created the output line's target"

# An existing target, with --force or --patch: left byte-identical.
randfile target.img 100000
cp target.img keep.img
for opt in --force --patch; do
	run 0 "$AIOWRITE" -n $opt m -o target.img
	same target.img keep.img
	[ "$(stat -c %s target.img)" = 100000 ] || fail "-n $opt changed the target's length"
done

# Sources are checked in a dry run.
printf 'data "x"\nfile nosuch.bin\n' > missing.m
run 2 "$AIOWRITE" -n missing.m -o new.img
has err 'nosuch\.bin'
grep -Eq '^missing\.m:2:' err || { cat err; fail "the missing source's error is not at missing.m:2:"; }
[ ! -e new.img ] || fail "-n with a missing source created the target"
printf 'file src.bin skip=9000 len=2000\n' > short.m
run 2 "$AIOWRITE" -n short.m -o target.img
same target.img keep.img

# JSON: one plan record per fragment, no fragment records, a dry-run summary.
run 0 "$AIOWRITE" -n --report=json m -o new.img
[ ! -e new.img ] || fail "-n --report=json created the target"
jq -e . out >/dev/null || { cat out; fail "report is not valid JSON Lines"; }
[ "$(jq -c 'select(.type=="plan")' out | wc -l)" = "$(wc -l < want.plan)" ] || { cat out; fail "not one plan record per fragment"; }
[ "$(jq -c 'select(.type=="fragment" or .type=="request")' out | wc -l)" = 0 ] || { cat out; fail "fragment or request records in a dry run"; }
jq -r 'select(.type=="plan") | "\(.line) \(.offset)"' out > got.plan
cmp got.plan want.plan || { cat out; fail "plan records' lines and offsets differ from the manifest's"; }
[ "$(jq -c 'select(.type=="summary" and .dry_run==true)' out | wc -l)" = 1 ] || { cat out; fail "no summary with \"dry_run\":true"; }
[ "$(tail -n 1 out | jq -r .type)" = summary ] || fail "the summary is not the last record"
[ "$(json out summary exit)" = 0 ] || fail "summary exit is not 0"
[ "$(json out summary bytes_written)" = 0 ] || fail "a dry run says it wrote bytes"
# Lengths of the file and fill fragments, as the manifest says.
[ "$(jq -r 'select(.type=="plan" and .line==5) | .length' out)" = 5000 ] || fail "line 5's planned length is not 5000"
[ "$(jq -r 'select(.type=="plan" and .line==6) | .length' out)" = 3072 ] || fail "line 6's planned length is not 3072"
# A real run with the same manifest does write: the dry run was the difference.
run 0 "$AIOWRITE" m -o new.img
[ -s new.img ] || fail "the real run wrote nothing"
exit 0

#!/bin/sh
# /dev/full, a seekable character device whose every write fails with
# ENOSPC: SPEC §3 invariant 5 (every request reported, a failure never
# becomes exit 0) and the §6 report records for failures.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

[ -c /dev/full ] || skip "no /dev/full"
printf x > /dev/full 2>/dev/null && skip "/dev/full accepts writes here"
command -v jq >/dev/null || skip "no jq"
ENOSPC=28	# Linux's errno value (asm-generic/errno-base.h)

randfile s.bin 5000
cat > m <<'M'
data "hello"
fill 0xff len=3M
file s.bin at=8M
zero len=64K
hex 0102
M
nfrag=5

# Text report: exit 1, and it says ENOSPC.
run 1 "$AIOWRITE" m -o /dev/full
has out 'ENOSPC'
# Every one of the five fragments has its own failed row, also under -q.
[ "$(grep -c 'ENOSPC' out)" -ge 4 ] || { cat out; fail "text report names ENOSPC on fewer than 4 rows"; }
run 1 "$AIOWRITE" -q m -o /dev/full
for l in 1 2 3 5; do
	grep -Eq "^ *$l .*ENOSPC" out || { cat out; fail "-q text report has no ENOSPC row for line $l"; }
done

# JSON: every fragment record failed with ENOSPC; summary failed > 0, exit 1.
run 1 "$AIOWRITE" --report=json -b 1M m -o /dev/full
jq -e . out >/dev/null || { cat out; fail "report is not valid JSON Lines"; }
[ "$(jq -c 'select(.type=="fragment")' out | wc -l)" = $nfrag ] || { cat out; fail "not $nfrag fragment records"; }
[ "$(jq -c 'select(.type=="fragment" and .error=="ENOSPC")' out | wc -l)" = $nfrag ] ||
	{ cat out; fail "a fragment record without error ENOSPC"; }
[ "$(jq -c 'select(.type=="fragment" and .written==0 and (.message|type)=="string")' out | wc -l)" = $nfrag ] ||
	{ cat out; fail "a failed fragment record with written != 0 or no message"; }
[ "$(jq -c 'select(.type=="summary")' out | wc -l)" = 1 ] || fail "not one summary"
[ "$(tail -n 1 out | jq -r .type)" = summary ] || fail "the summary is not the last record"
[ "$(json out summary failed)" -gt 0 ] || fail "summary failed is not > 0"
[ "$(json out summary exit)" = 1 ] || fail "summary exit is $(json out summary exit), not 1"
[ "$(json out summary bytes_written)" = 0 ] || fail "summary bytes_written is not 0"

# -v: one request record per request, each aio_error ENOSPC and aio_return -1,
# and the same requests as without -v: a packed request lists its lines.
run 1 "$AIOWRITE" --report=json -b 1M m -o /dev/full
quiet_requests=$(json out summary requests)
run 1 "$AIOWRITE" --report=json -v -b 1M m -o /dev/full
jq -e . out >/dev/null || { cat out; fail "report is not valid JSON Lines"; }
nreq=$(jq -c 'select(.type=="request")' out | wc -l)
[ "$nreq" -ge 6 ] || { cat out; fail "only $nreq request records (3M fill at -b 1M alone is 3)"; }
[ "$nreq" = "$quiet_requests" ] || fail "-v made $nreq requests, without it $quiet_requests"
[ "$(jq -c 'select(.type=="request" and .lines==[4,5])' out | wc -l)" = 1 ] ||
	{ cat out; fail "no packed request listing lines 4 and 5"; }
[ "$(jq -c "select(.type==\"request\" and .aio_error==$ENOSPC and .aio_return==-1)" out | wc -l)" = "$nreq" ] ||
	{ cat out; fail "a request record without aio_error $ENOSPC / aio_return -1"; }
[ "$(json out summary requests)" = "$nreq" ] || fail "summary requests $(json out summary requests) != $nreq request records"
[ "$(json out summary failed)" -ge "$nreq" ] || fail "summary failed < $nreq"
[ "$(jq -c 'select(.type=="request" and .line==2)' out | wc -l)" -ge 3 ] || fail "3M fill at -b 1M has fewer than 3 requests"
for l in 1 2 3 4 5; do
	[ "$(jq -c "select(.type==\"request\" and (.lines | index($l)))" out | wc -l)" -ge 1 ] ||
		fail "no request record for line $l"
done
[ "$(json out summary exit)" = 1 ] || fail "summary exit is not 1"
exit 0

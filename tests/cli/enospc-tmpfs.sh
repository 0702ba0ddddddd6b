#!/bin/sh
# A real file system that runs out of room: a 4 MiB image into a 1 MiB
# tmpfs.  Exit 1 (not a crash, not 0), ENOSPC on the fragment, failed > 0,
# and with -v one request record per request (SPEC §3 invariant 5), the
# failures among them with aio_error ENOSPC.  The requests that did succeed
# wrote the right bytes.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: cannot mount a tmpfs"
needs jq
ENOSPC=28	# Linux's errno value
mkdir mnt
mount -t tmpfs -o size=1m,mode=0755 aiowrite-test mnt 2>mnt.err || skip "cannot mount a tmpfs: $(cat mnt.err)"
at_exit "umount '$T/mnt' 2>/dev/null || umount -l '$T/mnt'"

randfile big 4194304
echo 'file big' > m

# check_report FILE: the records every run must have.
check_report() {
	jq -e . "$1" >/dev/null || { cat "$1"; fail "report is not valid JSON Lines"; }
	[ "$(jq -c 'select(.type=="fragment")' "$1" | wc -l)" = 1 ] || { cat "$1"; fail "not one fragment record"; }
	[ "$(json "$1" fragment error)" = ENOSPC ] || { cat "$1"; fail "fragment error is not ENOSPC"; }
	[ "$(json "$1" summary failed)" -gt 0 ] || fail "summary failed is not > 0"
	[ "$(json "$1" summary exit)" = 1 ] || fail "summary exit is not 1"
	bw=$(json "$1" summary bytes_written)
	[ "$bw" -lt 4194304 ] || fail "bytes_written $bw is not < 4 MiB on a 1 MiB file system"
	[ "$(json "$1" fragment written)" = "$bw" ] || fail "fragment written != summary bytes_written"
}

# Defaults: exit exactly 1 (a crash or a signal would be > 128).
run 1 "$AIOWRITE" --report=json m -o mnt/out.img
check_report out
rm -f mnt/out.img

# Small requests, several in flight: several of them fail, each is reported.
run 1 "$AIOWRITE" --report=json -v -b 64K -j 4 m -o mnt/out.img
check_report out
nreq=$(jq -c 'select(.type=="request")' out | wc -l)
nfail=$(jq -c "select(.type==\"request\" and .aio_error==$ENOSPC)" out | wc -l)
[ "$nfail" -ge 1 ] || { cat out; fail "no request record with aio_error $ENOSPC"; }
[ "$nreq" = "$(json out summary requests)" ] || fail "$nreq request records, summary says $(json out summary requests)"
[ "$nreq" -ge 64 ] || fail "only $nreq requests for 4 MiB at -b 64K"
[ "$(jq -c "select(.type==\"request\" and .aio_error==$ENOSPC and .aio_return==-1)" out | wc -l)" = "$nfail" ] ||
	fail "an ENOSPC request record whose aio_return is not -1"
# Every request that failed counts in 'failed'.
[ "$(json out summary failed)" -ge "$nfail" ] || fail "summary failed < $nfail failed request records"
# The requests that succeeded add up to bytes_written, and wrote the source's bytes.
sum=$(jq -s '[.[] | select(.type=="request" and .aio_error==0) | .aio_return] | add // 0' out)
[ "$sum" = "$(json out summary bytes_written)" ] || fail "successful requests wrote $sum, summary says $(json out summary bytes_written)"
jq -r 'select(.type=="request" and .aio_error==0 and .aio_return>0) | "\(.offset) \(.aio_return)"' out > ok.list
[ -s ok.list ] || fail "no request succeeded: the test did not exercise a partial write"
while read -r off len; do
	[ "$(bytes mnt/out.img "$off" "$len" | md5sum)" = "$(bytes big "$off" "$len" | md5sum)" ] ||
		fail "range $off+$len written by a successful request differs from the source"
done < ok.list

# Text report names ENOSPC too.
rm -f mnt/out.img
run 1 "$AIOWRITE" -b 64K -j 4 m -o mnt/out.img
has out 'ENOSPC'
exit 0

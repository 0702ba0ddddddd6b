#!/bin/sh
# Stream mode behind a filter, into a regular file, with more than the
# 4 MiB the sink writes itself: past them a writer thread does the writes
# (sink.c).  The bytes must be the same (checked with xxd, gzip and cmp);
# a write that fails in the thread (ENOSPC on a full tmpfs) must be
# reported, exit 1, with the target exactly the bytes the summary says went
# out, and they must be right; a signal must stop the run (exit 143) and
# not hang it.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs jq
randfile src 25000000
echo 'file src' > m

# Same bytes as the independent tools.
run 0 timeout 120 "$AIOWRITE" m -f hex -o out.hex --report=none
xxd -p src > want.hex
same out.hex want.hex
run 0 timeout 120 "$AIOWRITE" m -f xor:5a0f -f xor:5a0f -o out.bin --report=none
same out.bin src
run 0 timeout 120 "$AIOWRITE" m -f gzip:1 -o out.gz --report=none
gzip -dc out.gz > back
same back src
rm -f out.hex want.hex out.bin out.gz back

# A write that fails in the thread: 25 MB into an 8 MiB tmpfs.
if [ "$(id -u)" = 0 ] && mkdir mnt && mount -t tmpfs -o size=8m,mode=0755 aiowrite-test mnt 2>/dev/null; then
	at_exit "umount '$T/mnt' 2>/dev/null || umount -l '$T/mnt'"
	run 1 timeout 120 "$AIOWRITE" m -f xor:00 -o mnt/out.img --report=json
	jq -e . out >/dev/null || { cat out; fail "the report is not valid JSON Lines"; }
	n=$(jq -c 'select(.error=="ENOSPC" or (.type=="flush" and .error=="ENOSPC"))' out | wc -l)
	[ "$n" -ge 1 ] || { cat out; fail "no record says ENOSPC"; }
	[ "$(json out summary exit)" = 1 ] || fail "summary exit is not 1"
	[ "$(json out summary failed)" -gt 0 ] || fail "summary failed is not > 0"
	bo=$(json out summary bytes_out)
	[ "$bo" = "$(stat -c %s mnt/out.img)" ] ||
		{ cat out; fail "bytes_out $bo, but the target holds $(stat -c %s mnt/out.img)"; }
	[ "$bo" -gt 4194304 ] || fail "bytes_out $bo: the writer thread never wrote"
	head -c "$bo" src | cmp - mnt/out.img || fail "the bytes that went out are not the image's"
	rm -f mnt/out.img
else
	note "not root or no tmpfs mount: the ENOSPC case is not run"
fi

# A write that fails in the thread inside the second of three fragments
# (ulimit -f: EFBIG at 9400 blocks of 512 bytes, 4,812,800 bytes, past the
# 4 MiB the sink writes itself): that fragment must be reported failed,
# never "ok" (the fragments of the same request may be too), and the
# target holds a prefix of the image, as long as bytes_out says.
randfile A 4194304
randfile B 1048576
randfile C 4194304
printf 'file A\nfile B\nfile C\n' > m3
( ulimit -f 9400 || exit 99
  exec "$AIOWRITE" m3 -f xor:00 -o lim.img --report=json ) > out 2>err
rc=$?
if [ $rc = 99 ]; then
	note "ulimit -f is not available: the EFBIG case is not run"
else
	[ $rc = 1 ] || { cat out err; fail "EFBIG in the writer thread: exit $rc, expected 1"; }
	jq -e . out >/dev/null || { cat out; fail "the report is not valid JSON Lines"; }
	[ "$(jq -r 'select(.type=="fragment" and .line==2) | .error' out)" = EFBIG ] ||
		{ cat out; fail "line 2, whose bytes the failed write held, is not reported EFBIG"; }
	bo=$(json out summary bytes_out)
	[ "$bo" = "$(stat -c %s lim.img)" ] || { cat out; fail "bytes_out $bo, the target holds $(stat -c %s lim.img)"; }
	cat A B C | head -c "$bo" | cmp - lim.img || fail "the bytes out are not a prefix of the image"
fi
rm -f A B C lim.img

# A signal while the thread writes: exit 143, promptly.
"$AIOWRITE" -e 'fill 7 len=64G' -f xor:00 -o big.img --report=none 2>err &
pid=$!
while [ "$(stat -c %s big.img 2>/dev/null || echo 0)" -lt 16777216 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.05
done
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "the run did not stop within 10 s of SIGTERM"; }
wait $pid
rc=$?
[ $rc = 143 ] || { cat err; fail "exit $rc after SIGTERM, expected 143"; }
rm -f big.img
exit 0

#!/bin/sh
# Stream mode without filters into a new regular file leaves zero ranges
# and gaps as holes ("a hole where the target allows", SPEC §2): a 1 TiB
# zero range takes no time and no space, and reads back as zeros (dd, cmp);
# the image is the same bytes as aio mode's.  Where a hole cannot be (a
# pipe, a filter, a file opened for appending) the zeros are written.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs jq
randfile s 5000
cat > m <<'M'
data "start"
zero len=16M
data "mid"
file s at=+4096
fill 0x41 len=10
size 17000000
M

# The same bytes as aio mode, trailing padding included; holes allocated.
run 0 "$AIOWRITE" m -o aio.img --report=none
run 0 "$AIOWRITE" m --mode=stream -o st.img --report=json
same st.img aio.img
[ "$(stat -c %s st.img)" = 17000000 ] || fail "length $(stat -c %s st.img), expected 17000000"
[ "$(json out fragment kind)" = fill ] || { cat out; fail "no fragment records"; }
[ "$(jq -r 'select(.type=="summary") | .bytes_out' out)" -lt 1048576 ] ||
	{ cat out; fail "bytes_out counts the holes as written"; }
# A zero range left as a hole: requests and written 0, as in aio mode; the
# fragments around it are written by one request each (the hole is longer
# than one call moves, and a call that only stopped in front of a fragment
# does not count for it).
[ "$(jq -c 'select(.type=="fragment" and .kind=="zero" and .requests==0 and .written==0)' out | wc -l)" = 1 ] ||
	{ cat out; fail "the zero fragment's record does not say requests 0, written 0"; }
[ "$(jq -c 'select(.type=="fragment" and .kind!="zero" and .requests==1)' out | wc -l)" = 4 ] ||
	{ cat out; fail "a fragment around the hole does not have exactly 1 request"; }

# 1 TiB of zeros in stream mode: done at once, a few KiB on disk.
run 0 timeout 20 "$AIOWRITE" -e 'data "a"' -e 'zero len=1T' -e 'data "z"' --mode=stream -o big.img
has out 'hole'
[ "$(stat -c %s big.img)" = 1099511627778 ] || fail "1 TiB image has length $(stat -c %s big.img)"
[ "$(du -k big.img | cut -f1)" -lt 1024 ] || fail "1 TiB of zeros took $(du -k big.img | cut -f1) KiB"
dd if=big.img bs=1M skip=700000 count=1 status=none | cmp - /dev/zero 2>&1 | grep -q EOF ||
	fail "a middle MiB of the 1 TiB zero range is not zeros"
[ "$(tail -c 1 big.img)" = z ] || fail "the last byte is not 'z'"
rm -f big.img

# A pipe, a filter, an appended file: the zeros are written.
"$AIOWRITE" m --mode=stream -o - --report=none | cmp - aio.img || fail "stream to a pipe differs"
run 0 "$AIOWRITE" m -f xor:00 -o xor.img --report=none
same xor.img aio.img
printf 'head' > app.img
"$AIOWRITE" m --mode=stream --report=none >> app.img || fail "stream to an O_APPEND file failed"
{ printf 'head'; cat aio.img; } > want.img
same app.img want.img
exit 0

#!/bin/sh
# Every fragment kind into a new target, in aio mode, equals an image built
# independently with printf, xxd -r -p, head and dd (SPEC §3 invariant 1).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

randfile src.bin 70000
printf 'hello' > a.txt
cat > m <<'M'
# a comment line, then every kind
file a.txt
data "q\"\\\t\n\r\0\x7fZ" at=+3          # escapes
hex 0xdeadBEEF 00 11 at=0x20
fill 0xa5 len=1000
zero len=4K
file src.bin skip=12345 len=50000 at=8K
data plain_token
uuid at=0x10000
uuid text
size 0x11000
M
run 0 "$AIOWRITE" m -o out.img

# The expected image, built without the tool under test.
truncate -s 0x11000 want.img || truncate -s 69632 want.img
printf 'hello' > p; put p 0 5 want.img 0
printf 'q"\\\t\n\r\000\177Z' > p; put p 0 9 want.img 8
printf 'deadbeef0011' | xxd -r -p > p; put p 0 6 want.img 32
head -c 1000 /dev/zero | tr '\0' '\245' > p; put p 0 1000 want.img 38
put src.bin 12345 50000 want.img 8192
printf 'plain_token' > p; put p 0 11 want.img 58192
# The uuids are random: take them from the output, then check their form.
put out.img 65536 16 want.img 65536
put out.img 65552 36 want.img 65552
same out.img want.img
[ "$(stat -c %s out.img)" = 69632 ] || fail "length $(stat -c %s out.img)"
dd if=out.img bs=1 skip=65552 count=36 status=none | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' ||
	fail "text uuid is not a lowercase random UUID"
[ "$(bytes out.img 65536 16)" != 00000000000000000000000000000000 ] || fail "binary uuid is zero"
# A second run gives fresh uuids.
run 0 "$AIOWRITE" m -o out2.img
[ "$(bytes out.img 65536 52)" != "$(bytes out2.img 65536 52)" ] || fail "uuids repeat across runs"

#!/bin/sh
# A block device target (a loop device over a file of random bytes): written
# in place, like --patch.  Only the fragments' ranges change; a gap keeps
# its old bytes; a `zero` range reads as zeros (SPEC §2 "Zero versus gap").
# An image larger than the device is refused (exit 2), the device unchanged.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: cannot set up a loop device"
needs losetup:mount

randfile back.img 4194304
cp back.img old.img
dev=
at_exit '[ -n "$dev" ] && losetup -d "$dev"'
dev=$(losetup -f --show "$T/back.img" 2>lo.err) || { dev=; skip "losetup failed: $(cat lo.err)"; }
[ -b "$dev" ] || skip "losetup gave no block device ('$dev')"
[ "$(blockdev --getsize64 "$dev")" = 4194304 ] || fail "the loop device is not 4 MiB"

# readdev FILE: the whole device, read back.
readdev() { dd if="$dev" of="$1" bs=1M iflag=direct status=none 2>/dev/null || dd if="$dev" of="$1" bs=1M status=none || fail "cannot read $dev"; }

randfile src.bin 200000
cat > m <<'M'
data "HEADER\n" at=0x100
file src.bin skip=1000 len=100000 at=64K
fill 0x5a len=200K at=1M
zero len=64K at=2M
hex deadbeef 0x0102 at=0x300000
data "E" at=4194303
M
run 0 "$AIOWRITE" m -o "$dev"

# The expected device: the old bytes, each fragment put over them with dd.
cp old.img want.img
printf 'HEADER\n' > p; put p 0 7 want.img 256
put src.bin 1000 100000 want.img 65536
head -c 204800 /dev/zero | tr '\0' 'Z' > p; put p 0 204800 want.img 1048576
put /dev/zero 0 65536 want.img 2097152
printf 'deadbeef0102' | xxd -r -p > p; put p 0 6 want.img 3145728
printf 'E' > p; put p 0 1 want.img 4194303

readdev now.img
same now.img want.img
# Spot checks that do not depend on want.img being built right.
[ "$(bytes now.img 2097152 65536 | tr -d 0)" = "" ] || fail "the zero range does not read as zeros"
[ "$(bytes now.img 0 256)" = "$(bytes old.img 0 256)" ] || fail "the gap before the first fragment changed"
[ "$(bytes now.img 1000000 40000)" = "$(bytes old.img 1000000 40000)" ] || fail "a gap changed"
[ "$(bytes now.img 2200000 100000)" = "$(bytes old.img 2200000 100000)" ] || fail "the gap after the zero range changed"
cmp -s now.img old.img && fail "nothing was written to the device"

# An image one byte past the end of the device: refused, nothing written.
cp now.img before.img
echo 'data "x" at=4M' > big.m
run 2 "$AIOWRITE" big.m -o "$dev"
[ -s err ] || fail "no message for an image larger than the device"
# Also with a first fragment that would fit: nothing at all is written.
printf 'fill 0x11 len=1M\nsize 8M\n' > big2.m
run 2 "$AIOWRITE" big2.m -o "$dev"
readdev after.img
same after.img before.img

# Detached, the backing file holds the same bytes.
sync
losetup -d "$dev" || fail "losetup -d $dev"
dev=
same back.img want.img
exit 0

#!/bin/sh
# --direct on a block device (a loop device in direct-io mode over a file
# of random bytes): written in place, in whole logical blocks; fragments at
# unaligned offsets keep the device's old bytes around them in their first
# and last blocks, gaps are left as they were, a `zero` range reads as
# zeros.  Checked with cmp of the backing file against one built with dd,
# with 512-byte and (where losetup can) 4096-byte logical blocks, in aio
# and stream mode.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: cannot set up a loop device"
needs losetup:mount blockdev:util-linux jq

devs=
at_exit 'for d in $devs; do losetup -d "$d"; done'
# attach FILE [LOSETUP-OPTION...]: a loop device in direct-io mode, in $dev.
attach() {
	_f=$1; shift
	dev=$(losetup --direct-io=on "$@" -f --show "$T/$_f" 2>lo.err) ||
		{ dev=; return 1; }
	devs="$devs $dev"
	[ -b "$dev" ] || fail "losetup gave no block device ('$dev')"
}
detach() { losetup -d "$dev" || fail "losetup -d $dev"; devs=$(echo "$devs" | sed "s|$dev||"); dev=; }

randfile src.bin 300000
cat > m <<'M'
data "HEADER\n" at=0x101
file src.bin skip=1000 len=100001 at=65537
fill 0x5a len=1001 at=1048577
zero len=65536 at=2097153
hex deadbeef 0x0102 at=0x300003
data "E" at=4194303
M
# put_m FILE: the fragments of m over FILE, with dd.
put_m() {
	printf 'HEADER\n' > p; put p 0 7 "$1" 257
	put src.bin 1000 100001 "$1" 65537
	head -c 1001 /dev/zero | tr '\0' 'Z' > p; put p 0 1001 "$1" 1048577
	put /dev/zero 0 65536 "$1" 2097153
	printf 'deadbeef0102' | xxd -r -p > p; put p 0 6 "$1" 3145731
	printf 'E' > p; put p 0 1 "$1" 4194303
}

# 512-byte logical blocks: aio mode with --verify, then stream mode with a
# manifest without gaps that ends inside a block.
randfile back.img 4194304
cp back.img want.img
attach back.img || skip "losetup --direct-io failed: $(cat lo.err)"
if strace -f -qq -o /dev/null true 2>/dev/null; then
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o trace -e trace=openat "$AIOWRITE" m --direct \
		--verify -o "$dev" -v --report=json > out || { cat out; fail "aio --direct on $dev"; }
	grep -q "\"$dev\", [A-Z_|]*O_DIRECT" trace || { cat trace; fail "$dev was not opened O_DIRECT"; }
else
	note "strace cannot trace here: O_DIRECT is not seen on the open"
	run 0 "$AIOWRITE" m --direct --verify -o "$dev" -v --report=json
fi
jq -e -s '[.[] | select(.type=="request")] | all(.offset % 512 == 0 and .length % 512 == 0)' \
	out >/dev/null || fail "a request is not aligned to the logical block size"
[ "$(json out summary exit)" = 0 ] || fail "aio --direct: exit $(json out summary exit)"
put_m want.img
dd if="$dev" of=now.img bs=1M iflag=direct status=none || fail "cannot read $dev"
same now.img want.img

printf 'data "S"\nfile src.bin len=70000\nfill 7 len=3\n' > s.m
run 0 "$AIOWRITE" s.m --direct --mode=stream -o "$dev"
printf S > p; put p 0 1 want.img 0
put src.bin 0 70000 want.img 1
printf '\007\007\007' > p; put p 0 3 want.img 70001
detach
same back.img want.img

# 4096-byte logical blocks: the same manifest, requests aligned to 4096.
randfile back4.img 4194304
cp back4.img want4.img
if attach back4.img --sector-size 4096 && [ "$(blockdev --getss "$dev")" = 4096 ]; then
	run 0 "$AIOWRITE" m --direct -o "$dev" -v --report=json
	jq -e -s '[.[] | select(.type=="request")] | all(.offset % 4096 == 0 and .length % 4096 == 0)' \
		out >/dev/null || fail "a request is not aligned to 4096 bytes"
	run 0 "$AIOWRITE" s.m --direct --mode=stream -o "$dev"
	detach
	put_m want4.img
	printf S > p; put p 0 1 want4.img 0
	put src.bin 0 70000 want4.img 1
	printf '\007\007\007' > p; put p 0 3 want4.img 70001
	same back4.img want4.img
else
	note "no loop device with 4096-byte sectors: $(cat lo.err)"
fi
exit 0

#!/bin/sh
# -f ihex and -f srec (SPEC §10): records at base + image offset for the
# bytes the fragments give; the gaps between them and the size padding are
# address jumps, never records.  Checked with the independent tools of
# binutils and srecord: converted back to binary (srec_cat, objcopy), the
# records give the image aiowrite-cli builds itself, and srec_info lists
# exactly the fragments' ranges.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs objcopy:binutils srec_cat:srecord srec_info:srecord jq
randfile s 1000
cat > m <<'M'
data "abc" at=0x10
fill 0xff len=70000 at=0x20000
file s at=0x40000
zero len=100
size 0x50000
M
run 0 "$AIOWRITE" m -o img --report=none

# ranges FILE FORMAT: srec_info's data ranges, one "LO-HI" a line.
ranges() {
	srec_info "$1" "$2" 2>/dev/null | sed -n 's/^[A-Za-z: ]*\([0-9A-F]\{6,8\}\) - \([0-9A-F]\{6,8\}\)$/\1-\2/p'
}
# The fragments' ranges (the file and the zero range touch: one range).
printf '%s\n' 000010-000012 020000-03116F 040000-04044B >want.ranges
printf '%s\n' 08000010-08000012 08020000-0803116F 08040000-0804044B >want.based

for f in ihex srec; do
	case $f in ihex) tool=-intel ;; srec) tool=-motorola ;; esac
	run 0 "$AIOWRITE" m -f $f -o out.$f --report=json
	[ "$(json out summary bytes_written)" = 71103 ] ||
		{ cat out; fail "$f: bytes_written is not the fragments' 71103 bytes"; }
	ranges out.$f $tool >got.ranges
	cmp -s got.ranges want.ranges ||
		{ diff want.ranges got.ranges; fail "$f: srec_info's ranges are not the fragments'"; }
	# srec_cat -binary puts every byte at its address (from 0, gaps as
	# zeros); the image ends with 0xc0000 - 0x4044c bytes of padding.
	run 0 srec_cat out.$f $tool -o back.bin -binary
	n=$(stat -c %s back.bin)
	[ "$n" = $((0x4044c)) ] || fail "$f: srec_cat's binary has $n bytes, expected $((0x4044c))"
	head -c "$n" img >img.head
	same back.bin img.head
	# objcopy's binary starts at the lowest address.
	run 0 objcopy -I $f -O binary out.$f oc.bin
	tail -c +17 img | head -c $((n - 16)) >img.from16
	same oc.bin img.from16
	# The same through a pipe, and at a base address.
	"$AIOWRITE" m -f $f:base=0x08000000 -o - --report=none >based.$f ||
		fail "$f:base=0x08000000 to a pipe failed"
	ranges based.$f $tool >got.based
	cmp -s got.based want.based ||
		{ diff want.based got.based; fail "$f:base=0x08000000: srec_info's ranges"; }
	run 0 objcopy -I $f -O binary based.$f based.bin
	same based.bin oc.bin
done

# Records of the width asked, and the same text whatever comes after it.
run 0 "$AIOWRITE" m -f ihex:width=32 -o w32.hex --report=none
grep -q '^:20' w32.hex || fail "ihex:width=32 has no record of 32 bytes"
! grep -q '^:2[1-9A-F]\|^:[3-9A-F]' w32.hex || fail "ihex:width=32 has a record of more than 32 bytes"
run 0 "$AIOWRITE" m -f ihex -f gzip -o out.gz --report=none
gzip -dc out.gz | cmp - out.ihex || fail "-f ihex -f gzip is not the gzip of -f ihex"
tail -n 1 out.ihex | grep -qx ':00000001FF' || fail "ihex does not end with the end-of-file record"
tail -n 1 out.srec | grep -qx 'S70500000000FA' || fail "srec does not end with S7 at address 0"

# A filter before ihex sees the gaps as zeros (SPEC §10): then there are
# records for them, the whole image in one range.
run 0 "$AIOWRITE" m -f xor:00 -f ihex -o xor.hex --report=none
[ "$(ranges xor.hex -intel)" = 000000-04FFFF ] ||
	{ ranges xor.hex -intel; fail "-f xor:00 -f ihex does not cover the whole image"; }

# Only 32-bit addresses: a byte at 2^32 fails its fragment with EOVERFLOW.
run 1 "$AIOWRITE" m -f srec:base=0xfffe0000 -o big.srec --report=json
[ "$(jq -r 'select(.type=="fragment" and .line==2) | .error' out)" = EOVERFLOW ] ||
	{ cat out; fail "a fragment past 2^32 is not EOVERFLOW"; }
run 2 "$AIOWRITE" m -f ihex:width=256 -o x.hex
has err "width must be a number from 1 to 255"
exit 0

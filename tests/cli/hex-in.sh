#!/bin/sh
# HEX sources (SPEC §9.4): `file PATH format=ihex|srec [base=ADDR]` places
# each data record at (its address - base) from the fragment's start; the
# gaps between records are gaps (pad bytes with `pad`, left as they were
# under --patch).  Checked against objcopy and srec_cat (srecord).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs objcopy:binutils srec_cat:srecord

randfile a.bin 300
randfile b.bin 100
objcopy -I binary -O ihex --change-addresses 0x08000000 a.bin a.hex || fail "objcopy"
objcopy -I binary -O srec --change-addresses 0x08001000 b.bin b.srec || fail "objcopy"
srec_cat a.hex -intel b.srec -motorola -o ab.hex -intel 2>/dev/null || fail "srec_cat"
srec_cat a.hex -intel b.srec -motorola -o ab.srec -motorola 2>/dev/null || fail "srec_cat"
# What an erased flash holds after programming: 0xff in the gaps.
srec_cat ab.hex -intel -fill 0xff 0x08000000 0x08001064 -offset -0x08000000 -o ref.bin -binary ||
	fail "srec_cat"

for f in ab.hex:ihex ab.srec:srec; do
	run 0 "$AIOWRITE" -e 'pad 0xff' -e "file ${f%%:*} format=${f#*:}" -o "out-${f#*:}"
	same "out-${f#*:}" ref.bin
done

# base= below the lowest address shifts everything up; gaps under --patch
# keep the target's bytes.
randfile old 8192
cp old t
run 0 "$AIOWRITE" --patch -o t -e 'file ab.hex format=ihex base=0x07fff000'
cp old want
put a.bin 0 300 want 4096
put b.bin 0 100 want 8192
same t want

# Refusals, each with its line.
run 2 "$AIOWRITE" -e 'file ab.hex format=ihex base=0x08000001' -o x
has err "^<command-line>:1:1: base=0x8000001 is above the lowest address in 'ab.hex' \(0x8000000\)"
run 2 "$AIOWRITE" -e 'file ab.hex format=ihex skip=1' -o x
has err "format= does not combine with skip="
# The third record with its last checksum digit changed (0 <-> 1).
awk 'NR == 3 { c = substr($0, length($0)); $0 = substr($0, 1, length($0) - 1) (c == "0" ? "1" : "0") } 1' \
	ab.hex > bad.hex
run 2 "$AIOWRITE" -e 'data x' -e 'file bad.hex format=ihex' -o x
has err "^<command-line>:2:1: 'bad.hex': line 3: checksum"
run 2 "$AIOWRITE" -e 'file ab.hex format=ihex' -e 'data "x" at=0x20' -o x
has err "overlaps line 1"
# A fragment in a gap between records is no overlap.
run 0 "$AIOWRITE" -e 'file ab.hex format=ihex' -e 'data "x" at=0x200' -o y
[ "$(bytes y 512 1)" = 78 ] || fail "the data in the gap"
[ ! -e x ] || fail "a refused run made its target"
exit 0

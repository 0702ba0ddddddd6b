#!/bin/sh
# The firmware EXAMPLES of aiowrite-manifest(5), and the firmware recipe
# that opens README.md's Examples, run as they are written there.  Each
# manifest is taken from the page's source -- the `.Bd -literal` block whose
# first line is `# example: NAME` -- built with aiowrite-cli, and checked
# by another tool: mkimage (u-boot-tools) for the uImage, Python's crcmod
# (python3-crcmod) for the Pico boot2 CRC, Python for the option ROM's sum,
# sfdisk (fdisk) for the MBR, Python's zlib for the erased flash.  Every
# example whose tool is there runs; the test skips at the end, naming what
# was not checked, when a tool is missing.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

case $0 in /*) here=$(dirname "$0") ;; *) here=$OLDPWD/$(dirname "$0") ;; esac
top=$(cd "${TESTS_DIR:-$here/..}/.." && pwd)
page=$top/man/aiowrite-manifest.5
readme=$top/README.md
[ -f "$page" ] && [ -f "$readme" ] || fail "no $page or $readme"

# The system's Python, whose modules Debian packages install.
PY=/usr/bin/python3
unchecked=
# missing WHAT REASON: WHAT is not checked, for REASON.
missing() { note "$1 not checked: $2"; unchecked="$unchecked; $1 ($2)"; }
have_py() { [ -x $PY ] || { missing "$1" "no $PY, Debian package python3"; return 1; }; }
have_crcmod() {
	have_py "$1" || return 1
	$PY -c 'import crcmod' 2>/dev/null || { missing "$1" "no crcmod for $PY, Debian package python3-crcmod"; return 1; }
}
have() { # WHAT PROGRAM PACKAGE
	command -v "$2" >/dev/null 2>&1 || { missing "$1" "no $2, Debian package $3"; return 1; }
}

# unroff: the text of a literal block as the reader sees it.
unroff() { sed -e 's/\\(dq/"/g' -e 's/\\&//g' -e 's/\\-/-/g' -e 's/\\e/\\/g'; }

# The examples the page has, and the ones this test checks: the same.
names="uimage pico-boot2 option-rom mbr flash"
awk '
	/^# example: / && prev !~ /^\.Bd -literal/ { print "line " NR ": \"" $0 "\" does not open a .Bd -literal block"; bad = 1 }
	{ prev = $0 }
	END { exit bad }
' "$page" || fail "man/aiowrite-manifest.5: an example is not at the start of its block"
sed -n 's/^# example: //p' "$page" | sort >names.page
printf '%s\n' $names | sort >names.test
cmp -s names.page names.test ||
	{ diff names.page names.test; fail "the examples of man/aiowrite-manifest.5 (<) are not those this test checks (>)"; }

# example NAME: the manifest of `# example: NAME`, into NAME.manifest.
example() {
	awk -v want="# example: $1" '
		$0 == want { on = 1 }
		on && /^\.Ed$/ { exit }
		on { print }
	' "$page" >"$1.roff"
	[ -s "$1.roff" ] || fail "man/aiowrite-manifest.5 has no example '$1'"
	# Only the escapes unroff knows: anything else would be read wrong here.
	if sed -e 's/\\(dq//g' -e 's/\\&//g' -e 's/\\-//g' -e 's/\\e//g' "$1.roff" | grep -q '\\'; then
		cat "$1.roff"; fail "example '$1' has a roff escape this test cannot read"
	fi
	unroff <"$1.roff" >"$1.manifest"
}

# following NAME: the literal block right after the one of example NAME.
following() {
	awk -v want="# example: $1" '
		$0 == want { found = 1; next }
		found == 1 && /^\.Ed$/ { found = 2; next }
		found == 2 && /^\.Bd -literal/ { on = 1; next }
		found == 2 && !on && /^\.(Sh|Ss) / { exit }
		on && /^\.Ed$/ { exit }
		on { print }
	' "$page" | unroff
}

mkdir bin
ln -s "$AIOWRITE" bin/aiowrite-cli
PATH=$T/bin:$PATH
export PATH

# --- uimage: the same bytes as mkimage's, run as the page writes both.
mkdir uimage && cd uimage || exit 1
if have "the uImage example" mkimage u-boot-tools; then
	note "example uimage"
	example uimage
	randfile zImage 100001
	following uimage >commands
	grep -q '^aiowrite-cli ' commands && grep -q '^mkimage ' commands ||
		{ cat commands; fail "uimage: no aiowrite-cli and mkimage commands after the example"; }
	# Each command alone, in a directory of its own: both write uImage.
	mkdir ours theirs
	cp uimage.manifest zImage ours/
	cp zImage theirs/
	grep '^aiowrite-cli ' commands >ours.sh
	sed -n '/^mkimage /,$p' commands >theirs.sh
	(cd ours && SOURCE_DATE_EPOCH=1700000000 sh -e ../ours.sh) >out 2>err ||
		{ cat ours.sh out err; fail "uimage: the page's aiowrite-cli command failed"; }
	(cd theirs && SOURCE_DATE_EPOCH=1700000000 sh -e ../theirs.sh) >out 2>err ||
		{ cat theirs.sh out err; fail "uimage: the page's mkimage command failed"; }
	same ours/uImage theirs/uImage
	[ "$(stat -c %s ours/uImage)" -eq $((64 + 100001)) ] || fail "uimage: not 64 + 100001 bytes"
	# Without SOURCE_DATE_EPOCH the time is 0.
	(unset SOURCE_DATE_EPOCH; run 0 "$AIOWRITE" uimage.manifest -o zero-time.img) || exit 1
	[ "$(bytes zero-time.img 8 4)" = 00000000 ] || fail "uimage: the time without SOURCE_DATE_EPOCH is $(bytes zero-time.img 8 4)"
fi
cd "$T" || exit 1

# --- pico-boot2: 256 bytes, the code padded with zeros to 252, then its
# CRC-32/MPEG-2 little-endian, as crcmod computes it; longer code refused.
mkdir pico-boot2 && cd pico-boot2 || exit 1
if have_crcmod "the Pico boot2 example"; then
	note "example pico-boot2"
	example pico-boot2
	for n in 252 180 1; do
		randfile boot2.bin $n
		run 0 "$AIOWRITE" pico-boot2.manifest -o boot2-$n.img
		$PY - "$n" <<'P' || fail "pico-boot2: the $n-byte code's image differs from crcmod's"
import crcmod, struct, sys
n = sys.argv[1]
# CRC-32/MPEG-2: poly 0x104C11DB7, init 0xffffffff, not reflected, xorout 0.
crc = crcmod.mkCrcFun(0x104C11DB7, initCrc=0xffffffff, rev=False, xorOut=0)
assert crc(b"123456789") == 0x0376e6e7
code = open("boot2.bin", "rb").read()
want = code + bytes(252 - len(code))
want += struct.pack("<I", crc(want))
got = open("boot2-%s.img" % n, "rb").read()
assert len(got) == 256 and got == want, (len(got), got[252:].hex(), want[252:].hex())
P
	done
	randfile boot2.bin 253
	run 2 "$AIOWRITE" pico-boot2.manifest -o long.img
	has err '^pico-boot2\.manifest:3:.*overlaps line 2'
	[ ! -e long.img ] || fail "pico-boot2: an image made from 253 bytes of code"
fi
cd "$T" || exit 1

# --- option-rom: 55 AA, the length in 512-byte blocks, the code at 3, all
# bytes summing to 0 mod 256, a multiple of 512 long.
mkdir option-rom && cd option-rom || exit 1
if have_py "the option ROM example"; then
	note "example option-rom"
	example option-rom
	for n in 1500 508 509 1; do
		randfile rom-code.bin $n
		run 0 "$AIOWRITE" option-rom.manifest -o rom-$n.img
		$PY - "$n" <<'P' || fail "option-rom: the ROM of $n bytes of code is wrong"
import sys
n = int(sys.argv[1])
code = open("rom-code.bin", "rb").read()
r = open("rom-%d.img" % n, "rb").read()
size = (3 + n + 1 + 511) // 512 * 512
assert len(r) == size, (len(r), size)
assert r[0:2] == b"\x55\xaa" and r[2] == size // 512, r[0:3].hex()
assert r[3:3 + n] == code
assert sum(r) % 256 == 0, sum(r) % 256
assert r[3 + n + 1:] == bytes(size - (3 + n + 1))
P
	done
fi
cd "$T" || exit 1

# --- mbr: sfdisk finds the two partitions with their starts, sizes and types.
mkdir mbr && cd mbr || exit 1
if have "the MBR example" sfdisk fdisk; then
	note "example mbr"
	example mbr
	run 0 "$AIOWRITE" mbr.manifest -o disk.img
	[ "$(stat -c %s disk.img)" -eq $((256 << 20)) ] || fail "mbr: disk.img is not 256 MiB"
	[ "$(( $(stat -c %b disk.img) * $(stat -c %B disk.img) ))" -lt $((1 << 20)) ] ||
		fail "mbr: disk.img is not sparse: $(du -h disk.img)"
	sfdisk --dump disk.img >dump 2>err || { cat err; fail "mbr: sfdisk --dump failed"; }
	has dump '^label: dos$'
	sed -n 's/^disk\.img\([0-9]\) *: *\(.*\)$/\1 \2/p' dump | tr -s ' ' >parts
	cat >parts.want <<'EOF'
1 start= 2048, size= 204800, type=c, bootable
2 start= 206848, size= 317440, type=83
EOF
	cmp -s parts.want parts || { cat dump; diff parts.want parts; fail "mbr: sfdisk --dump shows other partitions"; }
	sfdisk -l disk.img >list 2>err || { cat err; fail "mbr: sfdisk -l failed"; }
	has list '^disk\.img1 +\* +2048 +206847 +204800 +100M +c W95 FAT32 \(LBA\)$'
	has list '^disk\.img2 +206848 +524287 +317440 +155M +83 Linux$'
	[ "$(bytes disk.img 0 446)" = "$(head -c 446 /dev/zero | xxd -p | tr -d '\n')" ] || fail "mbr: boot code not zero"
	[ "$(bytes disk.img 510 2)" = 55aa ] || fail "mbr: no 55 aa at 510"
fi
cd "$T" || exit 1

# --- flash: 64 KiB of 0xff, the payload's length and CRC-32 at 0, the
# payload at 0x100, as Python's zlib makes it.
mkdir flash && cd flash || exit 1
if have_py "the erased flash example"; then
	note "example flash"
	example flash
	randfile payload.bin 5000
	run 0 "$AIOWRITE" flash.manifest -o flash.img
	$PY - <<'P' || fail "flash: the image differs from Python's"
import struct, zlib
p = open("payload.bin", "rb").read()
img = bytearray(b"\xff" * 65536)
img[0:8] = struct.pack("<II", len(p), zlib.crc32(p))
img[0x100:0x100 + len(p)] = p
assert open("flash.img", "rb").read() == bytes(img)
P
	randfile payload.bin $((64 * 1024 - 0x100 + 1))
	run 2 "$AIOWRITE" flash.manifest -o big.img
	[ ! -e big.img ] || fail "flash: an image made from a payload too big for 64 KiB"
fi
cd "$T" || exit 1

# --- README.md: the firmware recipe comes first in ## Examples, and runs.
awk '/^## /{on = ($0 == "## Examples")} on' "$readme" >examples.md
[ "$(grep -m 1 '^### ' examples.md)" = "### A firmware image with a header that describes its payload" ] ||
	fail "README.md: the first recipe of ## Examples is not the firmware image with a header"
awk '
	$0 == "<!-- recipe: firmware-header -->" { want = 1; next }
	want && /^```sh$/ { on = 1; want = 0; next }
	on && /^```$/ { exit }
	on { print }
' examples.md >firmware-header.sh
[ -s firmware-header.sh ] || fail "README.md: no firmware-header recipe in ## Examples"
mkdir readme && cd readme || exit 1
if have_py "the README's firmware-header recipe"; then
	note "README recipe firmware-header"
	randfile app.bin 5000
	sh -e ../firmware-header.sh >out 2>err || { cat ../firmware-header.sh out err; fail "README's firmware-header recipe failed"; }
	$PY - <<'P' || fail "README firmware-header: the image differs from Python's"
import struct, zlib
p = open("app.bin", "rb").read()
img = bytearray(b"\xff" * 65536)
img[0:12] = b"FWH1" + struct.pack("<II", len(p), zlib.crc32(p))
img[0x100:0x100 + len(p)] = p
assert open("flash.img", "rb").read() == bytes(img)
P
	# "aiowrite-cli -n flash.manifest shows the computed values".
	# (The image would go to standard output, so the report goes to stderr.)
	run 0 aiowrite-cli -n flash.manifest
	[ ! -s out ] || fail "README firmware-header: -n wrote to standard output"
	has err "value 0x1388 \\(bytes $($PY -c 'import struct; print(struct.pack("<I", 5000).hex())')\\)\$"
	has err "value $($PY -c 'import zlib; print(hex(zlib.crc32(open("app.bin", "rb").read())))') \\(bytes $($PY -c 'import struct, zlib; print(struct.pack("<I", zlib.crc32(open("app.bin", "rb").read())).hex())')\\)\$"
fi
cd "$T" || exit 1

[ -z "$unchecked" ] || skip "not checked: ${unchecked#; }"
exit 0

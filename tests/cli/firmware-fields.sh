#!/bin/sh
# Firmware images without a script (SPEC §8): names and expressions, integer
# fields, checksums and digests over ranges of the final image, pad, align=,
# to=, fixed-width data, uuid v5/guid, defines and include -- each checked
# against an independent tool: mkimage (u-boot-tools) for a U-Boot legacy
# image, and Python's zlib, hashlib, uuid and crcmod (python3-crcmod).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

# The system's Python, whose modules Debian packages install.
PY=/usr/bin/python3
needs $PY:python3
$PY -c 'import crcmod' 2>/dev/null || skip "no crcmod for $PY (Debian package python3-crcmod; scripts/deps installs it as root)"

randfile zImage 100001
randfile payload 5000

# 1. A U-Boot legacy image, byte for byte what mkimage makes.
if command -v mkimage >/dev/null 2>&1; then
	cat > uimage.mf <<'M'
u32be 0x27051956                     # magic
u32be crc32(0..64)                   # header CRC: its own 4 bytes count as zero
u32be ${SOURCE_DATE_EPOCH:-0}
u32be kernel.size
u32be 0x80008000                     # load address
u32be 0x80008000                     # entry point
u32be crc32(kernel)
hex 05 02 02 00                      # Linux, ARM, kernel, not compressed
data "linux" len=32
file zImage at=64 name=kernel
M
	SOURCE_DATE_EPOCH=1700000000 run 0 "$AIOWRITE" uimage.mf -o ours.img
	SOURCE_DATE_EPOCH=1700000000 mkimage -A arm -O linux -T kernel -C none -a 0x80008000 \
		-e 0x80008000 -n linux -d zImage theirs.img >/dev/null || fail "mkimage failed"
	same ours.img theirs.img
else
	note "no mkimage (Debian package u-boot-tools): the uImage comparison is skipped"
fi

# 2. Erased flash: a header with the payload's length and CRC, the payload
# at 0x100, 0xff everywhere else, 64 KiB -- without --allow-overlap.
cat > flash.mf <<'M'
pad 0xff
size 64K
u32le payload.size
u32le crc32(payload)
file payload at=0x100 name=payload
M
run 0 "$AIOWRITE" flash.mf -o flash.img
$PY - <<'P' || fail "erased flash image differs from Python's"
import struct, zlib
p = open("payload", "rb").read()
img = bytearray(b"\xff" * 65536)
img[0:8] = struct.pack("<II", len(p), zlib.crc32(p))
img[0x100:0x100 + len(p)] = p
assert open("flash.img", "rb").read() == bytes(img)
P

# 3. Every CRC preset, the generic crc(), adler32, sum and the digests,
# against crcmod, zlib and hashlib.
cat > sums.mf <<'M'
file payload name=p
u32be crc32(p)
u32be crc32c(p)
u32be crc32_mpeg2(p)
u16be crc16_xmodem(p)
u16be crc16_ccitt(p)
u16be crc16_modbus(p)
u8 crc8(p)
u64be crc(p,64,0x42f0e1eba9ea3693,0xffffffffffffffff,1,1,0xffffffffffffffff)
u32be adler32(p)
u64be sum(p)
sha256 p
sha512 p
sha1 p
md5 p
sha256 p text
u16le crc16_xmodem(100..200)
M
run 0 "$AIOWRITE" sums.mf -o sums.img
$PY - <<'P' || fail "checksums differ from crcmod/zlib/hashlib"
import crcmod, hashlib, struct, zlib
p = open("payload", "rb").read()
img = open("sums.img", "rb").read()
def crc(poly, init, rev, xor):
    return crcmod.mkCrcFun(poly, initCrc=init, rev=rev, xorOut=xor)
want = p
want += struct.pack(">I", zlib.crc32(p))
want += struct.pack(">I", crc(0x11EDC6F41, 0, True, 0xffffffff)(p))      # CRC-32/ISCSI
want += struct.pack(">I", crc(0x104C11DB7, 0xffffffff, False, 0)(p))    # CRC-32/MPEG-2
want += struct.pack(">H", crc(0x11021, 0, False, 0)(p))                 # CRC-16/XMODEM
want += struct.pack(">H", crc(0x11021, 0xffff, False, 0)(p))            # CRC-16/IBM-3740
want += struct.pack(">H", crc(0x18005, 0xffff, True, 0)(p))             # CRC-16/MODBUS
want += struct.pack(">B", crc(0x107, 0, False, 0)(p))                   # CRC-8/SMBUS
want += struct.pack(">Q", crc(0x142F0E1EBA9EA3693, 0, True, 0xffffffffffffffff)(p))  # CRC-64/XZ
want += struct.pack(">I", zlib.adler32(p))
want += struct.pack(">Q", sum(p))
for h in ("sha256", "sha512", "sha1", "md5"):
    want += hashlib.new(h, p).digest()
want += hashlib.sha256(p).hexdigest().encode()
want += struct.pack("<H", crc(0x11021, 0, False, 0)(p[100:200]))
assert img == want, "mismatch"
P

# 4. An option ROM: a checksum byte that makes the whole ROM sum to zero,
# computed over a range that holds the byte itself (counted as zero), and a
# header CRC over its own bytes with self=0xff (counted as 0xff).
cat > rom.mf <<'M'
hex 55 aa name=rom
u8 4
u32le crc32(0..16) self=0xff
data "OPTION ROM" len=12 pad=0x20
u8 "-sum(rom..tail) & 0xff"
fill 0x90 to=512 name=tail
M
run 0 "$AIOWRITE" rom.mf -o rom.img
$PY - <<'P' || fail "option ROM checks"
import zlib
r = open("rom.img", "rb").read()
assert len(r) == 512 and sum(r) % 256 == 0, (len(r), sum(r) % 256)
h = bytearray(r[0:16]); h[3:7] = b"\xff" * 4
assert zlib.crc32(bytes(h)) == int.from_bytes(r[3:7], "little")
P

# 5. Fields: widths, byte orders, two's complement, references, align=, to=.
cat > fields.mf <<'M'
u8 255
u16le -1
u16be 0x1234 name=h
u32le h.end
u64be ~0
u64le "-(1 << 63)"
data "x" align=16 name=x
zero to="x.end + 7"
u32be image.size
M
run 0 "$AIOWRITE" fields.mf -o fields.img
[ "$(xxd -p fields.img | tr -d '\n')" = \
  "ffffff123405000000ffffffffffffffff00000000000000800000000000000078000000000000000000002c" ] ||
	{ xxd fields.img; fail "fields are not as computed by hand"; }

# 6. uuid v5 (and its GUID byte order) as Python's uuid computes it.
run 0 "$AIOWRITE" -e 'uuid v5=aiowrite ns=6ba7b810-9dad-11d1-80b4-00c04fd430c8 text' \
	-e 'uuid v5=aiowrite ns=6ba7b810-9dad-11d1-80b4-00c04fd430c8 guid' \
	-e 'uuid v5=aiowrite' -o u.img
$PY - <<'P' || fail "uuid v5 differs from Python's uuid"
import uuid
u = open("u.img", "rb").read()
d = uuid.uuid5(uuid.NAMESPACE_DNS, "aiowrite")
n = uuid.uuid5(uuid.UUID(int=0), "aiowrite")
assert u == str(d).encode() + d.bytes_le + n.bytes, u
P

# 7. Defines: -D wins over define, ${X:-DEFAULT}, include pairs, environment.
mkdir -p lib
cat > lib/part.mf <<'M'
data "${WHAT}" name=${P}part
M
cat > defs.mf <<'M'
define V 7
u8 ${V}
u8 ${UNSET:-9}
include lib/part.mf P=a WHAT=one
include lib/part.mf P=b WHAT=two
u8 apart.size
u8 ${FROM_ENV}
M
FROM_ENV=5 run 0 "$AIOWRITE" -D V=8 defs.mf -o d.img
[ "$(xxd -p d.img)" = "08096f6e6574776f0305" ] || { xxd d.img; fail "defines"; }

# 8. Under --patch a range reads the target where no fragment writes: a
# header CRC stamped into an existing image covers the image's own bytes.
randfile old 128
cp old patched
run 0 "$AIOWRITE" --patch -o patched -e 'u32le crc32(0..64)'
$PY - <<'P' || fail "a CRC under --patch does not cover the target's bytes"
import zlib
old, new = open("old", "rb").read(), open("patched", "rb").read()
assert new[4:] == old[4:]
assert zlib.crc32(bytes(4) + new[4:64]) == int.from_bytes(new[0:4], "little")
P

# 9. Mistakes, each with its place; exit 2 and no target.
bad() { # WHAT REGEX LINE...
	_w=$1 _re=$2; shift 2
	printf '%s\n' "$@" > bad.mf
	run 2 "$AIOWRITE" bad.mf -o bad.img
	has err "$_re"
	[ ! -e bad.img ] || fail "$_w: target created"
}
bad "unknown name" "^bad\.mf:2:4: unknown name 'kernal' \(did you mean 'kernel'\?\)" \
	'data x name=kernel' 'u8 kernal.size'
bad "a later line" "^bad\.mf:1:.*layout keys may refer only to earlier lines" \
	'data x at=y.end' 'data y name=y'
bad "too wide" "^bad\.mf:1:4: the value 256 does not fit in 8 bits" 'u8 256'
bad "cycle" "^bad\.mf:2:.*covers line 1" 'u32le crc32(b) name=a' 'u32le crc32(a) name=b'
bad "division" "^bad\.mf:1:.*division by zero" 'u8 "1 / (2 - 2)"'
# A quoted expression without escapes: the column of the byte at fault, as
# unquoted (SPEC §8.2); with an escape the columns are not known: the quote.
bad "quoted column" "^bad\.mf:1:10: division by zero" 'u8 "(1+2)/0"'
bad "unquoted column" "^bad\.mf:1:9: division by zero" 'u8 (1+2)/0'
bad "quoted key column" "^bad\.mf:2:23: division by zero" 'data AB name=abc' \
	'data Z at="abc.end + 1/0"'
bad "quoted name column" "^bad\.mf:1:9: unknown name 'abd'" 'u8 "1 + abd.size"' 'data x name=abc'
bad "escaped column" "^bad\.mf:1:4: name 'aA' needs" 'u8 "a\x41"'
bad "duplicate name" "^bad\.mf:2:.*name 'a' is taken by line 1" 'data x name=a' 'data y name=a'
bad "undefined" "^bad\.mf:1:.*'NOPE' is not defined" 'data ${NOPE}'
bad "align" "^bad\.mf:1:.*at=3 is not a multiple of align=4" 'data x at=3 align=4'
bad "negative" "^bad\.mf:1:.*len= .* is -1" 'fill 0 len="-1"'
# All errors at once (SPEC §11): a layout error or a line that does not
# parse does not hide a field whose value needs no layout.
printf 'u8 300\nu8 "1/0"\ndata a at=-1\nu8 nope.size\nu16le 70000\n' > bad.mf
run 2 "$AIOWRITE" bad.mf -o bad.img
has err '^bad\.mf:1:4: the value 300 does not fit in 8 bits'
has err '^bad\.mf:2:6: division by zero'
has err '^bad\.mf:3:11: at= .* is -1'
has err '^bad\.mf:5:7: the value 70000 does not fit in 16 bits'
printf 'frob\nu8 256\nfile no-such-file\n' > bad.mf
run 2 "$AIOWRITE" bad.mf -o bad.img
has err '^bad\.mf:1:1: unknown kind'
has err '^bad\.mf:2:4: the value 256 does not fit'
has err "^bad\\.mf:3:1: cannot open 'no-such-file'"
[ ! -e bad.img ] || fail "a refused run made its target"
printf 'include self.mf\n' > self.mf
run 2 "$AIOWRITE" self.mf -o bad.img
has err "include cycle"

# 10. The report's kind is the word of the line (SPEC §6), and a dry run
# prints every computed value (§8.4): a field's number, then its bytes.
printf 'u8 7\nu16le 0x1234\nu32be -1\nu64le 5\nmd5 0..3\nsha1 image text\n' > k.mf
run 0 "$AIOWRITE" k.mf -o k.img --report=json
[ "$(jq -r 'select(.type=="fragment") | .kind' out | tr '\n' ' ')" = "u8 u16le u32be u64le md5 sha1 " ] ||
	{ cat out; fail "JSON kinds"; }
run 0 "$AIOWRITE" -n k.mf -o k2.img --report=json
[ "$(jq -r 'select(.type=="plan") | .value' out | head -n 4 | tr '\n' ' ')" = "0x7 0x1234 0xffffffff 0x5 " ] ||
	{ cat out; fail "dry-run values"; }
[ "$(jq -r 'select(.type=="plan" and .line==2) | .bytes' out)" = 3412 ] || fail "dry-run bytes"
[ "$(jq -r 'select(.type=="plan" and .line==5) | .value' out)" = \
  "$(head -c 3 k.img | md5sum | cut -d' ' -f1)" ] || fail "dry-run md5 value"
[ "$(jq -r 'select(.type=="plan" and .line==6) | .value' out)" = \
  "$({ head -c 31 k.img; head -c 40 /dev/zero; } | sha1sum | cut -d' ' -f1)" ] ||
	fail "dry-run sha1 text value (over the image, its own 40 bytes as zeros)"
[ "$(tail -c 40 k.img)" = "$(jq -r 'select(.type=="plan" and .line==6) | .value' out)" ] ||
	fail "the sha1 text written is not the value shown"
run 0 "$AIOWRITE" -n k.mf -o k2.img
has out '^ +2  u16le .*value 0x1234 \(bytes 3412\)$'

# 11. Checksums over a stream's bytes (standard input, a FIFO), in both
# modes and in a dry run: the stream is read ahead, never taken as zeros
# nor passed through unread; checked with Python's zlib and hashlib.
want_sums() { # DATA: the image DATA + u32le crc32(DATA) + sha256(DATA)
	$PY -c 'import sys, zlib, hashlib, struct; d = sys.argv[1].encode()
sys.stdout.buffer.write(d + struct.pack("<I", zlib.crc32(d)) + hashlib.sha256(d).digest())' "$1"
}
want_sums stdin-dat > sums.want
for mode in aio stream; do
	printf stdin-dat | "$AIOWRITE" -m $mode --report=none -o "sums.$mode" \
		-e 'file - name=f' -e 'u32le crc32(f)' -e 'sha256 f' || fail "$mode: stdin sums"
	same sums.want "sums.$mode"
	printf stdin-dat | "$AIOWRITE" -m $mode --report=none -o "sums.len.$mode" \
		-e 'file - name=f len=9' -e 'u32le crc32(f)' -e 'sha256 f' || fail "$mode: len= sums"
	same sums.want "sums.len.$mode"
done
printf stdin-dat | "$AIOWRITE" -n -o sums.n -e 'file - name=f len=9' -e 'u32le crc32(f)' >out ||
	fail "dry run over standard input"
has out "value $($PY -c 'import zlib; print(hex(zlib.crc32(b"stdin-dat")))') "
mkfifo ff
printf fifo-data > ff &
run 0 timeout 20 "$AIOWRITE" --report=none -o sums.fifo -e 'file ff name=f' -e 'u32le crc32(f)' \
	-e 'sha256 f'
wait
want_sums fifo-data > sums.want
same sums.want sums.fifo

# 12. sha256= on a field and a digest line (SPEC §2: any fragment but uuid):
# their computed bytes must hash to it, or nothing is written.
one=$(printf '\001' | sha256sum | cut -d' ' -f1)
md5one=$(printf '\001' | md5sum | cut -d' ' -f1 | xxd -r -p | sha256sum | cut -d' ' -f1)
run 0 "$AIOWRITE" --verify -o sha.img -e "u8 1 sha256=$one name=a" -e "md5 a sha256=$md5one"
bad "field sha256" "^bad\.mf:1:1: sha256 mismatch: the u8 fragment's bytes hash to " "u8 2 sha256=$one"
exit 0

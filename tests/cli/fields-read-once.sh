#!/bin/sh
# Fields that cover the same bytes share one read of them (issue 11): a
# CRC-32, a SHA-256, an MD5 of part of it and a sum over one 8 MiB payload
# read it once -- counted by strace, the bytes pread64 returned from the
# payload's descriptor -- and their values, and those of a header CRC that
# covers them (so is computed after them), are Python's zlib and hashlib's.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

PY=/usr/bin/python3
needs strace $PY:python3
strace -f -qq -o /dev/null true 2>/dev/null || skip "strace does not work here"

size=8388611			# 8 MiB and 3 bytes: many chunks, and a short one
randfile payload $size
cat > m <<'M'
u32le crc32(0..64) self=0xff
u32le crc32(payload)
sha256 payload
md5 "payload.start + 1000 .. payload.end"
u16le "sum(payload) & 0xffff"
file payload at=64 name=payload
M

# bytes_read TRACE: what pread64 returned in all from the payload's descriptor.
bytes_read() {
	awk -F' = ' '/^[0-9]+ +pread64\([0-9]+<[^>]*\/payload>/ { n += $NF } END { print n + 0 }' "$1"
}

# -n computes every field and writes nothing: the reads are the fields'.
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y -e trace=pread64 -o trace \
	"$AIOWRITE" -n m -o out.img >/dev/null 2>&1 || fail "aiowrite-cli -n under strace"
got=$(bytes_read trace)
[ "$got" = $size ] || fail "the payload ($size bytes) was read as $got bytes, not once"

# The values, against Python's.
run 0 "$AIOWRITE" m -o out.img
$PY - payload > want <<'P' || fail "python"
import hashlib, struct, sys, zlib
b = open(sys.argv[1], "rb").read()
h = struct.pack("<I", zlib.crc32(b)) + hashlib.sha256(b).digest() + \
    hashlib.md5(b[1000:]).digest() + struct.pack("<H", sum(b) & 0xffff)
h += bytes(60 - len(h))
# The header CRC covers the other fields, its own bytes as its self= byte.
sys.stdout.buffer.write(struct.pack("<I", zlib.crc32(b"\xff" * 4 + h)) + h + b)
P
same out.img want

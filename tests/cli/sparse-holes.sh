#!/bin/sh
# Holes (SPEC §9.1): a `file` source's holes are never read and never
# written; in a new regular target they, and every whole block that would
# get only zeros (any fragment kind), stay holes.  Under --patch a source
# hole reads as zero afterwards, or with holes=skip keeps the target's
# bytes.  JSON "holes" per fragment and in the summary.  References come
# from dd (conv=notrunc writes every byte; conv=sparse skips zero blocks),
# allocation from stat(1).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq gzip xxd

alloc() { echo $(($(stat -c %b "$1") * $(stat -c %B "$1"))); }

# A 64 MiB source with 3 data extents (random, so no zero blocks in them).
truncate -s 64M sp
randfile d1 100000
randfile d2 8192
randfile d3 5000
dd if=d1 of=sp bs=4096 seek=256 conv=notrunc status=none	# at 1 MiB
dd if=d2 of=sp bs=4096 seek=5120 conv=notrunc status=none	# at 20 MiB
dd if=d3 of=sp bs=1 seek=$((64 * 1048576 - 5000)) conv=notrunc status=none # the end
[ "$(alloc sp)" -lt 1048576 ] || skip "this file system does not keep sparse files sparse"
# Zero blocks inside data: a file whose blocks are all allocated.
{ head -c 8192 /dev/urandom; head -c 3M /dev/zero; head -c 5000 /dev/urandom; } > dz
[ "$(alloc dz)" -ge 3145728 ] || fail "dz should be fully allocated"

cat > m <<'M'
file sp at=4K
fill 0x00 len=2M
file dz
zero len=1M
data "end"
M
{ head -c 4096 /dev/zero; cat sp; head -c 2M /dev/zero; cat dz; head -c 1M /dev/zero; printf end; } > ref

# A new target, aio mode: the bytes, a few hundred KiB allocated, and the
# holes counted: every fragment has written + holes = its length.
run 0 "$AIOWRITE" --report=json -o new m
same new ref
[ "$(alloc new)" -lt $((1024 * 1024)) ] || fail "new target allocates $(alloc new) bytes"
[ "$(jq -s '[.[] | select(.type=="fragment") | .written + .holes == .length] | all' out)" = true ] ||
	fail "written + holes != length"
[ "$(jq -s '[.[] | select(.type=="fragment") | .holes] | add' out)" = \
  "$(json out summary holes)" ] || fail "summary holes is not the sum of the fragments'"
[ "$(jq -r 'select(.line==1) | .holes' out)" -ge $((64 * 1048576 - 131072 - 12288)) ] ||
	fail "the source's holes were written"
[ "$(jq -r 'select(.line==3) | .holes' out)" -ge $((3 * 1048576 - 8192)) ] ||
	fail "zero blocks of a data extent were written"
[ "$(jq -r 'select(.line==2) | .holes' out)" = 2097152 ] || fail "fill 0x00 was written"
# The text report says so too.
rm new
run 0 "$AIOWRITE" -o new m
has out 'left as holes'
same new ref

# Stream mode (no filters) into a new file: the same bytes, the source's
# holes stay holes (data extents go by copy_file_range, as they are).
rm new
run 0 "$AIOWRITE" -m stream --report=json -o new m
same new ref
[ "$(alloc new)" -lt $((5 * 1048576)) ] || fail "stream: new target allocates $(alloc new)"
[ "$(jq -r 'select(.line==1) | .holes' out)" -ge $((64 * 1048576 - 131072 - 12288)) ] ||
	fail "stream: the source's holes were written"

# A stream source (a pipe) into a new file in stream mode: its bytes are
# read, not spliced, and its zero blocks stay holes.
n=$(stat -c %s dz)
cat dz | run 0 "$AIOWRITE" -m stream -o piped -e 'data "ab"' -e "file - len=$n"
{ printf ab; cat dz; } | cmp - piped || fail "stream source: bytes differ"
[ "$(alloc piped)" -lt 65536 ] || fail "stream source: zero blocks written ($(alloc piped))"

# Through a pipe every hole is zeros.
"$AIOWRITE" -o - m --report=none | cmp - ref || fail "piped image differs"

# --patch: holes read as zero afterwards (punched); holes=skip leaves the
# target's bytes, as dd conv=sparse does with the all-zero blocks.
randfile old $((70 * 1048576))
cp old t1
cp old t2
cp old want1
cp old want2
dd if=sp of=want1 bs=4096 seek=1 conv=notrunc status=none
dd if=sp of=want2 bs=4096 seek=1 conv=sparse,notrunc status=none
run 0 "$AIOWRITE" --patch --verify -o t1 -e 'file sp at=4K'
same t1 want1
run 0 "$AIOWRITE" --patch --verify --report=json -o t2 -e 'file sp at=4K holes=skip'
same t2 want2
[ "$(jq -r 'select(.type=="fragment") | .holes' out)" -ge $((64 * 1048576 - 131072 - 12288)) ] ||
	fail "holes=skip: holes not counted"
# holes=skip in a new file: holes all the same.
run 0 "$AIOWRITE" -o t3 -e 'file sp holes=skip'
cmp t3 sp || fail "holes=skip into a new file"
# A checksum over a holes=skip fragment under --patch (SPEC §8.4: the final
# image's bytes): its holes are what the target keeps there, so the crc32
# and the sha256 are those of the bytes the target ends up with (want2,
# built with dd), as gzip's and sha256sum's tools compute them.
cp old t4
run 0 "$AIOWRITE" --patch -o t4 -e 'file sp at=4K holes=skip name=s' \
	-e 'u32le crc32(s) at=68M' -e 'sha256 s'
head -c $((68 * 1048576)) t4 > t4.img
head -c $((68 * 1048576)) want2 | cmp - t4.img || fail "holes=skip under --patch: the bytes"
span() { dd if=want2 bs=4096 skip=1 count=$((64 * 256)) status=none; }
[ "$(dd if=t4 bs=1 skip=$((68 * 1048576 + 4)) count=32 status=none | xxd -p -c 64)" = \
  "$(span | sha256sum | cut -d' ' -f1)" ] || fail "holes=skip under --patch: sha256"
[ "$(dd if=t4 bs=1 skip=$((68 * 1048576)) count=4 status=none | xxd -p)" = \
  "$(span | gzip -c | tail -c 8 | head -c 4 | xxd -p)" ] || fail "holes=skip under --patch: crc32"

# A block device (root): holes read as zero; holes=skip keeps the bytes.
if [ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null 2>&1; then
	cp old img
	dev=$(losetup -f --show img 2>/dev/null) || skip "no loop device"
	at_exit "losetup -d $dev"
	run 0 "$AIOWRITE" --verify -o "$dev" -e 'file sp at=4K holes=skip'
	cmp "$dev" want2 || fail "block device: holes=skip changed the holes"
	run 0 "$AIOWRITE" --verify -o "$dev" -e 'file sp at=4K'
	cmp "$dev" want1 || fail "block device: holes do not read as zero"
else
	note "not root: the block device part is left out"
fi

# Errors: holes= takes zero or skip, on `file` only.
run 2 "$AIOWRITE" -o x -e 'file sp holes=keep'
has err "^<command-line>:1:15: holes= is zero or skip, not 'keep'"
run 2 "$AIOWRITE" -o x -e 'zero len=1 holes=skip'
has err "unknown key 'holes' for 'zero'"
[ ! -e x ] || fail "x was created"

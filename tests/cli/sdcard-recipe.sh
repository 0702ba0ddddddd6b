#!/bin/sh
# The README's disk-image recipe (tests/cli/readme-cookbook.sh leaves it to
# this test): an SD-card image from a partition table
# written with fields, a FAT boot partition and a zstd-compressed ext4 root
# file system decoded on the fly.  Checked with sfdisk (the table), fsck of
# each partition (through loop devices at their offsets when root, else
# copies cut out with dd), cmp against the sources, and du (holes stay
# holes: the image takes about what its data does).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs sfdisk:fdisk mkfs.vfat:dosfstools fsck.vfat:dosfstools mkfs.ext4:e2fsprogs \
	e2fsck:e2fsprogs zstd jq

alloc() { echo $(($(stat -c %b "$1") * $(stat -c %B "$1"))); }

# The recipe: the ```sh block after README.md's `<!-- recipe: sdcard -->`.
awk '/^<!-- recipe: sdcard -->$/ { on = 1; next }
	on && /^```sh$/ { inblock = 1; next }
	inblock && /^```$/ { exit }
	inblock' "$TESTS_DIR/../README.md" > recipe.sh
grep -q 'decode=zstd' recipe.sh || fail "README.md has no sdcard recipe"
mkdir bin
ln -s "$AIOWRITE" bin/aiowrite-cli

# The partitions' contents: a 64 MiB FAT file system with a kernel in it,
# and a 1 GiB ext4 holding 30 MiB of files, compressed.
randfile kernel 3000000
truncate -s 64M boot.vfat
mkfs.vfat -n BOOT boot.vfat >/dev/null || fail "mkfs.vfat"
if command -v mcopy >/dev/null 2>&1; then
	mcopy -i boot.vfat kernel ::kernel || fail "mcopy"
fi
mkdir -p rootdir/usr/lib rootdir/etc
randfile rootdir/usr/lib/big 30000000
echo sdcard > rootdir/etc/hostname
truncate -s 1G rootfs.ext4
mkfs.ext4 -q -F -L root -d rootdir rootfs.ext4 || fail "mkfs.ext4 -d"
zstd -q -T2 rootfs.ext4 -o rootfs.ext4.zst || fail "zstd"

PATH=$T/bin:$PATH run 0 sh -e recipe.sh
has out 'sd.img2 .*Linux'

# The table: two partitions where the manifest put the files.
sfdisk -J sd.img > table.json || fail "sfdisk cannot read the table"
[ "$(jq '.partitiontable.partitions | length' table.json)" = 2 ] || fail "not two partitions"
p1=$(jq '.partitiontable.partitions[0].start' table.json)
n1=$(jq '.partitiontable.partitions[0].size' table.json)
p2=$(jq '.partitiontable.partitions[1].start' table.json)
n2=$(jq '.partitiontable.partitions[1].size' table.json)
[ "$p1 $n1 $p2 $n2" = "8192 131072 139264 2097152" ] || fail "partitions at $p1+$n1, $p2+$n2"
[ "$(jq -r '.partitiontable.partitions[0].bootable' table.json)" = true ] || fail "not bootable"

# Each partition holds its file system, byte for byte.
dd if=sd.img of=part1 bs=512 skip="$p1" count="$n1" status=none
dd if=sd.img of=part2 bs=512 skip="$p2" count="$n2" status=none
same part1 boot.vfat
zstd -dc rootfs.ext4.zst | cmp - part2 || fail "partition 2 is not the decoded root"
if [ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null 2>&1 &&
   l1=$(losetup -f --show -r -o $((p1 * 512)) --sizelimit $((n1 * 512)) sd.img 2>/dev/null); then
	at_exit "losetup -d $l1"
	l2=$(losetup -f --show -r -o $((p2 * 512)) --sizelimit $((n2 * 512)) sd.img) ||
		fail "losetup"
	at_exit "losetup -d $l2"
	fsck.vfat -n "$l1" >fsck1 2>&1 || { cat fsck1; fail "fsck.vfat of partition 1"; }
	e2fsck -f -n "$l2" >fsck2 2>&1 || { cat fsck2; fail "e2fsck of partition 2"; }
else
	note "not root: fsck of copies of the partitions"
	fsck.vfat -n part1 >fsck1 2>&1 || { cat fsck1; fail "fsck.vfat of partition 1"; }
	e2fsck -f -n part2 >fsck2 2>&1 || { cat fsck2; fail "e2fsck of partition 2"; }
fi

# Holes stay holes: the image takes little more than its data.
[ "$(stat -c %s sd.img)" = $(((p2 + n2) * 512)) ] || fail "the image's length"
data=$(( $(alloc boot.vfat) + $(alloc rootfs.ext4) + 4096 ))
[ "$(alloc sd.img)" -le $((data + data / 20)) ] ||
	fail "the image allocates $(alloc sd.img) bytes for $data of sources"

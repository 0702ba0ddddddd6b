#!/bin/sh
# Shared extents (SPEC §9.2).  On the test directory's own file system
# (ext4 or tmpfs, which cannot share extents) nothing is cloned: "cloned" is
# 0 and the image is right.  Then, as root, on an XFS (reflink=1) and a
# btrfs, each a loop-mounted image file: a `file` fragment's span whose
# source offset, target offset and length are block-aligned is cloned, in
# aio mode, in stream mode (also into a standard output that starts at an
# offset), under --atomic; the unaligned heads and tails are copied.  The
# bytes are checked with cmp against an image built with dd, the JSON
# "cloned" numbers against the alignment worked out here, and the target's
# extents with filefrag: shared where cloned, and nowhere with --no-clone.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq filefrag:e2fsprogs

# The sources: s1 block-aligned, s2 of an odd length.
randfile s1 1048576
randfile s2 700001
# Line: what it places, and with 4 KiB blocks what of it can be cloned.
# 1 data, 2 s1 whole at 4K (all 1 MiB), 3 s2 skip=100 at the next byte
# (source and target offsets 100 apart mod 4K: none), 4 s2 skip=4096 at 2M
# (the span of whole blocks, 692224 bytes; the tail of 3681 is copied),
# 5 s1 skip=1000 len=300000 at 3M+4K+1000 (head 3096 copied, then 294912,
# then a tail of 1992), 6 s1 len=4095 at 4M (less than a block: none).
cat > m <<'M'
data "HEAD"
file s1 at=4K
file s2 skip=100 len=500000
file s2 skip=4096 at=2M
file s1 skip=1000 len=300000 at=3150824
file s1 len=4095 at=4M
M
printf HEAD > p
: > want
put p 0 4 want 0
put s1 0 1048576 want 4096
put s2 100 500000 want 1052672
put s2 4096 695905 want 2097152
put s1 1000 300000 want 3150824
put s1 0 4095 want 4194304
# The clonable bytes of each fragment line, in order, for 4 KiB blocks.
expect="0 1048576 0 692224 294912 0"
expect_sum=2035712

# check_cloned REPORT WANT...: each fragment record's "cloned", in order,
# and the summary's the sum.
check_cloned() {
	_rep=$1; shift
	_got=$(jq -r 'select(.type=="fragment") | .cloned' "$_rep" | tr '\n' ' ' | sed 's/ $//')
	[ "$_got" = "$*" ] || { cat "$_rep"; fail "cloned per fragment: '$_got', expected '$*'"; }
	_sum=0
	for _n; do _sum=$((_sum + _n)); done
	[ "$(json "$_rep" summary cloned)" = "$_sum" ] ||
		fail "summary cloned $(json "$_rep" summary cloned), expected $_sum"
	jq -s -e 'map(select(.type=="fragment")) | all(.written == .length)' "$_rep" >/dev/null ||
		fail "a fragment's written is not its length: cloned bytes must count as written"
}

# On the ordinary file system: no clone, the right bytes, "cloned" 0.
fstype=$(stat -f -c %T .)
for mode in aio stream; do
	run 0 "$AIOWRITE" m --mode=$mode -o out.$mode --report=json
	same out.$mode want
	case $fstype in
	xfs|btrfs) note "the test directory is on $fstype: its numbers are not checked" ;;
	*) check_cloned out 0 0 0 0 0 0 ;;
	esac
	run 0 "$AIOWRITE" m --mode=$mode -o text.$mode --force
	case $fstype in xfs|btrfs) ;; *) ! grep -q cloned out || fail "the text report names clones on $fstype" ;; esac
done

[ "$(id -u)" = 0 ] || skip "not root: cannot mount an XFS and a btrfs image (the $fstype checks passed)"
needs losetup:mount mkfs.xfs:xfsprogs mkfs.btrfs:btrfs-progs

# shared_bytes FILE FROM TO: the bytes of [FROM, TO) that FIEMAP says are
# in shared extents (filefrag -v: "shared" among the flags).
shared_bytes() {
	sync "$1" || fail "sync $1"
	filefrag -v "$1" > ff || fail "filefrag $1"
	awk -v from="$2" -v to="$3" '
		match($0, /blocks of [0-9]+ bytes/) { bs = substr($0, RSTART + 10, RLENGTH - 16) + 0 }
		/^ *[0-9]+: *[0-9]+\.\./ && /shared/ {
			line = $0; sub(/^ *[0-9]+: */, "", line); split(line, r, /[.: ]+/)
			a = r[1] * bs; b = (r[2] + 1) * bs
			if (a < from) a = from; if (b > to) b = to; if (b > a) n += b - a }
		END { print n + 0 }' ff
}

# check_shared FILE: each cloned range is shared whole; nothing else is.
check_shared() {
	[ "$(shared_bytes "$1" 4096 1052672)" = 1048576 ] || { cat ff; fail "$1: line 2 is not shared whole"; }
	[ "$(shared_bytes "$1" 2097152 2789376)" = 692224 ] || { cat ff; fail "$1: line 4's blocks are not shared"; }
	[ "$(shared_bytes "$1" 3153920 3448832)" = 294912 ] || { cat ff; fail "$1: line 5's blocks are not shared"; }
	[ "$(shared_bytes "$1" 0 99999999)" = "$expect_sum" ] || { cat ff; fail "$1: more is shared than was cloned"; }
}

# A file system in an image file on a loop device, mounted on $T/$1.
# Unmounted and detached at exit, whatever happens.
mount_fs() {
	_fs=$1; shift
	truncate -s 300M "$_fs.img" || fail "truncate"
	"$@" "$_fs.img" >mkfs.out 2>&1 || { cat mkfs.out; fail "$* failed"; }
	_dev=$(losetup -f --show "$T/$_fs.img" 2>lo.err) || skip "losetup failed: $(cat lo.err)"
	at_exit "losetup -d $_dev"
	mkdir "$_fs"
	mount "$_dev" "$_fs" 2>mount.err || skip "cannot mount $_fs: $(cat mount.err)"
	at_exit "cd /; umount $T/$_fs || umount -l $T/$_fs"
}

for fs in xfs btrfs; do
	case $fs in
	xfs) mount_fs xfs mkfs.xfs -q -m reflink=1 ;;
	btrfs) mount_fs btrfs mkfs.btrfs -q ;;
	esac
	[ "$(stat -f -c %S $fs)" = 4096 ] || skip "$fs block size $(stat -f -c %S $fs), the numbers here are for 4096"
	cp s1 s2 m $fs/
	cd $fs || fail "cd $fs"
	for mode in aio stream; do
		run 0 "$AIOWRITE" m --mode=$mode -o out.$mode --report=json
		same out.$mode ../want
		check_cloned out $expect
		check_shared out.$mode
		# The text report says what was cloned.
		run 0 "$AIOWRITE" m --mode=$mode -o text.$mode
		has out "^ +2 .* 1\\.0 MiB cloned"
		has out "$expect_sum bytes cloned"
		# --no-clone: a copy, and nothing shared (stream mode too, whose
		# copy_file_range would share extents by itself).
		run 0 "$AIOWRITE" m --mode=$mode --no-clone -o copy.$mode --report=json
		same copy.$mode ../want
		check_cloned out 0 0 0 0 0 0
		[ "$(shared_bytes copy.$mode 0 99999999)" = 0 ] || { cat ff; fail "$fs $mode --no-clone: shared extents"; }
		# --atomic over an existing target: the temporary file gets the clones.
		echo old > atomic.$mode
		run 0 "$AIOWRITE" m --mode=$mode --atomic --force -o atomic.$mode --report=json
		same atomic.$mode ../want
		check_cloned out $expect
		check_shared atomic.$mode
		rm -f out.$mode text.$mode copy.$mode atomic.$mode
	done
	# Standard output redirected to a file, 4 KiB in: the blocks line up
	# with the file's offsets, not the image's.
	{ head -c 4096 /dev/zero; "$AIOWRITE" m --mode=stream -o - --report=json 2>rep; } > so ||
		fail "stream to standard output"
	{ head -c 4096 /dev/zero; cat ../want; } | cmp - so || fail "stream to standard output: wrong bytes"
	check_cloned rep $expect
	# 3 bytes in, no block lines up but where the source does too: none.
	{ printf abc; "$AIOWRITE" m --mode=stream -o - --report=json 2>rep; } > so3 || fail "stream at 3"
	{ printf abc; cat ../want; } | cmp - so3 || fail "stream at 3: wrong bytes"
	check_cloned rep 0 0 0 0 0 0
	# A source on another file system (the test directory): copied.
	printf 'file ../s1 at=4K\nfile s1 at=2M\n' > other.m
	run 0 "$AIOWRITE" other.m -o other --report=json
	{ put ../s1 0 1048576 other.want 4096; put s1 0 1048576 other.want 2097152; }
	same other other.want
	jq -s -e 'map(select(.type=="summary"))[0] | .cloned == 0 or .cloned == 1048576' out >/dev/null ||
		fail "a source on another file system: cloned $(json out summary cloned)"
	[ "$(jq -r 'select(.type=="fragment") | .cloned' out | head -n 1)" = 0 ] ||
		fail "a source on another file system was cloned"
	cd "$T" || fail "cd $T"
done
exit 0

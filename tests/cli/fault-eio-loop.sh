#!/bin/sh
# A device that fails under the page cache: a 64 MiB loop device over a
# sparse file on a 1 MiB tmpfs.  Writing a 16 MiB image to it succeeds into
# the page cache; writeback then fails (the backing tmpfs is full), and the
# kernel reports it on the sync (EIO or ENOSPC, depending on the kernel).
# SPEC §3 invariant 5 and §5: the failure is reported (sync record or a
# fragment record naming EIO/ENOSPC), failed > 0, exit 1 -- in aio and in
# stream mode; with --sync=data --verify, the fragment whose range the device
# does not hold fails with the first differing offset.  That the device
# really lost the data is checked independently (dd iflag=direct | cmp,
# df).  Root only: mounts a tmpfs and sets up loop devices, detached and
# unmounted at exit, always.
#
# --verify without --sync must fail too: its own flush before reading back
# fails, and the cache is dropped so the reads show the loss (a bug once:
# the failed flush was ignored and the page cache compared).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: cannot mount a tmpfs or set up a loop device"
needs losetup:mount
needs jq

IMG=16777216
randfile src $IMG
echo 'file src' > m

dev=
nmnt=0
detach() { [ -n "$dev" ] && losetup -d "$dev" 2>/dev/null; dev=; }
at_exit detach
# fresh: a new 1 MiB tmpfs holding a sparse 64 MiB file, as loop device $dev.
fresh() {
	detach
	nmnt=$((nmnt + 1))
	mnt=$T/mnt$nmnt
	mkdir "$mnt"
	mount -t tmpfs -o size=1m,mode=0755 aiowrite-test "$mnt" 2>mnt.err ||
		skip "cannot mount a tmpfs: $(cat mnt.err)"
	at_exit "umount '$mnt' 2>/dev/null || umount -l '$mnt'"
	truncate -s 64M "$mnt/back" || fail "truncate"
	dev=$(losetup -f --show "$mnt/back" 2>lo.err) || { dev=; skip "losetup failed: $(cat lo.err)"; }
	[ -b "$dev" ] || skip "losetup gave no block device ('$dev')"
	[ "$(blockdev --getsize64 "$dev")" = 67108864 ] || fail "$dev is not 64 MiB"
}
# lost: the device does not hold the image (read past the page cache), and
# the backing file system is full.
lost() {
	dd if="$dev" bs=1M count=16 iflag=direct status=none 2>/dev/null > back.img ||
		{ blockdev --flushbufs "$dev"; dd if="$dev" bs=1M count=16 status=none > back.img; }
	cmp -s back.img src && fail "$1: the device holds the whole image: nothing was lost (test bug?)"
	[ "$(df -P "$mnt" | awk 'NR==2 {print $4}')" = 0 ] || { df "$mnt"; fail "$1: the backing tmpfs is not full"; }
}
# reported REPORT WHAT: EIO or ENOSPC in the sync record or a fragment
# record, failed > 0, summary exit 1.
reported() {
	jq -e . "$1" >/dev/null || { cat "$1"; fail "$2: report is not valid JSON Lines"; }
	n=$(jq -c 'select((.type=="sync" or .type=="fragment") and (.error=="EIO" or .error=="ENOSPC"))' "$1" | wc -l)
	[ "$n" -ge 1 ] || { cat "$1"; fail "$2: no sync or fragment record names EIO or ENOSPC"; }
	[ "$(json "$1" summary failed)" -gt 0 ] || { cat "$1"; fail "$2: summary failed is not > 0"; }
	[ "$(json "$1" summary exit)" = 1 ] || { cat "$1"; fail "$2: summary exit is not 1"; }
}

# 1. aio, --sync=data.
fresh
timeout 120 "$AIOWRITE" m --sync=data --report=json -o "$dev" >out 2>err
rc=$?
if [ $rc = 0 ]; then
	# Does this kernel report the loss at all?  Ask dd, on a fresh device.
	fresh
	if dd if=src of="$dev" bs=1M conv=fdatasync status=none 2>dd.err; then
		skip "this kernel reports no error for writeback to a full tmpfs (dd conv=fdatasync succeeds)"
	fi
	cat out err
	fail "exit 0, but dd conv=fdatasync on the same setup fails: $(cat dd.err)"
fi
[ $rc = 1 ] || { cat out err; fail "--sync=data: exit $rc, expected 1"; }
reported out "--sync=data"
[ "$(jq -c 'select(.type=="sync")' out | wc -l)" = 1 ] || { cat out; fail "--sync=data: not one sync record"; }
lost "--sync=data"

# 2. Stream mode, --sync=full.
fresh
run 1 timeout 120 "$AIOWRITE" m --mode=stream --sync=full --report=json -o "$dev"
reported out "stream --sync=full"
[ "$(json out summary mode)" = stream ] || fail "stream: summary mode"
lost "stream --sync=full"

# 3. aio, --sync=data --verify: the sync fails, and the read-back (past the
# page cache) finds the bytes the device does not hold.
fresh
run 1 timeout 120 "$AIOWRITE" m --sync=data --verify --report=json -o "$dev"
reported out "--sync=data --verify"
lost "--sync=data --verify"
d=$(cmp back.img src 2>&1 | sed -n 's/.* differ: byte \([0-9]*\),.*/\1/p')
hex=$(printf '0x%x' $((d - 1)))
[ "$(json out fragment error)" = EIO ] || { cat out; fail "--verify: the fragment's error is not EIO"; }
json out fragment message | grep -Eqi "($hex|[^0-9]$((d - 1)))([^0-9a-f]|$)" ||
	{ cat out; fail "--verify: the message does not name the first differing offset $((d - 1)) ($hex)"; }
[ "$(json out verify error)" != null ] || { cat out; fail "--verify: verify record without an error"; }

# 4. --verify without --sync: its own flush fails, and the read-back shows the loss.
fresh
timeout 120 "$AIOWRITE" m --verify --report=json -o "$dev" >out 2>err
rc=$?
lost "--verify"
[ $rc = 1 ] || { cat out err; fail "--verify without --sync: exit $rc although the device does not hold the image"; }
[ "$(json out summary failed)" -gt 0 ] || { cat out; fail "--verify without --sync: failed is 0"; }
[ "$(json out verify error)" != null ] || { cat out; fail "--verify without --sync: verify record without an error"; }
exit 0

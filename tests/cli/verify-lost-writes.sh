#!/bin/sh
# --verify against a disk that lies (SPEC §3 invariant 6, man --verify):
# lossyfs (tests/helpers/fuse/lossyfs.c, a FUSE 3 file system in memory,
# always direct_io) acknowledges every write but drops the ones its rule
# picks; the dropped ranges read back as zeros.
#
#  * no loss: --verify passes, the target equals the image (verify works on
#    FUSE at all);
#  * without --verify the loss goes unnoticed: exit 0, yet the file differs
#    from the image (so the file system really loses data);
#  * with --verify (aio and stream mode, also with --direct; a range rule and
#    an every-Nth rule):
#    exit 1, a "verify" record with an error, each fragment whose range
#    differs has error EIO and names the offset of its first differing byte,
#    every fragment whose range is right has no error, failed > 0, exit 1;
#  * --verify --atomic --force over a good file: exit 1, the old file is
#    untouched, no .NAME.aiowrite-*.tmp left.
# The image is built independently with printf, dd and tr; the differing
# offsets come from cmp.  Builds lossyfs itself (it needs libfuse3, which
# the Makefile's helper rule does not link); skips without libfuse3-dev,
# /dev/fuse or the right to mount.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

case $0 in /*) here=$(dirname "$0") ;; *) here=$OLDPWD/$(dirname "$0") ;; esac
LOSSYFS_C=${TESTS_DIR:-$here/..}/helpers/fuse/lossyfs.c
[ -f "$LOSSYFS_C" ] || fail "no $LOSSYFS_C"
needs jq
needs mountpoint:util-linux
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -r /dev/fuse ] && [ -w /dev/fuse ] || skip "/dev/fuse is not usable by $(id -un)"
pkg-config --exists fuse3 2>/dev/null || skip "no libfuse3 (install libfuse3-dev and fuse3)"
[ "$(id -u)" = 0 ] || command -v fusermount3 >/dev/null || skip "not root and no fusermount3 (fuse3)"
# shellcheck disable=SC2046 # pkg-config's flags are meant to be split
${CC:-cc} -std=c17 -O2 -o lossyfs "$LOSSYFS_C" $(pkg-config --cflags --libs fuse3) 2>cc.err ||
	{ cat cc.err; fail "cannot build lossyfs"; }

# Mount it; unmount (and reap it) at exit, always.
mkdir mnt
fspid=
unmount() {
	if mountpoint -q "$T/mnt"; then
		fusermount3 -u "$T/mnt" 2>/dev/null || umount "$T/mnt" 2>/dev/null || umount -l "$T/mnt"
	fi
	[ -n "$fspid" ] && { kill "$fspid" 2>/dev/null; wait "$fspid" 2>/dev/null; }
}
at_exit unmount
LOSSYFS_RULE=none ./lossyfs -f -s "$T/mnt" 2>fs.err &
fspid=$!
i=0
until mountpoint -q mnt; do
	kill -0 "$fspid" 2>/dev/null || { fspid=; skip "lossyfs cannot mount here: $(tr '\n' ' ' < fs.err)"; }
	i=$((i + 1))
	[ $i -lt 400 ] || fail "lossyfs did not mount (20 s)"
	sleep 0.05
done
[ -f mnt/.lossyfs ] || fail "the mount is not lossyfs"
rule() { printf '%s\n' "$1" > mnt/.lossyfs || fail "cannot set the rule '$1'"; }
dropped() { sed -n 's/^dropped_writes=//p' mnt/.lossyfs; }
leftovers() { ls -a mnt | grep -c '\.aiowrite-.*\.tmp$'; }
# A hang in the file system must not hang the suite.
tool() { timeout 120 "$AIOWRITE" "$@"; }

# The manifest, and its image built with printf, dd and tr.
randfile src.bin 3145728
cat > m <<'M'
data "HEAD"
file src.bin at=4K
fill 0x5a len=256K
hex deadbeef at=+100
M
printf HEAD > want.img
put src.bin 0 3145728 want.img 4096
head -c 262144 /dev/zero | tr '\0' 'Z' > p; put p 0 262144 want.img 3149824
printf '\336\255\276\357' > p; put p 0 4 want.img 3412068
[ "$(stat -c %s want.img)" = 3412072 ] || fail "want.img is $(stat -c %s want.img) bytes (test bug)"

# check_fragments REPORT FILE: each fragment record against cmp of its range
# of FILE with want.img: a range that differs has error EIO and names its
# first differing offset (hex or decimal); a range that is right has no
# error.  Prints how many fragments differ.
check_fragments() {
	nbad=0
	jq -r 'select(.type=="fragment") | "\(.line) \(.offset) \(.length) \(.error) \(.message)"' "$1" > frags
	[ "$(wc -l < frags)" = 4 ] || { cat "$1"; fail "not 4 fragment records"; }
	while read -r line off len err msg; do
		if d=$(cmp -i "$off:$off" -n "$len" "$2" want.img 2>&1); then
			[ "$err" = null ] || { cat "$1"; fail "line $line reads back right, yet error $err"; }
		else
			at=$(echo "$d" | sed -n 's/.* differ: byte \([0-9]*\),.*/\1/p')
			[ -n "$at" ] || fail "cmp: $d"
			at=$((off + at - 1))
			[ "$err" = EIO ] || { cat "$1"; fail "line $line differs at $at, yet error $err"; }
			hex=$(printf '0x%x' "$at")
			echo "$msg" | grep -Eqi "(^|[^0-9a-fx])($hex|$at)([^0-9a-f]|$)" ||
				{ cat "$1"; fail "line $line: message '$msg' does not name the first differing offset $at ($hex)"; }
			nbad=$((nbad + 1))
		fi
	done < frags
	echo "$nbad" > nbad
}

# check_failed REPORT: the verify record has an error, failed > 0, exit 1.
check_failed() {
	jq -e . "$1" >/dev/null || { cat "$1"; fail "report is not valid JSON Lines"; }
	[ "$(jq -c 'select(.type=="verify")' "$1" | wc -l)" = 1 ] || { cat "$1"; fail "not one verify record"; }
	[ "$(json "$1" verify error)" != null ] || { cat "$1"; fail "verify record without an error"; }
	[ "$(jq -c 'select(.type=="fragment" and .error=="EIO")' "$1" | wc -l)" -ge 1 ] ||
		{ cat "$1"; fail "no fragment record with error EIO"; }
	[ "$(json "$1" summary failed)" -gt 0 ] || { cat "$1"; fail "summary failed is not > 0"; }
	[ "$(json "$1" summary exit)" = 1 ] || { cat "$1"; fail "summary exit is not 1"; }
}

# 1. A file system that loses nothing: --verify passes, in both modes.
for mode in aio stream; do
	run 0 tool m --verify --mode=$mode -b 64K -o mnt/ok-$mode.img --report=json
	same mnt/ok-$mode.img want.img
	[ "$(json out verify error)" = null ] || { cat out; fail "$mode: verify error on a good file system"; }
	[ "$(json out summary failed)" = 0 ] || fail "$mode: failed on a good file system"
done
[ "$(dropped)" = 0 ] || fail "lossyfs dropped writes under the rule none"

# 2. Without --verify, a lost write goes unnoticed: exit 0, a wrong file.
rule range:1M-1M
run 0 tool m -b 64K -o mnt/lost.img --report=json
[ "$(json out summary exit)" = 0 ] || fail "summary exit is not 0 without --verify"
cmp -s mnt/lost.img want.img && fail "lossyfs lost nothing: the test proves nothing"
[ "$(dropped)" -ge 1 ] || fail "lossyfs counts no dropped write"
[ "$(stat -c %s mnt/lost.img)" = 3412072 ] || fail "lost.img has the wrong length"

# 3. With --verify, the same loss fails the run, in aio and stream mode.
for mode in aio stream; do
	rm -f mnt/v.img
	before=$(dropped)
	run 1 tool m --verify --mode=$mode -b 64K -o mnt/v.img --report=json
	[ "$(dropped)" -gt "$before" ] || fail "$mode: nothing was dropped this time"
	cmp -s mnt/v.img want.img && fail "$mode: the target equals the image (test bug)"
	check_failed out
	check_fragments out mnt/v.img
	[ "$(cat nbad)" = 1 ] || { cat out; fail "$mode: $(cat nbad) fragments differ, expected only the file"; }
	[ "$(json out summary mode)" = $mode ] || fail "$mode: summary mode"
done
# --direct: the writes bypass the page cache, and --verify still reads back
# what the file system holds (lossyfs takes O_DIRECT).
for mode in aio stream; do
	rm -f mnt/v.img
	before=$(dropped)
	run 1 tool m --verify --direct --mode=$mode -b 64K -o mnt/v.img --report=json
	[ "$(dropped)" -gt "$before" ] || fail "$mode --direct: nothing was dropped this time"
	check_failed out
	check_fragments out mnt/v.img
	[ "$(cat nbad)" -ge 1 ] || { cat out; fail "$mode --direct: no fragment differs"; }
done
# The text report names the failure too.
rm -f mnt/v.img
run 1 tool m --verify -b 64K -o mnt/v.img
has out 'EIO'
has out '^verify:'

# Every 3rd write lost, default request size (FUSE splits the requests):
# whichever fragments it hits fail, the others pass.
rule every:3
rm -f mnt/v.img
run 1 tool m --verify -o mnt/v.img --report=json
check_failed out
check_fragments out mnt/v.img
[ "$(cat nbad)" -ge 1 ] || fail "every:3: no fragment differs"

# 4. --verify --atomic --force over a good file: it stays exactly as it was.
rule none
randfile old.img 500000
cp old.img mnt/good.img
same mnt/good.img old.img
rule range:1M-1M
before=$(dropped)
run 1 tool m --verify --atomic --force -b 64K -o mnt/good.img --report=json
[ "$(dropped)" -gt "$before" ] || fail "atomic: nothing was dropped in the temporary file"
same mnt/good.img old.img
[ "$(leftovers)" = 0 ] || { ls -la mnt; fail "atomic: a temporary file is left"; }
check_failed out
[ "$(jq -c 'select(.type=="commit" and .error==null)' out | wc -l)" = 0 ] ||
	{ cat out; fail "atomic: a successful commit record for a failed run"; }
# And without loss it does replace it.
rule none
run 0 tool m --verify --atomic --force -b 64K -o mnt/good.img --report=json
same mnt/good.img want.img
[ "$(leftovers)" = 0 ] || fail "atomic: a temporary file is left after success"
exit 0

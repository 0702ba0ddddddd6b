#!/bin/sh
# --direct (SPEC §11): the target is opened with O_DIRECT and written in
# whole aligned blocks; unaligned fragments at unaligned offsets still give
# the image byte for byte -- in aio and stream mode, under --patch (old
# bytes around the fragments kept), --atomic and --verify.  Results are
# checked with cmp against images built with dd; strace shows O_DIRECT on
# the target, the -v request records show aligned offsets and lengths.  A
# file system that refuses O_DIRECT (ramfs), standard output and a pipe are
# refused with exit 2, the target untouched.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

# traced SYSCALLS CMD...: CMD under strace into ./trace (leak checks off:
# LeakSanitizer cannot run under ptrace); 1 when strace cannot trace here.
traced() {
	_calls=$1; shift
	strace -f -qq -o /dev/null true 2>/dev/null || return 1
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o trace -e trace="$_calls" "$@" ||
		fail "under strace: $*"
}

# The test's directory must take O_DIRECT (dd is the independent probe);
# a tmpfs before Linux 6.6 does not: then try /var/tmp.
W=$T
if ! dd if=/dev/zero of="$W/probe" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
	W=$(mktemp -d /var/tmp/aiowrite-direct.XXXXXX) || skip "no directory for O_DIRECT"
	at_exit "rm -rf '$W'"
	dd if=/dev/zero of="$W/probe" bs=4096 count=1 oflag=direct status=none 2>/dev/null ||
		skip "neither ${TMPDIR:-/tmp} nor /var/tmp takes O_DIRECT"
fi
rm -f "$W/probe"

randfile src.bin 300000
# Every fragment at an offset that is no multiple of 512, most of odd length;
# a fragment larger than the request size; gaps inside and across blocks.
cat > m <<'M'
data "HELLO" at=3
file src.bin skip=7 len=200001 at=1000
fill 0x5a len=777 at=201002
hex 0102 at=201780
zero len=20000 at=210001
data "in one block" at=240100
data "next" at=240120
file src.bin skip=99 len=3 at=250001
M
# lay_out FILE: m's fragments put into FILE with dd, which grows to the
# image's length (its bytes elsewhere stay).
lay_out() {
	truncate -s 250004 "$1"
	printf HELLO > p; put p 0 5 "$1" 3
	put src.bin 7 200001 "$1" 1000
	head -c 777 /dev/zero | tr '\0' 'Z' > p; put p 0 777 "$1" 201002
	printf '\001\002' > p; put p 0 2 "$1" 201780
	put /dev/zero 0 20000 "$1" 210001
	printf 'in one block' > p; put p 0 12 "$1" 240100
	printf next > p; put p 0 4 "$1" 240120
	put src.bin 99 3 "$1" 250001
}
lay_out want.img

# aligned FILE: every request record of a -v JSON report is aligned to 512.
aligned() {
	jq -e -s '[.[] | select(.type=="request")] | length > 0 and
		all(.offset % 512 == 0 and .length % 512 == 0)' "$1" >/dev/null ||
		{ grep request "$1"; fail "a request is not aligned to 512 bytes"; }
}

# counts FILE: every fragment but the zero range wrote all of its bytes,
# bytes_written counts the fragments' bytes, bytes_out the requests' (the
# merged edges too).
counts() {
	jq -e -s '([.[] | select(.type=="fragment")] | all(.kind == "zero" or .written == .length))
		and ([.[] | select(.type=="fragment") | .written] | add) ==
		    (.[] | select(.type=="summary") | .bytes_written)
		and ([.[] | select(.type=="request") | .aio_return] | add) ==
		    (.[] | select(.type=="summary") | .bytes_out)' "$1" >/dev/null ||
		{ cat "$1"; fail "the counts of the report do not add up"; }
}

# aio mode into a new file, with small and odd request sizes too.
for b in 1M 64K 1000; do
	rm -f "$W/a.img"
	run 0 "$AIOWRITE" m --direct -b $b -o "$W/a.img" -v --report=json
	same "$W/a.img" want.img
	aligned out
	counts out
done

# O_DIRECT was really used: on the target's open.
rm -f "$W/a.img"
if traced openat "$AIOWRITE" m --direct -o "$W/a.img" --report=none; then
	grep -q "a.img\", [A-Z_|]*O_DIRECT" trace || { cat trace; fail "the target was not opened O_DIRECT"; }
	same "$W/a.img" want.img
else
	note "strace cannot trace here: O_DIRECT is not seen on the open"
fi

# Stream mode, without and with filters.
rm -f "$W/s.img"
run 0 "$AIOWRITE" m --direct --mode=stream -o "$W/s.img"
same "$W/s.img" want.img
rm -f "$W/x.img"
run 0 "$AIOWRITE" m --direct -f xor:5a -f xor:5a -o "$W/x.img"
same "$W/x.img" want.img
rm -f "$W/g.gz"
run 0 "$AIOWRITE" m --direct -f gzip -o "$W/g.gz"
gzip -dc "$W/g.gz" > g.out || fail "gzip -dc"
same g.out want.img
rm -f "$W/s.img"
if traced openat "$AIOWRITE" m --direct --mode=stream -o "$W/s.img" --report=none; then
	grep -q "s.img\", [A-Z_|]*O_DIRECT" trace || { cat trace; fail "stream: not opened O_DIRECT"; }
	same "$W/s.img" want.img
fi

# --patch: the old bytes around the fragments stay, the file grows to the
# last one (past its old end), and --verify reads it all back.
randfile old.img 240110
cp old.img "$W/p.img"; cp old.img pwant.img
lay_out pwant.img
run 0 "$AIOWRITE" m --direct --patch --verify -o "$W/p.img" -v --report=json
same "$W/p.img" pwant.img
aligned out
[ "$(json out verify error)" = null ] || fail "--verify failed"
# Inside the old length: the length stays, one byte patched mid-block.
cp old.img "$W/p.img"; cp old.img pwant.img
run 0 "$AIOWRITE" -e 'data "!" at=77777' --direct --patch -o "$W/p.img"
printf '!' > p; put p 0 1 pwant.img 77777
same "$W/p.img" pwant.img

# --atomic: the temporary file is O_DIRECT too (set once the old target
# is copied into it); --patch --verify and --force.
cp old.img "$W/t.img"
if traced fcntl "$AIOWRITE" m --direct --atomic --patch --verify -o "$W/t.img" --report=none
then
	grep -q 'F_SETFL, [A-Z_|]*O_DIRECT' trace || { cat trace; fail "--atomic: no O_DIRECT"; }
else
	run 0 "$AIOWRITE" m --direct --atomic --patch --verify -o "$W/t.img"
fi
cp old.img pwant.img
lay_out pwant.img
same "$W/t.img" pwant.img
run 0 "$AIOWRITE" m --direct --atomic --force --verify -o "$W/t.img"
same "$W/t.img" want.img
[ "$(ls -a "$W" | grep -c '\.aiowrite-.*\.tmp$')" = 0 ] || fail "--atomic left a temporary file"

# A sparse source (its holes), a compressed one (a stream) starting and
# ending inside blocks, and holes=skip under --patch, in both modes.
if command -v zstd >/dev/null 2>&1; then
	truncate -s 3M sp.bin
	put src.bin 0 100000 sp.bin 1048576
	zstd -q -c src.bin > src.zst
	cat > ms <<'M'
data "x"
file sp.bin
file src.zst decode=zstd at=+7
file src.zst decode=zstd skip=77 len=1001 at=+9
data "z"
M
	{ printf x; cat sp.bin; head -c 7 /dev/zero; cat src.bin; head -c 9 /dev/zero
	  dd if=src.bin bs=1 skip=77 count=1001 status=none; printf z; } > swant.img
	for mode in aio stream; do
		rm -f "$W/s.img"
		run 0 "$AIOWRITE" ms --direct -m $mode -o "$W/s.img"
		same "$W/s.img" swant.img
	done
	randfile old3 4000000
	cp old3 "$W/s.img"
	cp old3 skipwant.img
	dd if=sp.bin of=skipwant.img bs=4096 seek=1 oflag=seek_bytes conv=sparse,notrunc status=none
	run 0 "$AIOWRITE" --direct --patch -o "$W/s.img" -e 'file sp.bin at=1 holes=skip'
	same "$W/s.img" skipwant.img
else
	note "no zstd: compressed sources under --direct are not tried"
fi

# Refused: standard output and a pipe (exit 2, naming --direct).
run 2 "$AIOWRITE" m --direct -o -
has err -- '--direct'
mkfifo fifo
run 2 "$AIOWRITE" m --direct -o fifo
has err -- '--direct'

# A file system that refuses O_DIRECT: exit 2, nothing created, an existing
# target untouched (even with --force), no temporary file left.
if [ "$(id -u)" = 0 ] && mkdir ram && mount -t ramfs ramfs ram 2>/dev/null; then
	at_exit "umount '$T/ram'"
	run 2 "$AIOWRITE" m --direct -o ram/new.img
	has err -- '--direct.*O_DIRECT'
	[ ! -e ram/new.img ] || fail "a refused --direct left ram/new.img behind"
	cp old.img ram/old.img
	run 2 "$AIOWRITE" m --direct --force -o ram/old.img
	has err -- '--direct'
	same ram/old.img old.img
	run 2 "$AIOWRITE" m --direct --atomic --force -o ram/old.img
	same ram/old.img old.img
	[ "$(ls -A ram)" = old.img ] || fail "--atomic --direct left $(ls -A ram)"
else
	note "not root or no ramfs: the refusing file system is not tried"
fi
exit 0

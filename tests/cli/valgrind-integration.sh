#!/bin/sh
# Representative runs under valgrind (memcheck): aio with every fragment
# kind, stream mode without a filter and with each filter, --verify
# --atomic, --patch, a source from standard input, --sync, a manifest error,
# ENOSPC from /dev/full and a dry run.  Any valgrind error -- invalid reads
# or writes, uses of uninitialised values, bad frees, or a definite or
# indirect leak -- fails the test (--error-exitcode=99); the exit status and
# the output of each run are checked too, with independent tools, so that
# every run really did its work.  Skips without valgrind, and for a
# sanitizer build (valgrind and ASan do not mix).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs valgrind jq
case $AIOWRITE in */san/*) skip "sanitizer build ($AIOWRITE): valgrind and ASan do not mix" ;; esac
grep -aq __asan_init "$AIOWRITE" 2>/dev/null && skip "$AIOWRITE is built with ASan: valgrind and ASan do not mix"
valgrind -q --error-exitcode=99 true 2>vg.err || skip "valgrind does not work here: $(head -n 3 vg.err)"

n=0
# vg STATUS ARGS...: the tool under valgrind, stdout in ./out, stderr in ./err.
vg() {
	_want=$1; shift
	n=$((n + 1))
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --track-origins=yes --log-file="$T/vg.$n.log" \
		"$AIOWRITE" "$@" >out 2>err
	_got=$?
	if [ $_got = 99 ] || grep -Eq '== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|[0-9,]+ bytes in [0-9,]+ blocks are (definitely|indirectly))' "$T/vg.$n.log"; then
		echo "command: $*"; cat "$T/vg.$n.log"
		fail "valgrind reports errors (run $n, exit $_got)"
	fi
	if [ "$_got" != "$_want" ]; then
		echo "command: $*"; echo "stdout:"; cat out; echo "stderr:"; cat err; cat "$T/vg.$n.log"
		fail "run $n: exit status $_got, expected $_want"
	fi
}

randfile src.bin 300000
printf 'hello' > a.txt
cat > m <<'M'
file a.txt
data "q\"\\\t\n\r\0\x7fZ" at=+3
hex 0xdeadBEEF 00 11 at=0x20
fill 0xa5 len=1000
zero len=4K
file src.bin skip=12345 len=250000 at=8K
uuid text
uuid
size 300K
M
# The image, without the uuids (taken from the output), built with printf and dd.
truncate -s 307200 want.img
printf 'hello' > p; put p 0 5 want.img 0
printf 'q"\\\t\n\r\000\177Z' > p; put p 0 9 want.img 8
printf 'deadbeef0011' | xxd -r -p > p; put p 0 6 want.img 32
head -c 1000 /dev/zero | tr '\0' '\245' > p; put p 0 1000 want.img 38
put src.bin 12345 250000 want.img 8192
uuids() { put "$1" 258192 52 want.img 258192; }

# aio, every kind, small requests (several in flight), JSON report with -v.
vg 0 m -o aio.img -b 16K -j 4 -v --report=json
uuids aio.img; same aio.img want.img
jq -e . out >/dev/null || fail "aio: report is not JSON Lines"
# Stream mode: no filter (iob_send), then each filter (iob_write).
vg 0 m --mode=stream -o stream.img
uuids stream.img; same stream.img want.img
vg 0 m -f gzip:9 -o img.gz
gzip -dc img.gz > p; uuids p; same p want.img
vg 0 m -f hex:width=16 -o img.hex
xxd -r -p img.hex > p; uuids p; same p want.img
printf '\001\002\003\004\005' > key
vg 0 m -f xor:a5f0 -f xor:@key -f xor:@key -f xor:a5f0 -o img.xor
uuids img.xor; same img.xor want.img
vg 0 m -f xor:5a -f xor:5a -f hex -f gzip -o - --report-file=rep.txt
gzip -dc out | xxd -r -p > p
uuids p; same p want.img
# --verify --atomic over an existing file, with a sync.
randfile atomic.img 1000
vg 0 m --verify --atomic --force --sync=full -o atomic.img
uuids atomic.img; same atomic.img want.img
# --patch, and a source from standard input.
cp want.img patch.img
vg 0 --patch -e 'file - at=100' -e 'data "P" at=+1' -o patch.img < a.txt
put a.txt 0 5 want.img 100; printf P > p; put p 0 1 want.img 106
same patch.img want.img
# Errors: a manifest error (nothing written), ENOSPC, a missing source.
cp patch.img keep.img
vg 2 -e 'data "x"' -e 'fill 300 len=1' -o patch.img --patch
same patch.img keep.img
grep -q '<command-line>:2:' err || { cat err; fail "manifest error without its place"; }
vg 2 -e 'file missing.bin' -o patch.img --force
same patch.img keep.img
if [ -c /dev/full ] && ! printf x 2>/dev/null > /dev/full; then
	vg 1 m -o /dev/full --report=json -b 64K
	[ "$(json out summary exit)" = 1 ] || fail "/dev/full: summary exit"
	vg 1 m -o /dev/full --mode=stream -f gzip
else
	note "no /dev/full that fails writes: the ENOSPC runs are not done"
fi
# A dry run writes nothing.
vg 0 -n m -o dry.img --report=json
[ -e dry.img ] && fail "the dry run created its target"
[ "$(jq -c 'select(.type=="plan")' out | wc -l)" = 8 ] || { cat out; fail "dry run: not 8 plan records"; }
note "$n runs under valgrind, no errors"
exit 0

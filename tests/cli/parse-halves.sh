#!/bin/sh
# A manifest of 1 MiB or more is parsed on two threads (parse.c): the
# second half is read ahead into fragments of its own, up to the first
# line that it may not read alone (an error, a directive, name=, ${...}),
# which the main thread reads again.  Whatever the halves meet, the result
# must be what one thread gives: the same text parsed serially, as an
# include (includes are never split), must give the same image (cmp), the
# same fragment records and the same error messages.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

randfile src.bin 70000
# gen N EXTRA: N lines of every plain kind (quotes, escapes, comments, CRLF,
# blank lines, expressions, paths whose NUL goes on the newline); EXTRA is
# "LINE@TEXT|..." lines put in place.
gen() {
	awk -v n="$1" -v extra="$2" 'BEGIN {
		srand(3)
		split(extra, ex, "|")
		for (k in ex) { split(ex[k], kv, "@"); add[kv[1]] = kv[2] }
		for (i = 1; i <= n; i++) {
			if (i in add) { print add[i]; continue }
			r = i % 11
			if (r == 0) printf "data \"a\\x41\\\"b c\\\\d #x\" # comment %d\n", i
			else if (r == 1) printf "hex 0x0102 ab \"cdef\" 9%d\n", i % 10
			else if (r == 2 && i % 2) printf "file src.bin skip=%d len=%d\r\n", int(rand() * 60000), 1 + int(rand() * 40)
			else if (r == 2) printf "file len=%d skip=%d src.bin\n", 1 + int(rand() * 40), int(rand() * 60000)
			else if (r == 3) printf "fill 0x%02x len=%d\n", i % 256, 1 + i % 7
			else if (r == 4) printf "zero len=%d\n", 1 + i % 5
			else if (r == 5) printf "u32le \"%d * 3 + 1\"\n", i
			else if (r == 6 && i % 2) printf "   # just a comment\n"
			else if (r == 6) printf "fill 0x22 len=2 align=%d\n", 2 ^ (int(i / 22) % 5)
			else if (r == 7) printf "\n"
			else if (r == 8) printf "u16be 0x%x\n", i % 65536
			else if (r == 9) printf "data \"tail %d\" pad=0x55 len=12\n", i
			else printf "file \"src.bin\" skip=%d len=3 # q\n", i % 60000
		}
	}'
}
echo 'include big.mf' > top.mf
# alike WANT_STATUS: big.mf alone and big.mf as an include agree.
alike() {
	rm -f split serial
	"$AIOWRITE" big.mf -o split --report=json >split.json 2>split.err
	rc=$?
	[ "$rc" = "$1" ] || { head split.err; fail "exit $rc, expected $1"; }
	"$AIOWRITE" top.mf -o serial --report=json >serial.json 2>serial.err
	rc=$?
	[ "$rc" = "$1" ] || { head serial.err; fail "include: exit $rc, expected $1"; }
	[ "$1" != 0 ] || same serial split
	for f in split serial; do
		jq -c 'select(.type=="fragment") | [.line, .kind, .offset, .length, .written]' \
			"$f.json" > "$f.rec"
	done
	same serial.rec split.rec
	same serial.err split.err
}

gen 60000 '' > big.mf
[ "$(stat -c %s big.mf)" -gt 1048576 ] || fail "big.mf is under 1 MiB: not split"
alike 0
[ "$(wc -l < split.rec)" -gt 45000 ] || fail "too few fragment records"
# A name, a reference to it, a define and its use, a directive, and an
# expression error in the second half.
gen 60000 '45000@data "N" name=nm|50000@u32le nm.size|40000@define X 7|41000@fill ${X} len=2|35000@pad 0xee|30500@u8 "1 +"' > big.mf
alike 2
has split.err '^big\.mf:30500:7: '
gen 60000 '45000@data "N" name=nm|50000@u32le nm.size|40000@define X 7|41000@fill ${X} len=2|35000@pad 0xee' > big.mf
alike 0
# Errors in both halves, and a name taken twice near the end.
gen 60000 '100@bogus 1|31000@bogus 2|55000@fill 300|59000@data "x" name=q|59500@data "y" name=q' > big.mf
alike 2
has split.err '^big\.mf:31000:1: unknown kind'
has split.err '^big\.mf:59500:15: name .q. is taken by line 59000'
# The first line the second half cannot read alone is quoted, so it has
# been unescaped in place before it stops; the last line has no newline.
gen 60000 '45000@data "N\x41" name=nm|50000@u32le nm.size' | head -c -1 > big.mf
alike 0
exit 0

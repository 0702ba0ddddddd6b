#!/bin/sh
# Overlapping fragments: an error naming both lines by default; with
# --allow-overlap the later line wins, as if each fragment were written in
# manifest order with dd conv=notrunc (randomized layouts, fixed seeds).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

printf 'data "aaaa" at=0\ndata "bb" at=10\nfill 1 len=5 at=2\n' > m
run 2 "$AIOWRITE" m -o out.img
has err "^m:3:1: 'fill' at 0x2..0x6 overlaps line 1 \('data' at 0x0..0x3\)"
[ ! -e out.img ] || fail "a refused run created the target"

randfile s1 100000
head -c 100000 /dev/zero > zeros
for seed in $(seq 1 30); do
	awk -v seed="$seed" '
	function r(n) { return int(rand() * n) }
	BEGIN {
		srand(seed); n = 2 + r(20); end = 0
		for (i = 0; i < n; i++) {
			at = r(60000); len = 1 + r(30000); k = r(3)
			if (at + len > end) end = at + len
			if (k == 0) {
				skip = r(50000)
				print "file s1 skip=" skip " len=" len " at=" at > "m"
				print "put s1 " skip " " len " want.img " at > "want.sh"
			} else if (k == 1) {
				print "zero len=" len " at=" at > "m"
				print "put zeros 0 " len " want.img " at > "want.sh"
			} else {
				b = 1 + r(255)
				print "fill " b " len=" len " at=" at > "m"
				printf "head -c %d /dev/zero | tr \"\\\\000\" \"\\\\%03o\" > p; put p 0 %d want.img %d\n", len, b, len, at > "want.sh"
			}
		}
		print "truncate -s " end " want.img" > "want.sh"
	}'
	rm -f want.img out.img
	. ./want.sh
	"$AIOWRITE" --allow-overlap -b 4K m -o out.img --report=none 2>err || { cat m err; fail "seed $seed: exit"; }
	cmp out.img want.img || { cat m; fail "seed $seed: later line did not win"; }
	rm -f m want.sh
done

# The report says which fragments were partly overridden, not "not written".
printf 'fill 1 len=100\ndata "xy" at=10\n' > m
run 0 "$AIOWRITE" --allow-overlap m -o rep.img
has out '^ +1 +fill +0x0 \(0\) +100 B +1 +98 B +ok \(partly overridden\)$'
has out '^ +2 +data +0xa \(10\) +2 B +1 +2 B +ok$'

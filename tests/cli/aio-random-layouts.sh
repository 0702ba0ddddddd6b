#!/bin/sh
# Randomized layouts (fixed seeds): file ranges, hex, fill and zero
# fragments with gaps, in manifest order or shuffled with absolute offsets,
# with and without `size`, at small request sizes so fragments split.  The
# target must equal the image built fragment by fragment with dd conv=notrunc
# (SPEC §3 invariant 1).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

randfile s1 300000
randfile s2 7777
printf 'x' > s3

# gen SEED: write m (manifest) and want.sh (dd commands and final length).
gen() {
	awk -v seed="$1" '
	function r(n) { return int(rand() * n) }
	BEGIN {
		srand(seed); n = 3 + r(25); end = 0; shuffle = r(2)
		split("s1 s2 s3", src, " "); size["s1"] = 300000; size["s2"] = 7777; size["s3"] = 1
		for (i = 0; i < n; i++) {
			gap = r(4) ? r(3000) : 0; at = end + gap; k = r(5)
			if (k == 0) {
				s = src[1 + r(3)]; skip = r(size[s]); len = 1 + r(size[s] - skip)
				if (len > 70000) len = r(70000)
				line[i] = sprintf("file %s skip=%d len=%d", s, skip, len)
				cmd[i] = sprintf("put %s %d %d want.img %d", s, skip, len, at)
			} else if (k == 1) {
				len = 1 + r(40); hx = ""
				for (j = 0; j < len; j++) hx = hx sprintf("%02x", r(256))
				line[i] = "hex " hx
				cmd[i] = sprintf("printf %s | xxd -r -p > p; put p 0 %d want.img %d", hx, len, at)
			} else if (k == 2) {
				b = r(256); len = r(20000)
				line[i] = sprintf("fill %d len=%d", b, len)
				cmd[i] = sprintf("head -c %d /dev/zero | tr \"\\\\000\" \"\\\\%03o\" > p; put p 0 %d want.img %d", len, b, len, at)
			} else if (k == 3) {
				len = r(50000)
				line[i] = sprintf("zero len=%d", len); cmd[i] = ":"
			} else {
				len = 1 + r(30); s = ""
				for (j = 0; j < len; j++) s = s sprintf("%c", 97 + r(26))
				line[i] = "data \"" s "\""
				cmd[i] = sprintf("printf %s > p; put p 0 %d want.img %d", s, len, at)
			}
			if (shuffle) line[i] = line[i] " at=" at
			else if (gap) line[i] = line[i] " at=+" gap
			end = at + len
		}
		if (shuffle) for (i = n - 1; i > 0; i--) { j = r(i + 1); t = line[i]; line[i] = line[j]; line[j] = t }
		final = end
		if (r(3) == 0) { final = end + r(100000); print "size " final > "m" }
		for (i = 0; i < n; i++) print line[i] > "m"
		print "truncate -s " final " want.img" > "want.sh"
		for (i = 0; i < n; i++) print cmd[i] > "want.sh"
	}'
}

for seed in $(seq 1 40); do
	rm -f m want.sh want.img out.img
	gen "$seed"
	. ./want.sh
	case $((seed % 4)) in
	0) opts="" ;;
	1) opts="-b 4K -j 3" ;;
	2) opts="-b 509 -j 1" ;;
	3) opts="-b 65537 -j 64" ;;
	esac
	# shellcheck disable=SC2086
	"$AIOWRITE" m -o out.img $opts --report=none 2>err || { cat m err; fail "seed $seed: exit $?"; }
	cmp out.img want.img || { cat m; fail "seed $seed ($opts): image differs"; }
done

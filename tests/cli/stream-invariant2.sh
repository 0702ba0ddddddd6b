#!/bin/sh
# SPEC §3 invariant 2, against independent tools, for randomized manifests:
# the stream output equals the aio output; `-f gzip | gzip -dc`, `-f hex |
# xxd -r -p` and `-f xor:K -f xor:K` give the image back; `-f hex` equals
# `xxd -p` of the image byte for byte; `-f xor:ff` equals perl's complement.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

randfile s1 200000
printf 'k' > s2
for seed in $(seq 1 12); do
	awk -v seed="$seed" '
	function r(n) { return int(rand() * n) }
	BEGIN {
		srand(seed); n = r(12); end = 0
		for (i = 0; i < n; i++) {
			k = r(5); gap = r(3) ? r(5000) : 0
			if (k == 0) { len = r(100000); line = sprintf("file s1 skip=%d len=%d", r(100000), len) }
			else if (k == 1) { len = 1; line = "file s2" }
			else if (k == 2) { len = r(30000); line = sprintf("fill %d len=%d", r(256), len) }
			else if (k == 3) { len = r(70000); line = sprintf("zero len=%d", len) }
			else { len = 3; line = sprintf("hex %02x%02x%02x", r(256), r(256), r(256)) }
			print line (gap ? " at=+" gap : "") > "m"
			end += gap + len
		}
		if (r(3) == 0) print "size " (end + r(9000)) > "m"
		close("m")
	}'
	[ -f m ] || : > m
	rm -f aio.img stream.img hex.txt
	"$AIOWRITE" m -o aio.img --report=none || fail "seed $seed: aio run"
	"$AIOWRITE" m --mode=stream -o stream.img --report=none || fail "seed $seed: stream run"
	cmp aio.img stream.img || { cat m; fail "seed $seed: stream differs from aio"; }
	"$AIOWRITE" m -f gzip -o - --report=none | gzip -dc > back || fail "seed $seed: gzip -dc"
	cmp back aio.img || fail "seed $seed: gzip round trip"
	"$AIOWRITE" m -f hex -o hex.txt --report=none || fail "seed $seed: hex run"
	xxd -p aio.img > want.txt
	cmp hex.txt want.txt || fail "seed $seed: -f hex differs from xxd -p"
	xxd -r -p hex.txt > back
	cmp back aio.img || fail "seed $seed: xxd -r -p round trip"
	"$AIOWRITE" m -f xor:5a0f3c -f xor:5a0f3c -o - --report=none > back || fail "seed $seed: xor"
	cmp back aio.img || fail "seed $seed: xor twice"
	"$AIOWRITE" m -f xor:ff -o - --report=none > back || fail "seed $seed: xor ff"
	perl -0777 -pe '$_ = ~$_' < aio.img > want
	cmp back want || fail "seed $seed: xor:ff differs from perl's complement"
	rm -f m
done

# A zero-length image through every filter.
: > empty.m
"$AIOWRITE" empty.m -f gzip -o - --report=none | gzip -dc > back || fail "empty gzip"
[ ! -s back ] || fail "empty image gave bytes through gzip"
rm -f hex.txt; "$AIOWRITE" empty.m -f hex -o hex.txt --report=none || fail "empty hex"
[ ! -s hex.txt ] || fail "empty image gave hex: $(cat hex.txt)"
# A chain: xor then hex then gzip = gzip(hex(xor(image))).
printf 'data "hello, world"\nfill 1 len=100\n' > c.m
"$AIOWRITE" c.m -o plain.img --report=none
"$AIOWRITE" c.m -f xor:ff -f hex:width=8:upper -f gzip:9 -o - --report=none | gzip -dc > got
perl -0777 -pe '$_ = ~$_' < plain.img | xxd -p -c 8 | tr a-f A-F > want
same got want

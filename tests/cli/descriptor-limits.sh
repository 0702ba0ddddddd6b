#!/bin/sh
# Descriptors: every distinct source stays open for the run and every
# decoded fragment reads a pipe, so a manifest can need more than the usual
# soft limit of 1,024.  The tool takes the hard limit, so 1,100 sources work
# under `ulimit -Sn 1024`; when even the hard limit is too low, the error
# says what ran out, exits 2 and leaves no target.  Checked with dd and cmp.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs zstd

[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 2048 ] ||
	skip "the hard limit on open files is $(ulimit -Hn), below the 2048 this test needs"

# 1,100 small sources, fragment i taking 3 bytes of source i at offset
# i % 97; want is what dd cuts out of each.
awk 'BEGIN {
	for (i = 0; i < 1100; i++) {
		s = sprintf("%04d", i)
		for (k = 0; k < 10; k++) s = s sprintf("%c%c%c%c%c%c%c%c%c%c", 97 + (i + k) % 26,
			98, 99, 100, 101, 102, 103, 104, 105, 106)
		printf "%s", s > ("s" i); close("s" i)
		printf "file s%d skip=%d len=3\n", i, i % 97
	}
}' > many.mf
i=0
while [ $i -lt 1100 ]; do
	echo "$i $((i % 97))"
	i=$((i + 1))
done | while read -r i k; do dd if="s$i" bs=1 skip="$k" count=3 status=none; done > want
for mode in aio stream; do
	(ulimit -Sn 1024 && exec "$AIOWRITE" many.mf --mode=$mode -o "out.$mode" --report=none) \
		>out 2>err || { cat err; fail "$mode: 1,100 sources under a soft limit of 1,024"; }
	same want "out.$mode"
done

# Each decoded fragment reads a pipe whose writer, a thread, holds its end
# until the engine has read past the pipe's buffer (at most 1 MiB): 40
# fragments of 1.5 MiB need 80 descriptors, and under a hard limit of 48
# the run is refused before the target is made.
head -c 62914560 /dev/zero > z
zstd -q z -o z.zst
i=0
while [ $i -lt 40 ]; do
	echo "file z.zst decode=zstd skip=$((i * 1572864)) len=1572864"
	i=$((i + 1))
done > dec.mf
(ulimit -n 48 && exec "$AIOWRITE" dec.mf -o out.dec --report=none) >out 2>err
rc=$?
[ $rc = 2 ] || { cat err; fail "exit $rc with 40 decoded fragments under 48 descriptors"; }
has err 'cannot set up the writes: Too many open files'
[ ! -e out.dec ] || fail "a refused run left its target behind"
# With the hard limit, the same manifest works and gives zstd's bytes.
run 0 "$AIOWRITE" dec.mf -o out.dec --report=none
zstd -q -dc z.zst | cmp - out.dec || fail "decoded fragments differ from zstd -dc"
exit 0

#!/bin/sh
# -f zstd and -f xz (SPEC §10): the zstd and xz programs give the image back,
# for images of 0, 1, 2, 3 bytes, 1 MiB of random bytes and 20 MiB of mixed
# ones; the bytes are the same for every -T; the levels' edges work, and a
# level out of range, a bad -T, and binary output to a terminal are usage
# errors (exit 2) that name what is wrong.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs zstd xz:xz-utils

# The images, each with its manifest.  mixed: random bytes, text, a fill,
# and zeros up to 20 MiB, built here with other tools as the reference.
for n in 0 1 2 3; do
	head -c "$n" /dev/urandom > img$n
	printf 'file img%s\n' "$n" > img$n.m
done
randfile img1m 1048576
printf 'file img1m\n' > img1m.m
randfile rnd 2097152
seq 1 900000 > text
printf 'file rnd\nfile text\nfill 0x5a len=3M\nsize 20M\n' > mixed.m
{ cat rnd text; head -c 3145728 /dev/zero | tr '\0' Z; } > mixed
truncate -s 20M mixed
cmp -s mixed img1m && fail "the images are not built"

# -f SPEC with each -T, through the program's -dc, for every image.
for spec in zstd xz; do
	case $spec in zstd) unz='zstd -dc' ;; xz) unz='xz -dc' ;; esac
	for img in img0 img1 img2 img3 img1m mixed; do
		for t in 1 2 4; do
			run 0 "$AIOWRITE" "$img.m" -f "$spec" -T "$t" -o "$img.$spec.T$t" \
				--report=none
		done
		$unz < "$img.$spec.T1" > back || fail "$unz cannot read -f $spec of $img"
		same back "$img"
		same "$img.$spec.T1" "$img.$spec.T2"
		same "$img.$spec.T1" "$img.$spec.T4"
	done
	note "-f $spec of 20 MiB mixed: $(wc -c < "mixed.$spec.T1") bytes, the same for -T 1, 2, 4"
done

# Many sections (2 MiB at zstd:1) and blocks (1 MiB at xz:0), in parallel:
# the same bytes for every -T too.
for spec in zstd:1 xz:0; do
	case $spec in zstd*) unz='zstd -dc' ;; xz*) unz='xz -dc' ;; esac
	for t in 1 2 4; do
		run 0 "$AIOWRITE" mixed.m -f "$spec" -T "$t" -o "many.$spec.T$t" --report=none
	done
	$unz < "many.$spec.T1" > back || fail "$unz cannot read -f $spec of mixed"
	same back mixed
	same "many.$spec.T1" "many.$spec.T2"
	same "many.$spec.T1" "many.$spec.T4"
done

# Through a pipe, with the long option and -T 0 (the online CPUs).
"$AIOWRITE" mixed.m -f zstd --threads=0 -o - --report=none | cat > piped || fail "zstd to a pipe"
same piped mixed.zstd.T1
"$AIOWRITE" img1m.m -f xz --threads=0 -o - --report=none | cat > piped || fail "xz to a pipe"
same piped img1m.xz.T1

# The levels' edges, the slow ones on small images; the default levels.
for spec in zstd:1 zstd:19 xz:0 xz:9; do
	case $spec in zstd*) unz='zstd -dc' ;; xz*) unz='xz -dc' ;; esac
	for img in img3 img1m; do
		run 0 "$AIOWRITE" "$img.m" -f "$spec" -T 2 -o "$img.$spec" --report=none
		$unz < "$img.$spec" > back || fail "$unz cannot read -f $spec of $img"
		same back "$img"
	done
done
run 0 "$AIOWRITE" img1m.m -f zstd:3 -o three --report=none
same three img1m.zstd.T1
run 0 "$AIOWRITE" img1m.m -f xz:6 -o six --report=none
same six img1m.xz.T1
# A frame with a checksum; a stream with a CRC64 check.
zstd -lv img1m.zstd.T1 > info 2>&1 || { cat info; fail "zstd -lv"; }
has info 'Check: XXH64'
xz -lvv img1m.xz.T1 > info 2>&1 || { cat info; fail "xz -lvv"; }
has info 'Check: +CRC64'
# In a chain: xz of zstd of the image.
run 0 "$AIOWRITE" img1m.m -f zstd -f xz -o chain --report=none
xz -dc chain | zstd -dc > back || fail "xz -dc | zstd -dc of a chain"
same back img1m

# Usage errors: exit 2, the spec or the option named, nothing written.
for spec in zstd:0 zstd:20 zstd:abc xz:10 zstd: xz:-1; do
	run 2 "$AIOWRITE" img3.m -f "$spec" -o bad
	lo=1 hi=19
	case $spec in xz*) lo=0 hi=9 ;; esac
	has err "filter '$spec': level must be $lo\.\.$hi"
	[ ! -e bad ] || fail "-f $spec: the target was created"
done
for t in 257 -1 abc 1.5; do
	run 2 "$AIOWRITE" img3.m -f zstd -T "$t" -o bad
	has err "^aiowrite-cli: --threads: "
	[ ! -e bad ] || fail "-T $t: the target was created"
done
run 2 "$AIOWRITE" img3.m -f zstd --threads=999 -o bad
has err "^aiowrite-cli: --threads: '999' is out of range"
run 0 "$AIOWRITE" img3.m -f zstd --threads=256 -o max --report=none
same max img3.zstd.T1

# Binary output: not to a terminal (without -o -), as with gzip.
if command -v script >/dev/null 2>&1; then
	for spec in zstd xz; do
		script -qec "\"$AIOWRITE\" img3.m -f $spec --report=none" /dev/null > screen
		rc=$?
		[ "$rc" = 2 ] || { cat -v screen; fail "-f $spec to a terminal: exit $rc"; }
		grep -q 'standard output is a terminal' screen ||
			{ cat -v screen; fail "-f $spec to a terminal: no message"; }
	done
else
	note "no script (bsdutils): the terminal check is left out"
fi
exit 0

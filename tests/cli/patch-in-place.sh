#!/bin/sh
# --patch (SPEC §3 invariant 3): only fragment ranges change; gaps keep
# their old bytes; `zero` ranges read as zeros; the length becomes
# max(old length, image end), or `size`.  Expected files come from dd.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

randfile old.img 200000
randfile src 5000
head -c 300000 /dev/zero > zeros

check() { # name: out.img must equal want.img
	cmp out.img want.img || fail "$1: image differs"
	[ "$(stat -c %s out.img)" = "$(stat -c %s want.img)" ] || fail "$1: length"
}

# 1. Inside the old length: the length stays.
cp old.img out.img; cp old.img want.img
cat > m <<'M'
data "HEAD" at=0
file src skip=10 len=4000 at=1000
zero len=10000 at=50000
fill 0x41 len=7 at=+100
M
run 0 "$AIOWRITE" --patch m -o out.img
printf HEAD > p; put p 0 4 want.img 0
put src 10 4000 want.img 1000
put zeros 0 10000 want.img 50000
printf AAAAAAA > p; put p 0 7 want.img 60100
check "inside"

# 2. Past the old end: the file grows; bytes between old end and the
#    fragment are zeros; a zero range straddling the old end is zero.
cp old.img out.img; cp old.img want.img
cat > m <<'M'
zero len=20000 at=190000
data "TAIL" at=250000
M
run 0 "$AIOWRITE" --patch m -o out.img
put zeros 0 10000 want.img 190000
truncate -s 250000 want.img
printf TAIL > p; put p 0 4 want.img 250000
check "grow"

# 3. `size` sets the length, shorter or longer than the old one.
for size in 1000 123456 400000; do
	cp old.img out.img; cp old.img want.img
	printf 'data "Z" at=10\nsize %s\n' $size > m
	run 0 "$AIOWRITE" --patch m -o out.img
	printf Z > p; put p 0 1 want.img 10
	truncate -s $size want.img
	check "size $size"
done

# 4. Without --patch an existing non-empty target is refused, untouched.
cp old.img out.img
run 2 "$AIOWRITE" m -o out.img
same out.img old.img
has err "exists and is not empty"

# 5. --force replaces: the result is the image alone, gaps zero.
run 0 "$AIOWRITE" --force -e 'data "abc" at=4' -o out.img
printf '\0\0\0\0abc' > want.img
same out.img want.img

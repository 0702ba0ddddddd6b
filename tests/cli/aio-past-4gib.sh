#!/bin/sh
# Offsets past 4 GiB, in the target and in a sparse source: the bytes land
# where dd puts them, the gaps stay holes, and the length is exact.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

G4=4294967296
randfile chunk 100000
truncate -s $((G4 + 300000)) sparse.src || skip "no sparse files here"
put chunk 0 100000 sparse.src $((G4 + 1000))
cat > m <<M
data "low" at=5
file sparse.src skip=$((G4 + 500)) len=101000 at=$((G4 * 2 + 7))
data "high" at=+0x10
hex 01 at=9G
zero len=1T
M
run 0 "$AIOWRITE" m -o out.img
end=$((9 * 1073741824 + 1 + 1099511627776))
[ "$(stat -c %s out.img)" = $end ] || fail "length $(stat -c %s out.img), expected $end"
[ "$(bytes out.img 5 3)" = "$(printf low | xxd -p)" ] || fail "low bytes"
# the file range: 500 zero bytes, then the chunk, then 500 zero bytes
head -c 500 /dev/zero > want; cat chunk >> want; head -c 500 /dev/zero >> want
dd if=out.img bs=64K skip=$((G4 * 2 + 7)) count=101000 iflag=skip_bytes,count_bytes status=none > got
same got want
[ "$(bytes out.img $((G4 * 2 + 7 + 101000 + 16)) 4)" = "$(printf high | xxd -p)" ] || fail "high bytes"
[ "$(bytes out.img $((9 * 1073741824)) 1)" = 01 ] || fail "byte at 9G"
[ "$(bytes out.img $((G4 * 3)) 8)" = 0000000000000000 ] || fail "gap not zero"
# Sparse: a terabyte-long image takes about what was written.
used=$(du -k out.img | cut -f1)
[ "$used" -lt 4096 ] || fail "image uses ${used} KiB: gaps and zero were written"

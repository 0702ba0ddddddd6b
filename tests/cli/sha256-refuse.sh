#!/bin/sh
# sha256= (SPEC §2): a fragment whose bytes match its digest is written; one
# that does not is refused before anything is written (exit 2, the target
# untouched).  Digests come from sha256sum, not from the tool.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

randfile src 300000
d() { sha256sum | cut -c1-64; }
s_file=$(dd if=src bs=1 skip=1000 count=200000 iflag=count_bytes,skip_bytes status=none | d)
s_data=$(printf 'hello' | d)
s_hex=$(printf 'deadbeef' | xxd -r -p | d)
s_fill=$(head -c 600000 /dev/zero | tr '\0' '\7' | d)
s_zero=$(head -c 4096 /dev/zero | d)
cat > m <<M
file src skip=1000 len=200000 sha256=$s_file
data "hello" sha256=$s_data
hex de ad sha256=$s_hex be ef
fill 7 len=600000 sha256=$s_fill
zero len=4K sha256=$(echo "$s_zero" | tr a-f A-F)
M
run 0 "$AIOWRITE" m -o out.img
dd if=src bs=1 skip=1000 count=200000 iflag=count_bytes,skip_bytes status=none > want
printf 'hello' >> want; printf 'deadbeef' | xxd -r -p >> want
head -c 600000 /dev/zero | tr '\0' '\7' >> want; head -c 4096 /dev/zero >> want
same out.img want

# One wrong digest: refused, the existing target untouched, both digests named.
randfile old 1000; cp old target
bad=$(printf 'x' | d)
printf 'data "ok"\nfile src len=10 sha256=%s\n' "$bad" > m2
run 2 "$AIOWRITE" --force m2 -o target
same target old
want_got=$(head -c 10 src | d)
has err "^m2:2:1: sha256 mismatch: the file fragment's bytes hash to $want_got, not $bad$"

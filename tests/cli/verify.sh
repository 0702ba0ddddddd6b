#!/bin/sh
# --verify (SPEC §3 invariant 6): every fragment's range is read back and
# compared; a good run says so in a "verify" record; --verify with filters
# or an unreadable target is a usage error.  (A target that loses writes is
# tests/cli/verify-lost-writes.sh.)
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

randfile src 500000
printf 'file src skip=7\ndata "x" at=+100\nzero len=1M\nfill 3 len=70000\nuuid text\n' > m
for mode in aio stream; do
	rm -f out.img
	run 0 "$AIOWRITE" m --verify --mode=$mode -o out.img --report=json
	[ "$(json out verify error)" = null ] || fail "$mode: verify record"
	[ "$(json out summary failed)" = 0 ] || fail "$mode: failed"
done
run 0 "$AIOWRITE" m --verify --sync=full -o out2.img
has out '^verify: every fragment reads back as written'
# --patch, --atomic and standard output redirected to a file verify too.
cp out.img p.img
run 0 "$AIOWRITE" --verify --patch -e 'data "patched" at=9' -o p.img
run 0 "$AIOWRITE" --verify --atomic --force m -o p.img
rm -f so.img; run 0 sh -c "\"$AIOWRITE\" m --verify -o - > so.img"
[ "$(stat -c %s so.img)" = "$(stat -c %s out.img)" ] || fail "stdout target length"
# Usage errors: filters, a pipe.
run 2 "$AIOWRITE" m --verify -f gzip -o v.gz
has err 'filters change the bytes'
{ "$AIOWRITE" m --verify -o - 2>err; echo $? > rc; } | cat > /dev/null
[ "$(cat rc)" = 2 ] || fail "--verify into a pipe: exit $(cat rc)"
has err 'read back'

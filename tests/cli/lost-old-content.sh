#!/bin/sh
# Say what was lost (SPEC §11): when a write fails after --force replaced a
# target, the message says the old content is gone and names --atomic; with
# --atomic the old content survives and no such message is needed.  The
# failure is a file size limit (ulimit -f: EFBIG), which needs no root.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

randfile old 8192

# limited CMD...: under a file size limit of 1024 blocks, stdout in ./out,
# stderr in ./err, SIGXFSZ ignored; sets $rc.
limited() {
	( ulimit -f 1024 || exit 99
	  trap '' XFSZ
	  exec "$@" ) >out 2>err
	rc=$?
	[ $rc != 99 ] || skip "cannot set ulimit -f"
}

cp old target
limited "$AIOWRITE" --force -e 'fill 7 len=4M' -o target
[ "$rc" = 1 ] || { cat out err; fail "--force: exit $rc, expected 1"; }
has err "^aiowrite-cli: 'target' is incomplete and its old content is gone.*--atomic"
cmp -s old target && fail "the target still holds the old content (was the write not refused?)"

cp old target
limited "$AIOWRITE" --force --atomic -e 'fill 7 len=4M' -o target
[ "$rc" = 1 ] || { cat out err; fail "--atomic: exit $rc, expected 1"; }
grep -q 'old content is gone' err && fail "--atomic: said the old content is gone"
cmp -s old target || fail "--atomic: the old content did not survive"

# A new target had no old content to lose.
rm -f target
limited "$AIOWRITE" -e 'fill 7 len=4M' -o target
[ "$rc" = 1 ] || fail "new target: exit $rc, expected 1"
grep -q 'old content' err && fail "new target: spoke of old content"
exit 0

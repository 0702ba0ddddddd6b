#!/bin/sh
# A file size limit (ulimit -f): writes past it fail with EFBIG, which is
# reported, never a kill by SIGXFSZ (exit status exactly 1; SPEC §3
# invariant 5).  When only the final length step fails (a `size` past the
# limit), that step has its own "truncate" record with EFBIG.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs jq
BLOCKS=1024	# ulimit -f counts 512-byte blocks in dash (1024-byte in bash)

# limited [ignore] CMD...: run CMD under the limit, stdout in ./out, stderr
# in ./err, SIGXFSZ ignored when the first word is "ignore"; sets $rc.
limited() {
	_ign=
	[ "$1" = ignore ] && { _ign=1; shift; }
	( ulimit -f $BLOCKS || exit 99
	  [ -n "$_ign" ] && trap '' XFSZ
	  exec "$@" ) >out 2>err
	rc=$?
	[ $rc != 99 ] || skip "cannot set ulimit -f"
}

# The limit in bytes, measured with dd rather than assumed.
limited ignore dd if=/dev/zero of=probe bs=64K count=64 status=none
limit=$(stat -c %s probe)
note "file size limit: $limit bytes"
[ "$limit" -gt 0 ] && [ "$limit" -lt 2097152 ] || skip "ulimit -f did not limit a 4 MiB write (got $limit bytes)"

check_efbig() {
	[ "$rc" = 1 ] || { cat out err; fail "$1: exit status $rc, expected 1"; }
	jq -e . out >/dev/null || { cat out; fail "$1: report is not valid JSON Lines"; }
	[ "$(json out fragment error)" = EFBIG ] || { cat out; fail "$1: fragment error is not EFBIG"; }
	[ "$(json out summary failed)" -gt 0 ] || fail "$1: summary failed is not > 0"
	[ "$(json out summary exit)" = 1 ] || fail "$1: summary exit is not 1"
	[ "$(json out summary bytes_written)" -le "$limit" ] || fail "$1: bytes_written past the limit"
	[ "$(stat -c %s o.img)" -le "$limit" ] || fail "$1: the target grew past the limit"
	# What was written below the limit is the fill byte (or a hole, never garbage).
	head -c "$(stat -c %s o.img)" o.img | tr -d '\253\000' | cmp -s - /dev/null || fail "$1: wrong bytes in the target"
}

# 1. A 2 MiB image, SIGXFSZ ignored by the caller.
limited ignore "$AIOWRITE" --report=json -e 'fill 0xab len=2M' -o o.img
check_efbig "SIGXFSZ ignored"
rm -f o.img
# Smaller requests, with -v: the failed requests have aio_error EFBIG (27).
limited ignore "$AIOWRITE" --report=json -v -b 256K -j 2 -e 'fill 0xab len=2M' -o o.img
check_efbig "-v -b 256K"
[ "$(jq -c 'select(.type=="request" and .aio_error==27 and .aio_return==-1)' out | wc -l)" -ge 1 ] ||
	{ cat out; fail "no request record with aio_error 27 (EFBIG)"; }
[ "$(jq -c 'select(.type=="request")' out | wc -l)" = "$(json out summary requests)" ] ||
	fail "request records != summary requests"
rm -f o.img

# 2. The same with SIGXFSZ at its default action (which kills): the tool must
# still report and exit 1.  Only possible if our caller did not ignore it.
ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status 2>/dev/null)
if [ -n "$ign" ] && [ $(( 0x$ign >> 24 & 1 )) = 0 ]; then
	limited "$AIOWRITE" --report=json -e 'fill 0xab len=2M' -o o.img
	[ "$rc" -lt 128 ] || fail "killed by signal $((rc - 128)) (SIGXFSZ is 25)"
	check_efbig "SIGXFSZ default"
	rm -f o.img
else
	note "SIGXFSZ is ignored by our caller: the default-action case is not run"
fi

# 3. Only the length step fails: the data fits, `size 4M` does not.
limited ignore "$AIOWRITE" --report=json -e 'data "x"' -e 'size 4M' -o o.img
[ "$rc" = 1 ] || { cat out err; fail "size past the limit: exit status $rc, expected 1"; }
jq -e . out >/dev/null || { cat out; fail "report is not valid JSON Lines"; }
[ "$(jq -c 'select(.type=="truncate")' out | wc -l)" = 1 ] || { cat out; fail "not one truncate record"; }
[ "$(json out truncate error)" = EFBIG ] || { cat out; fail "truncate record error is not EFBIG"; }
[ "$(json out fragment error)" = null ] || { cat out; fail "the data fragment failed, it should not"; }
[ "$(json out fragment written)" = 1 ] || fail "the data fragment did not write its byte"
[ "$(json out summary failed)" -gt 0 ] || fail "summary failed is not > 0"
[ "$(json out summary exit)" = 1 ] || fail "summary exit is not 1"
[ "$(bytes o.img 0 1)" = 78 ] || fail "the data byte 'x' is not in the target"
[ "$(stat -c %s o.img)" -lt 4194304 ] || fail "the target reached 4 MiB past the limit"
# The text report says so too.
rm -f o.img
limited ignore "$AIOWRITE" -e 'data "x"' -e 'size 4M' -o o.img
[ "$rc" = 1 ] || fail "size past the limit, text report: exit status $rc"
has out 'EFBIG'
exit 0

#!/bin/sh
# Without filters, stream mode takes the iob_send path: file ranges move by
# copy_file_range / sendfile / splice, not through user space.  The
# summary's zero_copy counter says how many bytes did, and strace shows the
# system calls.  A 1 GiB gap streams without 1 GiB of memory.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

randfile src 3000000
printf 'file src\ndata "mid"\nfile src skip=5 len=1000000\n' > m
{ cat src; printf mid; tail -c +6 src | head -c 1000000; } > want

# Into a regular file.
run 0 "$AIOWRITE" m --mode=stream -o out.img --report=json
same out.img want
[ "$(json out summary mode)" = stream ] || fail "mode"
[ "$(json out summary zero_copy)" -ge 4000000 ] || fail "zero_copy $(json out summary zero_copy) < 4000000"
# Into a pipe.
"$AIOWRITE" m -o - --report=json 2>rep | cat > got
same got want
[ "$(json rep summary zero_copy)" -ge 4000000 ] || fail "pipe: zero_copy $(json rep summary zero_copy)"
# With a filter, nothing is zero-copy.
"$AIOWRITE" m -f xor:00 -o - --report=json 2>rep | cat > got
same got want
[ "$(json rep summary zero_copy)" = 0 ] || fail "a filter run counted zero-copy bytes"

if command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
	rm -f out.img
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=copy_file_range,sendfile,splice,read,pread64 \
		-o trace "$AIOWRITE" m --mode=stream -o out.img --report=none || fail "under strace"
	same out.img want
	grep -Eq '^[0-9]+ +(copy_file_range|sendfile|splice)\(' trace || { cat trace; fail "no kernel copy call"; }
	# the source's bytes are not read into user space
	! grep -Eq 'pread64\([0-9]+, ".*", [0-9]{6,}' trace || fail "large preads of the source"
else
	note "strace does not work here: the system-call check is not run"
fi

# A 1 GiB gap through a pipe: peak memory stays small.
timer=
if [ -x /usr/bin/time ]; then
	timer="/usr/bin/time -f %M -o rss"
else
	note "no /usr/bin/time (Debian package time): peak RSS not checked"
fi
$timer "$AIOWRITE" -e 'data "a"' -e 'data "b" at=1G' -f xor:00 -o - --report=none | wc -c > n
[ "$(cat n)" = 1073741825 ] || fail "gap stream length $(cat n)"
[ -z "$timer" ] || [ "$(tail -n 1 rss)" -lt 65536 ] || fail "peak RSS $(tail -n 1 rss) KiB for a 1 GiB gap"

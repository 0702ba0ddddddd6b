#!/bin/sh
# Hostile manifests (SPEC §2, §3 invariant 4, §5 exit codes): every case of
# tests/hostile/ (and the big ones tests/hostile/generate.sh writes) runs as
# `aiowrite-cli [OPTIONS] --force -o target CASE` over an existing random
# target, under `timeout 20` (a hang fails) and, when /usr/bin/time is
# there, with its peak RSS bounded by 512 MiB.  tests/hostile/expect gives
# each case's exit status and an extended regex for standard error (`^$`:
# it must be empty).  Every status 2 case must also leave the target
# byte-identical, print nothing on standard output and make no file; valid
# cases get their output checked.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

hostile=${TESTS_DIR:-$(dirname "$0")/..}/hostile
expect=$hostile/expect
[ -f "$expect" ] || fail "no $expect"
needs timeout:coreutils
LC_ALL=C
export LC_ALL
RSS_MAX_KB=$((512 * 1024))

sh "$hostile/generate.sh" gen || fail "generate.sh failed"
randfile src.bin 1000
randfile keep 65536
cp keep target
# A 1 TiB sparse file must be possible here for the huge valid cases.
huge_ok=1
truncate -s 1T probe 2>/dev/null || huge_ok=0
rm -f probe
[ "$huge_ok" = 1 ] || note "this file system cannot hold a 1 TiB sparse file: 1T cases skipped"
timer=
if [ -x /usr/bin/time ]; then
	timer="/usr/bin/time -f %M -o rss"
else
	note "no /usr/bin/time: peak RSS not checked"
fi

# Every committed case has an expectation, and every expectation a case.
for f in "$hostile"/*.m; do
	n=$(basename "$f")
	grep -q "^$n " "$expect" || fail "$n has no line in tests/hostile/expect"
done

# bytes_are NAME HEX: the target holds exactly these bytes.
bytes_are() {
	_got=$(xxd -p target | tr -d '\n')
	[ "$_got" = "$2" ] || fail "$1: target is '$_got', expected '$2'"
}
# length_is NAME N
length_is() {
	_len=$(stat -c %s target)
	[ "$_len" = "$2" ] || fail "$1: target is $_len bytes, expected $2"
}
# only_byte NAME CHAR: every byte of the target is CHAR.
only_byte() {
	[ "$(tr -d "$2" < target | wc -c)" = 0 ] || fail "$1: target holds bytes other than '$2'"
}
untouched() {
	cmp -s target keep || fail "$1: the target changed (invariant 4)"
}

# Extra checks for the valid cases, on the target they made.
check_valid() {
	case $1 in
	zero-1T.m)
		length_is "$1" 1099511627776
		# A hole, not a terabyte of zeros: a few blocks at most.
		_alloc=$(( $(stat -c '%b * %B' target) ))
		[ "$_alloc" -le 1048576 ] || fail "$1: $_alloc bytes allocated for a zero range"
		;;
	size-1T.m)
		length_is "$1" 1099511627776
		[ "$(bytes target 0 4)" = 656e6400 ] || fail "$1: does not start with 'end'"
		;;
	fill-1E.m)
		untouched "$1"
		grep -q 1152921504606846976 out || { cat out; fail "$1: the plan does not show 1 EiB"; } ;;
	size-max.m | zero-max.m)
		untouched "$1"
		grep -q 9223372036854775807 out || { cat out; fail "$1: the plan does not show 2^63-1"; } ;;
	million-fragments.m) length_is "$1" 1000000; only_byte "$1" x ;;
	ten-mib-line.m) length_is "$1" 10485760; only_byte "$1" x ;;
	ten-mib-hex-line.m)
		length_is "$1" 5242880
		[ "$(bytes target 0 16)" = 0123456789abcdef0123456789abcdef ] || fail "$1: wrong bytes"
		[ "$(bytes target 5242872 8)" = 0123456789abcdef ] || fail "$1: wrong last bytes"
		;;
	many-tokens.m) length_is "$1" 250000; only_byte "$1" w ;;
	long-zeros-number.m) bytes_are "$1" 00 ;;
	crlf-mix.m) bytes_are "$1" 6162630d64 ;;
	tabs.m) bytes_are "$1" 6109620102 ;;
	invalid-utf8-data.m) bytes_are "$1" fffec328ffc080 ;;
	double-cr.m) bytes_are "$1" 780d ;;
	empty.m | comments-only.m | empty-quotes.m) length_is "$1" 0 ;;
	output-ignored.m)
		bytes_are "$1" 78
		[ ! -e /nonexistent/hostile ] || fail "$1: the output line was used"
		;;
	hash-in-value.m) bytes_are "$1" 00000000 ;;
	nul-escape-data.m) bytes_are "$1" 0000 ;;
	blank-in-number.m) length_is "$1" 1; bytes_are "$1" 00 ;;
	expr-long-sum.m) bytes_are "$1" 400d030000000000 ;;
	*) fail "$1: a valid case without checks in hostile-manifests.sh" ;;
	esac
}

ncase=0 nbad=0 nskip=0
while read -r name status re; do
	case $name in '' | '#'*) continue ;; esac
	if [ -f "$hostile/$name" ]; then
		cp "$hostile/$name" "./$name"
	elif [ -f "gen/$name" ]; then
		mv "gen/$name" "./$name"
	else
		fail "$name: listed in tests/hostile/expect but neither in tests/hostile nor generated"
	fi
	case $name in
	zero-1T.m | size-1T.m)
		if [ "$huge_ok" = 0 ]; then
			rm -f "$name"; nskip=$((nskip + 1)); continue
		fi ;;
	esac
	ncase=$((ncase + 1))
	opts=$(sed -n '1s/^# aiowrite-test-options: //p' "$name")
	rm -f target && cp keep target
	: > out; : > err; : > rss
	files0=$(ls | sort | tr '\n' ' ')
	# shellcheck disable=SC2086
	$timer timeout 20 "$AIOWRITE" $opts --force -o target "$name" > out 2> err < /dev/null
	rc=$?
	[ "$rc" = 124 ] && fail "$name: still running after 20 s"
	if [ "$rc" != "$status" ]; then
		echo "stdout:"; head -c 2000 out; echo "stderr:"; head -c 2000 err
		fail "$name: exit status $rc, expected $status"
	fi
	if [ -n "$timer" ]; then
		kb=$(tail -n 1 rss)
		case $kb in '' | *[!0-9]*) cat rss; fail "$name: no peak RSS from /usr/bin/time" ;; esac
		[ "$kb" -lt "$RSS_MAX_KB" ] || fail "$name: peak RSS $kb KiB, over 512 MiB"
	fi
	if [ "$re" = '^$' ]; then
		[ -s err ] && { head -c 2000 err; fail "$name: stderr is not empty"; }
	elif [ -s err ]; then
		grep -Eq -- "$re" err || { echo "stderr:"; head -c 2000 err; fail "$name: stderr has no line matching '$re'"; }
	else
		fail "$name: stderr is empty, expected a line matching '$re'"
	fi
	if [ "$status" = 2 ]; then
		nbad=$((nbad + 1))
		untouched "$name"
		[ -s out ] && { head -c 2000 out; fail "$name: a failed run printed a report on stdout"; }
		[ "$(ls | sort | tr '\n' ' ')" = "$files0" ] || fail "$name: files appeared: $(ls)"
	elif [ "$status" = 0 ]; then
		check_valid "$name"
	fi
	rm -f "$name" target
done < "$expect"

note "$ncase cases ($nbad invalid), $nskip skipped"
[ "$ncase" -ge 40 ] || fail "only $ncase cases ran"
[ "$nbad" -ge 30 ] || fail "only $nbad invalid cases ran"
exit 0

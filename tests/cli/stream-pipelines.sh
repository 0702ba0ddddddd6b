#!/bin/sh
# Pipelines (issue: stream mode): the manifest from standard input, output to
# a pipe, `file -` and FIFOs as sources in both modes, a source that ends
# early, a non-blocking pipe as standard output with a slow reader, and a
# reader that goes away early.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

randfile blob 300000
# The manifest on stdin, the image to a pipe.
printf 'data "HDR1"\nfile blob\n' | "$AIOWRITE" - -o - 2>err | cat > got || fail "stdin manifest to a pipe"
{ printf HDR1; cat blob; } > want
same got want
has err '^-: 2 fragments, .* stream mode'

# `file -` from a pipe, in stream mode (to a pipe) and in aio mode (a file).
cat blob | "$AIOWRITE" -e 'data "HDR1"' -e 'file -' -o - --report=none | cat > got
same got want
cat blob | "$AIOWRITE" -e 'data "HDR1"' -e 'file -' -o out.bin --report=none
same out.bin want
# skip=, len= and successive fragments from one pipe; size pads.
cat blob | "$AIOWRITE" -e 'file - skip=10 len=100 at=512' -e 'file - len=50 at=0' -e 'size 1K' -o o2 --report=none
put blob 10 100 w2 512; put blob 110 50 w2 0; truncate -s 1024 w2
same o2 w2
# A FIFO source, and a character device with len=.
mkfifo fifo
cat blob > fifo &
"$AIOWRITE" -e 'file fifo len=1000' -e 'file /dev/zero len=24' -o o3 --report=none
wait
head -c 1000 blob > w3; head -c 24 /dev/zero >> w3
same o3 w3
run 2 "$AIOWRITE" -e 'file /dev/zero' -o o4
has err "^<command-line>:1:1: '/dev/zero' is a character device: give len="
# A stream that ends early is refused with its line; nothing is written.
printf 'short' | "$AIOWRITE" -e 'data x' -e 'file - len=100' -o o5 >out 2>err && fail "short stream accepted"
has err "^<command-line>:2:1: '-' is too short: skip=0 len=100 needs 100 bytes, it has 5$"
[ ! -e o5 ] || fail "target created"
# A large stream goes past the memory spool into a temporary file.
head -c 40000000 /dev/urandom > big
cat big | TMPDIR=$T "$AIOWRITE" -e 'file -' -e 'data "END"' -o o6 --report=none
{ cat big; printf END; } > w6
same o6 w6
[ "$(ls "$T" | grep -c spool)" = 0 ] || fail "a spool file was left behind"

# A non-blocking pipe as standard output, drained slowly: nothing lost.
NB=$TESTS_BUILD/nonblock
[ -x "$NB" ] || fail "tests helper nonblock not built"
"$NB" "$AIOWRITE" -e 'file blob' -e 'fill 7 len=3M' -f xor:00 -o - --report-file=rep.json --report=json |
	{ sleep 0.3; cat; } > got
{ cat blob; head -c 3145728 /dev/zero | tr '\0' '\7'; } > want
same got want
[ "$(json rep.json summary exit)" = 0 ] || fail "non-blocking pipe: exit"
"$NB" "$AIOWRITE" -e 'file blob' -e 'fill 7 len=3M' -o - --report=none | { sleep 0.3; cat; } > got
same got want

# A reader that goes away: the run ends promptly, quietly, exit 1; a report
# file says EPIPE.
start=$(date +%s)
"$AIOWRITE" -e 'fill 1 len=1G' -f xor:01 -o - --report=json --report-file=rep.json 2>err | head -c 10 > got
rc=$(jq -r 'select(.type=="summary") | .exit' rep.json)
[ "$rc" = 1 ] || fail "early reader: summary exit $rc"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "early reader: the run did not end promptly"
[ "$(json rep.json fragment error)" = EPIPE ] || fail "early reader: no EPIPE in the report"
[ ! -s err ] || { cat err; fail "early reader: stderr not quiet"; }
[ "$(od -An -tx1 got | tr -d ' \n')" = 00000000000000000000 ] || fail "early reader: first bytes"
( "$AIOWRITE" -e 'fill 1 len=1G' -o - 2>err; echo $? > status ) | head -c 10 > /dev/null
[ "$(cat status)" = 1 ] || fail "early reader without filters: exit $(cat status)"
[ ! -s err ] || { cat err; fail "early reader: stderr not quiet"; }

# Stream mode passes a stream with len= through while writing, without
# reading it ahead: spliced from the pipe (zero_copy counts it), a 1 GiB
# device read in small memory, and one that ends early fails on its line.
cat blob | "$AIOWRITE" -e 'data "HDR1"' -e 'file - len=300000' -o - --report=json 2>rep | cat > got
{ printf HDR1; cat blob; } > want
same got want
[ "$(json rep summary zero_copy)" = 300000 ] || fail "pass-through: zero_copy $(json rep summary zero_copy)"
timer=
case $AIOWRITE in
*/san/*) note "sanitizer build: its shadow memory makes peak RSS meaningless; not checked" ;;
*) if [ -x /usr/bin/time ]; then
	timer="/usr/bin/time -f %M -o rss"
   else
	note "no /usr/bin/time (Debian package time): peak RSS not checked"
   fi ;;
esac
$timer "$AIOWRITE" -e 'file /dev/zero len=1G' -f xor:00 -o - --report=none | wc -c > n
[ "$(cat n)" = 1073741824 ] || fail "1 GiB pass-through length $(cat n)"
[ -z "$timer" ] || [ "$(tail -n 1 rss)" -lt 20000 ] || fail "1 GiB pass-through used $(tail -n 1 rss) KiB: spooled?"
head -c 100 blob | { "$AIOWRITE" -e 'data x' -e 'file - len=1000' -o - --report=json 2>rep; echo $? > rc; } | cat > /dev/null
[ "$(cat rc)" = 1 ] || fail "short pass-through: exit $(cat rc)"
[ "$(jq -c 'select(.type=="fragment" and .line==2) | [.error, .message, .written]' rep)" = \
  '["EIO","source ended before its length",100]' ] || { cat rep; fail "short pass-through report"; }
[ "$(json rep summary exit)" = 1 ] || fail "short pass-through: summary exit"
# Out of target order, the stream is read ahead after all (bytes 0..9 land at 100).
cat blob | "$AIOWRITE" -e 'file - len=10 at=100' -e 'file - len=10 at=0' -o - --report=none > got
put blob 0 10 w9 100; put blob 10 10 w9 0
same got w9

# SIGTERM stops a long stream promptly (with and without a filter): exit
# 143, the summary says so, and far less than the image went out.  The
# tool's own pid goes through a file (not pgrep -f, which would also find
# another suite's run), and the signal waits until it runs the tool.
for f in "-f xor:01" ""; do
	rm -f pid
	# shellcheck disable=SC2086
	( "$AIOWRITE" -e 'fill 1 len=64G' $f -o - --report-file=sig.json --report=json &
	  echo $! > pid; wait $!; echo $? > rc ) | cat > /dev/null &
	i=0
	until [ -s pid ] && tr '\0' ' ' < "/proc/$(cat pid)/cmdline" 2>/dev/null | grep -q 'len=64G' ||
		[ $i -ge 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	sleep 0.3
	kill -TERM "$(cat pid)"
	wait
	[ "$(cat rc)" = 143 ] || fail "SIGTERM on a stream ($f): exit $(cat rc)"
	[ "$(json sig.json summary exit)" = 143 ] || fail "SIGTERM on a stream ($f): summary exit"
	[ "$(json sig.json summary bytes_written)" -lt 68719476736 ] || fail "SIGTERM on a stream ($f): wrote it all"
	rm -f rc sig.json
done

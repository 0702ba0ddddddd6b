#!/bin/sh
# Streams in order (SPEC §9.5): pipes, FIFOs and character devices are
# opened and read in manifest order, each when the streams before it are
# done, so one writer that fills several FIFOs one after another never
# deadlocks the tool -- in aio mode and in stream mode, spooled (no len=)
# and passing through (len=), under -n, and when the run stops on manifest
# errors without waiting for a writer.  Every run is under `timeout`: a
# hang fails this test, not the suite.  Each source is bigger than a pipe's
# buffer, so that a writer cannot finish a FIFO nobody reads.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs timeout:coreutils

randfile a 300000
randfile b 200000
randfile c 150000
mkfifo f1 f2 f3
cat a b c > abc

# writer F:SRC...: one background writer filling the FIFOs one after
# another, killed (with its cat) by timeout if the tool never reads.
wpid=
writer() {
	_script=
	for _w; do
		_script="$_script cat ${_w#*:} > ${_w%%:*} &&"
	done
	timeout 60 sh -c "$_script :" &
	wpid=$!
}
# finish WHAT: the writer must have completed (the tool read everything).
finish() {
	wait "$wpid" || fail "$1: the writer did not complete (status $?)"
	wpid=
}
stop_writer() { [ -z "$wpid" ] || { kill "$wpid" 2>/dev/null; wait "$wpid"; }; }
at_exit stop_writer
# tool WHAT ARG...: the tool under timeout, exit 0, else say it hung.
tool() {
	_what=$1; shift
	timeout -k 5 30 "$AIOWRITE" "$@" --report=none >out 2>err
	_rc=$?
	{ [ $_rc = 124 ] || [ $_rc = 137 ]; } && { stop_writer; fail "$_what: the tool hung (timeout)"; }
	[ $_rc = 0 ] || { cat err; stop_writer; fail "$_what: exit $_rc"; }
	finish "$_what"
}

printf 'file f1\nfile f2\nfile f3\n' > three
printf 'file f1 len=300000\nfile f2 len=200000\nfile f3 len=150000\n' > three_len
for mode in aio stream; do
	writer f1:a f2:b f3:c
	tool "$mode, no len=" three --mode=$mode -o o.$mode
	same o.$mode abc
	writer f1:a f2:b f3:c
	tool "$mode, len=" three_len --mode=$mode -o l.$mode
	same l.$mode abc
done
# Stream mode to a pipe, through a filter: the streams pass through.
writer f1:a f2:b f3:c
timeout -k 5 30 "$AIOWRITE" three_len -f xor:00 -o - --report=none 2>err | cat > p1 ||
	fail "pass-through to a pipe"
finish "pass-through to a pipe"
same p1 abc

# Placed against manifest order: the first stream lands last.  In stream
# mode the later streams cannot pass before it, so they are read ahead.
rm -f want; put b 0 200000 want 0; put c 0 150000 want 200000; put a 0 300000 want 350000
for mode in aio stream; do
	writer f1:a f2:b f3:c
	tool "$mode, out of target order" -e 'file f1 len=300000 at=350000' \
		-e 'file f2 len=200000 at=0' -e 'file f3 len=150000' --mode=$mode -o r.$mode
	same r.$mode want
done

# A stream with len= before one without: it cannot wait for the writing.
writer f1:a f2:b
tool "len= then no len=" -e 'file f1 len=300000' -e 'file f2' --mode=stream -o m1
cat a b > want
same m1 want

# One stream named by several fragments is read whole, in manifest order,
# before the next: a, then f2's b, between two pieces of a.
rm -f want; put a 0 1000 want 0; put b 0 200000 want 1000; put a 1000 299000 want 201000
for mode in aio stream; do
	writer f1:a f2:b
	tool "$mode, interleaved fragments" -e 'file f1 len=1000' -e 'file f2 len=200000' \
		-e 'file f1 len=299000' --mode=$mode -o i.$mode
	same i.$mode want
done

# skip= on a later stream passing through, a character device between.
head -c 1100 b > b1100
rm -f want; put a 0 300000 want 0; put /dev/zero 0 16 want 300000; put b 100 1000 want 300016
writer f1:a f2:b1100
tool "skip= on a later stream" -e 'file f1 len=300000' -e 'file /dev/zero len=16' \
	-e 'file f2 skip=100 len=1000' --mode=stream -o s1
same s1 want

# Standard input from a pipe, as `file -` and as /dev/stdin, then a FIFO.
cat a b > want
for src in - /dev/stdin; do
	writer f2:b
	timeout -k 5 30 sh -c 'src=$1; shift; cat a | "$0" -e "file $src" -e "file f2" "$@"' "$AIOWRITE" "$src" \
		--mode=stream -o "d${src##*/}" --report=none 2>err || { cat err; fail "file $src then a FIFO"; }
	finish "file $src then a FIFO"
	same "d${src##*/}" want
done

# -n: streams with len= are not read, so no writer is needed; without
# len=, they are read in order to learn their lengths.
timeout -k 5 30 "$AIOWRITE" -n three_len -o n1 --report=json >out 2>err ||
	fail "dry run of FIFOs with len= (exit $?)"
[ "$(json out summary fragments)" = 3 ] || fail "dry run: fragments"
[ ! -e n1 ] || fail "dry run wrote"
writer f1:a f2:b f3:c
tool "dry run without len=" -n three -o n2
[ ! -e n2 ] || fail "dry run wrote"

# A FIFO that no writer ever opens is not waited for when the run stops on
# manifest or source errors: exit 2 at once, each error with its line.
start=$(date +%s)
timeout -k 5 30 "$AIOWRITE" -e 'file f1' -e 'fil 7 len=1' -o e1 >out 2>err
rc=$?
[ $rc = 2 ] || fail "FIFO and a syntax error: exit $rc"
has err "^<command-line>:2:1: unknown kind 'fil'"
timeout -k 5 30 "$AIOWRITE" -e 'file f1' -e 'file nosuch' -e 'file f2 len=5' -o e2 >out 2>err
rc=$?
[ $rc = 2 ] || fail "FIFO and a missing source: exit $rc"
has err "^<command-line>:2:1: cannot open 'nosuch'"
timeout -k 5 30 "$AIOWRITE" --confine=. -e 'file f1' -e 'fil 7 len=1' -o e3 >out 2>err
rc=$?
[ $rc = 2 ] || fail "--confine, FIFO and a syntax error: exit $rc"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "the error runs waited for a writer"
[ ! -e e1 ] && [ ! -e e2 ] && [ ! -e e3 ] || fail "a run with errors created its target"

# --confine opens FIFOs the same way: in order, no deadlock.
writer f1:a f2:b f3:c
tool "--confine" --confine=. three -o c1
same c1 abc

#!/bin/sh
# A source that changes while it is being written (SPEC §3 invariant 5,
# §7 "a file entry whose source ends before its length is a permanent
# error, never an endless -1"; aio.c reads sources with pread, not mmap).
#
#  * truncated during the run (aio -b 64K -j 1; stream through iob_send;
#    stream through a filter, i.e. iob_write): no crash (no SIGBUS: exit
#    < 128), no hang, exit 1, a fragment record with error EIO and a message
#    saying the source ended early, every request reported (request records
#    = summary requests, failed ones = summary failed), and what was written
#    is right: the target is exactly the bytes_written-long prefix of the
#    source's old content (checked with cmp against the source's head and
#    /dev/zero);
#  * replaced by rename during the run: the tool holds a descriptor of the
#    old file, so it goes on reading the old content: exit 0 and the target
#    equals the old file (kept by a hard link).  This is the documented
#    behaviour of an open descriptor, not an error: rename(2) does not
#    change the inode being read; a writer that wants the new content must
#    start a new run.
# The source is a 1 GiB file (1 MiB of random bytes, then allocated blocks
# that read as zeros), so it costs no disk writes; the run is stopped early by the truncation, so the
# target stays small.  If a run reads everything before the shell can
# truncate, it is retried with a 4 GiB source, then skipped.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs jq
HEAD=1048576
randfile head.bin $HEAD

# mksrc NAME SIZE: the head, then zeros up to SIZE in blocks allocated but
# never written (fallocate): no disk written, yet no hole, which the tool
# would neither read nor write (SPEC §9.1).
mksrc() { rm -f "$1"; cp head.bin "$1" && fallocate -l "$2" "$1" || fail "mksrc $*"; }

# start ARGS...: the tool in the background, writing src to out.img with a
# JSON report (-v) in rep.json; returns once out.img is not empty (or the
# tool has ended).
start() {
	rm -f out.img rep.json
	timeout 120 "$AIOWRITE" -e 'file src' "$@" -o out.img --report=json -v --report-file=rep.json 2>err &
	pid=$!
	while [ ! -s out.img ] && kill -0 "$pid" 2>/dev/null; do :; done
}
finish() { wait "$pid"; rc=$?; }

# truncated WHAT ARGS...
truncated() {
	what=$1; shift
	for size in 1G 4G; do
		mksrc src $size
		start "$@"
		truncate -s $HEAD src
		finish
		[ $rc = 124 ] && fail "$what: the run hung on a truncated source (timeout)"
		[ $rc -lt 128 ] || { cat err; fail "$what: exit $rc: killed by signal $((rc - 128)) (SIGBUS is 7)"; }
		if [ $rc = 0 ]; then
			note "$what: the run read all of $size before the truncation; retrying with more"
			continue
		fi
		[ $rc = 1 ] || { cat err rep.json; fail "$what: exit $rc, expected 1"; }
		check_truncated "$what"
		return 0
	done
	skip "$what: every run read the whole source before the shell could truncate it"
}

check_truncated() {
	jq -e . rep.json >/dev/null || { cat rep.json; fail "$1: the report is not valid JSON Lines"; }
	[ "$(json rep.json fragment error)" = EIO ] || { cat rep.json; fail "$1: the fragment's error is not EIO"; }
	json rep.json fragment message | grep -Eqi 'source.*(end|short)|(end|short).*source' ||
		{ cat rep.json; fail "$1: the message does not say that the source ended early"; }
	[ "$(json rep.json summary exit)" = 1 ] || fail "$1: summary exit is not 1"
	failed=$(json rep.json summary failed)
	[ "$failed" -gt 0 ] || fail "$1: summary failed is not > 0"
	nreq=$(jq -c 'select(.type=="request")' rep.json | wc -l)
	[ "$nreq" = "$(json rep.json summary requests)" ] ||
		fail "$1: $nreq request records, the summary says $(json rep.json summary requests)"
	nbad=$(jq -c 'select(.type=="request" and .aio_error!=0)' rep.json | wc -l)
	[ "$nbad" = "$failed" ] || fail "$1: $nbad failed request records, the summary says $failed"
	[ "$(jq -c 'select(.type=="request" and .aio_error==5)' rep.json | wc -l)" -ge 1 ] ||
		{ cat rep.json; fail "$1: no request record with aio_error 5 (EIO)"; }
	bw=$(json rep.json summary bytes_written)
	sum=$(jq -s '[.[] | select(.type=="request" and .aio_error==0) | .aio_return] | add // 0' rep.json)
	[ "$sum" = "$bw" ] || fail "$1: successful requests wrote $sum, the summary says $bw"
	[ "$bw" -ge $HEAD ] && [ "$bw" -lt 1073741824 ] || fail "$1: bytes_written $bw"
	# What was written is the source's old content, a prefix of it.
	[ "$(stat -c %s out.img)" = "$bw" ] || fail "$1: the target is $(stat -c %s out.img) bytes, bytes_written $bw"
	cmp -n $HEAD out.img head.bin || fail "$1: the target's first MiB is not the source's"
	cmp -i $HEAD:0 -n $((bw - HEAD)) out.img /dev/zero || fail "$1: the target past the head is not zeros"
}

truncated "aio" --mode=aio -b 64K -j 1
truncated "stream (iob_send)" --mode=stream
truncated "stream through a filter (iob_write)" --mode=stream -f xor:00

# Replaced by rename: the old content is written.
for size in 256M 1G; do
	mksrc src $size
	rm -f old.src; ln src old.src
	randfile new.src 4096
	start -b 64K -j 1
	mv new.src src
	at_mv=$(stat -c %s out.img)
	finish
	[ $rc = 0 ] || { cat err rep.json; fail "rename: exit $rc, expected 0"; }
	same out.img old.src
	[ "$(json rep.json summary failed)" = 0 ] || fail "rename: summary failed is not 0"
	if [ "$at_mv" -lt "$(stat -c %s old.src)" ]; then
		rm -f out.img
		exit 0
	fi
	note "rename: the run had written everything before the rename; retrying with more"
done
skip "rename: every run had written the whole source before the shell could rename it"

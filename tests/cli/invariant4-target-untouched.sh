#!/bin/sh
# SPEC §3 invariant 4: nothing is written before the whole manifest has been
# parsed and every source opened and checked.  Each bad invocation below must
# exit 2, print an error on standard error (manifest errors as
# NAME:LINE:COL: message), and leave an existing target byte-identical: same
# content (cmp with a copy kept aside) and same length (stat).  Most cases run
# with --force, which would truncate the target if it were opened too early,
# or with --patch, which would write into it.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

randfile target.img 300000
cp target.img keep.img
size0=$(stat -c %s keep.img)
randfile src.bin 1000
mkdir adir
ln -s target.img link.img
ncase=0

# bad PATTERN ARGS...: exit 2, an error matching PATTERN on stderr, nothing
# on stdout that looks like a report, and the target as it was.
bad() {
	_pat=$1; shift
	ncase=$((ncase + 1))
	run 2 "$AIOWRITE" "$@"
	[ -s err ] || fail "case $ncase ($*): no error message on stderr"
	grep -Eq -- "$_pat" err || { echo "stderr:"; cat err; fail "case $ncase ($*): stderr has no line matching '$_pat'"; }
	cmp target.img keep.img || fail "case $ncase ($*): target changed"
	[ "$(stat -c %s target.img)" = "$size0" ] || fail "case $ncase ($*): target length changed"
	# A stray file beside the target (a temporary, a half-made image) is a write too.
	[ "$(ls | sort | tr '\n' ' ')" = "$files0" ] || fail "case $ncase ($*): files appeared: $(ls)"
}

# Manifests, each named for its error; the expected FILE:LINE:COL comes from
# the text below (columns count bytes from 1).
printf 'data "ok"\n# a comment\nfil src.bin\n' > kind.m
printf 'data "ok"\n  fill 7 len=4 lenn=3\n' > key.m
printf 'fill 1 len=12Q\n' > number.m
printf 'data "ok"\ndata "x" at=9223372036854775808\n' > overflow.m
printf 'data "ok"\ndata "abc\n' > unterminated.m
printf 'hex 0x41 abc\n' > oddhex.m
printf 'data "ok"\n\nfill 0xff\n' > nolen.m
printf 'size 1K\ndata "x"\nsize 2K\n' > dupsize.m
printf 'data "ok"\nfile nosuch.bin\n' > missing.m
printf 'file adir\n' > dir.m
printf 'data "ok"\nfile src.bin skip=100 len=950\n' > short.m
printf 'file src.bin skip=2000\n' > skip.m
printf 'data "aaaa" at=0\ndata "bb" at=100\nfill 1 len=10 at=2\n' > overlap.m
printf 'data "ok"\nfile target.img at=4K\n' > self.m
printf 'file link.img\n' > selflink.m
printf 'size 4K\ndata "x" at=4095\ndata "y"\n' > pastsize.m
printf 'zero len=4E at=4E\n' > ovf.m
printf 'data "x" at=0x7fffffffffffffff\n' > ovf2.m
printf 'data "x" at=1E\nfill 9 len=1 at=+0x7ffffffffffffff0\n' > ovfrel.m
printf 'data "hello"\nfill 0xff len=1K at=4K\n' > good.m
: >out; : >err
files0=$(ls | sort | tr '\n' ' ')

# Manifest parse errors.
bad "^kind\.m:3:1: unknown kind 'fil' \(did you mean 'file'\?\)" --force -o target.img kind.m
bad "^key\.m:2:16: .*unknown key.*'lenn'" --force -o target.img key.m
bad "^number\.m:1:12: .*12Q" --force -o target.img number.m
bad "^overflow\.m:2:13: .*(too large|overflow|range)" --patch -o target.img overflow.m
bad "^unterminated\.m:2:6: .*unterminated" --force -o target.img unterminated.m
bad "^oddhex\.m:1:[0-9]+: .*odd" --patch -o target.img oddhex.m
bad "^nolen\.m:3:1: .*len" --force -o target.img nolen.m
bad "^dupsize\.m:3:1: .*(twice|duplicate|again)" --force -o target.img dupsize.m
bad "^<command-line>:2:1: .*len" --force -o target.img -e 'data "ok"' -e 'zero'
# Sources: opened and checked before anything is written.
bad "^missing\.m:2:[0-9]+: .*nosuch\.bin" --force -o target.img missing.m
bad "^dir\.m:1:[0-9]+: .*directory" --force -o target.img dir.m
bad "^short\.m:2:[0-9]+: .*src\.bin" --force -o target.img short.m
bad "^skip\.m:1:[0-9]+: .*skip" --patch -o target.img skip.m
bad "^self\.m:2:[0-9]+: .*target" --patch -o target.img self.m
bad "^selflink\.m:1:[0-9]+: .*target" --patch -o target.img selflink.m
# Placement: overlaps (naming both lines), size, 64-bit offsets.
bad "^overlap\.m:3:[0-9]+: .*line 1([^0-9]|$)" --force -o target.img overlap.m
bad "^pastsize\.m:3:[0-9]+: .*size" --force -o target.img pastsize.m
bad "^ovf\.m:1:[0-9]+: .*(offset|large|overflow)" --force -o target.img ovf.m
bad "^ovf2\.m:1:[0-9]+: .*(offset|large|overflow)" --patch -o target.img ovf2.m
bad "^ovfrel\.m:2:[0-9]+: .*(offset|large|overflow)" --force -o target.img ovfrel.m
# Target and usage errors.
bad "target\.img.*(exists|not empty|--force)" -o target.img good.m
bad "--force.*--patch|--patch.*--force" --force --patch -o target.img good.m
bad "mode.*bogus|bogus.*mode" --mode=bogus --force -o target.img good.m
# The report file must not destroy the target or a source.
bad "exists and is not empty" --report-file=target.img -o target.img good.m
bad "report file 'target.img' is the target" --force --report-file=target.img -o target.img good.m
bad "report file 'link.img' is the target" --patch --report-file=link.img -o target.img good.m
bad "report file 'target.img' is one of the sources" --report-file=target.img -o other.img -e 'file target.img'
# A dry run refuses what the real run would refuse.
bad "target\.img.*(exists|not empty|--force)" -n -o target.img good.m

[ "$ncase" -ge 15 ] || fail "only $ncase cases ran"
# The good manifest does write the target with --patch: the checks above
# compared against a target that the tool can change.
run 0 "$AIOWRITE" --patch -o target.img good.m
cmp -s target.img keep.img && fail "a good --patch run left the target unchanged"
[ "$(bytes target.img 0 5)" = 68656c6c6f ] || fail "good --patch run did not write 'hello'"
exit 0

#!/bin/sh
# Command-line mistakes (SPEC §5): each exits 2 with a message on standard
# error naming what is wrong, prints no report, and creates no target.
# --help, --usage and --version exit 0 and print
# to standard output; --no-progress is accepted.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

HOME=$T; export HOME	# no ~/.popt aliases from whoever runs the tests
echo 'data "hi"' > m
cp m m2
ncase=0

# usage PATTERN ARGS...: exit 2, PATTERN on stderr, stdout empty, no new.img.
usage() {
	_pat=$1; shift
	ncase=$((ncase + 1))
	run 2 "$AIOWRITE" "$@"
	[ -s err ] || fail "($*): nothing on stderr"
	grep -Eq -- "$_pat" err || { cat err; fail "($*): stderr has no line matching '$_pat'"; }
	[ ! -s out ] || { cat out; fail "($*): printed on stdout"; }
	[ ! -e new.img ] || fail "($*): created the target"
}

usage 'bogus-option'                    --bogus-option -o new.img m
usage "m2"                              -o new.img m m2
usage 'manifest'                        -o new.img
usage 'mode.*bogus|bogus.*mode'         --mode=bogus -o new.img m
usage 'sync.*bogus|bogus.*sync'         --sync=bogus -o new.img m
usage 'report.*bogus|bogus.*report'     --report=bogus -o new.img m
usage 'queue-depth|-j'                  -j 0 -o new.img m
usage 'queue-depth|-j'                  -j 5000 -o new.img m
usage 'queue-depth|-j'                  -j -1 -o new.img m
usage 'request-size|-b'                 -b 0 -o new.img m
usage 'request-size|-b'                 -b 2G -o new.img m
usage 'request-size|-b'                 -b 1KB -o new.img m
usage 'force.*patch|patch.*force'       --force --patch -o new.img m
usage 'verbose.*quiet|quiet.*verbose'   --verbose --quiet -o new.img m
usage 'verbose.*quiet|quiet.*verbose'   -v -q -o new.img m

# Options of a later version.

# Mode conflicts (SPEC §5): aio with a filter, --patch in stream mode.
usage 'aio cannot apply filters'        --mode=aio -f gzip -o new.img m
usage 'patch.*aio mode'                 --patch -f hex -o new.img m
usage 'patch.*aio mode'                 --patch --mode=stream -o new.img m
# Filters that do not parse: a usage error naming the spec.
usage "unknown filter 'gzp' \\(did you mean 'gzip'\\?\\)" -f gzp -o new.img m
usage "filter 'gzip:10'"                -f gzip:10 -o new.img m
usage "filter 'xor:5'"                  -f xor:5 -o new.img m
usage "filter 'xor:@nokey'"             -f xor:@nokey -o new.img m

# aio needs a target that seeks: standard output a pipe.  (No pipefail in
# POSIX sh: the status goes through a file.)
{ "$AIOWRITE" --mode=aio -o - m 2>err; echo $? > rc; } | cat > out
[ "$(cat rc)" = 2 ] || { cat err; fail "--mode=aio -o - into a pipe: exit $(cat rc), expected 2"; }
[ -s err ] || fail "--mode=aio -o - into a pipe: nothing on stderr"
[ ! -s out ] || { cat out; fail "--mode=aio -o - into a pipe: wrote to the pipe"; }

# Help, usage and version: exit 0, on standard output.
run 0 "$AIOWRITE" --help
has out -- '--output'
has out -- '--queue-depth'
run 0 "$AIOWRITE" --usage
has out '[Uu]sage'
run 0 "$AIOWRITE" --version
has out 'aiowrite-cli.*[0-9]+\.[0-9]+'

# Accepted: --no-progress, and the bounds of -j and -b.
run 0 "$AIOWRITE" --no-progress -o new.img m
[ "$(cat new.img)" = hi ] || fail "--no-progress run wrote '$(cat new.img)'"
rm new.img
run 0 "$AIOWRITE" -j 1 -b 1 -o new.img m
[ "$(cat new.img)" = hi ] || fail "-j 1 -b 1 wrote '$(cat new.img)'"
rm new.img
run 0 "$AIOWRITE" -j 1024 -b 64K -o new.img m
[ "$(cat new.img)" = hi ] || fail "-j 1024 wrote '$(cat new.img)'"
[ "$ncase" -ge 22 ] || fail "only $ncase cases ran"
exit 0

#!/bin/sh
# Where manifest lines come from and what relative paths mean (SPEC §2, §5):
# a manifest file (paths and `output` relative to its directory), standard
# input and -e lines (relative to the current directory), both combined,
# CRLF line ends, and `file -` reading standard input.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

mkdir -p sub/dir
printf 'in-sub' > sub/dir/a
printf 'in-cwd' > a

# A manifest in another directory: its paths and output are relative to it.
printf 'output out.img\nfile a\n' > sub/dir/m
run 0 "$AIOWRITE" sub/dir/m
[ "$(cat sub/dir/out.img)" = in-sub ] || fail "manifest-relative paths"
[ ! -e out.img ] || fail "output directive resolved against the cwd"
# -o wins over the output directive, and is relative to the cwd.
run 0 "$AIOWRITE" sub/dir/m -o o1
[ "$(cat o1)" = in-sub ] || fail "-o"

# Standard input and -e: relative to the current directory.
printf 'file a\n' | "$AIOWRITE" - -o o2 >out 2>err || fail "manifest on stdin"
[ "$(cat o2)" = in-cwd ] || fail "stdin-relative paths"
has out '^o2: 1 fragment, '
run 0 "$AIOWRITE" -e 'file a' -e 'data "!"' -o o3
[ "$(cat o3)" = 'in-cwd!' ] || fail "-e lines"
# A manifest plus -e lines: the file's lines first; each keeps its directory.
run 0 "$AIOWRITE" sub/dir/m -e 'file a' -o o4
[ "$(cat o4)" = in-subin-cwd ] || fail "manifest then -e"
# Errors in -e lines are placed by their count.
run 2 "$AIOWRITE" -e 'data x' -e 'dat y' -o o5
has err "^<command-line>:2:1: unknown kind 'dat' \(did you mean 'data'\?\)"
printf 'data x\nbogus\n' | "$AIOWRITE" - -o o6 >out 2>err && fail "bad stdin manifest accepted"
has err "^<stdin>:2:1: unknown kind 'bogus'"

# CRLF manifests read like LF ones.
printf 'data "one"\r\n# comment\r\n\r\nhex 0a\r\n' > crlf
run 0 "$AIOWRITE" crlf -o o7
printf 'one\n' > want; same o7 want

# `file -` reads standard input; successive fragments take successive
# ranges; skip= discards bytes first.
printf '0123456789abcdef' > in
"$AIOWRITE" -e 'file - len=4' -e 'data "|"' -e 'file - skip=2 len=3' -e 'data "|"' -e 'file -' \
	-o o8 <in >out 2>err || { cat err; fail "file - from a regular file"; }
[ "$(cat o8)" = '0123|678|9abcdef' ] || fail "file - ranges: $(cat o8)"
# Standard input cannot be the manifest and a source at once.
printf 'file -\n' | "$AIOWRITE" - -o o9 >out 2>err && fail "file - with the manifest on stdin"
has err "^<stdin>:1:1: 'file -' reads standard input, which holds the manifest"
[ ! -e o9 ] || fail "target created"
# A source too short for its len is refused before anything is written.
"$AIOWRITE" -e 'file - len=100' -o o10 <in >out 2>err && fail "short stdin accepted"
has err "too short"
[ ! -e o10 ] || fail "target created"

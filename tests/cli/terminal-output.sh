#!/bin/sh
# No binary on a terminal (SPEC §11): binary output (no filter, xor, gzip)
# to standard output that is a terminal is refused with exit 2 unless -o -
# is given; text (-f hex last) goes through; so does anything with -o -.
# The terminal is a real one, from script(1).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs script:bsdutils

# on_tty CMD: run CMD with its standard output on a terminal; the
# terminal's text in ./screen, the exit status in $rc.
on_tty() {
	script -qec "$1" /dev/null > screen
	rc=$?
}

on_tty "\"$AIOWRITE\" -e 'data \"zqzq\"' --report=none"
[ "$rc" = 2 ] || { cat -v screen; fail "binary to a terminal: exit $rc, expected 2"; }
grep -q 'standard output is a terminal' screen || { cat -v screen; fail "no message"; }
grep -q zqzq screen && fail "the bytes reached the terminal"

for f in "-f xor:5a" "-f gzip" "-f hex -f gzip"; do
	on_tty "\"$AIOWRITE\" -e 'data \"zqzq\"' $f --report=none"
	[ "$rc" = 2 ] || fail "$f to a terminal: exit $rc, expected 2"
done

on_tty "\"$AIOWRITE\" -e 'data \"zqzq\"' -f hex --report=none"
[ "$rc" = 0 ] || { cat -v screen; fail "-f hex to a terminal: exit $rc"; }
grep -q '^7a717a71' screen || { cat -v screen; fail "-f hex output not on the terminal"; }

on_tty "\"$AIOWRITE\" -e 'data \"zqzq\"' -o - --report=none"
[ "$rc" = 0 ] || { cat -v screen; fail "-o - to a terminal: exit $rc"; }
grep -q zqzq screen || fail "-o -: the bytes did not reach the terminal"

# Not a terminal: standard output redirected is used as it is.
run 0 "$AIOWRITE" -e 'data "zqzq"' --report=none
[ "$(cat out)" = zqzq ] || fail "to a file: wrong bytes"
exit 0

#!/bin/sh
# popt conventions (issue: a tool people like): --help in option groups
# with examples at the end, --usage, aliases from ~/.popt honoured, and an
# unknown option answered with what was probably meant.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

run 0 "$AIOWRITE" --help
for group in Target: Engine: Filters: Report: Safety: Examples:; do
	has out "^$group"
done
has out "^  aiowrite-cli fw.manifest -o fw.bin"
run 0 "$AIOWRITE" --usage
has out '^Usage: aiowrite-cli'

# An alias in ~/.popt (popt's own file format), in a HOME of the test's.
HOME=$T; export HOME
printf 'aiowrite-cli alias --replace --force --report=json\n' > "$T/.popt"
printf 'old' > t.img
run 0 "$AIOWRITE" --replace -e 'data "new"' -o t.img
[ "$(cat t.img)" = new ] || fail "the alias did not expand to --force"
[ "$(json out summary exit)" = 0 ] || fail "the alias did not expand to --report=json"

# Suggestions for misspelt options, kinds, keys and filters.
run 2 "$AIOWRITE" --forse -e 'data x' -o x.img
has err "^aiowrite-cli: --forse: unknown option \(did you mean --force\?\)"
run 2 "$AIOWRITE" --queue-dept=4 -e 'data x' -o x.img
has err "did you mean --queue-depth\?"
run 2 "$AIOWRITE" -e 'fil 1 len=1' -o x.img
has err "did you mean 'file'\?"
run 2 "$AIOWRITE" -e 'fill 1 lne=1' -o x.img
has err "did you mean 'len'\?"
run 2 "$AIOWRITE" -e 'data x' -f hexx -o x.img
has err "did you mean 'hex'\?"
[ ! -e x.img ] || fail "a refused run created the target"

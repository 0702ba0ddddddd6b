#!/bin/sh
# README.md names every Debian package scripts/deps installs, in the group
# scripts/deps puts it in (build or tests), and no other: the list a user
# without root installs by hand is the one the machine would get.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

case $0 in /*) here=$(dirname "$0") ;; *) here=$OLDPWD/$(dirname "$0") ;; esac
top=$(cd "${TESTS_DIR:-$here/..}/.." && pwd)
deps=$top/scripts/deps
readme=$top/README.md
[ -f "$deps" ] && [ -f "$readme" ] || fail "no $deps or $readme"

# The README's paragraph: from "Not root?" to the next blank line, joined.
awk '/^Not root\?/ {on = 1} on && /^$/ {exit} on' "$readme" | tr '\n' ' ' >para
[ -s para ] || fail "README.md has no paragraph starting 'Not root?'"
for group in build tests; do
	sed -n "s/^need $group  *\([^ ]*\) .*/\1/p" "$deps" | sort >"deps.$group"
	[ -s "deps.$group" ] || fail "scripts/deps has no '$group' packages"
done
# The two lists in it, each `...` in parentheses, in that order: build, tests.
grep -o '(`[^`]*`)' para | tr -d '()`' >lists
[ "$(wc -l <lists)" = 2 ] || { cat para; fail "README.md: not two package lists in the 'Not root?' paragraph"; }
sed -n 1p lists | tr ' ' '\n' | sort >readme.build
sed -n 2p lists | tr ' ' '\n' | sort >readme.tests
for group in build tests; do
	cmp -s "deps.$group" "readme.$group" ||
		{ diff "deps.$group" "readme.$group"; fail "README.md's $group packages differ from scripts/deps' (< deps, > README)"; }
done
note "$(wc -l <deps.build) build and $(wc -l <deps.tests) test packages, the same in README.md"
exit 0

#!/bin/sh
# Fuzz regressions: every input the fuzzer (scripts/fuzz, make fuzz) ever
# found a crash with lives in tests/fuzz/regressions/.  Each goes through
# the parser via the binary, `aiowrite-cli -n FILE` (a dry run: nothing is
# written), under `timeout 20`: the exit status must be 0 or 2, never a
# signal, a sanitizer's exit or a hang.  When the fuzz target has been built
# (build/fuzz/fuzz_manifest), each input also runs through it, so the
# parser's properties are checked too.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

regressions=${TESTS_DIR:-$(dirname "$0")/..}/fuzz/regressions
[ -d "$regressions" ] || fail "no $regressions"
needs timeout:coreutils
fuzz_bin=$(dirname "$AIOWRITE")/fuzz/fuzz_manifest
[ -x "$fuzz_bin" ] || fuzz_bin=

n=0
for f in "$regressions"/*; do
	[ -f "$f" ] || continue
	case $(basename "$f") in README*) continue ;; esac
	n=$((n + 1))
	name=$(basename "$f")
	# In the test's directory, so relative sources resolve here.
	cp "$f" "./$name"
	timeout 20 "$AIOWRITE" -n "$name" > out 2> err < /dev/null
	rc=$?
	case $rc in
	0 | 2) ;;
	124) fail "$name: still running after 20 s" ;;
	*) echo "stderr:"; head -c 3000 err; fail "$name: exit status $rc (0 or 2 expected)" ;;
	esac
	if [ -n "$fuzz_bin" ]; then
		timeout 20 "$fuzz_bin" "$name" > fuzz.out 2>&1 < /dev/null ||
			{ tail -n 40 fuzz.out; fail "$name: the fuzz target fails on it"; }
	fi
	rm -f "$name"
done
note "$n regression inputs${fuzz_bin:+, also through $fuzz_bin}"
exit 0

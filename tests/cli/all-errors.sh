#!/bin/sh
# All errors at once (SPEC §11): every manifest and source error of a run is
# reported, each "FILE:LINE:COL: message", sorted by place (source errors,
# found after the parse, among the parse errors), at most 50 and then one
# line saying how many more; exit 2, the target untouched.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

randfile keep 4096
cp keep target
randfile src.bin 100
cat > m <<'M'
data "ok"
fil 3
file nosuch.bin
data "x" at=+1
zero len=x
file src.bin len=200
hex 0g
M
run 2 "$AIOWRITE" --force -o target m -e 'bogus' -e 'file missing-too'
cmp -s target keep || fail "the target changed"
[ ! -s out ] || fail "something on standard output"
cat > want <<'W'
m:2:1: unknown kind 'fil' (did you mean 'file'?)
m:3:1: cannot open 'nosuch.bin': No such file or directory
m:5:10: not a number: 'x'
m:6:1: 'src.bin' is too short: skip=0 len=200 needs 200 bytes, it has 100
m:7:6: bad hex digit 'g'
<command-line>:1:1: unknown kind 'bogus'
<command-line>:2:1: cannot open 'missing-too': No such file or directory
W
diff want err || fail "the errors are not all there, in order"

# Sixty bad lines: fifty reported, in order, then how many more.
i=1
while [ $i -le 60 ]; do echo "nope$i"; i=$((i + 1)); done > many
run 2 "$AIOWRITE" -o target --force many
[ "$(wc -l < err)" = 51 ] || { cat err; fail "not 50 errors and a last line"; }
[ "$(head -n 1 err)" = "many:1:1: unknown kind 'nope1'" ] || fail "the first error is not line 1's"
[ "$(sed -n 50p err)" = "many:50:1: unknown kind 'nope50'" ] || fail "the 50th error is not line 50's"
has err '^aiowrite-cli: 10 more errors not shown$'

# The fifty kept are the first fifty by place, whatever order they were
# found in: sixty missing sources after a bad line 61 (found first).
i=1
while [ $i -le 60 ]; do echo "file gone$i"; i=$((i + 1)); done > late
echo "bad" >> late
run 2 "$AIOWRITE" -o target --force late
[ "$(head -n 1 err)" = "late:1:1: cannot open 'gone1': No such file or directory" ] ||
	{ head -n 3 err; fail "the first error is not line 1's"; }
has err '^aiowrite-cli: 11 more errors not shown$'
grep -q "late:61:" err && fail "line 61's error was kept over the first fifty"
cmp -s target keep || fail "the target changed"

# Sorted by place in reading order: an included file's errors where the
# include line reads them, nested includes too, a second include of the
# same file at its own line.
printf 'bad2\ninclude c.m\nbad4\n' > b.m
printf 'badc1\n' > c.m
printf 'bad1\ninclude b.m\nbad3\ninclude c.m\n' > a.m
run 2 "$AIOWRITE" -o target --force a.m
[ "$(cut -d: -f1-2 err | tr '\n' ' ')" = "a.m:1 b.m:1 c.m:1 b.m:3 a.m:3 c.m:1 " ] ||
	{ cat err; fail "errors are not in reading order"; }
# The first fifty by place are kept in that order too: sixty errors in an
# include on line 2 come before line 3's.
i=1
while [ $i -le 60 ]; do echo "nope$i"; i=$((i + 1)); done > sixty.m
printf 'bad1\ninclude sixty.m\nbad3\n' > top.m
run 2 "$AIOWRITE" -o target --force top.m
[ "$(sed -n 2p err)" = "sixty.m:1:1: unknown kind 'nope1'" ] || { head -n 3 err; fail "include order"; }
grep -q '^top\.m:3:' err && fail "line 3's error was kept over the include's first forty-nine"
exit 0

#!/bin/sh
# Progress on standard error (SPEC §5): through a real terminal (script(1)),
# a large job shows "done of total", a rate, an ETA and the requests in
# flight, redrawn in place and erased at the end; without a terminal, or
# with --no-progress, nothing; --progress forces it anywhere.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs script:bsdutils

job="-e 'fill 1 len=128M' -b 16K -j 1 --report=none"
script -qec "\"$AIOWRITE\" $job -o a.img" /dev/null > screen || fail "run under script"
tr '\r' '\n' < screen > lines
has lines '^[0-9.]+ [KMG]i?B of 128\.0 MiB \([0-9]+%\)  [0-9.]+ [KMG]?i?B/s( +ETA [0-9]+:[0-9]{2})?  [0-9]+ in flight'
# erased at the end: the last thing written is "\r ESC[K"
[ "$(tail -c 4 screen | od -An -tx1 | tr -d ' \n')" = 0d1b5b4b ] || fail "the line is not erased at the end"
[ "$(stat -c %s a.img)" = 134217728 ] || fail "image length"

script -qec "\"$AIOWRITE\" $job --no-progress -o b.img" /dev/null > screen
[ ! -s screen ] || { cat -v screen; fail "--no-progress on a terminal printed"; }
eval "\"\$AIOWRITE\" $job -o c.img" 2> err
[ ! -s err ] || fail "progress without a terminal"
eval "\"\$AIOWRITE\" $job --progress -o d.img" 2> err
has err 'of 128\.0 MiB'
# A small job on a terminal shows none by default.
script -qec "\"$AIOWRITE\" -e 'data \"x\"' --report=none -o e.img" /dev/null > screen
[ ! -s screen ] || fail "a small job showed progress"

#!/bin/sh
# Guarded patches (SPEC §8.5): with --patch, expect=HEX or expect=sha256:HEX
# lets a fragment write only over the bytes it expects; one that finds its
# own bytes there is "unchanged" and not written, so a patch runs twice
# safely; anything else refuses the run before anything is written, naming
# the line, the offset of the first differing byte and the bytes found.
# Without --patch, expect= is a usage error.  Checked with cmp and xxd.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

randfile bin 8192
printf '\165\014' | dd of=bin bs=1 seek=$((0x1f2a)) conv=notrunc status=none	# 75 0c
cp bin orig
put_nops() { printf '\220\220' | dd of=want bs=1 seek=$((0x1f2a)) conv=notrunc status=none; }
cp bin want
put_nops

# First run: the bytes are as expected, the patch is written.
run 0 "$AIOWRITE" --patch -o bin -e 'hex 90 90 at=0x1f2a expect=750c' --report=json
same bin want
[ "$(json out fragment written)" = 2 ] || fail "first run: written is not 2"
[ "$(jq -r 'select(.type=="fragment") | .unchanged // false' out)" = false ] || fail "first run: unchanged"

# Second run: already applied -- unchanged, nothing written, exit 0.
run 0 "$AIOWRITE" --patch -o bin -e 'hex 90 90 at=0x1f2a expect=750c' --report=json
same bin want
[ "$(jq -r 'select(.type=="fragment") | .unchanged' out)" = true ] || { cat out; fail "second run: not unchanged"; }
[ "$(json out fragment written)" = 0 ] || fail "second run: written is not 0"
run 0 "$AIOWRITE" --patch -o bin -e 'hex 90 90 at=0x1f2a expect=750c'
has out ' unchanged$'

# Other bytes there: refused, naming the line, the offset and what was found.
printf '\353\376' | dd of=bin bs=1 seek=$((0x1f2a)) conv=notrunc status=none	# eb fe
cp bin before
run 2 "$AIOWRITE" --patch -o bin -e 'data "x" at=0' -e 'hex 90 90 at=0x1f2a expect=750c'
has err "^<command-line>:2:.*expect=: the target differs at 0x1f2a: found ebfe"
same bin before

# expect=sha256: the digest of the bytes found.
cp orig bin
sum=$(dd if=bin bs=1 skip=$((0x1f2a)) count=2 status=none | sha256sum | cut -c1-64)
run 0 "$AIOWRITE" --patch -o bin -e "hex 90 90 at=0x1f2a expect=sha256:$sum"
same bin want
cp orig bin
run 2 "$AIOWRITE" --patch -o bin -e "hex 90 90 at=0x1f2a expect=sha256:$(echo x | sha256sum | cut -c1-64)"
has err "expect=sha256: the target's 2 bytes at 0x1f2a have another digest"
same bin orig

# The wrong length, and no --patch.
run 2 "$AIOWRITE" --patch -o bin -e 'hex 90 90 at=0x1f2a expect=75'
has err "expect= has 1 bytes, the fragment 2"
run 2 "$AIOWRITE" --force -o bin -e 'hex 90 90 at=0x1f2a expect=750c'
has err "expect= guards a patch: it needs --patch"
same bin orig
exit 0

#!/bin/sh
# --sync=data|full (SPEC §5): after the writes, aio_fsync with O_DSYNC /
# O_SYNC; its outcome is reported as a "sync" record, and a failed sync
# makes the exit status 1.  --sync=none (and the default) has no sync record.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs jq
randfile src.bin 3000000
cat > m <<'M'
data "abc"
file src.bin skip=17 len=2500000
fill 1 len=600K at=+4K
M
# The image, built with printf, dd and tr.
printf 'abc' > want.img
put src.bin 17 2500000 want.img 3
head -c 614400 /dev/zero | tr '\0' '\1' > p; put p 0 614400 want.img 2504099
[ "$(stat -c %s want.img)" = 3118499 ] || fail "want.img is not 3118499 bytes (test bug)"

for mode in data full; do
	rm -f out.img
	run 0 "$AIOWRITE" --sync=$mode --report=json -b 256K m -o out.img
	same out.img want.img
	jq -e . out >/dev/null || { cat out; fail "--sync=$mode: report is not valid JSON Lines"; }
	[ "$(jq -c 'select(.type=="sync")' out | wc -l)" = 1 ] || { cat out; fail "--sync=$mode: not one sync record"; }
	[ "$(jq -c 'select(.type=="sync" and .error==null)' out | wc -l)" = 1 ] || { cat out; fail "--sync=$mode: sync error is not null"; }
	[ "$(json out summary exit)" = 0 ] || fail "--sync=$mode: summary exit is not 0"
	[ "$(json out summary failed)" = 0 ] || fail "--sync=$mode: summary failed is not 0"
	# The sync comes after the fragments, before the summary.
	jq -r .type out | tr '\n' ' ' | grep -Eq '^(fragment )+sync summary $' ||
		{ cat out; fail "--sync=$mode: records are not fragments, sync, summary in that order"; }
done
# The op names the flag it asked for.
run 0 "$AIOWRITE" --sync=data --report=json -e 'data "x"' -o d.img
json out sync op | grep -q 'DSYNC' || { cat out; fail "--sync=data op does not say O_DSYNC"; }
run 0 "$AIOWRITE" --sync=full --report=json -e 'data "x"' -o f.img
json out sync op | grep -q 'DSYNC' && { cat out; fail "--sync=full op says O_DSYNC"; }
# The text report says the sync went well.
run 0 "$AIOWRITE" --sync=data -e 'data "x"' -o t.img
has out 'sync'

# --sync=none and no --sync: no sync record, and the output is the same.
for opt in --sync=none ''; do
	rm -f out.img
	# shellcheck disable=SC2086
	run 0 "$AIOWRITE" $opt --report=json m -o out.img
	same out.img want.img
	[ "$(jq -c 'select(.type=="sync")' out | wc -l)" = 0 ] || { cat out; fail "'$opt': a sync record without a sync"; }
done

# Where strace works, the sync really is fdatasync / fsync, after the last write.
if command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
	for mode in data full; do
		rm -f out.img
		# LeakSanitizer cannot run under ptrace: off for this run in sanitizer builds.
		ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=pwrite64,fsync,fdatasync -o trace "$AIOWRITE" --sync=$mode --report=none -b 256K m -o out.img ||
			fail "--sync=$mode under strace failed"
		same out.img want.img
		want=fdatasync; [ $mode = full ] && want=fsync
		last=$(grep -E ' (pwrite|pwrite64|fsync|fdatasync)\(' trace | grep -v 'resumed>' | tail -n 1)
		echo "$last" | grep -Eq " $want\(" || { cat trace; fail "--sync=$mode: the last call is not $want: $last"; }
	done
else
	note "strace does not work here: the system-call check is not run"
fi

# A target with nothing to synchronise (/dev/null, a pipe: fsync says
# EINVAL) counts as synced: exit 0, a sync record without an error.  A sync
# that really fails (EIO) is tests/cli/fault-eio-loop.sh.
for mode in data full; do
	run 0 "$AIOWRITE" --sync=$mode --report=json -e 'data "x"' -o /dev/null
	[ "$(json out sync error)" = null ] || { cat out; fail "--sync=$mode into /dev/null: sync error"; }
	{ "$AIOWRITE" --sync=$mode --report=json -e 'data "x"' -o - 2>rep; echo $? > rc; } | cat > /dev/null
	[ "$(cat rc)" = 0 ] || { cat rep; fail "--sync=$mode into a pipe: exit $(cat rc)"; }
	[ "$(json rep sync error)" = null ] || { cat rep; fail "--sync=$mode into a pipe: sync error"; }
done
exit 0

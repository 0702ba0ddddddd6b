#!/bin/sh
# --atomic: the result is built in a temporary file beside the target and
# renamed over it only when complete; whatever happens -- a manifest error,
# a full disk, SIGTERM, kill -9 at a random moment -- the target is exactly
# the old file or exactly the new one.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs jq

leftovers() { ls -a "$1" | grep -c '\.aiowrite-.*\.tmp$'; }

# A new target; then a replacement keeps the old mode.
run 0 "$AIOWRITE" --atomic -e 'data "new"' -e 'zero len=1M' -o t.img --report=json
printf new > want; truncate -s $((3 + 1048576)) want
same t.img want
[ "$(json out commit error)" = null ] || fail "commit record"
chmod 640 t.img
run 0 "$AIOWRITE" --atomic --force -e 'data "two"' -o t.img
[ "$(cat t.img)" = two ] || fail "replace"
[ "$(stat -c %a t.img)" = 640 ] || fail "mode not kept: $(stat -c %a t.img)"
[ "$(leftovers .)" = 0 ] || fail "temporary file left"
# --patch starts from a copy of the old target.
randfile old.img 100000; cp old.img t.img; cp old.img want
run 0 "$AIOWRITE" --atomic --patch -e 'data "PATCH" at=500' -o t.img
printf PATCH > p; put p 0 5 want 500
same t.img want
# Refusals leave everything as it was.
run 2 "$AIOWRITE" --atomic -e 'data "x"' -o t.img
same t.img want
run 2 "$AIOWRITE" --atomic --force -e 'file missing' -o t.img
same t.img want
run 2 "$AIOWRITE" --atomic -e 'data "x"' -o -
has err "atomic needs a regular file"
[ "$(leftovers .)" = 0 ] || fail "temporary file left after refusals"

# A full file system: the old target survives, the temporary file goes.
if [ "$(id -u)" = 0 ] && mkdir mnt && mount -t tmpfs -o size=1M tmpfs mnt 2>/dev/null; then
	at_exit "umount '$T/mnt'"
	printf 'old contents' > mnt/t.img
	run 1 "$AIOWRITE" --atomic --force -e 'fill 1 len=2M' -o mnt/t.img --report=json
	[ "$(cat mnt/t.img)" = 'old contents' ] || fail "ENOSPC: the old target did not survive"
	[ "$(leftovers mnt)" = 0 ] || fail "ENOSPC: temporary file left"
	[ "$(json out summary exit)" = 1 ] || fail "ENOSPC: summary exit"
else
	note "not root or no tmpfs: the ENOSPC case is not run"
fi

# SIGTERM in the middle: exit 143, old target, no temporary file.
head -c 1000 /dev/zero > big.old; cp big.old t.img
env --default-signal=TERM "$AIOWRITE" --atomic --force -e 'fill 7 len=3G' -b 64K -j 1 -o t.img \
	--report=none &
pid=$!
i=0; while [ "$(leftovers .)" = 0 ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
sleep 0.1; kill -TERM $pid
wait $pid; rc=$?
[ $rc = 143 ] || [ $rc = 0 ] || fail "SIGTERM: exit $rc"
if [ $rc = 143 ]; then same t.img big.old; fi
[ "$(leftovers .)" = 0 ] || fail "SIGTERM: temporary file left"

# kill -9 at random moments: the target is always exactly old or new.
head -c 4194304 /dev/zero | tr '\0' 'o' > old4; head -c 4194304 /dev/zero | tr '\0' 'n' > new4
printf 'fill 0x6e len=4M\n' > m
runs=0 olds=0 news=0
while [ $runs -lt 60 ]; do
	cp old4 k.img
	"$AIOWRITE" --atomic --force --sync=data -b 64K -j 2 m -o k.img --report=none &
	pid=$!
	sleep "0.00$(( $(od -An -N1 -tu1 /dev/urandom) % 10 ))"
	kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
	if cmp -s k.img old4; then olds=$((olds + 1))
	elif cmp -s k.img new4; then news=$((news + 1))
	else fail "kill -9 run $runs: the target is neither old nor new"
	fi
	rm -f .k.img.aiowrite-*.tmp
	runs=$((runs + 1))
done
note "kill -9: $runs runs, $olds left the old target, $news the new one"

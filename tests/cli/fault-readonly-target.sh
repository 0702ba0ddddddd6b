#!/bin/sh
# A target that cannot be written (SPEC §5 exit 2, §3 invariant 4): the
# tool cannot open it, says why -- the errno's name or its strerror text
# (EACCES, EPERM, EROFS) -- exits 2, and the target is byte for byte and
# length for length as it was (checked with cmp and stat), with no file
# created and no temporary file left.
#
#  a. permissions: a 0444 file and a directory without write permission,
#     as a user who is not root (as root: run as nobody with setpriv, since
#     permissions do not stop root);
#  b. an immutable file (chattr +i: EPERM even for root) and an append-only
#     one (chattr +a: EPERM for a writer without O_APPEND);
#  c. a read-only file system (a tmpfs remounted read-only, else a read-only
#     bind mount): EROFS for an existing target, a new one and --atomic.
# Each part that the machine cannot do is skipped with a note; the test
# skips when it can do none.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

done_parts=0
skipped=

EACCES='EACCES|Permission denied'
EPERM='EPERM|Operation not permitted'
EROFS='EROFS|Read-only file system'

randfile old.img 300000
printf 'data "NEW"\nfill 7 len=100K\n' > m

# keep DIR: snapshot the files in DIR (names, sizes, mtimes, modes).
keep() { (cd "$1" && find . -mindepth 1 -exec stat -c '%n %s %y %a' {} + | sort) > "$T/keep.list"; }
# unchanged DIR FILE...: the listing is the same and each FILE equals old.img.
unchanged() {
	_d=$1; shift
	(cd "$_d" && find . -mindepth 1 -exec stat -c '%n %s %y %a' {} + | sort) > "$T/now.list"
	cmp -s "$T/keep.list" "$T/now.list" ||
		{ diff "$T/keep.list" "$T/now.list"; fail "$_d changed (files, sizes, mtimes or modes)"; }
	for _f; do same "$_f" "$T/old.img"; done
}
# refused ERRNO-REGEX CMD...: exit 2, a message on stderr naming the errno.
refused() {
	_re=$1; shift
	run 2 "$@"
	grep -Eq "$_re" err || { cat err; fail "$*: the message does not name $_re"; }
}

# a. Permissions.
if [ "$(id -u)" != 0 ]; then
	as_user() { "$@"; }
	who="$(id -un)"
elif command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
     setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups true 2>/dev/null; then
	as_user() { setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups "$@"; }
	who=nobody
	chmod 755 "$T"	# nobody must reach the files (and nothing else is in here)
fi
if command -v as_user >/dev/null 2>&1 && as_user test -x "$AIOWRITE" && as_user test -r m; then
	mkdir perm
	cp old.img perm/ro.img
	chmod 444 perm/ro.img
	chmod 555 perm
	at_exit "chmod 755 '$T/perm'"
	if as_user sh -c 'exec 3>>perm/ro.img' 2>/dev/null; then
		note "as $who a 0444 file is writable: part a is not run"
		skipped="$skipped a(0444 writable)"
	else
		keep perm
		for opts in --force --patch '--atomic --force'; do
			# shellcheck disable=SC2086
			refused "$EACCES" as_user "$AIOWRITE" $opts m -o perm/ro.img
			unchanged perm perm/ro.img
		done
		refused "$EACCES" as_user "$AIOWRITE" m -o perm/new.img
		unchanged perm perm/ro.img
		done_parts=$((done_parts + 1))
	fi
	chmod 755 perm
else
	note "root without setpriv or nobody: part a (permissions) is not run"
	skipped="$skipped a(no-unprivileged-user)"
fi

# b. Immutable and append-only files (root, and a file system with the flags).
if [ "$(id -u)" = 0 ] && command -v chattr >/dev/null && command -v jq >/dev/null; then
	mkdir attr
	cp old.img attr/imm.img
	cp old.img attr/app.img
	at_exit "chattr -i -a '$T/attr/imm.img' '$T/attr/app.img' 2>/dev/null"
	if chattr +i attr/imm.img 2>/dev/null && chattr +a attr/app.img 2>/dev/null; then
		keep attr
		for opts in --force --patch; do
			# shellcheck disable=SC2086
			refused "$EPERM" "$AIOWRITE" $opts m -o attr/imm.img
			unchanged attr attr/imm.img attr/app.img
			# shellcheck disable=SC2086
			refused "$EPERM" "$AIOWRITE" $opts m -o attr/app.img
			unchanged attr attr/imm.img attr/app.img
		done
		# --atomic builds a temporary file beside the target, which works;
		# only the rename over the immutable file fails: an error either way
		# (2 if refused up front, 1 if found at the commit), EPERM named,
		# the old file kept and no temporary file left.
		"$AIOWRITE" --atomic --force m -o attr/imm.img --report=json >out 2>err
		rc=$?
		[ $rc = 1 ] || [ $rc = 2 ] || { cat out err; fail "--atomic over an immutable file: exit $rc"; }
		cat out err | grep -Eq "$EPERM" || { cat out err; fail "--atomic over an immutable file: EPERM not named"; }
		[ $rc = 2 ] || [ "$(json out summary exit)" = 1 ] || fail "--atomic: summary exit is not 1"
		unchanged attr attr/imm.img attr/app.img
		done_parts=$((done_parts + 1))
	else
		note "chattr +i/+a not supported on $(df -P . | awk 'NR==2 {print $1}'): part b is not run"
		skipped="$skipped b(no-chattr)"
	fi
	chattr -i -a attr/imm.img attr/app.img 2>/dev/null
else
	note "not root, or no chattr or jq: part b (immutable file) is not run"
	skipped="$skipped b(not-root)"
fi

# c. A read-only file system.
ro=
if [ "$(id -u)" = 0 ]; then
	mkdir rofs
	if mount -t tmpfs -o size=4m,mode=0755 aiowrite-test rofs 2>/dev/null; then
		at_exit "umount '$T/rofs' 2>/dev/null || umount -l '$T/rofs'"
		cp old.img rofs/t.img
		mount -o remount,ro rofs 2>/dev/null && ro="a tmpfs remounted read-only"
	else
		mkdir rosrc
		cp old.img rosrc/t.img
		if mount --bind rosrc rofs 2>/dev/null; then
			at_exit "umount '$T/rofs' 2>/dev/null || umount -l '$T/rofs'"
			mount -o remount,ro,bind rofs 2>/dev/null && ro="a read-only bind mount"
		fi
	fi
fi
if [ -n "$ro" ] && ! sh -c ": > '$T/rofs/probe'" 2>/dev/null; then
	note "part c: $ro"
	keep rofs
	for opts in --force --patch '--atomic --force' '--atomic --patch'; do
		# shellcheck disable=SC2086
		refused "$EROFS" "$AIOWRITE" $opts m -o rofs/t.img
		unchanged rofs rofs/t.img
	done
	refused "$EROFS" "$AIOWRITE" m -o rofs/new.img
	refused "$EROFS" "$AIOWRITE" --atomic m -o rofs/new.img
	refused "$EROFS" "$AIOWRITE" --mode=stream m -o rofs/new.img
	unchanged rofs rofs/t.img
	[ -e rofs/new.img ] && fail "a new target appeared on a read-only file system"
	done_parts=$((done_parts + 1))
else
	note "not root, or no tmpfs or bind mount: part c (read-only file system) is not run"
	skipped="$skipped c"
fi

[ "$done_parts" -gt 0 ] || skip "no part could run here:$skipped"
[ -n "$skipped" ] && note "skipped:$skipped"
exit 0

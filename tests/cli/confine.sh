#!/bin/sh
# --confine=DIR (SPEC §5): every `file` source must resolve inside DIR.
# Relative paths still resolve against the manifest's directory (SPEC §2),
# which must be DIR or beneath it; `..` may climb while it stays inside DIR;
# absolute paths, `..` or symbolic links leading out, and magic links are
# refused (exit 2, the line and the reason), the target never created or
# changed; `file -` is standard input, not a path, and is allowed.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

mkdir -p d/sub
printf 'AAAA' > d/a.bin
printf 'BBBB' > d/sub/b.bin
printf 'SECRET' > outside.bin
ln -s "$T/outside.bin" d/abs-link	# absolute target, leads out
ln -s ../outside.bin d/rel-link		# relative target, leads out
ln -s a.bin d/in-link			# stays inside
ln -s ../a.bin d/sub/up-link		# climbs, but stays inside
ln -s .. d/out-dir			# a directory leading out
ln -s .. d/sub/up-dir			# a directory, still inside

# refused WHAT PATTERN MANIFEST-ARGS...: exit 2, the message, no target.
refused() {
	_what=$1 _pat=$2; shift 2
	rm -f t
	run 2 "$AIOWRITE" --confine=d "$@" -o t
	has err "$_pat"
	[ ! -e t ] || fail "$_what: target created"
}

# Plain relative paths inside DIR, from a manifest inside DIR.
printf 'file a.bin\nfile sub/b.bin\nfile in-link\n' > d/m1
printf 'AAAABBBBAAAA' > want1
run 0 "$AIOWRITE" --confine=d d/m1 -o o1
same o1 want1
# The same with --confine given as an absolute path, and as DIR/.
run 0 "$AIOWRITE" --confine="$T/d/" d/m1 -o o1b
same o1b want1

# `..` that stays inside DIR (a manifest in DIR/sub), through a path, a
# symbolic link, and a symbolic link to a directory.
printf 'file ../a.bin\nfile b.bin\nfile up-link\nfile up-dir/sub/b.bin\n' > d/sub/m2
printf 'AAAABBBBAAAABBBB' > want2
run 0 "$AIOWRITE" --confine=d d/sub/m2 -o o2
same o2 want2

# `..` leading out.
printf 'data "x"\nfile ../../outside.bin\n' > d/sub/m3
refused "../../" "^d/sub/m3:2:1: '\.\./\.\./outside\.bin' leads outside the confining directory 'd' \(through '\.\.'\)$" d/sub/m3

# Absolute paths: refused even when they name a file inside DIR.
printf 'file /etc/hostname\n' > d/m4
refused "absolute" "^d/m4:1:1: '/etc/hostname' is an absolute path; only relative paths inside the confining directory 'd' are allowed$" d/m4
printf 'file %s/d/a.bin\n' "$T" > d/m4b
refused "absolute inside" "^d/m4b:1:1: '.*/d/a\.bin' is an absolute path" d/m4b
printf 'file /proc/self/root/etc/hostname\n' > d/m4c
refused "magic absolute" "^d/m4c:1:1: '/proc/self/root/etc/hostname' is an absolute path" d/m4c

# Symbolic links inside DIR that point outside: absolute and relative.
printf 'file abs-link\n' > d/m5
refused "absolute symlink" "^d/m5:1:1: 'abs-link' leads outside the confining directory 'd' \(through a symbolic link\)$" d/m5
printf 'file rel-link\n' > d/m6
refused "relative symlink" "^d/m6:1:1: 'rel-link' leads outside the confining directory 'd' \(through a symbolic link\)$" d/m6

# A symbolically linked directory leading out.
printf 'file out-dir/outside.bin\n' > d/m7
refused "symlinked directory" "^d/m7:1:1: 'out-dir/outside\.bin' leads outside the confining directory 'd' \(through a symbolic link\)$" d/m7

# A refusal leaves an existing target exactly as it was, even with --force.
printf 'keep me' > kept; cp kept kept.orig
run 2 "$AIOWRITE" --confine=d --force d/m5 -o kept
has err "leads outside the confining directory"
same kept kept.orig

# A missing file inside DIR is the usual error.
printf 'file nothere.bin\n' > d/m8
refused "missing" "^d/m8:1:1: cannot open 'nothere\.bin': No such file or directory$" d/m8

# A manifest outside DIR: its directory is not inside DIR.
printf 'file d/a.bin\n' > m9
refused "manifest outside" "^m9:1:1: 'd/a\.bin' leads outside the confining directory 'd': it is relative to the manifest's directory '\.', which is not inside it$" m9

# `file -` is standard input, not a path.
printf 'stdin!' > in
run 0 "$AIOWRITE" --confine=d -e 'data "<"' -e 'file -' -o o10 <in
[ "$(cat o10)" = '<stdin!' ] || fail "file - under --confine: $(cat o10)"

# -e lines resolve against the current directory, which must be inside DIR.
run 0 "$AIOWRITE" --confine=. -e 'file d/a.bin' -o o11
printf 'AAAA' > want11; same o11 want11
rm -f t
(cd d && "$AIOWRITE" --confine=. -e 'file ../outside.bin' -o ../t) >out 2>err
[ $? = 2 ] || { cat err; fail "-e ../ under --confine=.: not exit 2"; }
has err "^<command-line>:1:1: '\.\./outside\.bin' leads outside the confining directory '\.' \(through '\.\.'\)$"
[ ! -e t ] || fail "-e ../: target created"
refused "-e outside" "^<command-line>:1:1: 'a\.bin' leads outside the confining directory 'd': it is relative to the current directory, which is not inside it$" -e 'file a.bin'

# A DIR that cannot be opened is an error.
rm -f t
run 2 "$AIOWRITE" --confine=no-such-dir d/m1 -o t
has err "^aiowrite-cli: --confine: cannot use directory 'no-such-dir': No such file or directory$"
[ ! -e t ] || fail "missing DIR: target created"
run 2 "$AIOWRITE" --confine=d/a.bin d/m1 -o t
has err "^aiowrite-cli: --confine: cannot use directory 'd/a\.bin': Not a directory$"
[ ! -e t ] || fail "DIR a file: target created"

# Magic links: with DIR = /proc/PID (this shell's), `root` and `fd/N`
# are magic links.  (Where openat2 is missing, the user-space walk refuses
# them as symbolic links with absolute targets.)
if [ -d "/proc/$$/fd" ]; then
	for p in root/etc/hostname fd/0; do
		rm -f t
		(cd "/proc/$$" && "$AIOWRITE" --confine=. -e "file $p" -o "$T/t") >out 2>err
		[ $? = 2 ] || { cat err; fail "magic link $p: not exit 2"; }
		has err "^<command-line>:1:1: '$p' (goes through a magic link|leads outside the confining directory)"
		[ ! -e t ] || fail "magic link $p: target created"
	done
else
	note "no /proc: magic link cases not run"
fi

# Without --confine nothing changes: the same manifests work.
run 0 "$AIOWRITE" d/sub/m3 -o o12
[ "$(cat o12)" = xSECRET ] || fail "without --confine"

# An `include` or an `output` line of a confined manifest is held to DIR as
# its sources are: an include outside (.., absolute, a symbolic link out) is
# refused before it is read; an output line outside is refused (-o, which
# is the user's, is not), and one inside works.
printf 'NOTAMANIFEST\n' > outside.m
printf 'data "in"\n' > d/inner.m
ln -s ../outside.m d/link.m
for inc in ../outside.m "$T/outside.m" link.m; do
	printf 'include %s\n' "$inc" > d/inc.m
	run 2 "$AIOWRITE" --confine=d d/inc.m -o inc.out
	has err "^d/inc\.m:1:9: cannot include '.*': it is outside --confine's directory$"
	grep -q NOTAMANIFEST err && fail "include $inc: the outside file was read"
	[ ! -e inc.out ] || fail "include $inc: target created"
done
printf 'include inner.m\n' > d/inc.m
run 0 "$AIOWRITE" --confine=d d/inc.m -o inc.out --report=none
[ "$(cat inc.out)" = in ] || fail "an include inside DIR"
printf 'output ../evil.bin\ndata "x"\n' > d/out.m
run 2 "$AIOWRITE" --confine=d d/out.m --report=none
has err "^d/out\.m:1:1: 'output' names 'd/\.\./evil\.bin', outside --confine's directory; give -o$"
[ ! -e evil.bin ] || fail "output outside DIR: written"
run 0 "$AIOWRITE" --confine=d d/out.m -o mine.bin --report=none
printf 'output sub/good.bin\ndata "x"\n' > d/out.m
run 0 "$AIOWRITE" --confine=d d/out.m --report=none
[ "$(cat d/sub/good.bin)" = x ] || fail "output inside DIR"
exit 0

#!/bin/sh
# `make install DESTDIR=... PREFIX=/usr/local` puts exactly the program, its
# man pages (sections 1, 3, 5), the bash completion, libiob.a, iob.h and
# iob.pc under DESTDIR, each the same as in the tree; a C program builds
# against the installed library with the flags of `pkg-config iob` and
# writes the right bytes through iob_write; every installed page renders
# without a warning and is found by man; `make uninstall` with the same
# DESTDIR and PREFIX leaves no file behind.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

top=$(cd "$TESTS_DIR/.." && pwd)
bdir=$(cd "$(dirname "$AIOWRITE")" && pwd)
case $bdir in
*/san | */san/*) skip "a sanitizer build: make install is tested on the plain build" ;;
"$top"/*) build=${bdir#"$top"/} ;;
*) skip "$AIOWRITE is not built in $top" ;;
esac
needs make cc:gcc pkg-config groff:groff-base

# mk LOG TARGET VAR=VALUE...: make TARGET in the tree, into the same build.
mk() {
	_log=$1; shift
	make -C "$top" --no-print-directory BUILD="$build" "$@" >"$_log" 2>&1 ||
		{ cat "$_log"; fail "make $* failed"; }
}

root=$T/root
prefix=/usr/local
dest=$root$prefix
mk install.log install DESTDIR="$root" PREFIX=$prefix

# What must be there: path under PREFIX, the file it comes from, its mode.
: >want.txt
want() { printf '%s %s %s\n' "$1" "$2" "$3" >>want.txt; }
want bin/aiowrite-cli "$AIOWRITE" 755
want lib/libiob.a "$bdir/libiob.a" 644
want include/iob.h "$top/src/iob.h" 644
want share/bash-completion/completions/aiowrite-cli "$top/completion/aiowrite-cli.bash" 644
want lib/pkgconfig/iob.pc - 644
npages=0
for page in "$top"/man/*.[135]; do
	name=${page##*/}
	want "share/man/man${name##*.}/$name" "$page" 644
	npages=$((npages + 1))
done
[ "$npages" -ge 3 ] || fail "only $npages man pages in $top/man"

while read -r path src mode; do
	[ -f "$dest/$path" ] || fail "make install did not install $prefix/$path"
	[ "$src" = - ] || cmp -s "$src" "$dest/$path" || fail "$prefix/$path differs from $src"
	got=$(stat -c %a "$dest/$path")
	[ "$got" = "$mode" ] || fail "$prefix/$path has mode $got, expected $mode"
done <want.txt
(cd "$root" && find . ! -type d | sed 's|^\./||' | sort) >installed.txt
sed "s|^|${prefix#/}/|; s| .*||" want.txt | sort >expected.txt
cmp -s expected.txt installed.txt || { diff expected.txt installed.txt; fail "make install installs other files than expected"; }

# The installed program runs.
"$dest/bin/aiowrite-cli" --version >version.txt || fail "the installed aiowrite-cli does not run"
version=$(sed -n 's/^aiowrite-cli \([^ ]*\)$/\1/p' version.txt)
[ -n "$version" ] || { cat version.txt; fail "no version in 'aiowrite-cli --version'"; }

# iob.pc: PREFIX substituted, nothing left to substitute, the same version.
pc=$dest/lib/pkgconfig/iob.pc
has "$pc" "^prefix=$prefix\$"
! grep -n '@' "$pc" || fail "iob.pc still holds @...@"
PKG_CONFIG_PATH=$dest/lib/pkgconfig
PKG_CONFIG_LIBDIR=$dest/lib/pkgconfig
export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR
[ "$(pkg-config --modversion iob)" = "$version" ] ||
	fail "pkg-config says iob is version '$(pkg-config --modversion iob)', aiowrite-cli --version '$version'"
[ "$(pkg-config --variable=libdir iob)" = "$prefix/lib" ] || fail "iob.pc: libdir is $(pkg-config --variable=libdir iob)"
flags=$(pkg-config --define-prefix --cflags --libs iob) || fail "pkg-config --define-prefix --cflags --libs iob failed"
for flag in "-I$dest/include" "-L$dest/lib" -liob; do
	case " $flags " in
	*" $flag "*) ;;
	*) fail "pkg-config gives '$flags', without $flag" ;;
	esac
done

# A program against the installed header and library only: iob_adds and
# iob_addfill through iob_write, with a callback that takes at most 5
# bytes a call and records every byte it is given.
cat >prog.c <<'EOF'
#include <iob.h>
#include <stdio.h>
#include <string.h>

static unsigned char got[1 << 20];
static uint64_t ngot;
static unsigned long calls;

static int64_t take(int64_t s, const void *buf, uint64_t n)
{
	if (s != 42 || n == 0 || ngot + n > sizeof got)
		return -1;
	if (n > 5)
		n = 5;
	memcpy(got + ngot, buf, n);
	ngot += n;
	calls++;
	return (int64_t)n;
}

int main(void)
{
	io_batch *b = iob_new(4);
	int64_t r;

	if (!b || !iob_adds(b, "hello, iob") || !iob_addfill(b, 0xa5, 300000) ||
	    !iob_adds(b, "\n") || !iob_addfill(b, 'z', 3)) {
		fprintf(stderr, "prog: adding failed\n");
		return 1;
	}
	if (iob_bytesleft(b) != 10 + 300000 + 1 + 3) {
		fprintf(stderr, "prog: iob_bytesleft says %llu\n", (unsigned long long)iob_bytesleft(b));
		return 1;
	}
	while ((r = iob_write(42, b, take)) > 0)
		;
	if (r != 0 || iob_bytesleft(b) != 0) {
		fprintf(stderr, "prog: iob_write returned %lld\n", (long long)r);
		return 1;
	}
	iob_free(b);
	fwrite(got, 1, ngot, stdout);
	fprintf(stderr, "prog: %llu bytes in %lu calls\n", (unsigned long long)ngot, calls);
	return 0;
}
EOF
# shellcheck disable=SC2086 # the flags are words
cc -std=c17 -Wall -Wextra -Werror -o prog prog.c $flags >cc.log 2>&1 || { cat cc.log; fail "cannot build against the installed library: cc prog.c $flags"; }
./prog >prog.out 2>prog.err || { cat prog.err; fail "the program built against the installed library failed"; }
{ printf 'hello, iob'; head -c 300000 /dev/zero | tr '\0' '\245'; printf '\nzzz'; } >prog.want
same prog.want prog.out
has prog.err ' in [0-9]{5,} calls$'

# The completion loads in bash, under the name bash-completion looks for.
if command -v bash >/dev/null 2>&1; then
	bash --norc --noprofile -c '. "$1" && complete -p aiowrite-cli' sh \
		"$dest/share/bash-completion/completions/aiowrite-cli" >complete.txt 2>&1 ||
		{ cat complete.txt; fail "the installed completion does not load"; }
	has complete.txt 'aiowrite-cli$'
fi

# Every installed page renders without a warning, and man finds it there.
for page in "$dest"/share/man/man?/*; do
	groff -mandoc -ww -Tutf8 -P-cbou "$page" >rendered.txt 2>groff.err || fail "groff fails on $page"
	[ -s groff.err ] && { cat groff.err; fail "groff warns on $page"; }
	name=${page##*/}
	has rendered.txt "^NAME"
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 man -l "$page" >man.txt 2>man.err || { cat man.err; fail "man -l $page failed"; }
		grep -q "^NAME" man.txt || { cat man.err; fail "man -l $page renders no NAME"; }
		[ "$(man -M "$dest/share/man" -w "${name##*.}" "${name%.*}" 2>&1)" = "$page" ] ||
			fail "man -M $prefix/share/man does not find ${name%.*}(${name##*.}) at $page"
	fi
done

# make uninstall removes every file again.
mk uninstall.log uninstall DESTDIR="$root" PREFIX=$prefix
left=$(find "$root" ! -type d)
[ -z "$left" ] || { echo "$left"; fail "make uninstall left files behind"; }

# Another PREFIX ends up in iob.pc and in every path, and goes again.
mk install2.log install DESTDIR="$T/root2" PREFIX=/opt/aiowrite
has "$T/root2/opt/aiowrite/lib/pkgconfig/iob.pc" '^prefix=/opt/aiowrite$'
[ -f "$T/root2/opt/aiowrite/share/bash-completion/completions/aiowrite-cli" ] || fail "PREFIX=/opt/aiowrite: no completion"
[ -z "$(find "$T/root2" ! -type d ! -path "$T/root2/opt/aiowrite/*")" ] || fail "PREFIX=/opt/aiowrite: files outside the prefix"
mk uninstall2.log uninstall DESTDIR="$T/root2" PREFIX=/opt/aiowrite
[ -z "$(find "$T/root2" ! -type d)" ] || fail "PREFIX=/opt/aiowrite: make uninstall left files behind"

#!/bin/sh
# Every recipe of the README's "## Cookbook" runs as it stands and does what
# its text says.  Each code block there follows a `<!-- recipe: NAME -->`
# line; the block is run with sh -e in a directory of its own, holding the
# inputs this test makes for it, with `aiowrite-cli` first in PATH, and its
# result is checked with other tools (cmp, dd, xxd, od, gzip, tar, jq).
# A recipe without a check here, or a check without its recipe, fails.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs xxd jq gzip tar od:coreutils
readme=$TESTS_DIR/../README.md

# The Cookbook section: after ## Examples, up to the next ## heading.
awk '/^## /{on = ($0 == "## Cookbook")} on' "$readme" >cookbook.md
[ -s cookbook.md ] || fail "README.md has no '## Cookbook' section"
ex=$(grep -n '^## Examples$' "$readme" | cut -d: -f1)
cb=$(grep -n '^## Cookbook$' "$readme" | cut -d: -f1)
[ -n "$ex" ] && [ "$ex" -lt "$cb" ] || fail "the Cookbook does not come after the Examples"

# recipes/NAME.sh: the ```sh block right after <!-- recipe: NAME -->.
mkdir recipes
awk '
	/^<!-- recipe: [a-z0-9-]+ -->$/ { name = $3; want = 1; next }
	want && /^```sh$/ { file = "recipes/" name ".sh"; printf "" > file; want = 0; inblock = 1; next }
	want { print "recipe " name ": no ```sh block right after its marker"; bad = 1; want = 0 }
	inblock && /^```$/ { inblock = 0; close(file); next }
	inblock { print > file }
	END { if (inblock) { print "recipe " name ": the block does not end"; bad = 1 } exit bad }
' cookbook.md || fail "README.md: a recipe block is malformed"
blocks=$(grep -c '^```sh$' cookbook.md)
nrecipes=$(ls recipes | wc -l)
[ "$blocks" -eq "$nrecipes" ] || fail "the Cookbook has $blocks sh blocks, $nrecipes of them marked as recipes"

names="firmware disk-uuid patch chunks pipelines json-report sdcard"
for name in $names; do
	[ -s "recipes/$name.sh" ] || fail "README.md has no recipe '$name'"
done
for f in recipes/*.sh; do
	name=$(basename "$f" .sh)
	case " $names " in *" $name "*) ;; *) fail "recipe '$name' in README.md is not checked by this test" ;; esac
done

mkdir bin
ln -s "$AIOWRITE" bin/aiowrite-cli
PATH=$T/bin:$PATH
export PATH

# recipe NAME: run it in NAME/ (already made, with its inputs), output in
# NAME/out and NAME/err; then the caller checks, in NAME/.
recipe() {
	note "recipe $1"
	cd "$T/$1" || exit 1
	if ! sh -e "$T/recipes/$1.sh" >out 2>err; then
		sed 's/^/    /' "$T/recipes/$1.sh"; echo "stdout:"; cat out; echo "stderr:"; cat err
		fail "recipe '$1' failed"
	fi
}

# ff N: N bytes of 0xff.
ff() { head -c "$1" /dev/zero | tr '\0' '\377'; }

# --- firmware: 1 MiB of 0xff, the bootloader at 0, the kernel at 64 KiB.
mkdir firmware && cd firmware || exit 1
randfile bootloader.bin 3000
randfile kernel.bin 20000
ff 1048576 >want
put bootloader.bin 0 3000 want 0
put kernel.bin 0 20000 want 65536
recipe firmware
same want firmware.img
recipe firmware    # again, over the old image
same want firmware.img

# --- disk-uuid: DSK1 and a version 4 UUID in the header, nothing else
# changed; the last line printed is the UUID.
cd "$T" && mkdir disk-uuid && cd disk-uuid || exit 1
randfile disk.img 1048576
cp disk.img disk.orig
recipe disk-uuid
[ "$(stat -c %s disk.img)" -eq 1048576 ] || fail "disk-uuid: disk.img changed its size"
[ "$(head -c 4 disk.img)" = DSK1 ] || fail "disk-uuid: no DSK1 at 0"
[ "$(bytes disk.img 4 12)" = "$(bytes disk.orig 4 12)" ] || fail "disk-uuid: bytes 4..15 changed"
tail -c +33 disk.img >rest.new
tail -c +33 disk.orig >rest.old
same rest.old rest.new
uuid=$(od -An -tx1 -j16 -N16 disk.img | tr -d ' \n')
[ "$uuid" != "$(od -An -tx1 -j16 -N16 disk.orig | tr -d ' \n')" ] || fail "disk-uuid: the UUID bytes did not change"
printf '%s\n' "$uuid" | grep -Eq '^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$' ||
	fail "disk-uuid: $uuid is not a random (version 4) UUID"
printed=$(echo "$uuid" | awk '{ print substr($0,1,8) "-" substr($0,9,4) "-" substr($0,13,4) "-" substr($0,17,4) "-" substr($0,21) }')
[ "$(tail -n 1 out)" = "$printed" ] || { cat out; fail "disk-uuid: the last line is not the UUID $printed"; }
has out '^00000000: 4453 4b31 '

# --- patch: 90 90 at 0x4f2a and "v2.1\0" at 0x200, nothing else changed.
cd "$T" && mkdir patch && cd patch || exit 1
randfile app.bin 32768
cp app.bin want
printf '\220\220' >nops
printf 'v2.1\000' >version
put nops 0 2 want $((0x4f2a))
put version 0 5 want $((0x200))
recipe patch
same want app.bin
has out '^00000200: 7632 2e31 00'
has out '^00004f28: [0-9a-f]{4} 9090 '

# --- chunks: parts named by their byte ranges make the whole file again;
# a part that came in short is refused (len=), and no big.iso is made.
cd "$T" && mkdir chunks && cd chunks || exit 1
randfile big 1000000
for range in 0-299999 300000-300000 300001-799999 800000-999999; do
	start=${range%-*} end=${range#*-}
	put big "$start" $((end - start + 1)) "big.iso.part.$range" 0
done
recipe chunks
same big big.iso
rm big.iso
head -c 1000 big.iso.part.300001-799999 >short && mv short big.iso.part.300001-799999
cd "$T/chunks" && sh -e "$T/recipes/chunks.sh" >out 2>err && fail "chunks: a short part was not refused"
[ ! -e big.iso ] || fail "chunks: big.iso made from a short part"
has err 'big.iso.part.300001-799999'

# --- pipelines: PKG1 and the tar archive, gzipped; the last two lines are
# the first 32 bytes of the result as xxd -p -c 16 prints them.
cd "$T" && mkdir pipelines && cd pipelines || exit 1
mkdir -p docs/sub
echo hello >docs/a.txt
randfile docs/b.bin 5000
randfile docs/sub/c.bin 70000
recipe pipelines
gzip -t docs.pkg.gz || fail "pipelines: docs.pkg.gz is not gzip"
[ "$(gzip -dc docs.pkg.gz | head -c 4)" = PKG1 ] || fail "pipelines: no PKG1 header"
mkdir x
gzip -dc docs.pkg.gz | tail -c +5 | tar -xf - -C x || fail "pipelines: no tar archive after the header"
for f in docs/a.txt docs/b.bin docs/sub/c.bin; do
	same "$f" "x/$f"
	has out "^$f\$"
done
head -c 32 docs.pkg.gz | xxd -p -c 16 >hex.want
tail -n 2 out >hex.got
same hex.want hex.got

# --- json-report: the image, and the lines jq prints from the report.
cd "$T" && mkdir json-report && cd json-report || exit 1
randfile boot.bin 1000
randfile app.bin 5000
head -c 70536 /dev/zero >want
ff 4096 >fill
put boot.bin 0 1000 want 0
put fill 0 4096 want 1000
put app.bin 0 5000 want 65536
recipe json-report
same want image.bin
cat >lines.want <<'EOF'
line 1: file at 0, 1000 of 1000 bytes, ok
line 2: fill at 1000, 4096 of 4096 bytes, ok
line 3: file at 65536, 5000 of 5000 bytes, ok
image.bin: 10096 bytes, 0 failed, exit 0
EOF
cmp -s lines.want out || { diff lines.want out; fail "json-report: jq prints other lines"; }
[ ! -s err ] || { cat err; fail "json-report: something on standard error"; }

# --- sdcard: needs file systems made for it and their tools; it is run and
# checked (sfdisk, fsck, cmp, du) by tests/cli/sdcard-recipe.sh.
[ -f "$TESTS_DIR/cli/sdcard-recipe.sh" ] || fail "sdcard: tests/cli/sdcard-recipe.sh is gone"
exit 0

#!/bin/sh
# Compressed sources (SPEC §9.3): `file PATH decode=gzip|xz|zstd|auto`
# contributes the decoded bytes; skip= and len= count decoded bytes.  Every
# result is checked against what gzip -dc, xz -dc and zstd -dc give, cut
# with dd, and compared with cmp.  A stream found corrupt before anything
# is written is an error naming its line (exit 2, target untouched); one
# found while writing fails its fragment with EBADMSG (exit 1), and with
# --atomic the old target stays.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs gzip xz:xz-utils zstd jq

# 3 MiB: random blocks and zero blocks, as a disk image has them.
randfile r1 1000000
randfile r2 700001
{ cat r1; head -c 1048576 /dev/zero; cat r2; head -c 300000 /dev/zero; } > img
gzip -c img > img.gz
xz -T2 --block-size=512KiB -c img > img.xz
zstd -q -c img > img.zst
# Several gzip members, several zstd frames (one without a content size).
head -c 1500000 img | gzip -c > multi.gz
tail -c +1500001 img | gzip -1 -c >> multi.gz
head -c 1200000 img | zstd -q -c > multi.zst
tail -c +1200001 img | zstd -q -c --no-content-size >> multi.zst
xz -l img.xz | awk 'NR == 2 { if ($2 < 2) exit 1 }' || fail "img.xz has one block"

# slice FILE SKIP LEN: decoded bytes SKIP.. of FILE, by the format's own tool.
slice() {
	case $1 in
	*.gz) gzip -dc "$1" ;; *.xz) xz -dc "$1" ;; *.zst) zstd -q -dc "$1" ;; *) cat "$1" ;;
	esac | dd bs=64K skip="$2" count="$3" iflag=fullblock,skip_bytes,count_bytes status=none
}

# Each format, named and by magic, in aio mode, stream mode and through a
# filter, at an offset.
for f in img.gz:gzip img.xz:xz img.zst:zstd multi.gz:auto multi.zst:auto img.xz:auto; do
	src=${f%%:*} how=${f#*:}
	for mode in aio stream; do
		rm -f img.out
		run 0 "$AIOWRITE" -m "$mode" -o img.out -e "file $src decode=$how at=1M"
		dd if=img.out bs=1M skip=1 status=none | cmp - img || fail "$src decode=$how -m $mode"
		[ "$(stat -c %s img.out)" = $((1048576 + $(stat -c %s img))) ] || fail "$src: length"
	done
	run 0 "$AIOWRITE" -f gzip --force -o out.gz -e "file $src decode=$how"
	gzip -dc out.gz | cmp - img || fail "$src decode=$how -f gzip"
done

# skip= and len= in decoded bytes; ranges of one compressed file in several
# fragments, each read on its own; with --verify.
for src in img.gz img.xz img.zst multi.gz multi.zst; do
	rm -f img.out
	run 0 "$AIOWRITE" --verify -o img.out -e "file $src decode=auto skip=999990 len=20" \
		-e "file $src decode=auto skip=5 len=1048600 at=4K" \
		-e "file $src decode=auto skip=2748577 at=2M"
	slice "$src" 999990 20 > want
	head -c $((4096 - 20)) /dev/zero >> want
	slice "$src" 5 1048600 >> want
	head -c $((2097152 - 4096 - 1048600)) /dev/zero >> want
	slice "$src" 2748577 10000000 >> want
	same img.out want
done
# The same in stream mode, where a stream of a later line is read first.
rm -f img.out
run 0 "$AIOWRITE" -m stream -o img.out -e 'file img.zst decode=zstd skip=100 len=1000 at=1000' \
	-e 'file img.xz decode=xz skip=1000000 len=1000 at=0'
{ slice img.xz 1000000 1000; slice img.zst 100 1000; } > want
same img.out want

# Edge sizes: 0, 1, 2 and 3 decoded bytes, between two other fragments.
for n in 0 1 2 3; do
	head -c "$n" r1 > "e$n"
	gzip -c "e$n" > "e$n.gz"
	xz -c "e$n" > "e$n.xz"
	zstd -q -c "e$n" > "e$n.zst"
	{ printf '<'; cat "e$n"; printf '>'; } > want
	for src in "e$n.gz" "e$n.xz" "e$n.zst"; do
		rm -f img.out
		run 0 "$AIOWRITE" -o img.out -e 'data "<"' -e "file $src decode=auto" -e 'data ">"'
		same img.out want
	done
done

# A file with no known magic is taken as it is by auto, and decode= with
# --allow-overlap: the later line wins inside a decoded fragment.
rm -f img.out
run 0 "$AIOWRITE" --allow-overlap -o img.out -e 'file r2 decode=auto' -e 'file img.gz decode=gzip len=4 at=0' \
	-e 'file img.xz decode=xz skip=10 len=100 at=5000' -e 'data "XY" at=5050'
cp r2 want
put img 0 4 want 0
put img 10 100 want 5000
printf XY | dd of=want bs=1 seek=5050 conv=notrunc status=none
same img.out want

# -n shows the decoded length; len= spares the gzip pass (the dry run
# needs no decoding then), and `auto` says nothing of an unknown format.
run 0 "$AIOWRITE" -n --report=json -o new.out -e 'file img.gz decode=gzip' -e 'file multi.zst decode=auto'
[ "$(jq -s '[.[] | select(.type=="plan") | .length] | map(tostring) | join(",")' out)" = \
  "\"$(stat -c %s img),$(stat -c %s img)\"" ] || { cat out; fail "-n lengths"; }

# --confine: the compressed file is read beneath DIR like any source.
mkdir jail
cp img.zst jail/
printf 'file img.zst decode=zstd\nfile ../img.gz decode=gzip\n' > jail/m
run 2 "$AIOWRITE" --confine=jail jail/m -o img.out
has err "^jail/m:2:1: .*confin"
printf 'file img.zst decode=zstd skip=7 len=9\n' > jail/m
rm -f img.out
run 0 "$AIOWRITE" --confine=jail jail/m -o img.out
slice img 7 9 > want
same img.out want

# sha256= and a field's crc32 over decoded bytes; the CRC is the one in
# the trailer of gzip's member of the same 64 bytes.
head -c 64 img > h64
gzip -c h64 | tail -c 8 | head -c 4 > crc
sum=$(sha256sum h64 | cut -d ' ' -f 1)
rm -f img.out
run 0 "$AIOWRITE" -o img.out -e 'u32le crc32(z)' -e "file img.xz decode=xz len=64 name=z sha256=$sum"
{ cat crc h64; } > want
same img.out want
run 2 "$AIOWRITE" -o x -e "file img.zst decode=zstd len=65 sha256=$sum"
has err "^<command-line>:1:1: sha256 mismatch"

# Refused before anything is written: a truncated or corrupt file found by
# the plan (the zstd frames, the xz index, the gzip pass), each naming its
# line and column; decode= with format=; a bad format name.
head -c 900000 img.zst > trunc.zst
head -c 900000 img.xz > trunc.xz
head -c 900000 img.gz > trunc.gz
cp img.gz bad.gz
printf '\377\377\377\377\377\377\377\377' | dd of=bad.gz bs=1 seek=400000 conv=notrunc status=none
echo old > keep
cp keep keep.orig
for src in trunc.zst trunc.xz trunc.gz bad.gz; do
	run 2 "$AIOWRITE" --force -o keep -e 'data "x"' -e "file $src decode=auto"
	has err "^<command-line>:2:1: '$src' is not valid (zstd|xz|gzip) data"
	same keep keep.orig
done
run 2 "$AIOWRITE" -o x -e 'file img.gz decode=gzip' -e 'file a.hex format=ihex decode=gzip'
has err "^<command-line>:2:24: decode= does not combine with format="
run 2 "$AIOWRITE" -o x -e 'file img.gz decode=gz'
has err "^<command-line>:1:20: decode= is gzip, xz, zstd or auto, not 'gz'"
run 2 "$AIOWRITE" -o x -e 'file img.gz decode=gzip skip=10000000'
has err "^<command-line>:1:1: skip=10000000 is past the end of 'img.gz'"
[ ! -e x ] || fail "a refused run made its target"

# Many decoded pieces, more than run at once (decode_job.c starts them in
# batch order, a few at a time), some over others (--allow-overlap: the
# later line wins), in both modes: against zstd -dc cut with dd.
zstd -q -dc img.zst > plain
: > many.mf
: > many.want
i=0
while [ $i -lt 23 ]; do
	echo "file img.zst decode=zstd skip=$((i * 131072)) len=131072" >> many.mf
	i=$((i + 1))
done
head -c $((23 * 131072)) plain > many.want
echo "file img.zst decode=zstd skip=100 len=300000 at=200000" >> many.mf
echo "file img.gz decode=gzip skip=2500000 len=70000 at=1000000" >> many.mf
put plain 100 300000 many.want 200000
put plain 2500000 70000 many.want 1000000
for mode in aio stream; do
	run 0 "$AIOWRITE" many.mf --allow-overlap -m $mode -o "many.$mode" --report=none
	same many.want "many.$mode"
done

# Found while writing: the xz index and the zstd frame headers are sound,
# the data behind them is not (len= given: no decoding before the writes).
len=$(stat -c %s img)
for src in img.xz img.zst; do
	cp "$src" "dmg.${src#img.}"
	printf '\377\377\377\377\377\377\377\377' |
		dd of="dmg.${src#img.}" bs=1 seek=2000 conv=notrunc status=none
done
for src in dmg.xz dmg.zst; do
	for how in "-m aio" "-m stream" "-f gzip"; do
		# shellcheck disable=SC2086 # $how is two words
		run 1 "$AIOWRITE" $how --atomic --force --report=json -o keep \
			-e 'data "x"' -e "file $src decode=auto len=$len"
		[ "$(jq -r 'select(.type=="fragment" and .line==2) | .error' out)" = EBADMSG ] ||
			{ cat out; fail "$src $how: no EBADMSG"; }
		[ "$(json out summary exit)" = 1 ] || fail "$src $how: summary exit"
		same keep keep.orig
	done
done
exit 0

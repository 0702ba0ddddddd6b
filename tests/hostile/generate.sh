#!/bin/sh
# tests/hostile/generate.sh DIR -- write the big hostile manifests into DIR.
# They are generated rather than kept in the tree (together ~32 MB); their
# expectations are in tests/hostile/expect like every other case's.
#
#   million-fragments.m   1,000,000 lines of `data "x"`: 1,000,000 bytes
#   ten-mib-line.m        one data token of 10 MiB: 10,485,760 bytes
#   ten-mib-hex-line.m    one hex token of 10 MiB digits: 5,242,880 bytes
#   many-tokens.m         `hex` and 500,000 one-digit tokens: 250,000 bytes
#   long-zeros-number.m   len= with 100,000 leading zeros: a 1-byte zero
#   deep-error-line.m     1,000,000 comment lines, then an unknown kind
#   long-kind.m           a 100 KiB kind token: the message quotes 40 bytes
#   long-key.m            a 100 KiB key name
#   long-number.m         len= with 100,000 nines: number too large
#   long-path.m           a 5,000-byte path: ENAMETOOLONG
#   expr-deep-nesting.m   an expression of 100,000 '(': refused, no stack overflow
#   expr-long-sum.m       1+1+...+1, 200,000 terms: evaluated without recursion
#   include-chain.m       a chain of 1,000 includes: refused past 32 levels
set -eu
dir=${1:?usage: tests/hostile/generate.sh DIR}
mkdir -p "$dir"
cd "$dir"

# rep N STRING: STRING N times, without a separator.
rep() { head -c "$1" /dev/zero | tr '\0' "$2"; }

yes 'data "x"' | head -n 1000000 > million-fragments.m
{ printf 'data "'; rep 10485760 x; printf '"\n'; } > ten-mib-line.m
{ printf 'hex '; yes 0123456789abcdef | tr -d '\n' | head -c 10485760; printf '\n'; } \
	> ten-mib-hex-line.m
{ printf 'hex'; yes ' 7' | head -n 500000 | tr -d '\n'; printf '\n'; } > many-tokens.m
{ printf 'zero len='; rep 100000 0; printf '1\n'; } > long-zeros-number.m
{ yes '# a comment' | head -n 1000000; printf 'bogus line\n'; } > deep-error-line.m
{ rep 102400 a; printf ' x\n'; } > long-kind.m
{ printf 'zero len=1 '; rep 102400 k; printf '=1\n'; } > long-key.m
{ printf 'zero len='; rep 100000 9; printf '\n'; } > long-number.m
{ printf 'file '; rep 5000 p; printf '\n'; } > long-path.m
{ printf 'u8 '; rep 100000 '('; printf '1\n'; } > expr-deep-nesting.m
{ printf 'u64le '; yes '1+' | head -n 199999 | tr -d '\n'; printf '1\n'; } > expr-long-sum.m
i=1
while [ $i -lt 1000 ]; do
	echo "include include-chain-$i.m" > "include-chain-$((i - 1)).m"
	i=$((i + 1))
done
echo 'data "end"' > include-chain-999.m
echo 'include gen/include-chain-0.m' > include-chain.m

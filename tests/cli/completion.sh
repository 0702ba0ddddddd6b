#!/bin/sh
# The bash completion (completion/aiowrite-cli.bash) offers exactly the
# options of `aiowrite-cli --help`, takes a value after exactly the options
# that --help shows with =ARG, and completes the values of --mode, --sync,
# --report and -f/--filter, directories for --confine and files for -o,
# --report-file and MANIFEST, in both the `--opt VALUE` and `--opt=VALUE`
# forms.  TAB is simulated the way bash calls a completion function (words
# split at COMP_WORDBREAKS, the text readline replaces as $2) and, when
# python3 is there, typed into an interactive bash on a pseudo-terminal.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

needs bash
COMPLETION=$TESTS_DIR/../completion/aiowrite-cli.bash
[ -f "$COMPLETION" ] || fail "no $COMPLETION"
bash -n "$COMPLETION" || fail "$COMPLETION does not parse"

# The options of --help, one a line: "-e= --line=" (short, long; a trailing
# = for one that takes a value) or "--version".
"$AIOWRITE" --help >help.txt || fail "--help failed"
sed -n -e 's/^  \(-[^ ]\), \(--[a-z][a-z-]*\)\(=\{0,1\}\).*/\1\3 \2\3/p' \
	-e 's/^      \(--[a-z][a-z-]*\)\(=\{0,1\}\).*/\1\2/p' help.txt >options.txt
[ "$(wc -l <options.txt)" -ge 20 ] || { cat help.txt; fail "found only $(wc -l <options.txt) options in --help"; }
grep -q -- '^-o= --output=$' options.txt || { cat options.txt; fail "--help parsed wrong"; }
grep -q -- '^--force$' options.txt || { cat options.txt; fail "--help parsed wrong"; }

# Files for the file and directory completions.
mkdir -p work/somedir work/other.d
: >work/manifest.txt
: >work/key.bin
: >work/out.img
: >"work/my file.txt"

cat >check.bash <<'EOF'
set -u
. "$COMPLETION" || { echo "FAIL: sourcing the completion"; exit 1; }
cd work || exit 1
failed=0
bad() { echo "FAIL: $*"; failed=1; }

# Outside a real completion, the compopt builtin refuses; record its
# arguments instead.
compopt() { printf '%s\n' "$*" >>../compopt.log; }

# complete LINE: press TAB at the end of LINE ("aiowrite-cli ..."), and
# print the words the current word may become, sorted, one a line.
complete_line() {
	local line=$1 i c tok='' kind='' text func cand
	COMP_WORDS=()
	for ((i = 0; i < ${#line}; i++)); do
		c=${line:i:1}
		if [[ $c == [[:space:]] ]]; then
			[[ -n $tok ]] && COMP_WORDS+=("$tok")
			tok='' kind=''
		elif [[ $COMP_WORDBREAKS == *"$c"* ]]; then
			[[ $kind == w ]] && { COMP_WORDS+=("$tok"); tok=; }
			tok+=$c kind=b
		else
			[[ $kind == b ]] && { COMP_WORDS+=("$tok"); tok=; }
			tok+=$c kind=w
		fi
	done
	COMP_WORDS+=("$tok")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line COMP_POINT=${#line} COMP_TYPE=9 COMP_KEY=9
	# What readline completes: the text after the last break character,
	# keeping an @ (bash's rl_special_prefixes).
	case $kind in
	b) text=; [[ $tok == *@ ]] && text=@ ;;
	w) text=$tok
	   ((COMP_CWORD > 0)) && [[ ${COMP_WORDS[COMP_CWORD - 1]} == *@ && $line != *[[:space:]]"$tok" ]] && text=@$tok ;;
	*) text= ;;
	esac
	func=$(complete -p aiowrite-cli 2>/dev/null | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
	[[ -n $func ]] || { bad "no completion function for aiowrite-cli"; return; }
	: >../compopt.log
	COMPREPLY=()
	"$func" aiowrite-cli "$text" "${COMP_WORDS[COMP_CWORD - 1]}"
	local word=${line##*[[:space:]]}
	for cand in "${COMPREPLY[@]}"; do
		printf '%s\n' "${word%"$text"}$cand"
	done | sort
}

# expect LINE WORD...: TAB after LINE offers exactly WORDs.
expect() {
	local line=$1 got want
	shift
	got=$(complete_line "$line")
	want=$( (($#)) && printf '%s\n' "$@" | sort)
	[[ $got == "$want" ]] || bad "'$line<TAB>' offers [${got//$'\n'/ }], expected [${want//$'\n'/ }]"
}

# readline_files LINE default|dirnames|none: TAB after LINE leaves the
# file (default) or directory (dirnames) names to readline, or offers none.
readline_files() {
	local got
	got=$(complete_line "$1")
	[[ -z $got ]] || bad "'$1<TAB>' offers [${got//$'\n'/ }], not readline's $2"
	case $2 in
	none) ! grep -Eq 'default|dirnames' ../compopt.log || bad "'$1<TAB>' offers file names" ;;
	*) grep -q -- "-o $2" ../compopt.log || bad "'$1<TAB>' does not leave the names to readline (compopt -o $2)" ;;
	esac
}

# nospace LINE yes|no: TAB after LINE asks for no space after the word.
nospace() {
	complete_line "$1" >/dev/null
	if grep -q nospace ../compopt.log; then
		[[ $2 == yes ]] || bad "'$1<TAB>' asks for no space"
	else
		[[ $2 == no ]] || bad "'$1<TAB>' does not ask for no space"
	fi
}

c='aiowrite-cli'
expect "$c --mo" --mode
expect "$c --mode " auto aio stream
expect "$c -m a" auto aio
expect "$c --mode=" --mode=auto --mode=aio --mode=stream
expect "$c --mode=st" --mode=stream
expect "$c --sync " none data full
expect "$c --sync=" --sync=none --sync=data --sync=full
expect "$c --sync=d" --sync=data
expect "$c --report " text json none
expect "$c --report=j" --report=json
expect "$c -f " xor: xor:@ hex hex:width= hex:upper gzip gzip:{1..9} zstd zstd: xz xz: \
	ihex ihex:width= ihex:base= srec srec:width= srec:base=
expect "$c -f g" gzip gzip:{1..9}
expect "$c --filter=g" --filter=gzip --filter=gzip:{1..9}
expect "$c -f gzip:" gzip:{1..9}
expect "$c -f gzip:7" gzip:7
expect "$c -f x" xor: xor:@ xz xz:
expect "$c -f xor:@" xor:@key.bin xor:@manifest.txt 'xor:@my\ file.txt' xor:@out.img xor:@somedir/ xor:@other.d/
expect "$c -f xor:@k" xor:@key.bin
expect "$c --filter=xor:@k" --filter=xor:@key.bin
expect "$c -f hex:w" hex:width=
expect "$c -f hex:width=16" hex:width=16 hex:width=16:upper
expect "$c -f hex:width=16:" hex:width=16:upper
expect "$c -f hex:upper" hex:upper hex:upper:width=
expect "$c -f xor:5a -f gzip -f h" hex hex:width= hex:upper
readline_files "$c --confine " dirnames
readline_files "$c --confine=s" dirnames
readline_files "$c -o " default
readline_files "$c --output=o" default
readline_files "$c --report-file m" default
readline_files "$c --report-file=m" default
readline_files "$c -q m" default
readline_files "$c " default
readline_files "$c --force --verify -- -" default
readline_files "$c -e " none
readline_files "$c -j " none
readline_files "$c -b 1" none
nospace "$c -f hex:w" yes
nospace "$c -f xor:@s" yes
nospace "$c -f gzip:7" no
nospace "$c --mo" no

# The options: exactly those of --help, for -- and for -.
long=$(sed 's/.* //; s/=$//; /^--/!d' ../options.txt | sort)
all=$( { printf '%s\n' "$long"; sed -n 's/^\(-[^-]\)=\{0,1\} .*/\1/p' ../options.txt; } | sort)
got=$(complete_line "$c --")
[[ $got == "$long" ]] || bad "'--<TAB>' and --help disagree:$(diff <(echo "$long") <(echo "$got") | sed -n 's/^</ only in --help:/p; s/^>/ only in the completion:/p' | tr -d '\n')"
got=$(complete_line "$c -")
[[ $got == "$all" ]] || bad "'-<TAB>' and --help disagree:$(diff <(echo "$all") <(echo "$got") | sed -n 's/^</ only in --help:/p; s/^>/ only in the completion:/p' | tr -d '\n')"
got=$(complete_line "$c --force --qui")
[[ $got == --quiet ]] || bad "'--force --qui<TAB>' offers [$got]"

# After an option that takes a value (=ARG in --help), the next word is
# that value, not an option; after any other, options are offered.
while read -r opt; do
	case $opt in
	*=) got=$(complete_line "$c ${opt%=} -")
	    [[ -z $got ]] || bad "'${opt%=} -<TAB>' offers options, but ${opt%=} takes a value" ;;
	*)  got=$(complete_line "$c $opt -")
	    [[ $got == *--verify* ]] || bad "'$opt -<TAB>' offers no options, but $opt takes no value" ;;
	esac
done < <(tr ' ' '\n' <../options.txt)

# With : and = removed from COMP_WORDBREAKS (as many ~/.bashrc do), the
# same words come out.
COMP_WORDBREAKS=${COMP_WORDBREAKS//[:=]/}
expect "$c --sync=d" --sync=data
expect "$c -f gzip:" gzip:{1..9}
expect "$c --filter=xor:@k" --filter=xor:@key.bin
expect "$c -f hex:width=16:" hex:width=16:upper
expect "$c --output=o" --output=other.d/ --output=out.img
expect "$c --confine=" --confine=other.d/ --confine=somedir/
nospace "$c --confine=s" yes
exit $failed
EOF

COMPLETION=$COMPLETION bash --norc --noprofile check.bash || fail "the completion does not offer what it should"

# Typed into an interactive bash: what readline really makes of the replies.
if ! command -v python3 >/dev/null 2>&1; then
	note "no python3: not typed on a terminal"
	exit 0
fi
cat >typist.py <<'EOF'
import os, pty, select, sys, time
completion, lines = sys.argv[1], sys.argv[2:]
try:
    pid, fd = pty.fork()
except OSError:
    sys.exit(77)
if pid == 0:
    os.environ.update(PS1='$ ', TERM='dumb', INPUTRC='/dev/null', HISTFILE='/dev/null')
    os.execvp('bash', ['bash', '--norc', '--noprofile', '-i'])

def read_until(marker, secs=10.0):
    out, end = b'', time.time() + secs
    while time.time() < end and marker not in out:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                break
            if not d:
                break
            out += d
    return out

os.write(fd, b". '%s'; cd work; aiowrite-cli() { printf '<%%s>' \"$@\"; echo; }; echo READY\n"
         % completion.encode())
read_until(b'READY\r\n')
for line in lines:
    pieces = line.encode().split(b'TAB')
    for i, piece in enumerate(pieces):
        os.write(fd, piece)
        if i < len(pieces) - 1:
            os.write(fd, b'\t')
            time.sleep(0.3)
    os.write(fd, b'\n')
    out = read_until(b'>\r\n').decode(errors='replace')
    got = [l for l in out.split('\r\n') if l.startswith('<')]
    print(got[-1] if got else 'NOTHING: ' + repr(out))
os.write(fd, b'exit\n')
read_until(b'\0', 1)
EOF
# Each line is typed with TAB where it says TAB; aiowrite-cli is a shell
# function that prints its arguments.
python3 typist.py "$COMPLETION" \
	'aiowrite-cli --moTABsTAB' \
	'aiowrite-cli --sync=dTAB' \
	'aiowrite-cli -f gzTAB:9TAB' \
	'aiowrite-cli -f xor:@kTAB' \
	'aiowrite-cli --filter=hex:wTAB16:uTAB' \
	'aiowrite-cli --confine=soTAB' \
	'aiowrite-cli --report-file maTAB' \
	'aiowrite-cli -o myTAB' \
	'aiowrite-cli --confine=oTAB' \
	'aiowrite-cli -f xor:@myTAB' \
	>typed.txt 2>&1
rc=$?
if [ $rc = 77 ]; then
	note "no pseudo-terminal: not typed into bash"
	exit 0
fi
[ $rc = 0 ] || { cat typed.txt; fail "could not type into bash"; }
cat >typed.want <<'EOF'
<--mode><stream>
<--sync=data>
<-f><gzip:9>
<-f><xor:@key.bin>
<--filter=hex:width=16:upper>
<--confine=somedir/>
<--report-file><manifest.txt>
<-o><my file.txt>
<--confine=other.d/>
<-f><xor:@my file.txt>
EOF
if ! cmp -s typed.want typed.txt; then
	if ! grep -q '^<' typed.txt; then
		cat typed.txt
		note "the interactive bash ran no command line: not typed into bash"
		exit 0
	fi
	diff typed.want typed.txt
	fail "typed into bash, the completion gives other command lines"
fi

# tests/cli/lib.sh -- sourced by every CLI test.  Each test runs in its own
# temporary directory, removed on exit; it exits 0 (pass), 1 (fail) or
# 77 (skip, with the reason as its last line).
set -u
AIOWRITE=${AIOWRITE:-$(pwd)/build/aiowrite-cli}
T=$(mktemp -d "${TMPDIR:-/tmp}/aiowrite-test.XXXXXX") || exit 1
_cleanups=
cleanup() { eval "$_cleanups"; rm -rf "$T"; }
at_exit() { _cleanups="$1; $_cleanups"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$T" || exit 1

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skip: $*"; exit 77; }
note() { echo "# $*"; }

# needs PROGRAM[:PACKAGE]...: skip unless every PROGRAM (a command, or an
# absolute path) is there.  PACKAGE, the Debian package that has it (default:
# the program's name), goes into the reason; scripts/deps installs the
# packages the tests use when run as root and only names them otherwise.
needs() {
	for _need; do
		_prog=${_need%%:*} _pkg=${_need#*:}
		case $_prog in
		/*) [ -x "$_prog" ] ;;
		*) command -v "$_prog" >/dev/null 2>&1 ;;
		esac || skip "no $_prog (Debian package ${_pkg##*/}; scripts/deps installs it as root)"
	done
}

# run EXPECTED_STATUS CMD...: run, keep stdout in ./out and stderr in ./err.
run() {
	_want=$1; shift
	"$@" >out 2>err
	_got=$?
	if [ "$_got" != "$_want" ]; then
		echo "command: $*"; echo "stdout:"; cat out; echo "stderr:"; cat err
		fail "exit status $_got, expected $_want"
	fi
}

# same FILE1 FILE2: byte-identical, by cmp.
same() { cmp "$1" "$2" || fail "$1 and $2 differ"; }

# has FILE PATTERN: FILE has a line matching the extended regex.
has() { grep -Eq -- "$2" "$1" || { cat "$1"; fail "$1 has no line matching '$2'"; }; }

# put SRC SKIP LEN DST AT: copy bytes like a careful dd user would.
put() {
	dd if="$1" of="$4" bs=64K skip="$2" count="$3" seek="$5" conv=notrunc \
		iflag=skip_bytes,count_bytes oflag=seek_bytes status=none || fail "dd $*"
}

# bytes FILE AT LEN: print that range as hex (xxd -p, one line).
bytes() { dd if="$1" bs=64K skip="$2" count="$3" iflag=skip_bytes,count_bytes status=none | xxd -p | tr -d '\n'; }

# json FILE TYPE FIELD: the FIELD of the last record of TYPE.
json() { jq -r "select(.type==\"$2\") | .$3" "$1" | tail -n 1; }

randfile() { head -c "$2" /dev/urandom > "$1"; }

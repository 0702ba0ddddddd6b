#!/bin/sh
# No call in src/ to the C library's unbounded or unchecked functions:
# atoi (no error; use strtol or strtoull and check the end), sprintf and
# vsprintf (no bound; use snprintf or vsnprintf), strcpy and strcat (no
# bound; use memcpy with a known length, or snprintf), gets (no bound; use
# fgets).  A call is the name as a whole word followed by `(`, outside
# comments, string and character literals; so snprintf, vsnprintf, asprintf,
# fgets or my_atoi do not count.  Each one found is named as FILE:LINE.
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"

case $0 in /*) here=$(dirname "$0") ;; *) here=$OLDPWD/$(dirname "$0") ;; esac
top=$(cd "${TESTS_DIR:-$here/..}/.." && pwd)
[ -d "$top/src" ] || fail "no $top/src"
(cd "$top" && find src -name '*.[ch]' -type f | sort) >files
[ -s files ] || fail "no C files in $top/src"

# Print FILE:LINE: NAME( for every banned call, with comments and
# literals blanked out first (a block comment may span lines).
(cd "$top" && xargs awk '
	FNR == 1 { incomment = 0 }
	{
		line = $0; code = ""; i = 1; n = length(line)
		while (i <= n) {
			c = substr(line, i, 1); two = substr(line, i, 2)
			if (incomment) {
				if (two == "*/") { incomment = 0; i += 2; code = code " " } else i++
			} else if (two == "/*") {
				incomment = 1; i += 2
			} else if (two == "//") {
				break
			} else if (c == "\"" || c == "\047") {
				# a literal: skip to its unescaped closing quote
				q = c; i++
				while (i <= n && substr(line, i, 1) != q)
					i += (substr(line, i, 1) == "\\") ? 2 : 1
				i++; code = code q q
			} else {
				code = code c; i++
			}
		}
		rest = code
		while (match(rest, /(^|[^A-Za-z0-9_])(atoi|v?sprintf|strcpy|strcat|gets)[ \t]*\(/)) {
			call = substr(rest, RSTART, RLENGTH)
			sub(/^[^A-Za-z]/, "", call); sub(/[ \t]*\($/, "", call)
			printf "%s:%d: %s(\n", FILENAME, FNR, call
			rest = substr(rest, RSTART + RLENGTH)
		}
	}' <"$T/files") >found || fail "awk failed on the sources"

if [ -s found ]; then
	cat found
	fail "$(wc -l <found | tr -d ' ') banned calls in src/ (atoi, sprintf, vsprintf, strcpy, strcat, gets)"
fi
note "$(wc -l <files | tr -d ' ') files in src/, no banned call"
exit 0

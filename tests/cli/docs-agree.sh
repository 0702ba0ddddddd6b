#!/bin/sh
# --help, man/aiowrite-cli.1 and src/iob.h agree, and every man page
# renders without warnings (scripts/check-docs).
. "${TESTS_DIR:-$(dirname "$0")/..}/cli/lib.sh"
needs groff:groff-base
"$TESTS_DIR/../scripts/check-docs" "$AIOWRITE" || fail "docs disagree with the code"

/*
 * parse_internal.h -- what the manifest's files share and nobody else sees.
 *
 * lex.c cuts a line into tokens and unescapes each one in place; parse.c
 * turns a line's tokens into a fragment or a directive; number.c reads
 * numbers; manifest.c owns the text buffers and the origins.
 */
#ifndef MANIFEST_PARSE_INTERNAL_H
#define MANIFEST_PARSE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "manifest/manifest.h"
#include "util/escape.h"
#include "util/hex.h"

/*
 * One token of a line, already unescaped in place: p[0..n) are its bytes,
 * which are never longer than the raw text they came from.  A key=value
 * token (an unquoted start [a-z0-9_]+=) has keylen > 0: the key is
 * p[0..keylen), the value p[keylen+1..n).  quoted tells whether raw and
 * unescaped bytes differ, so a column inside the token can be computed
 * only when it is 0.
 */
struct token {
	unsigned char *p;
	size_t n;
	size_t col;		/* 1-based raw column of the token's first byte */
	size_t keylen;		/* 0: a positional argument */
	int quoted;
};

struct lexer {
	unsigned char *line;	/* the line's first byte (column 1) */
	unsigned char *pos;	/* where the next token is looked for */
	unsigned char *end;	/* the line's end: '\n', a stripped '\r' or the text's end */
};

enum lex_fault { LEX_UNTERMINATED = 1, LEX_ESCAPE, LEX_XESCAPE };

struct lex_error {
	enum lex_fault fault;
	size_t col;		/* of the opening quote or the backslash */
	unsigned char c;	/* LEX_ESCAPE: the byte after the backslash */
};

/* The next token: 1, 0 at the end of the line (or a comment), -1 with *e. */
int lex_next(struct lexer *lx, struct token *t, struct lex_error *e);

/* Parse text[0..len) (text[len] exists and may be overwritten) as lines of
 * origin oi, numbered after the origin's lines so far.  A line with an
 * error is left out and the next one read, so that one run reports every
 * bad line.  0, or -1 when any line had an error (added to err). */
int parse_text(struct manifest *m, unsigned oi, unsigned char *text, size_t len,
	       struct errors *err);

#endif

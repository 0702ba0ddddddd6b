/*
 * parse_internal.h -- what the manifest's files share and nobody else sees.
 *
 * lex.c cuts a line into tokens and unescapes each one in place; parse.c
 * turns a line's tokens into a fragment or a directive, with args.c reading
 * the values of keys and arguments; define.c expands ${NAME} and keeps the
 * defines; number.c reads numbers; manifest.c owns the text buffers, the
 * origins and include.
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
	/* A token that is one quoted segment with no escapes, from its byte
	 * quote_at to its end: its bytes from there are the raw ones, one
	 * column on (value_place in args.c). */
	int plain_quote;
	size_t quote_at;
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

/* The pairs of the include lines around the text being parsed, innermost
 * first (SPEC §8.3: seen only by the included lines). */
struct include_frame {
	const struct include_frame *outer;
	const struct define *pairs;
	size_t npairs;
	uint64_t dev, ino;	/* the included file, to refuse a cycle */
};

/* One text being parsed. */
struct parse {
	struct manifest *m;
	unsigned oi;		/* origin index */
	uint64_t line;
	struct errors *err;
	unsigned depth;		/* include levels below the top manifest */
	const struct include_frame *frame; /* NULL at the top */
	/* Reading the second half of a large text on a thread of its own
	 * (parse.c): a line that would report an error or touch what other
	 * lines share (a directive, name=, ${...}) fails instead, to be read
	 * again by the main thread. */
	int ahead;
};

int fail(struct parse *P, size_t col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parse text[0..len) (text[len] exists and may be overwritten) as lines of
 * origin oi, numbered after the origin's lines so far.  A line with an
 * error is left out and the next one read, so that one run reports every
 * bad line.  0, or -1 when any line had an error (added to P->err). */
int parse_text(struct parse *P, unsigned char *text, size_t len);

/* A number or an expression (SPEC §8.2) in s[0..n) at column col: a token
 * shaped as a number ([0-9A-Za-z]) is read by parse_number (its messages);
 * anything else is kept as an expression in *out.  0, or -1 reported. */
int number_or_expr(struct parse *P, const unsigned char *s, size_t n, size_t col, int quoted,
		   struct mnum *out);

/* ${NAME} and ${NAME:-DEFAULT} in line[0..n) replaced (define.c): NULL
 * when the line has none, else an expansion from mem_realloc (*len bytes,
 * NUL after) that the caller keeps; -1 in *failed after reporting an error. */
unsigned char *expand_line(struct parse *P, const unsigned char *line, size_t n, size_t *len,
			   int *failed);
/* `define NAME VALUE` (VALUE already expanded) on the current line. */
int define_add(struct parse *P, const unsigned char *name, size_t nlen, size_t col,
	       const unsigned char *value, size_t vlen);
/* "dir/path", or path alone when it is absolute or dir is "."; malloc'd. */
char *join_dir(const char *dir, const unsigned char *path, size_t n);
/* `include PATH NAME=VALUE...` (manifest.c): parse that file's lines here. */
int include_file(struct parse *P, const unsigned char *path, size_t n, size_t col,
		 const struct define *pairs, size_t npairs);

#endif

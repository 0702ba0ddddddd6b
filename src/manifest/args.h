/*
 * args.h -- private to src/manifest: what one line gathers while it is
 * read (parse.c), and the readers of its keys and arguments (args.c) and
 * of its directives (directive.c).
 */
#ifndef MANIFEST_ARGS_H
#define MANIFEST_ARGS_H

#include "manifest/parse_internal.h"

/* Lines that are not fragments, numbered after the fragment kinds. */
enum { LINE_OUTPUT = FRAG_DIGEST + 1, LINE_SIZE, LINE_PAD, LINE_INCLUDE, LINE_DEFINE };

/* The keys, sorted by name (the suggestions list them in this order). */
enum {
	KEY_ALIGN, KEY_AT, KEY_BASE, KEY_DECODE, KEY_EXPECT, KEY_FORMAT, KEY_HOLES, KEY_LEN, KEY_NAME,
	KEY_NS, KEY_PAD, KEY_SELF, KEY_SHA256, KEY_SKIP, KEY_TO, KEY_V5, NKEYS
};
extern const char *const key_names[NKEYS];
/* The key named p[0..n) (n >= 1), or NKEYS. */
int key_index(const unsigned char *p, size_t n);

#define FIELD_BE 0x80		/* kind_row.param of a big-endian field */

struct kind_row {
	const char *name;
	int kind;		/* enum frag_kind or LINE_... */
	unsigned param;		/* FIELD: width | FIELD_BE; DIGEST: enum digest_algo */
	unsigned keys;		/* the keys it takes, 1 << KEY_... */
	const char *one;	/* "'NAME' takes one ..." */
};
extern const struct kind_row kinds[];
extern const size_t nkinds;

/* What one line has gathered so far. */
struct line_state {
	const struct kind_row *row;
	int kind;		/* row->kind */
	size_t kcol;
	struct fragment f;
	struct frag_ext x;	/* the v2 part, kept when has_ext */
	int has_ext;
	unsigned seen;		/* keys given, 1 << KEY_... */
	size_t nargs;
	struct token arg;	/* the first positional argument */
	int has_word;		/* uuid, digest: a word after the argument */
	unsigned char *hex_start, *hex_out;	/* hex: the bytes so far */
	unsigned pending;	/* hex: a high nibble waiting for its low one */
	int half;
	size_t hex_col;		/* hex: the last digit token's column */
	size_t decode_col;	/* file: the column of decode='s value */
	unsigned char digest[32];
	unsigned char *digest_at;	/* where the digits were */
};

int bytes_are(const unsigned char *p, size_t n, const char *w);
void directive_set(struct parse *P, const struct line_state *L, struct directive *d);

/* args.c */
void kind_defaults(struct line_state *L);
int key_value(struct parse *P, struct line_state *L, const struct token *t);
int positional(struct parse *P, struct line_state *L, const struct token *t);
/* The line's arguments into the fragment, once all are read. */
int finish_args(struct parse *P, struct line_state *L);
/* name= of the line: unique, not `image`; 0 or -1 reported. */
int name_add(struct parse *P, const struct line_state *L, size_t frag);

/* directive.c */
int finish_directive(struct parse *P, struct line_state *L);
/* `include` and `define`, which read their own tokens. */
int directive_line(struct parse *P, struct line_state *L, struct lexer *lx);
/* Keep a text from mem_realloc (an expanded line) with the origin's texts. */
int keep_text(struct parse *P, unsigned char *text, size_t len);

#endif

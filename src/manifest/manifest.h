/*
 * manifest.h -- manifest text -> fragments and directives (SPEC §2).
 *
 * The parser does no I/O beyond reading the manifest itself.  It keeps the
 * whole text in memory and unescapes tokens in place, so a fragment's path
 * or bytes point into that text: no allocation per line or per token.
 * Errors are added to a struct errors with their place (FILE, LINE, COL);
 * the caller prints them.
 */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum frag_kind { FRAG_FILE, FRAG_DATA, FRAG_HEX, FRAG_FILL, FRAG_ZERO, FRAG_UUID };

enum at_mode {
	AT_FOLLOW,	/* no at=: right after the previous fragment */
	AT_ABS,		/* at=OFF */
	AT_REL		/* at=+N: N bytes after the previous fragment's end */
};

struct fragment {
	const unsigned char *bytes; /* FILE: NUL-terminated path; DATA, HEX: the bytes */
	uint64_t nbytes;	/* FILE: path length; DATA, HEX: byte count */
	int64_t at;		/* AT_ABS: the offset; AT_REL: N */
	int64_t skip;		/* FILE: source offset (default 0) */
	int64_t len;		/* FILE, FILL, ZERO: len=, or -1 when not given */
	const unsigned char *sha256; /* 32 bytes, or NULL when not given */
	uint32_t line;		/* 1-based line within its origin */
	uint32_t col;		/* 1-based column of the kind token */
	uint8_t kind;		/* enum frag_kind */
	uint8_t at_mode;	/* enum at_mode */
	uint8_t byte;		/* FILL: the byte; UUID: 1 for text, 0 for binary */
	uint8_t origin;		/* index into manifest.origin[] */
};

/* A text the parser read, never moved once parsed: fragments point into it. */
struct chunk {
	struct chunk *prev;	/* the origin's chunk before this one, or NULL */
	unsigned char *text;	/* len bytes and a spare one, malloc'd */
	size_t len;
};

/* Where lines came from: a manifest file, standard input, or -e options. */
struct origin {
	char *name;		/* "dir/m.manifest", "<stdin>" or "<command-line>" */
	char *dir;		/* relative paths resolve against this ("." for stdin, -e) */
	struct chunk *chunks;	/* its texts, newest first (manifest.c) */
	uint32_t lines;		/* lines seen so far (for -e: one per line added) */
};

#define MANIFEST_MAX_ORIGINS 3

struct directive {
	int set;		/* 0 when absent */
	uint8_t origin;
	uint32_t line, col;
};

struct manifest {
	struct fragment *frag;
	size_t nfrag, alloc;
	struct origin origin[MANIFEST_MAX_ORIGINS];
	size_t norigin;
	char *output;		/* `output PATH`, joined to its origin's dir; NULL if absent */
	struct directive output_at;
	int64_t size;		/* `size N`, or -1 when absent */
	struct directive size_at;
	int stdin_used;		/* the manifest itself came from standard input */
};

void manifest_init(struct manifest *m);
/* Parse a manifest file; "-" reads standard input.  0, or -1 with the
 * errors (every bad line's) added to err. */
int manifest_add_file(struct manifest *m, const char *path, struct errors *err);
/* Parse one -e LINE (it may itself hold several lines); 0 or -1, as above. */
int manifest_add_line(struct manifest *m, const char *line, struct errors *err);
/* Parse text held in memory under a name, relative paths against dir. */
int manifest_add_text(struct manifest *m, const char *name, const char *dir,
		      const char *text, size_t len, struct errors *err);
/* Free the fragment records once a plan holds what is needed of them; the
 * text (which data, hex and paths point into) stays, nfrag still counts. */
void manifest_drop_fragments(struct manifest *m);
void manifest_release(struct manifest *m);

const char *frag_kind_name(int kind);	/* "file", "data", ... */
/* Where a fragment is, for an error. */
struct place frag_place(const struct manifest *m, const struct fragment *f);

/* Numbers of SPEC §2: decimal or 0x hex, optional K M G T P E / KiB..EiB.
 * 0 on success, else a static message ("number too large", ...). */
const char *parse_number(const char *s, size_t n, int64_t *out);

#endif

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

enum frag_kind {
	FRAG_FILE, FRAG_DATA, FRAG_HEX, FRAG_FILL, FRAG_ZERO, FRAG_UUID,
	FRAG_FIELD,		/* u8 .. u64be EXPR (SPEC §8.3) */
	FRAG_DIGEST,		/* sha256 .. md5 RANGE [text] */
};

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
	int64_t len;		/* FILE, FILL, ZERO, and DATA, HEX (a fixed width):
				 * len=, or -1 when not given */
	const unsigned char *sha256; /* 32 bytes, or NULL when not given */
	uint32_t line;		/* 1-based line within its origin */
	uint32_t col;		/* 1-based column of the kind token */
	uint8_t kind;		/* enum frag_kind */
	uint8_t at_mode;	/* enum at_mode */
	uint8_t byte;		/* FILL: the byte; UUID: 1 for text, 0 for binary;
				 * DATA, HEX: the pad= byte of a len= field;
				 * FILE: 1 for holes=skip */
	uint8_t origin;		/* index into manifest.origin[] */
	uint32_t ext;		/* 1 + index into manifest.ext: what a line of the
				 * v2 grammar says beyond v1; 0 for none, so that a
				 * v1 fragment costs nothing more (64 bytes) */
};

/*
 * A number of the v2 grammar as written: a plain value, or an expression
 * (SPEC §8.2) that the planner evaluates once the layout it refers to is
 * known.  An expression is its token's bytes in the manifest's text.
 */
struct mnum {
	const unsigned char *expr; /* NULL: the value is v */
	uint32_t n;		/* the expression's length */
	uint32_t col;		/* the column of the token (or of the expression) */
	int64_t v;
	uint8_t set;		/* given at all */
	uint8_t quoted;		/* columns inside the expression are not known */
};

enum digest_algo { DIGEST_SHA256, DIGEST_SHA512, DIGEST_SHA1, DIGEST_MD5 };
enum file_format { FORMAT_RAW, FORMAT_IHEX, FORMAT_SREC };
/* decode= (SPEC §9.3): what the file's bytes are compressed with. */
enum file_decode { DECODE_NONE, DECODE_GZIP, DECODE_XZ, DECODE_ZSTD, DECODE_AUTO };

struct frag_ext {
	const unsigned char *name; /* name=, or NULL */
	uint32_t name_len;
	uint32_t name_col;
	struct mnum at, skip, len, align, to;
	struct mnum value;	/* FIELD: its value; FILL: its byte; DIGEST: the range */
	struct mnum base;	/* FILE format=: base= (a plain number) */
	struct mnum pad;	/* DATA, HEX: pad=BYTE (with len=) as an expression */
	const unsigned char *expect; /* expect=: bytes, or a SHA-256 digest */
	uint32_t expect_len;
	uint32_t expect_col;
	const unsigned char *v5; /* UUID v5=: the name */
	uint32_t v5_len;
	unsigned char ns[16];	/* UUID ns= (default: the nil UUID) */
	uint8_t expect_sha256;	/* expect=sha256:HEX */
	uint8_t width;		/* FIELD: bytes (1, 2, 4, 8) */
	uint8_t big_endian;	/* FIELD */
	uint8_t algo;		/* DIGEST: enum digest_algo */
	uint8_t text;		/* DIGEST: lowercase hex instead of raw bytes */
	uint8_t guid;		/* UUID: mixed-endian GUID order */
	uint8_t format;		/* FILE: enum file_format */
	uint8_t decode;		/* FILE: enum file_decode */
	uint8_t has_self, self;	/* self=BYTE */
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
	int parent;		/* the origin that includes it, or -1 at the top */
	uint32_t at_line;	/* the parent's line that includes it */
};

#define MANIFEST_MAX_ORIGINS 256	/* fragment.origin is a byte */
#define MANIFEST_MAX_INCLUDE_DEPTH 32

struct directive {
	int set;		/* 0 when absent */
	uint8_t origin;
	uint32_t line, col;
};

/* `define NAME VALUE`, -D NAME=VALUE, or a NAME=VALUE pair of `include`. */
struct define {
	char *name, *value;
	size_t nlen, vlen;
	struct directive at;	/* where it was defined (set 0: -D) */
};

struct manifest {
	struct fragment *frag;
	size_t nfrag, alloc;
	struct origin origin[MANIFEST_MAX_ORIGINS];
	size_t norigin;
	char *output;		/* `output PATH`, joined to its origin's dir; NULL if absent */
	struct directive output_at;
	int64_t size;		/* `size N`, or -1 when absent (see size_expr) */
	struct mnum size_expr;	/* `size EXPR`: size is -1, the plan evaluates it */
	struct directive size_at;
	struct mnum pad;	/* `pad BYTE`: gaps and padding hold it */
	struct directive pad_at;
	int stdin_used;		/* the manifest itself came from standard input */
	struct frag_ext *ext;	/* fragment.ext - 1 indexes it */
	size_t next, ext_alloc;
	uint32_t *names;	/* open addressing: fragment index + 1 by name */
	size_t names_mask, nnames;
	struct define *defines;	/* `define` lines, in order */
	size_t ndefines, defines_alloc;
	struct define *cmdline;	/* -D NAME=VALUE: they win over everything */
	size_t ncmdline;
	int no_env;		/* --confine: ${NAME} never reads the environment */
	const char *confine;	/* --confine's real path: an include must be in it;
				 * "" when it has none (every include refused) */
	int top_set;		/* the top manifest is a file: its identity */
	uint64_t top_dev, top_ino;
};

void manifest_init(struct manifest *m);
/* -D NAME=VALUE, before anything is parsed: 0, or -1 with err. */
int manifest_define(struct manifest *m, const char *name_value, struct errors *err);
/* The v2 record of a fragment, or NULL for a v1 one. */
static inline const struct frag_ext *frag_ext(const struct manifest *m, const struct fragment *f)
{
	return f->ext ? &m->ext[f->ext - 1] : NULL;
}
/*
 * A field's value and shape (FRAG_FIELD).  A field line with no key at all
 * has no v2 record: its struct fragment holds them (parse.c), so 100,000
 * such fields cost what 100,000 v1 lines do, not a 328-byte record each.
 * There, bytes is the value's expression (NULL: the number is skip),
 * nbytes its length, len its column, and byte the width (1, 2, 4, 8) with
 * FIELD_BYTE_BE and FIELD_BYTE_QUOTED.
 */
#define FIELD_BYTE_BE 0x10
#define FIELD_BYTE_QUOTED 0x20
struct field_shape {
	struct mnum value;
	uint8_t width, big_endian, has_self, self;
};

static inline struct field_shape frag_field(const struct manifest *m, const struct fragment *f)
{
	const struct frag_ext *x = frag_ext(m, f);
	struct field_shape s = { .value = { .set = 1 } };

	if (x)
		return (struct field_shape){ x->value, x->width, x->big_endian, x->has_self,
					     x->self };
	s.value.expr = f->bytes;
	s.value.n = (uint32_t)f->nbytes;
	s.value.col = (uint32_t)f->len;
	s.value.v = f->skip;
	s.value.quoted = (f->byte & FIELD_BYTE_QUOTED) != 0;
	s.width = f->byte & 15;
	s.big_endian = (f->byte & FIELD_BYTE_BE) != 0;
	return s;
}

/* The fragment called name[0..n), or -1. */
long manifest_find_name(const struct manifest *m, const unsigned char *name, size_t n);

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
/* A place_order (util/error.h) for errors at a manifest's places, ctx the
 * manifest: reading order, an included file's lines at the line that
 * includes it; origins at the top in their order. */
int manifest_place_order(const void *ctx, uint32_t rank_a, uint64_t line_a, uint32_t rank_b,
			 uint64_t line_b);
/* What tells a field's or digest's line word: its width (| 0x80 big-endian)
 * or its enum digest_algo (| 0x80 with `text`); f->byte for the other kinds. */
uint8_t frag_shape(const struct manifest *m, const struct fragment *f);
/* The word the line starts with, as the report shows it: frag_kind_name,
 * but "u8" .. "u64be" for a field and "sha256" .. "md5" for a digest. */
const char *frag_word(int kind, uint8_t shape);
/* Where a fragment is, for an error. */
struct place frag_place(const struct manifest *m, const struct fragment *f);

/* Numbers of SPEC §2: decimal or 0x hex, optional K M G T P E / KiB..EiB.
 * 0 on success, else a static message ("number too large", ...). */
const char *parse_number(const char *s, size_t n, int64_t *out);

#endif

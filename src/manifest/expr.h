/*
 * expr.h -- the expressions of SPEC §8.2, parsed once into a pool and
 * evaluated in signed 128-bit arithmetic against an environment that
 * answers references (NAME.start ...) and checksums (crc32(R) ...).
 *
 * Grammar (C's precedence, every binary operator left-associative):
 *
 *	expr    = or
 *	or      = xor { "|" xor }          xor   = and { "^" and }
 *	and     = shift { "&" shift }      shift = add { ("<<" | ">>") add }
 *	add     = mul { ("+" | "-") mul }  mul   = unary { ("*" | "/" | "%") unary }
 *	unary   = ("-" | "~") unary | primary
 *	primary = NUMBER | NAME "." ("start" | "end" | "size") | "image.size"
 *	        | "(" expr ")" | ("align" | "min" | "max") "(" expr "," expr ")"
 *	        | SUM "(" range ")" | "crc" "(" range 6 * ("," expr) ")"
 *	range   = NAME | NAME ".." NAME | expr ".." expr | "image"
 *	SUM     = crc32 crc32c crc32_mpeg2 crc16_xmodem crc16_ccitt crc16_modbus
 *	          crc8 adler32 sum
 *
 * NUMBER is spelt as in SPEC §2 (decimal or 0x hex, then K M G T P E or
 * KiB ... EiB in any case), but up to 2^127-1, and a leading 0 is still
 * decimal.  There is no negative literal: -(2^127) is ~(2^127-1), as in C.
 * Blanks (space, tab) may stand between tokens, not inside one: NAME.start
 * is one token.  A range is NAME..NAME only when both sides are bare names;
 * `kernel..0x100` is an error (write kernel.start..0x100).  `image` alone
 * is a range, never a name in NAME..NAME.
 *
 * Arithmetic is C's on an __int128 that cannot overflow: overflow of 128
 * bits, division or % by zero, and a shift count outside 0..63 are errors.
 * / and % truncate toward zero; INT128_MIN % -1 is 0 (INT128_MIN / -1
 * overflows).  a << n is a * 2^n (so -1 << 4 is -16, and overflow is an
 * error); a >> n is floor(a / 2^n), the arithmetic shift.
 * align(X, N) is the least multiple of N that is >= X (for a negative X
 * too), and N <= 0 is an error.
 *
 * Nodes are kept in postfix order in one growing array: a node's operands
 * come right before it, so a subtree is the slice [first, root] and is
 * evaluated by one loop over it with a value stack -- no recursion, however
 * long `1+1+...+1` is (the stack is on the C stack up to 32 values, on the
 * heap past that).  Parsing does recurse, so nesting is
 * limited (EXPR_MAX_DEPTH): a bomb of 100,000 '(' is an error, not a stack
 * overflow.  Names point into the parsed text, which must outlive the pool
 * (the manifest keeps its text).  A token that is a plain number never
 * comes here: callers read it with parse_number first (args.c), so a
 * million `fill 7 len=1` lines build no node at all.
 *
 * Columns: col0 is the 1-based column of s[0] in its line, and every error
 * points at the offending token, col0 + its offset.  With col0 == 0 (a
 * quoted token, whose raw and unescaped bytes differ) columns inside it are
 * not known: errors carry col 0, and the caller uses the token's column.
 */
#ifndef MANIFEST_EXPR_H
#define MANIFEST_EXPR_H

#include <stddef.h>
#include <stdint.h>

#define EXPR_MAX_DEPTH 256	/* nesting: parentheses, function calls, unary operators */

struct expr_node;		/* expr.c's own */

/* Parsed expressions, any number of them: {0} is an empty pool.  A caller
 * that parses one expression at a time may reset n to 0 between them. */
struct expr_pool {
	struct expr_node *v;
	size_t n, cap;
};

struct expr_error {
	size_t col;		/* 1-based column in the manifest line; 0: unknown */
	char msg[160];		/* lowercase, the subject quoted, no place */
};

/* What a reference asks for. */
enum expr_attr { EXPR_START, EXPR_END, EXPR_SIZE };

enum expr_range_kind {
	EXPR_RANGE_NAME,	/* NAME: NAME.start .. NAME.end */
	EXPR_RANGE_NAMES,	/* A..B: A.start .. B.end */
	EXPR_RANGE_OFFSETS,	/* EXPR..EXPR */
	EXPR_RANGE_IMAGE,	/* image: 0 .. image.size */
};

/* A range: what was written and, once evaluated, [start, end), with
 * 0 <= start <= end <= INT64_MAX checked. */
struct expr_range {
	enum expr_range_kind kind;
	const unsigned char *first, *last; /* NAME, NAMES: the names (NAME: first == last) */
	size_t first_len, last_len;
	int64_t start, end;	/* -1 when not evaluated (expr_visit) */
	size_t col;		/* the range's first token (0: unknown) */
};

/* The checksum functions of SPEC §8.4, in the order of that table. */
enum expr_sum {
	EXPR_CRC32, EXPR_CRC32C, EXPR_CRC32_MPEG2, EXPR_CRC16_XMODEM, EXPR_CRC16_CCITT,
	EXPR_CRC16_MODBUS, EXPR_CRC8, EXPR_ADLER32, EXPR_SUM, EXPR_CRC,
};

/* A CRC in the Rocksoft model, as the CRC catalogue writes it: poly in
 * normal form; poly, init and xorout below 2^width. */
struct expr_crc_model {
	unsigned width;		/* 1..64; 0 for adler32 and sum */
	uint64_t poly, init, xorout;
	uint8_t refin, refout;
};

/* What a checksum asks of the environment.  Every CRC kind comes with its
 * model -- the catalogue's for crc32 .. crc8, the checked arguments for
 * crc() -- so one table-driven CRC can compute them all. */
struct expr_checksum {
	enum expr_sum kind;
	const char *fn;		/* its name, "crc32" ..., for messages */
	struct expr_range range;	/* evaluated */
	struct expr_crc_model crc;
	size_t col;		/* of the function's name */
};

/*
 * The planner's answers.  Each callback returns 0 with *v, or -1 with a
 * message in e->msg; e->col is 0 on the call, and left 0 it becomes the
 * column of the reference or function.  A NULL callback makes every
 * reference (or checksum) an error.
 *
 * A callback may parse and evaluate other expressions, in the same pool
 * too (a checksum computing the fields inside its range first), as long as
 * it only appends to that pool: resetting p->n to below what it was would
 * overwrite the expression being evaluated.  Save n and restore it.
 */
struct expr_env {
	void *ctx;
	/* NAME.attr, and image.size as name "image" with EXPR_SIZE. */
	int (*ref)(void *ctx, const unsigned char *name, size_t len, int attr, __int128 *v,
		   struct expr_error *e);
	int (*checksum)(void *ctx, const struct expr_checksum *c, __int128 *v,
			struct expr_error *e);
};

/* Parse s[0..n) into p (appended); *root is the expression's node.  0, or
 * -1 with *e (and p as it was). */
int expr_parse(struct expr_pool *p, const unsigned char *s, size_t n, size_t col0,
	       uint32_t *root, struct expr_error *e);
/* Parse s[0..n) as a RANGE alone (the argument of `sha256 RANGE`). */
int expr_parse_range(struct expr_pool *p, const unsigned char *s, size_t n, size_t col0,
		     uint32_t *root, struct expr_error *e);

/* The value of the expression at root (from expr_parse).  0, or -1 with *e. */
int expr_eval(const struct expr_pool *p, uint32_t root, const struct expr_env *env,
	      __int128 *out, struct expr_error *e);
/* The range at root (from expr_parse_range), evaluated into *out. */
int expr_eval_range(const struct expr_pool *p, uint32_t root, const struct expr_env *env,
		    struct expr_range *out, struct expr_error *e);

/*
 * What an expression refers to, without evaluating it, in the order of its
 * text: for dependency ordering, and for "layout keys may refer only to
 * earlier lines, never to image.size".  ref is called for every NAME.attr
 * and image.size (with its column), range for every checksum's range (and
 * for the root of expr_parse_range); the names of a NAME or NAME..NAME
 * range reach range only, not ref.  A NULL callback is skipped.  Returns 0,
 * the first non-zero value a callback returned, or -1 for a root that is
 * not in the pool.
 */
struct expr_visitor {
	void *ctx;
	int (*ref)(void *ctx, const unsigned char *name, size_t len, int attr, size_t col);
	int (*range)(void *ctx, const struct expr_range *r);
};
int expr_visit(const struct expr_pool *p, uint32_t root, const struct expr_visitor *v);

/* The pool's memory freed; {0} again. */
void expr_pool_release(struct expr_pool *p);

#endif

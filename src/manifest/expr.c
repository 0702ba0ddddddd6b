/*
 * expr.c -- the expressions of SPEC §8.2 (expr.h): a scanner, a
 * recursive-descent parser that emits nodes in postfix order, and an
 * evaluator that runs over that order with a value stack.
 *
 * The scanner is pure (a position in, a token out), so the parser can look
 * a token or two ahead without state: that is all it takes to tell a
 * function call from a name, and NAME..NAME from EXPR..EXPR.
 */
#include "manifest/expr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"
#include "util/hex.h"
#include "util/suggest.h"
#include "util/units.h"

#define I128_MAX ((__int128)(~(unsigned __int128)0 >> 1))
#define I128_MIN (-I128_MAX - 1)
#define LEAF UINT32_MAX		/* emit(): the node is its own subtree */

/* The functions: the checksums first, in enum expr_sum's order. */
enum fn {
	F_CRC = EXPR_CRC, F_ALIGN, F_MIN, F_MAX, NFN
};

static const char *const fn_names[NFN] = {
	"crc32", "crc32c", "crc32_mpeg2", "crc16_xmodem", "crc16_ccitt", "crc16_modbus", "crc8",
	"adler32", "sum", "crc", "align", "min", "max",
};

static const unsigned char fn_nargs[NFN] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 7, 2, 2, 2 };

/* The CRC catalogue's models of the named CRCs; SPEC §8.4 gives their
 * check values, which tests/unit/test_expr.c computes from these. */
static const struct expr_crc_model models[EXPR_ADLER32] = {
	[EXPR_CRC32] = { .width = 32, .poly = 0x04c11db7, .init = 0xffffffff,
			 .xorout = 0xffffffff, .refin = 1, .refout = 1 },
	[EXPR_CRC32C] = { .width = 32, .poly = 0x1edc6f41, .init = 0xffffffff,
			  .xorout = 0xffffffff, .refin = 1, .refout = 1 },
	[EXPR_CRC32_MPEG2] = { .width = 32, .poly = 0x04c11db7, .init = 0xffffffff },
	[EXPR_CRC16_XMODEM] = { .width = 16, .poly = 0x1021 },
	[EXPR_CRC16_CCITT] = { .width = 16, .poly = 0x1021, .init = 0xffff },
	[EXPR_CRC16_MODBUS] = { .width = 16, .poly = 0x8005, .init = 0xffff, .refin = 1,
				.refout = 1 },
	[EXPR_CRC8] = { .width = 8, .poly = 0x07 },
};

static const char *const attr_names[] = { "start", "end", "size" };

enum node_kind { N_NUM, N_REF, N_NEG, N_NOT, N_BIN, N_CALL, N_RANGE, N_SUM };

struct expr_node {
	__int128 v;		/* N_NUM: the value */
	const unsigned char *name, *name2; /* N_REF: the name; N_RANGE: first, last */
	size_t len, len2;
	size_t col;		/* its own token (N_RANGE: its end's first token) */
	size_t lcol;		/* its subtree's first token: where an argument starts */
	uint32_t first;		/* its subtree's first node */
	uint32_t range;		/* N_SUM: its N_RANGE node */
	uint8_t kind;		/* enum node_kind */
	uint8_t op;		/* N_BIN: the operator; N_CALL, N_SUM: enum fn;
				 * N_REF: enum expr_attr; N_RANGE: enum expr_range_kind */
};

/* ---- scanning ---- */

enum tok { T_END, T_NUM, T_NAME, T_REF, T_OP, T_BAD };

/* The operators of two bytes; the others are their own byte. */
enum { OP_SHL = 'L', OP_SHR = 'R', OP_RANGE = 'D' };

struct token {
	uint8_t kind;		/* enum tok */
	uint8_t op;		/* T_OP */
	size_t at, n;		/* s[at..at+n) */
	size_t dot;		/* T_REF: the name's length, before its '.' */
};

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_byte(unsigned char c)
{
	return is_name_start(c) || is_digit(c);
}

/* A run of [A-Za-z0-9_]: a number with its suffix, or a name -- and then
 * NAME.attr, a reference, unless the dot begins "..". */
static void scan_word(const unsigned char *s, size_t n, struct token *t)
{
	size_t j = t->at;

	while (j < n && is_name_byte(s[j]))
		j++;
	t->kind = is_digit(s[t->at]) ? T_NUM : T_NAME;
	if (t->kind == T_NAME && j < n && s[j] == '.' && (j + 1 == n || s[j + 1] != '.')) {
		t->kind = T_REF;
		t->dot = j - t->at;
		for (j++; j < n && is_name_byte(s[j]); j++)
			;
	}
	t->n = j - t->at;
}

/* The token at or after s[i] (blanks skipped). */
static struct token scan(const unsigned char *s, size_t n, size_t i)
{
	static const char pairs[][3] = { "<<L", ">>R", "..D" };
	struct token t = { .kind = T_END };

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	t.at = i;
	if (i == n)
		return t;
	if (is_name_byte(s[i])) {
		scan_word(s, n, &t);
		return t;
	}
	t.kind = T_OP;
	t.n = 2;
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++)
		if (i + 1 < n && s[i] == pairs[k][0] && s[i + 1] == pairs[k][1]) {
			t.op = (uint8_t)pairs[k][2];
			return t;
		}
	t.n = 1;
	t.op = s[i];
	if (!s[i] || !strchr("()+-*/%~&^|,", s[i]))
		t.kind = T_BAD;
	return t;
}

static int is_op(const struct token *t, int op)
{
	return t->kind == T_OP && t->op == op;
}

static int is_image(const unsigned char *s, size_t n)
{
	return n == 5 && memcmp(s, "image", 5) == 0;
}

static int find_fn(const unsigned char *s, size_t n)
{
	for (int f = 0; f < NFN; f++)
		if (strlen(fn_names[f]) == n && memcmp(fn_names[f], s, n) == 0)
			return f;
	return -1;
}

/* ---- parsing ---- */

struct parser {
	struct expr_pool *p;
	const unsigned char *s;
	size_t n, col0;
	struct token t;		/* the current token */
	struct token prev;	/* the one before it */
	unsigned depth;		/* ( ), functions and unary operators around t */
	struct expr_error *e;
};

static int binary(struct parser *P, int min, uint32_t *out);
static int unary(struct parser *P, uint32_t *out);

static void next(struct parser *P)
{
	P->prev = P->t;
	P->t = scan(P->s, P->n, P->t.at + P->t.n);
}

/* The column of s[off], or 0 when columns inside the text are not known. */
static size_t at(const struct parser *P, size_t off)
{
	return P->col0 ? P->col0 + off : 0;
}

static int parse_error(struct parser *P, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_error(struct parser *P, size_t col, const char *fmt, ...)
{
	va_list ap;

	P->e->col = col;
	va_start(ap, fmt);
	vsnprintf(P->e->msg, sizeof(P->e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *quote(char *q, const struct parser *P, size_t off, size_t n)
{
	return escape_bytes(q, P->s + off, n);
}

/* Append x; first is the first node of its subtree, LEAF for x itself. */
static int emit(struct parser *P, struct expr_node *x, uint32_t first, uint32_t *out)
{
	struct expr_pool *p = P->p;

	if (p->n >= UINT32_MAX - 1)
		return parse_error(P, at(P, P->prev.at), "expression too long");
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct expr_node *v = cap > SIZE_MAX / sizeof(*v) ? NULL
				      : realloc(p->v, cap * sizeof(*v));

		if (!v)
			return parse_error(P, at(P, P->prev.at), "out of memory");
		p->v = v;
		p->cap = cap;
	}
	*out = (uint32_t)p->n;
	x->first = first == LEAF ? *out : first;
	p->v[p->n++] = *x;
	return 0;
}

/* One more level of nesting, refused past EXPR_MAX_DEPTH: the parser
 * recurses, and a manifest must not be able to exhaust its stack. */
static int enter(struct parser *P)
{
	if (P->depth >= EXPR_MAX_DEPTH)
		return parse_error(P, at(P, P->t.at), "expression nested deeper than %d levels",
				   EXPR_MAX_DEPTH);
	P->depth++;
	return 0;
}

/* A token where it cannot stand; wanted (or NULL) says what could. */
static int unexpected(struct parser *P, const char *wanted)
{
	const struct token *t = &P->t;
	char q[ESCAPE_BUF];

	if (is_op(t, OP_RANGE))
		return parse_error(P, at(P, t->at), "unexpected '..' (%s)",
				   "a range is only the first argument of a checksum");
	if (!wanted || t->kind == T_BAD || is_op(t, ')') || is_op(t, ','))
		return parse_error(P, at(P, t->at), "unexpected '%s'", quote(q, P, t->at, t->n));
	return parse_error(P, at(P, t->at), "expected %s before '%s'", wanted,
			   quote(q, P, t->at, t->n));
}

/* The end came where a value was due: after the previous token. */
static int missing_value(struct parser *P)
{
	char q[ESCAPE_BUF];

	return parse_error(P, at(P, P->prev.at), "expected a value after '%s'",
			   quote(q, P, P->prev.at, P->prev.n));
}

static int upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* The suffix s[off..off+n) of a number: its shift (10 for K ... 60 for E),
 * or -1 with the messages of number.c. */
static int suffix_shift(struct parser *P, size_t off, size_t n)
{
	static const char units[] = "KMGTPE";
	const unsigned char *s = P->s + off;
	const char *u = strchr(units, upper(s[0]));
	char q[ESCAPE_BUF];

	if (s[0] && u && (n == 1 || (n == 3 && upper(s[1]) == 'I' && upper(s[2]) == 'B')))
		return 10 * (int)(u - units + 1);
	if (s[0] && u)
		return parse_error(P, at(P, off), "unknown suffix '%s' (use %c or %ciB)",
				   quote(q, P, off, n), *u, *u);
	return parse_error(P, at(P, off),
			   "unknown suffix '%s' (use K, M, G, T, P, E or KiB ... EiB)",
			   quote(q, P, off, n));
}

/* A number as in SPEC §2, up to 2^127-1. */
static int number(struct parser *P, uint32_t *out)
{
	const struct token t = P->t;
	const unsigned char *s = P->s + t.at;
	const unsigned __int128 max = (unsigned __int128)I128_MAX;
	unsigned __int128 v = 0;
	struct expr_node x = { .kind = N_NUM, .col = at(P, t.at), .lcol = at(P, t.at) };
	unsigned base = 10;
	size_t i = 0, first;
	char q[ESCAPE_BUF];
	int shift = 0, d;

	if (t.n >= 2 && s[0] == '0' && upper(s[1]) == 'X') {
		base = 16;
		i = 2;
	}
	/* v * base + d overflows when v passes max / base, or reaches it with a
	 * digit past max % base: two constant divisions, not one per digit. */
	const unsigned __int128 vmax = base == 16 ? max / 16 : max / 10;
	const unsigned dmax = base == 16 ? (unsigned)(max % 16) : (unsigned)(max % 10);

	for (first = i; i < t.n && (d = hex_value(s[i])) >= 0 && (unsigned)d < base; i++) {
		if (v > vmax || (v == vmax && (unsigned)d > dmax))
			return parse_error(P, x.col, "number too large: '%s'",
					   quote(q, P, t.at, t.n));
		v = v * base + (unsigned)d;
	}
	if (i == first)
		return parse_error(P, x.col, "no hex digits after '0x': '%s'",
				   quote(q, P, t.at, t.n));
	if (i < t.n && (shift = suffix_shift(P, t.at + i, t.n - i)) < 0)
		return -1;
	if (v > max >> shift)
		return parse_error(P, x.col, "number too large: '%s'", quote(q, P, t.at, t.n));
	x.v = (__int128)(v << shift);
	next(P);
	return emit(P, &x, LEAF, out);
}

/* NAME.start, NAME.end, NAME.size, image.size. */
static int reference(struct parser *P, uint32_t *out)
{
	const struct token t = P->t;
	size_t aoff = t.at + t.dot + 1, alen = t.n - t.dot - 1;
	const char *attr = (const char *)P->s + aoff;
	struct expr_node x = { .kind = N_REF, .name = P->s + t.at, .len = t.dot,
			       .col = at(P, t.at), .lcol = at(P, t.at) };
	char q[ESCAPE_BUF], q2[ESCAPE_BUF], hint[64];
	size_t a = 0;

	while (a < 3 && !(strlen(attr_names[a]) == alen && memcmp(attr_names[a], attr, alen) == 0))
		a++;
	if (alen == 0)
		return parse_error(P, at(P, aoff - 1), "expected start, end or size after '%s.'",
				   quote(q, P, t.at, t.dot));
	if (a == 3) {
		const char *h = suggest(hint, sizeof(hint), attr, alen, attr_names, 3, ~0u);

		return parse_error(P, at(P, aoff), "unknown attribute '%s' of '%s'%s",
				   quote(q, P, aoff, alen), quote(q2, P, t.at, t.dot),
				   *h ? h : " (use start, end or size)");
	}
	if (is_image(x.name, x.len) && a != EXPR_SIZE)
		return parse_error(P, at(P, aoff), "'image.%s': the image has only .size",
				   attr_names[a]);
	x.op = (uint8_t)a;
	next(P);
	return emit(P, &x, LEAF, out);
}

static int arity_error(struct parser *P, int f, size_t col)
{
	return parse_error(P, col, "'%s' takes %u argument%s", fn_names[f], fn_nargs[f],
			   fn_nargs[f] == 1 ? "" : "s");
}

/* The ',' before another argument of f (named at column fcol). */
static int comma(struct parser *P, int f, size_t fcol)
{
	if (is_op(&P->t, ',')) {
		next(P);
		return 0;
	}
	if (is_op(&P->t, ')'))
		return arity_error(P, f, at(P, P->t.at));
	if (P->t.kind == T_END)
		return parse_error(P, fcol, "expected ')' after the arguments of '%s'",
				   fn_names[f]);
	return unexpected(P, "an operator or ','");
}

/* The ')' after the last argument of f. */
static int close_call(struct parser *P, int f, size_t fcol)
{
	if (is_op(&P->t, ')')) {
		next(P);
		return 0;
	}
	if (is_op(&P->t, ','))
		return arity_error(P, f, at(P, P->t.at));
	return parse_error(P, P->t.kind == T_END ? fcol : at(P, P->t.at),
			   "expected ')' after the arguments of '%s'", fn_names[f]);
}

/* A range that is names alone: NAME, image, or NAME..NAME, each followed
 * by the range's end.  1 when it was one (x filled, tokens consumed), 0
 * when it is not (nothing consumed), -1 on error. */
static int name_range(struct parser *P, struct expr_node *x)
{
	const struct token a = P->t, dots = scan(P->s, P->n, a.at + a.n);
	struct token b, after;

	x->name = x->name2 = P->s + a.at;
	x->len = x->len2 = a.n;
	if (dots.kind == T_END || is_op(&dots, ',') || is_op(&dots, ')')) {
		x->op = is_image(x->name, x->len) ? EXPR_RANGE_IMAGE : EXPR_RANGE_NAME;
		next(P);
		return 1;
	}
	if (!is_op(&dots, OP_RANGE))
		return 0;
	b = scan(P->s, P->n, dots.at + dots.n);
	after = scan(P->s, P->n, b.at + b.n);
	if (b.kind != T_NAME ||
	    !(after.kind == T_END || is_op(&after, ',') || is_op(&after, ')')))
		return 0;
	if (is_image(x->name, x->len) || is_image(P->s + b.at, b.n))
		return parse_error(P, at(P, is_image(x->name, x->len) ? a.at : b.at),
				   "'image' cannot be an end of a NAME..NAME range");
	x->op = EXPR_RANGE_NAMES;
	x->name2 = P->s + b.at;
	x->len2 = b.n;
	x->col = at(P, b.at);
	next(P);
	next(P);
	next(P);
	return 1;
}

/* RANGE: NAME, NAME..NAME, EXPR..EXPR or image; fn names the checksum
 * whose argument it is (NULL: a range alone). */
static int range(struct parser *P, const char *fn, uint32_t *out)
{
	static const char shapes[] = "NAME, NAME..NAME, START..END or image";
	struct expr_node x = { .kind = N_RANGE, .col = at(P, P->t.at), .lcol = at(P, P->t.at) };
	uint32_t lo, hi, first;
	int rc = P->t.kind == T_NAME ? name_range(P, &x) : 0;

	if (rc)
		return rc < 0 ? -1 : emit(P, &x, LEAF, out);
	if (P->t.kind == T_END)
		return missing_value(P);
	if (binary(P, 1, &lo) < 0)
		return -1;
	if (!is_op(&P->t, OP_RANGE) && fn)
		return parse_error(P, P->p->v[lo].lcol, "'%s' needs a range: %s", fn, shapes);
	if (!is_op(&P->t, OP_RANGE))
		return parse_error(P, P->p->v[lo].lcol, "expected a range: %s", shapes);
	next(P);
	first = P->p->v[lo].first;
	if (P->t.kind == T_END)
		return missing_value(P);
	if (binary(P, 1, &hi) < 0)
		return -1;
	x.op = EXPR_RANGE_OFFSETS;
	x.name = x.name2 = NULL;
	x.col = P->p->v[hi].lcol;
	return emit(P, &x, first, out);
}

/* f(ARGS): the name is the current token, '(' the next. */
static int call(struct parser *P, int f, uint32_t *out)
{
	struct expr_node x = { .kind = f <= F_CRC ? N_SUM : N_CALL, .op = (uint8_t)f,
			       .col = at(P, P->t.at), .lcol = at(P, P->t.at) };
	uint32_t arg, first = 0;

	if (enter(P) < 0)
		return -1;
	next(P);
	next(P);
	for (unsigned i = 0; i < fn_nargs[f]; i++) {
		if (i > 0 && comma(P, f, x.col) < 0)
			return -1;
		if (i == 0 && is_op(&P->t, ')'))
			return arity_error(P, f, at(P, P->t.at));
		if (i == 0 && x.kind == N_SUM) {
			if (range(P, fn_names[f], &arg) < 0)
				return -1;
			x.range = arg;
		} else if (P->t.kind == T_END) {
			return missing_value(P);
		} else if (binary(P, 1, &arg) < 0) {
			return -1;
		}
		if (i == 0)
			first = P->p->v[arg].first;
	}
	if (close_call(P, f, x.col) < 0)
		return -1;
	P->depth--;
	return emit(P, &x, first, out);
}

/* A name: a function when '(' follows, else an error that says what to
 * write instead. */
static int word(struct parser *P, uint32_t *out)
{
	const struct token t = P->t, after = scan(P->s, P->n, t.at + t.n);
	int f = find_fn(P->s + t.at, t.n);
	char q[ESCAPE_BUF], hint[64];

	if (is_op(&after, '(') && f >= 0)
		return call(P, f, out);
	if (is_op(&after, '('))
		return parse_error(P, at(P, t.at), "unknown function '%s'%s",
				   quote(q, P, t.at, t.n),
				   suggest(hint, sizeof(hint), (const char *)P->s + t.at, t.n,
					   fn_names, NFN, ~0u));
	if (f >= 0)
		return parse_error(P, at(P, t.at), "function '%s' needs its arguments in ( )",
				   fn_names[f]);
	if (is_image(P->s + t.at, t.n))
		return parse_error(P, at(P, t.at), "'image' needs .size");
	return parse_error(P, at(P, t.at), "name '%s' needs .start, .end or .size",
			   quote(q, P, t.at, t.n));
}

/* ( EXPR ) */
static int group(struct parser *P, uint32_t *out)
{
	size_t open = P->t.at;

	if (enter(P) < 0)
		return -1;
	next(P);
	if (P->t.kind == T_END)
		return missing_value(P);
	if (binary(P, 1, out) < 0)
		return -1;
	if (P->t.kind == T_END)
		return parse_error(P, at(P, open), "'(' is not closed");
	if (!is_op(&P->t, ')'))
		return unexpected(P, "an operator or ')'");
	next(P);
	P->depth--;
	/* An argument that is "(...)" starts at its '(' (crc() messages). */
	P->p->v[*out].lcol = at(P, open);
	return 0;
}

static int primary(struct parser *P, uint32_t *out)
{
	switch (P->t.kind) {
	case T_NUM: return number(P, out);
	case T_REF: return reference(P, out);
	case T_NAME: return word(P, out);
	case T_END: return missing_value(P);
	default: break;
	}
	if (is_op(&P->t, '('))
		return group(P, out);
	return unexpected(P, NULL);
}

static int unary(struct parser *P, uint32_t *out)
{
	struct expr_node x = { .kind = is_op(&P->t, '-') ? N_NEG : N_NOT,
			       .col = at(P, P->t.at), .lcol = at(P, P->t.at) };
	uint32_t arg;

	if (!is_op(&P->t, '-') && !is_op(&P->t, '~'))
		return primary(P, out);
	if (enter(P) < 0)
		return -1;
	next(P);
	if (unary(P, &arg) < 0 || emit(P, &x, P->p->v[arg].first, out) < 0)
		return -1;
	P->depth--;
	return 0;
}

/* C's binary operators' precedence, higher binds tighter; 0: none. */
static int precedence(const struct token *t)
{
	if (t->kind != T_OP)
		return 0;
	switch (t->op) {
	case '*': case '/': case '%': return 6;
	case '+': case '-': return 5;
	case OP_SHL: case OP_SHR: return 4;
	case '&': return 3;
	case '^': return 2;
	case '|': return 1;
	default: return 0;
	}
}

/* Operators of precedence min and up, left-associative: the right operand
 * of one of precedence k holds only operators above k.  This recursion is
 * bounded by the six levels per nesting level, so it is not counted. */
static int binary(struct parser *P, int min, uint32_t *out)
{
	uint32_t left, right;
	int prec;

	if (unary(P, &left) < 0)
		return -1;
	while ((prec = precedence(&P->t)) >= min) {
		struct expr_node x = { .kind = N_BIN, .op = P->t.op, .col = at(P, P->t.at),
				       .lcol = P->p->v[left].lcol };
		uint32_t first = P->p->v[left].first;

		next(P);
		if (P->t.kind == T_END)
			return missing_value(P);
		if (binary(P, prec + 1, &right) < 0 || emit(P, &x, first, &left) < 0)
			return -1;
	}
	*out = left;
	return 0;
}

static int parse(struct expr_pool *p, const unsigned char *s, size_t n, size_t col0,
		 int want_range, uint32_t *root, struct expr_error *e)
{
	struct parser P = { .p = p, .s = s, .n = n, .col0 = col0, .e = e };
	size_t mark = p->n;
	int rc;

	e->col = 0;
	e->msg[0] = '\0';
	P.t = scan(s, n, 0);
	if (P.t.kind == T_END)
		rc = parse_error(&P, at(&P, 0), "empty expression");
	else if ((want_range ? range(&P, NULL, root) : binary(&P, 1, root)) < 0)
		rc = -1;
	else
		rc = P.t.kind == T_END ? 0 : unexpected(&P, want_range ? NULL : "an operator");
	if (rc < 0)
		p->n = mark;
	return rc;
}

int expr_parse(struct expr_pool *p, const unsigned char *s, size_t n, size_t col0,
	       uint32_t *root, struct expr_error *e)
{
	return parse(p, s, n, col0, 0, root, e);
}

int expr_parse_range(struct expr_pool *p, const unsigned char *s, size_t n, size_t col0,
		     uint32_t *root, struct expr_error *e)
{
	return parse(p, s, n, col0, 1, root, e);
}

/* ---- evaluation ---- */

/* Values an expression keeps pending at most, without the heap: plenty for
 * anything a person writes.  It is small because a checksum's callback may
 * evaluate other fields' expressions, nesting evaluations deeply. */
#define SMALL_STACK 32

struct machine {
	const struct expr_pool *p;
	const struct expr_env *env;
	struct expr_error *e;
	__int128 *st;
	size_t sp, cap;
};

static int eval_error(struct expr_error *e, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int eval_error(struct expr_error *e, size_t col, const char *fmt, ...)
{
	va_list ap;

	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int overflow(struct expr_error *e, size_t col)
{
	return eval_error(e, col, "value overflows 128 bits");
}

static int push(struct machine *M, __int128 v, size_t col)
{
	if (M->sp >= M->cap)	/* stack_need() makes it unreachable */
		return eval_error(M->e, col, "expression too complex");
	M->st[M->sp++] = v;
	return 0;
}

/* a * b into *r, or 1 when it does not fit.  Not __builtin_mul_overflow:
 * on __int128, clang calls __muloti4 for it, which libgcc lacks. */
static int mul_overflows(__int128 a, __int128 b, __int128 *r)
{
	unsigned __int128 ua = a < 0 ? -(unsigned __int128)a : (unsigned __int128)a;
	unsigned __int128 ub = b < 0 ? -(unsigned __int128)b : (unsigned __int128)b;
	int neg = (a < 0) != (b < 0);
	unsigned __int128 limit = (unsigned __int128)I128_MAX + (unsigned)neg, prod;

	/* Both below 2^64: the product is below 2^128 - 2^65 + 1, and fits
	 * unless past limit -- no 128-bit division for the usual sizes. */
	if ((ua >> 64) == 0 && (ub >> 64) == 0) {
		prod = ua * ub;
		if (prod > limit)
			return 1;
	} else if (ua && ub > limit / ua) {
		return 1;
	} else {
		prod = ua * ub;
	}
	if (!neg)
		*r = (__int128)prod;
	else
		*r = prod == limit ? I128_MIN : -(__int128)prod;
	return 0;
}

/* a OP b for / % << >>, whose right operand can be refused; the count of a
 * shift is blamed at its first token (node i - 1 is the right operand). */
static int divide_or_shift(struct machine *M, uint32_t i, __int128 a, __int128 b, __int128 *r)
{
	const struct expr_node *x = &M->p->v[i];
	char num[48];

	if ((x->op == '/' || x->op == '%') && b == 0)
		return eval_error(M->e, x->col, "division by zero");
	if (x->op == '/' || x->op == '%') {
		if (a == I128_MIN && b == -1) {	/* C leaves it undefined */
			*r = 0;
			return x->op == '%' ? 0 : overflow(M->e, x->col);
		}
		*r = x->op == '/' ? a / b : a % b;
		return 0;
	}
	if (b < 0 || b > 63)
		return eval_error(M->e, M->p->v[i - 1].lcol, "shift count %s is outside 0..63",
				  dec128(num, b));
	if (x->op == OP_SHR) {	/* floor, whatever the compiler does with a < 0 */
		*r = a < 0 ? ~(~a >> (int)b) : a >> (int)b;
		return 0;
	}
	return mul_overflows(a, (__int128)1 << (int)b, r) ? overflow(M->e, x->col) : 0;
}

static int binop(struct machine *M, uint32_t i)
{
	const struct expr_node *x = &M->p->v[i];
	__int128 b = M->st[--M->sp], a = M->st[M->sp - 1], *r = &M->st[M->sp - 1];

	switch (x->op) {
	case '+':
		return __builtin_add_overflow(a, b, r) ? overflow(M->e, x->col) : 0;
	case '-':
		return __builtin_sub_overflow(a, b, r) ? overflow(M->e, x->col) : 0;
	case '*':
		return mul_overflows(a, b, r) ? overflow(M->e, x->col) : 0;
	case '&': *r = a & b; return 0;
	case '^': *r = a ^ b; return 0;
	case '|': *r = a | b; return 0;
	default:
		return divide_or_shift(M, i, a, b, r);
	}
}

/* align(X, N), min(A, B), max(A, B). */
static int call_value(struct machine *M, uint32_t i)
{
	const struct expr_node *x = &M->p->v[i];
	__int128 b = M->st[--M->sp], a = M->st[M->sp - 1], *r = &M->st[M->sp - 1], rem;
	char num[48];

	if (x->op == F_MIN || x->op == F_MAX) {
		*r = (a < b) == (x->op == F_MIN) ? a : b;
		return 0;
	}
	if (b <= 0)
		return eval_error(M->e, M->p->v[i - 1].lcol, "'align' needs a positive N, not %s",
				  dec128(num, b));
	rem = a % b;		/* b > 0: C's remainder has a's sign */
	if (rem <= 0) {		/* a multiple, or a < 0: toward zero is up */
		*r = a - rem;
		return 0;
	}
	return __builtin_add_overflow(a - rem, b, r) ? overflow(M->e, x->col) : 0;
}

/* The environment's answer to NAME.attr, blamed at col when it fails. */
static int lookup(struct machine *M, const unsigned char *name, size_t len, int attr, size_t col,
		  __int128 *v)
{
	struct expr_error *e = M->e;
	char q[ESCAPE_BUF];

	if (!M->env || !M->env->ref)
		return eval_error(e, col, "'%s.%s': references cannot be used here",
				  escape_bytes(q, name, len), attr_names[attr]);
	e->col = 0;
	e->msg[0] = '\0';
	if (M->env->ref(M->env->ctx, name, len, attr, v, e) == 0)
		return 0;
	if (!e->col)
		e->col = col;
	if (!e->msg[0])
		snprintf(e->msg, sizeof(e->msg), "cannot resolve '%s.%s'",
			 escape_bytes(q, name, len), attr_names[attr]);
	return -1;
}

static int ref_value(struct machine *M, uint32_t i)
{
	const struct expr_node x = M->p->v[i];	/* a copy: see expr_env */
	__int128 v;

	if (lookup(M, x.name, x.len, x.op, x.col, &v) < 0)
		return -1;
	return push(M, v, x.col);
}

/* A range's [lo, hi): from its names through the environment, or from the
 * two values on the stack; checked to be a range of file offsets. */
static int range_value(struct machine *M, uint32_t i)
{
	const struct expr_node node = M->p->v[i], *x = &node;	/* a copy: see expr_env */
	char a[48], b[48];
	__int128 lo = 0, hi;
	int rc = 0;

	switch (x->op) {
	case EXPR_RANGE_NAME:
	case EXPR_RANGE_NAMES:
		rc = lookup(M, x->name, x->len, EXPR_START, x->lcol, &lo) < 0 ||
		     lookup(M, x->name2, x->len2, EXPR_END, x->col, &hi) < 0;
		break;
	case EXPR_RANGE_IMAGE:
		rc = lookup(M, (const unsigned char *)"image", 5, EXPR_SIZE, x->col, &hi);
		break;
	default:
		hi = M->st[--M->sp];
		lo = M->st[--M->sp];
		break;
	}
	if (rc)
		return -1;
	if (lo < 0)
		return eval_error(M->e, x->lcol, "range start %s is negative", dec128(a, lo));
	if (hi > INT64_MAX)
		return eval_error(M->e, x->col, "range end %s is past 2^63-1", dec128(b, hi));
	if (lo > hi)
		return eval_error(M->e, x->col, "range %s..%s ends before it starts", dec128(a, lo),
				  dec128(b, hi));
	return push(M, lo, x->col) < 0 ? -1 : push(M, hi, x->col);
}

/* v as a CRC parameter of width w: -2^(w-1) .. 2^w-1 (two's complement, as
 * a field's value), cut to w bits; 0, or -1 when it does not fit. */
static int crc_param(__int128 v, unsigned w, uint64_t *out)
{
	__int128 lo = -((__int128)1 << (w - 1)), hi = ((__int128)1 << w) - 1;

	if (v < lo || v > hi)
		return -1;
	*out = (uint64_t)((unsigned __int128)v & (unsigned __int128)hi);
	return 0;
}

/* crc()'s WIDTH, POLY, INIT, REFIN, REFOUT, XOROUT (a[0..6), the argument
 * nodes right before node i) checked into *m. */
static int crc_model(struct machine *M, uint32_t i, const __int128 *a, struct expr_crc_model *m)
{
	static const char *const what[6] = { "width", "poly", "init", "refin", "refout", "xorout" };
	uint64_t *wide[6] = { NULL, &m->poly, &m->init, NULL, NULL, &m->xorout };
	const struct expr_node *v = M->p->v;
	size_t col[6];
	uint32_t k = i - 1;
	char num[48];

	for (int j = 5; j >= 0; j--) {	/* postfix: the last argument ends at i - 1 */
		col[j] = v[k].lcol;
		k = v[k].first - 1;
	}
	if (a[0] < 1 || a[0] > 64)
		return eval_error(M->e, col[0], "crc width %s is outside 1..64", dec128(num, a[0]));
	m->width = (unsigned)a[0];
	for (int j = 1; j < 6; j++) {
		if (wide[j] && crc_param(a[j], m->width, wide[j]) < 0)
			return eval_error(M->e, col[j], "crc %s %s does not fit in %u bits",
					  what[j], dec128(num, a[j]), m->width);
		if (!wide[j] && a[j] != 0 && a[j] != 1)
			return eval_error(M->e, col[j], "crc %s %s is not 0 or 1", what[j],
					  dec128(num, a[j]));
	}
	m->refin = (uint8_t)a[3];
	m->refout = (uint8_t)a[4];
	return 0;
}

static void fill_range(struct expr_range *r, const struct expr_node *x, __int128 lo, __int128 hi)
{
	int names = x->op == EXPR_RANGE_NAME || x->op == EXPR_RANGE_NAMES;

	r->kind = (enum expr_range_kind)x->op;
	r->first = names ? x->name : NULL;
	r->last = names ? x->name2 : NULL;
	r->first_len = names ? x->len : 0;
	r->last_len = names ? x->len2 : 0;
	r->start = (int64_t)lo;
	r->end = (int64_t)hi;
	r->col = x->lcol;
}

/* A checksum: its model, its range, and the environment's answer. */
static int sum_value(struct machine *M, uint32_t i)
{
	const struct expr_node node = M->p->v[i], *x = &node;	/* a copy: see expr_env */
	struct expr_checksum c = { .kind = (enum expr_sum)x->op, .fn = fn_names[x->op],
				   .col = x->col };
	struct expr_error *e = M->e;
	__int128 v;

	if (x->op == F_CRC) {
		M->sp -= 6;
		if (crc_model(M, i, &M->st[M->sp], &c.crc) < 0)
			return -1;
	} else if (x->op < EXPR_ADLER32) {
		c.crc = models[x->op];
	}
	M->sp -= 2;
	fill_range(&c.range, &M->p->v[x->range], M->st[M->sp], M->st[M->sp + 1]);
	if (!M->env || !M->env->checksum)
		return eval_error(e, x->col, "'%s': checksums cannot be used here", c.fn);
	e->col = 0;
	e->msg[0] = '\0';
	if (M->env->checksum(M->env->ctx, &c, &v, e) != 0) {
		if (!e->col)
			e->col = x->col;
		if (!e->msg[0])
			snprintf(e->msg, sizeof(e->msg), "cannot compute '%s'", c.fn);
		return -1;
	}
	return push(M, v, x->col);
}

static int step(struct machine *M, uint32_t i)
{
	const struct expr_node *x = &M->p->v[i];
	__int128 *top = M->sp ? &M->st[M->sp - 1] : NULL;

	switch (x->kind) {
	case N_NUM: return push(M, x->v, x->col);
	case N_REF: return ref_value(M, i);
	case N_NEG:
		if (*top == I128_MIN)
			return overflow(M->e, x->col);
		*top = -*top;
		return 0;
	case N_NOT:
		*top = ~*top;
		return 0;
	case N_BIN: return binop(M, i);
	case N_CALL: return call_value(M, i);
	case N_RANGE: return range_value(M, i);
	default: return sum_value(M, i);
	}
}

static size_t pops(const struct expr_node *x)
{
	switch (x->kind) {
	case N_NEG: case N_NOT: return 1;
	case N_BIN: case N_CALL: return 2;
	case N_RANGE: return x->op == EXPR_RANGE_OFFSETS ? 2 : 0;
	case N_SUM: return x->op == F_CRC ? 8 : 2;
	default: return 0;
	}
}

static size_t pushes(const struct expr_node *x)
{
	return x->kind == N_RANGE ? 2 : 1;
}

/* The most values the slice [first, root] keeps on the stack at once. */
static size_t stack_need(const struct expr_pool *p, uint32_t root)
{
	size_t sp = 0, most = 0;

	for (uint32_t i = p->v[root].first; i <= root; i++) {
		sp = sp - pops(&p->v[i]) + pushes(&p->v[i]);
		most = sp > most ? sp : most;
	}
	return most;
}

/* Run the slice [first, root] of the postfix array; its value (a range:
 * its two) into out. */
static int run(const struct expr_pool *p, uint32_t root, const struct expr_env *env,
	       int want_range, __int128 out[2], struct expr_error *e)
{
	__int128 small[SMALL_STACK];
	struct machine M = { .p = p, .env = env, .e = e, .st = small, .cap = SMALL_STACK };
	int rc = 0;

	e->col = 0;
	e->msg[0] = '\0';
	if (!p || root >= p->n)
		return eval_error(e, 0, "no such expression");
	if ((p->v[root].kind == N_RANGE) != want_range)
		return eval_error(e, p->v[root].lcol, want_range ? "expected a range"
						     : "a range is not a value");
	if ((M.cap = stack_need(p, root)) > SMALL_STACK &&
	    !(M.st = malloc(M.cap * sizeof(*M.st))))
		return eval_error(e, p->v[root].lcol, "out of memory");
	M.cap = M.cap > SMALL_STACK ? M.cap : SMALL_STACK;
	for (uint32_t i = p->v[root].first; i <= root && rc == 0; i++)
		rc = step(&M, i);
	if (rc == 0) {
		out[0] = M.st[0];
		out[1] = want_range ? M.st[1] : 0;
	}
	if (M.st != small)
		free(M.st);
	return rc;
}

int expr_eval(const struct expr_pool *p, uint32_t root, const struct expr_env *env,
	      __int128 *out, struct expr_error *e)
{
	__int128 v[2];

	if (run(p, root, env, 0, v, e) < 0)
		return -1;
	*out = v[0];
	return 0;
}

int expr_eval_range(const struct expr_pool *p, uint32_t root, const struct expr_env *env,
		    struct expr_range *out, struct expr_error *e)
{
	__int128 v[2];

	if (run(p, root, env, 1, v, e) < 0)
		return -1;
	fill_range(out, &p->v[root], v[0], v[1]);
	return 0;
}

int expr_visit(const struct expr_pool *p, uint32_t root, const struct expr_visitor *v)
{
	int rc;

	if (!p || root >= p->n)
		return -1;
	for (uint32_t i = p->v[root].first; i <= root; i++) {
		const struct expr_node *x = &p->v[i];
		struct expr_range r;

		if (x->kind == N_REF && v->ref &&
		    (rc = v->ref(v->ctx, x->name, x->len, x->op, x->col)) != 0)
			return rc;
		if (x->kind != N_RANGE || !v->range)
			continue;
		fill_range(&r, x, -1, -1);
		if ((rc = v->range(v->ctx, &r)) != 0)
			return rc;
	}
	return 0;
}

void expr_pool_release(struct expr_pool *p)
{
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

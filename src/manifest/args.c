/*
 * args.c -- the values of a line's keys and arguments (SPEC §2, §8).
 *
 * Numbers that look like numbers are read at once, with the messages of
 * SPEC §2; anything else where a number may stand is an expression, kept
 * as its token's bytes for the planner to evaluate once the layout it
 * refers to is known (a v1 fragment never has one, so it stays 64 bytes).
 */
#include "manifest/args.h"
#include "util/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#define KB(k) (1u << (k))

const char *const key_names[NKEYS] = {
	"align", "at", "base", "decode", "expect", "format", "holes", "len", "name", "ns", "pad",
	"self", "sha256", "skip", "to", "v5",
};

/* Where the keys starting with each letter begin in key_names (sorted): a
 * line names a key or two, and a walk of all sixteen names per key was a
 * tenth of W2's parse.  A letter no key starts with points at a name that
 * starts otherwise, which ends the walk at once. */
static const unsigned char key_start[26] = {
	['b' - 'a'] = KEY_BASE, ['d' - 'a'] = KEY_DECODE, ['e' - 'a'] = KEY_EXPECT,
	['f' - 'a'] = KEY_FORMAT, ['h' - 'a'] = KEY_HOLES, ['l' - 'a'] = KEY_LEN,
	['n' - 'a'] = KEY_NAME, ['p' - 'a'] = KEY_PAD, ['s' - 'a'] = KEY_SELF,
	['t' - 'a'] = KEY_TO, ['v' - 'a'] = KEY_V5,
};

int key_index(const unsigned char *p, size_t n)
{
	int k;

	if (p[0] < 'a' || p[0] > 'z')
		return NKEYS;
	for (k = key_start[p[0] - 'a']; k < NKEYS && key_names[k][0] == p[0]; k++)
		if (bytes_are(p, n, key_names[k]))
			return k;
	return NKEYS;
}

static int number_shaped(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '='))
			return 0;
	return 1;
}

int number_or_expr(struct parse *P, const unsigned char *s, size_t n, size_t col, int quoted,
		   struct mnum *out)
{
	char q[ESCAPE_BUF];
	const char *msg;

	memset(out, 0, sizeof(*out));
	out->set = 1;
	out->col = col > UINT32_MAX ? UINT32_MAX : (uint32_t)col;
	/* A number is the common case: its shape is looked at only when it
	 * does not parse, to tell a bad number from an expression. */
	if (n && s[0] >= '0' && s[0] <= '9' && !parse_number((const char *)s, n, &out->v))
		return 0;
	if (n && number_shaped(s, n)) {
		msg = parse_number((const char *)s, n, &out->v);
		return fail(P, col, "%s: '%s'", msg, escape_bytes(q, s, n));
	}
	if (n == 0)
		return fail(P, col, "empty number: ''");
	if (n > UINT32_MAX)
		return fail(P, col, "expression too long");
	out->expr = s;
	out->n = (uint32_t)n;
	out->quoted = (uint8_t)quoted;
	return 0;
}

/* A number key of the fragment itself (at, skip, len): plain into *plain,
 * an expression into the v2 record. */
static int fragment_number(struct parse *P, struct line_state *L, const unsigned char *s,
			   size_t n, size_t col, int quoted, int64_t *plain, struct mnum *x)
{
	if (number_or_expr(P, s, n, col, quoted, x) < 0)
		return -1;
	if (x->expr) {
		L->has_ext = 1;
		*plain = 0;
	} else {
		*plain = x->v;
	}
	return 0;
}

/* A byte value 0..255 (fill BYTE, pad=, self=): plain, or an expression
 * when expr is given. */
static int byte_value(struct parse *P, struct line_state *L, const unsigned char *s, size_t n,
		      size_t col, int quoted, const char *what, uint8_t *plain, struct mnum *expr)
{
	struct mnum v;
	char q[ESCAPE_BUF];

	if (number_or_expr(P, s, n, col, quoted, &v) < 0)
		return -1;
	if (v.expr && !expr)
		return fail(P, col, "%s must be a number 0..255: '%s'", what,
			    escape_bytes(q, s, n));
	if (v.expr) {
		*expr = v;
		L->has_ext = 1;
		return 0;
	}
	if (v.v > 255)
		return fail(P, col, "%s out of range 0..255: '%s'", what, escape_bytes(q, s, n));
	*plain = (uint8_t)v.v;
	return 0;
}

/* HEX digits at v[0..n) decoded in place; their count in bytes, or -1. */
static long hex_in_place(struct parse *P, unsigned char *v, size_t n, size_t col, int quoted,
			 const char *what)
{
	char q[ESCAPE_BUF];

	if (n % 2)
		return fail(P, col, "odd number of hex digits in %s", what);
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_value(v[i]), lo = hex_value(v[i + 1]);

		if (hi < 0 || lo < 0) {
			size_t bad = hi < 0 ? i : i + 1;

			return fail(P, quoted ? col : col + bad, "bad hex digit '%s' in %s",
				    escape_bytes(q, v + bad, 1), what);
		}
		v[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

static int sha256_value(struct parse *P, struct line_state *L, unsigned char *v, size_t n,
			size_t col, int quoted)
{
	char q[ESCAPE_BUF];
	size_t i;
	int hi, lo;

	if (n != 64)
		return fail(P, col, "sha256 needs 64 hex digits, not %zu: '%s'", n,
			    escape_bytes(q, v, n));
	for (i = 0; i < 64; i += 2) {
		hi = hex_value(v[i]);
		lo = hex_value(v[i + 1]);
		if (hi < 0 || lo < 0) {
			size_t bad = hi < 0 ? i : i + 1;

			return fail(P, quoted ? col : col + bad, "bad hex digit '%s' in sha256",
				    escape_bytes(q, v + bad, 1));
		}
		L->digest[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	L->digest_at = v;
	return 0;
}

/* expect=HEX or expect=sha256:HEX (SPEC §8.5). */
static int expect_value(struct parse *P, struct line_state *L, unsigned char *v, size_t n,
			size_t col, int quoted)
{
	long bytes;

	if (n > 7 && memcmp(v, "sha256:", 7) == 0) {
		if (n - 7 != 64)
			return fail(P, col, "expect=sha256: needs 64 hex digits, not %zu", n - 7);
		L->x.expect_sha256 = 1;
		v += 7;
		n -= 7;
		col += quoted ? 0 : 7;
	}
	if ((bytes = hex_in_place(P, v, n, col, quoted, "expect=")) < 0)
		return -1;
	L->x.expect = v;
	L->x.expect_len = (uint32_t)bytes;
	L->x.expect_col = (uint32_t)col;
	L->has_ext = 1;
	return 0;
}

static int ident(const unsigned char *s, size_t n)
{
	if (!n || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int name_value(struct parse *P, struct line_state *L, unsigned char *v, size_t n,
		      size_t col)
{
	char q[ESCAPE_BUF];

	if (!ident(v, n))
		return fail(P, col, "a name is letters, digits and '_', not starting with a digit: "
			    "'%s'", escape_bytes(q, v, n));
	if (bytes_are(v, n, "image"))
		return fail(P, col, "'image' is reserved (image.size is the image's length)");
	L->x.name = v;
	L->x.name_len = (uint32_t)n;
	L->x.name_col = (uint32_t)col;
	L->has_ext = 1;
	return 0;
}

static int ns_value(struct parse *P, struct line_state *L, const unsigned char *v, size_t n,
		    size_t col)
{
	char buf[37], q[ESCAPE_BUF];

	if (n != 36)
		return fail(P, col, "ns= needs a UUID (36 characters): '%s'", escape_bytes(q, v, n));
	memcpy(buf, v, 36);
	buf[36] = '\0';
	if (uuid_parse(buf, L->x.ns) != 0)
		return fail(P, col, "ns= is not a UUID: '%s'", escape_bytes(q, v, n));
	return 0;
}

/* format=ihex|srec (SPEC §9.4): the file is Intel HEX or S-records. */
static int format_value(struct parse *P, struct line_state *L, const unsigned char *v, size_t n,
			size_t col)
{
	static const char *const words[] = { "ihex", "srec" };
	char q[ESCAPE_BUF], s[64];

	if (bytes_are(v, n, "ihex") || bytes_are(v, n, "srec")) {
		L->x.format = v[0] == 'i' ? FORMAT_IHEX : FORMAT_SREC;
		L->has_ext = 1;
		return 0;
	}
	return fail(P, col, "format= is ihex or srec, not '%s'%s", escape_bytes(q, v, n),
		    suggest(s, sizeof s, (const char *)v, n, words, 2, ~0u));
}

/* holes=zero|skip (SPEC §9.1): what a source hole does to a target that
 * keeps its old bytes -- reads as zero afterwards (the default), or is left
 * as the target has it. */
static int holes_value(struct parse *P, struct line_state *L, const unsigned char *v, size_t n,
		       size_t col)
{
	static const char *const words[] = { "zero", "skip" };
	char q[ESCAPE_BUF], s[64];

	if (bytes_are(v, n, "zero") || bytes_are(v, n, "skip")) {
		L->f.byte = v[0] == 's';
		return 0;
	}
	return fail(P, col, "holes= is zero or skip, not '%s'%s", escape_bytes(q, v, n),
		    suggest(s, sizeof s, (const char *)v, n, words, 2, ~0u));
}

/* decode=gzip|xz|zstd|auto (SPEC §9.3): the file's decoded bytes. */
static int decode_value(struct parse *P, struct line_state *L, const unsigned char *v, size_t n,
			size_t col)
{
	static const char *const words[] = { "auto", "gzip", "xz", "zstd" };
	static const uint8_t codes[] = { DECODE_AUTO, DECODE_GZIP, DECODE_XZ, DECODE_ZSTD };
	char q[ESCAPE_BUF], s[64];

	for (size_t i = 0; i < 4; i++)
		if (bytes_are(v, n, words[i])) {
			L->x.decode = codes[i];
			L->has_ext = 1;
			return 0;
		}
	return fail(P, col, "decode= is gzip, xz, zstd or auto, not '%s'%s", escape_bytes(q, v, n),
		    suggest(s, sizeof s, (const char *)v, n, words, 4, ~0u));
}

/* Which key the token names, checked against the kind; -1 reported. */
static int which_key(struct parse *P, struct line_state *L, const struct token *t)
{
	unsigned valid = L->row->keys;
	char q[ESCAPE_BUF], s[64];
	int k = key_index(t->p, t->keylen);

	if (k == NKEYS || !(valid & KB(k)))
		return fail(P, t->col, "unknown key '%s' for '%s'%s",
			    escape_bytes(q, t->p, t->keylen), L->row->name,
			    suggest(s, sizeof s, (const char *)t->p, t->keylen, key_names, NKEYS, valid));
	if (L->seen & KB(k))
		return fail(P, t->col, "key '%s' given twice", key_names[k]);
	if ((k == KEY_LEN && (L->seen & KB(KEY_TO))) || (k == KEY_TO && (L->seen & KB(KEY_LEN))))
		return fail(P, t->col, "len= and to= exclude each other");
	L->seen |= KB(k);
	if (t->n == t->keylen + 1)
		return fail(P, t->col + t->keylen + 1, "key '%s' needs a value", key_names[k]);
	return k;
}

static int at_value(struct parse *P, struct line_state *L, unsigned char *v, size_t n,
		    size_t col, int quoted)
{
	L->f.at_mode = v[0] == '+' ? AT_REL : AT_ABS;
	if (v[0] != '+')
		return fragment_number(P, L, v, n, col, quoted, &L->f.at, &L->x.at);
	if (n == 1)
		return fail(P, col, "empty number: '+'");
	if (number_shaped(v + 1, n - 1)) {	/* a plain N: v1's messages, with the '+' */
		char q[ESCAPE_BUF];
		const char *msg = parse_number((const char *)v + 1, n - 1, &L->f.at);

		if (msg)
			return fail(P, col, "%s: '%s'", msg, escape_bytes(q, v, n));
		return 0;
	}
	return fragment_number(P, L, v + 1, n - 1, quoted ? col : col + 1, quoted, &L->f.at,
			       &L->x.at);
}

/* The column of a value that starts at byte off of token t, and whether
 * the columns inside it are unknown (a quoted token's unescaped bytes are
 * not where its raw ones were).  A value that is one quoted segment with no
 * escapes is known: its bytes are the raw ones, one column past the quote,
 * so an error inside "kernel.end + 4K" points at its byte. */
static void value_place(const struct token *t, size_t off, size_t *col, int *quoted)
{
	*col = t->col + off;
	*quoted = t->quoted;
	if (t->quoted && t->plain_quote && t->quote_at == off) {
		*col += 1;
		*quoted = 0;
	}
}

int key_value(struct parse *P, struct line_state *L, const struct token *t)
{
	unsigned char *v = t->p + t->keylen + 1;
	size_t n = t->n - t->keylen - 1, col;
	int k = which_key(P, L, t), q;

	value_place(t, t->keylen + 1, &col, &q);
	switch (k) {
	case KEY_AT: return at_value(P, L, v, n, col, q);
	case KEY_LEN: return fragment_number(P, L, v, n, col, q, &L->f.len, &L->x.len);
	case KEY_SKIP: return fragment_number(P, L, v, n, col, q, &L->f.skip, &L->x.skip);
	case KEY_SHA256: return sha256_value(P, L, v, n, col, q);
	case KEY_ALIGN:
		L->has_ext = 1;
		return number_or_expr(P, v, n, col, q, &L->x.align);
	case KEY_TO:
		L->has_ext = 1;
		return number_or_expr(P, v, n, col, q, &L->x.to);
	case KEY_EXPECT: return expect_value(P, L, v, n, col, q);
	case KEY_NAME: return name_value(P, L, v, n, col);
	case KEY_NS:
		L->has_ext = 1;
		return ns_value(P, L, v, n, col);
	case KEY_PAD: return byte_value(P, L, v, n, col, q, "pad=", &L->f.byte, &L->x.pad);
	case KEY_SELF:
		L->x.has_self = 1;
		return byte_value(P, L, v, n, col, q, "self=", &L->x.self, NULL);
	case KEY_FORMAT:
		return format_value(P, L, v, n, col);
	case KEY_HOLES:
		return holes_value(P, L, v, n, col);
	case KEY_DECODE:
		L->decode_col = t->col;		/* a conflict with format= points here */
		return decode_value(P, L, v, n, col);
	case KEY_BASE:
		L->has_ext = 1;
		return number_or_expr(P, v, n, col, q, &L->x.base) < 0 ? -1
		       : L->x.base.expr ? fail(P, col, "base= is a plain number") : 0;
	case KEY_V5:
		L->x.v5 = v;
		L->x.v5_len = (uint32_t)(n < UINT32_MAX ? n : UINT32_MAX);
		L->has_ext = 1;
		return 0;
	default:
		return -1;
	}
}

/* Hex digits join across tokens; the bytes go from the first token's start. */
static int hex_token(struct parse *P, struct line_state *L, const struct token *t)
{
	const unsigned char *s = t->p;
	size_t n = t->n, i;
	char q[ESCAPE_BUF];
	int d;

	if (n == 0)
		return fail(P, t->col, "empty hex token");
	if (!L->hex_start)
		L->hex_start = L->hex_out = t->p;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
		if (n == 0)
			return fail(P, t->col, "'%.2s' without hex digits", (const char *)t->p);
	}
	for (i = 0; i < n; i++) {
		d = hex_value(s[i]);
		if (d < 0)
			return fail(P, t->quoted ? t->col : t->col + (size_t)(s - t->p) + i,
				    "bad hex digit '%s'", escape_bytes(q, s + i, 1));
		if (L->half)
			*L->hex_out++ = (unsigned char)(L->pending << 4 | (unsigned)d);
		else
			L->pending = (unsigned)d;
		L->half = !L->half;
	}
	L->hex_col = t->col;
	return 0;
}

static int uuid_word(struct parse *P, struct line_state *L, const struct token *t)
{
	static const char *const words[] = { "binary", "guid", "text" };
	char q[ESCAPE_BUF], s[64];

	if (L->nargs > 1)
		return fail(P, t->col, "'uuid' takes at most one word ('text', 'binary' or 'guid')");
	if (bytes_are(t->p, t->n, "text") || bytes_are(t->p, t->n, "binary")) {
		L->f.byte = t->p[0] == 't';
		return 0;
	}
	if (bytes_are(t->p, t->n, "guid")) {
		L->x.guid = 1;
		L->has_ext = 1;
		return 0;
	}
	return fail(P, t->col, "unknown word '%s' for 'uuid'%s", escape_bytes(q, t->p, t->n),
		    suggest(s, sizeof s, (const char *)t->p, t->n, words, 3, ~0u));
}

/* A digest's RANGE, then optionally the word `text`. */
static int digest_arg(struct parse *P, struct line_state *L, const struct token *t)
{
	if (L->nargs == 2 && bytes_are(t->p, t->n, "text")) {
		L->x.text = 1;
		return 0;
	}
	if (L->nargs > 1)
		return fail(P, t->col, "'%s' takes a range and at most the word 'text'",
			    L->row->name);
	L->arg = *t;
	return 0;
}

int positional(struct parse *P, struct line_state *L, const struct token *t)
{
	L->nargs++;
	switch (L->kind) {
	case FRAG_HEX:
		return hex_token(P, L, t);
	case FRAG_ZERO:
		return fail(P, t->col, "'zero' takes no arguments");
	case FRAG_UUID:
		return uuid_word(P, L, t);
	case FRAG_DIGEST:
		return digest_arg(P, L, t);
	default:
		if (L->nargs > 1)
			return fail(P, t->col, "'%s' takes one %s", L->row->name, L->row->one);
		L->arg = *t;
		return 0;
	}
}

void kind_defaults(struct line_state *L)
{
	if (L->kind == FRAG_FIELD) {
		L->x.width = (uint8_t)(L->row->param & ~FIELD_BE);
		L->x.big_endian = (L->row->param & FIELD_BE) != 0;
		L->has_ext = 1;
	} else if (L->kind == FRAG_DIGEST) {
		L->x.algo = (uint8_t)L->row->param;
		L->has_ext = 1;
	}
}

static int path_arg(struct parse *P, const struct line_state *L)
{
	if (L->nargs == 0)
		return fail(P, L->kcol, "'%s' takes one path", L->row->name);
	if (L->arg.n == 0)
		return fail(P, L->arg.col, "empty path");
	if (memchr(L->arg.p, '\0', L->arg.n))
		return fail(P, L->arg.col, "NUL byte in path");
	return 0;
}

/* data and hex with len=: a fixed-width field of the bytes and pad. */
static int fixed_width(struct parse *P, struct line_state *L)
{
	if ((L->seen & KB(KEY_PAD)) && !(L->seen & KB(KEY_LEN)))
		return fail(P, L->kcol, "'%s' takes pad= only with len= (a fixed width)",
			    L->row->name);
	if ((L->seen & KB(KEY_LEN)) && !L->x.len.expr && (uint64_t)L->f.len < L->f.nbytes)
		return fail(P, L->kcol, "'%s' has %llu bytes, more than len=%lld", L->row->name,
			    (unsigned long long)L->f.nbytes, (long long)L->f.len);
	return 0;
}

static int value_arg(struct parse *P, struct line_state *L, struct mnum *out)
{
	if (L->nargs == 0)
		return fail(P, L->kcol, "'%s' takes one %s", L->row->name, L->row->one);
	if (L->arg.n == 0)
		return fail(P, L->arg.col, "'%s' takes one %s, not an empty one", L->row->name,
			    L->row->one);
	size_t col;
	int quoted;

	value_place(&L->arg, 0, &col, &quoted);
	memset(out, 0, sizeof(*out));
	out->set = 1;
	out->expr = L->arg.p;
	out->n = (uint32_t)(L->arg.n < UINT32_MAX ? L->arg.n : UINT32_MAX);
	out->col = (uint32_t)(col < UINT32_MAX ? col : UINT32_MAX);
	out->quoted = (uint8_t)quoted;
	return 0;
}

static int finish_kind(struct parse *P, struct line_state *L)
{
	struct fragment *f = &L->f;

	switch (L->kind) {
	case FRAG_FILE:
		if (path_arg(P, L) < 0)
			return -1;
		f->bytes = L->arg.p;
		f->nbytes = L->arg.n;
		return 0;
	case FRAG_DATA:
		if (L->nargs == 0)
			return fail(P, L->kcol, "'data' takes one string");
		f->bytes = L->arg.p;
		f->nbytes = L->arg.n;
		return fixed_width(P, L);
	case FRAG_HEX:
		if (L->nargs == 0)
			return fail(P, L->kcol, "'hex' needs hex digits");
		if (L->half)
			return fail(P, L->hex_col, "odd number of hex digits");
		f->bytes = L->hex_start;
		f->nbytes = (uint64_t)(L->hex_out - L->hex_start);
		return fixed_width(P, L);
	case FRAG_FILL: {
		size_t col;
		int quoted;

		if (L->nargs == 0)
			return fail(P, L->kcol, "'fill' takes one byte value");
		value_place(&L->arg, 0, &col, &quoted);
		return byte_value(P, L, L->arg.p, L->arg.n, col, quoted, "fill byte", &f->byte,
				  &L->x.value);
	}
	case FRAG_FIELD:
	case FRAG_DIGEST:
		return value_arg(P, L, &L->x.value);
	default:
		return 0;
	}
}

int finish_args(struct parse *P, struct line_state *L)
{
	if (finish_kind(P, L) < 0)
		return -1;
	if ((L->kind == FRAG_FILL || L->kind == FRAG_ZERO) &&
	    !(L->seen & (KB(KEY_LEN) | KB(KEY_TO))))
		return fail(P, L->kcol, "'%s' needs len= or to=", L->row->name);
	if ((L->seen & KB(KEY_NS)) && !L->x.v5)
		return fail(P, L->kcol, "'uuid' takes ns= only with v5=");
	if ((L->seen & KB(KEY_BASE)) && !L->x.format)
		return fail(P, L->kcol, "base= goes with format=ihex or format=srec");
	if (L->x.format && L->x.decode)	/* SPEC §9.4 */
		return fail(P, L->decode_col, "decode= does not combine with format=");
	if (L->x.format && (L->seen & (KB(KEY_SKIP) | KB(KEY_LEN) | KB(KEY_SHA256) | KB(KEY_EXPECT))))
		return fail(P, L->kcol, "format= does not combine with skip=, len=, sha256= or "
			    "expect=");
	return 0;
}

/* The names' table: open addressing over fragment indexes + 1. */
static uint64_t name_hash(const unsigned char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return h;
}

static const struct frag_ext *ext_of(const struct manifest *m, uint32_t frag)
{
	return &m->ext[m->frag[frag].ext - 1];
}

long manifest_find_name(const struct manifest *m, const unsigned char *name, size_t n)
{
	if (!m->names)
		return -1;
	for (size_t i = name_hash(name, n) & m->names_mask; m->names[i];
	     i = (i + 1) & m->names_mask) {
		const struct frag_ext *x = ext_of(m, m->names[i] - 1);

		if (x->name_len == n && memcmp(x->name, name, n) == 0)
			return (long)m->names[i] - 1;
	}
	return -1;
}

static int names_grow(struct manifest *m)
{
	size_t cap = m->names ? 2 * (m->names_mask + 1) : 64;
	uint32_t *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (size_t i = 0; m->names && i <= m->names_mask; i++) {
		const struct frag_ext *x;
		size_t j;

		if (!m->names[i])
			continue;
		x = ext_of(m, m->names[i] - 1);
		for (j = name_hash(x->name, x->name_len) & (cap - 1); t[j]; j = (j + 1) & (cap - 1))
			;
		t[j] = m->names[i];
	}
	free(m->names);
	m->names = t;
	m->names_mask = cap - 1;
	return 0;
}

int name_add(struct parse *P, const struct line_state *L, size_t frag)
{
	struct manifest *m = P->m;
	long other = manifest_find_name(m, L->x.name, L->x.name_len);
	char q[ESCAPE_BUF];
	size_t i;

	if (other >= 0)
		return fail(P, L->x.name_col, "name '%s' is taken by line %u of '%s'",
			    escape_bytes(q, L->x.name, L->x.name_len), m->frag[other].line,
			    m->origin[m->frag[other].origin].name);
	if (frag >= UINT32_MAX || ((m->nnames + 1) * 2 > m->names_mask && names_grow(m) < 0))
		return error_nomem(P->err);
	for (i = name_hash(L->x.name, L->x.name_len) & m->names_mask; m->names[i];
	     i = (i + 1) & m->names_mask)
		;
	m->names[i] = (uint32_t)frag + 1;
	m->nnames++;
	return 0;
}

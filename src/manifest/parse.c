/*
 * parse.c -- manifest lines into fragments and directives (SPEC §2).
 *
 * A line is KIND ARG... key=value...; keys and arguments may come in any
 * order.  Each line is checked whole, then becomes one struct fragment (or
 * sets a directive).  Everything a fragment points to stays in the
 * manifest's text, which the lexer has unescaped in place; the only writes
 * this file makes to it are:
 *
 *   - hex digits decoded to bytes from the first hex token on (the write
 *     pointer trails the read pointer, two digits per byte);
 *   - the 32 bytes of a sha256= digest, stored over its own 64 digits, or,
 *     when hex bytes may have run over those, right after the hex bytes
 *     (there is room: the 71 raw bytes of "sha256=..." lie behind them);
 *   - a NUL after a file path, on the byte that ended the raw token (a
 *     blank, '#', '\r', '\n', or the extra byte past the text).
 *
 * The last two are done once the line is fully read, so the lexer never
 * sees a byte that has been changed under it.
 */
#include "manifest/parse_internal.h"
#include "util/suggest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIR_OUTPUT = FRAG_UUID + 1, DIR_SIZE, NKINDS };
enum { KEY_AT, KEY_LEN, KEY_SHA256, KEY_SKIP, NKEYS };

#define KB(k) (1u << (k))

static const struct {
	const char *name;
	unsigned keys;		/* the keys it takes, KB(KEY_...) */
	const char *one;	/* "'NAME' takes one ..." */
} kinds[NKINDS] = {
	[FRAG_FILE] = { "file", KB(KEY_AT) | KB(KEY_LEN) | KB(KEY_SHA256) | KB(KEY_SKIP), "path" },
	[FRAG_DATA] = { "data", KB(KEY_AT) | KB(KEY_SHA256), "string" },
	[FRAG_HEX] = { "hex", KB(KEY_AT) | KB(KEY_SHA256), NULL },
	[FRAG_FILL] = { "fill", KB(KEY_AT) | KB(KEY_LEN) | KB(KEY_SHA256), "byte value" },
	[FRAG_ZERO] = { "zero", KB(KEY_AT) | KB(KEY_LEN) | KB(KEY_SHA256), NULL },
	[FRAG_UUID] = { "uuid", KB(KEY_AT), NULL },
	[DIR_OUTPUT] = { "output", 0, "path" },
	[DIR_SIZE] = { "size", 0, "number" },
};

static const char *const key_names[NKEYS] = { "at", "len", "sha256", "skip" };
static const char *const uuid_words[] = { "binary", "text" };

struct parse {
	struct manifest *m;
	unsigned oi;		/* origin index */
	uint64_t line;
	struct errors *err;
};

/* What one line has gathered so far. */
struct line_state {
	int kind;		/* enum frag_kind, DIR_OUTPUT or DIR_SIZE */
	size_t kcol;
	struct fragment f;
	unsigned seen;		/* keys given, KB(KEY_...) */
	size_t nargs;
	struct token arg;	/* the first positional argument */
	int64_t number;		/* fill's byte, size's number */
	unsigned char *hex_start, *hex_out;	/* hex: the bytes so far */
	unsigned pending;	/* hex: a high nibble waiting for its low one */
	int half;
	size_t hex_col;		/* hex: the last digit token's column */
	unsigned char digest[32];
	unsigned char *digest_at;	/* where the digits were */
};

static int fail(struct parse *P, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse *P, size_t col, const char *fmt, ...)
{
	struct place at = { .file = P->m->origin[P->oi].name, .rank = P->oi, .line = P->line,
			    .col = col > UINT32_MAX ? UINT32_MAX : (uint32_t)col };
	va_list ap;

	va_start(ap, fmt);
	verror(P->err, ERR_PLAIN, &at, fmt, ap);
	va_end(ap);
	return -1;
}

/* Whether p[0..n) is the word w; a byte loop, as words are a few bytes
 * and this runs for every kind and key of every line. */
static int bytes_are(const unsigned char *p, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || p[i] != (unsigned char)w[i])
			return 0;
	return w[i] == '\0';
}

static int word_is(const struct token *t, const char *w)
{
	return bytes_are(t->p, t->n, w);
}

static int number_arg(struct parse *P, const unsigned char *s, size_t n, size_t col,
		      int64_t *out)
{
	char q[ESCAPE_BUF];
	const char *msg;

	msg = parse_number((const char *)s, n, out);
	if (msg)
		return fail(P, col, "%s: '%s'", msg, escape_bytes(q, s, n));
	return 0;
}

static int next_token(struct parse *P, struct lexer *lx, struct token *t)
{
	struct lex_error e;
	int r = lex_next(lx, t, &e);
	char q[ESCAPE_BUF];

	if (r >= 0)
		return r;
	switch (e.fault) {
	case LEX_UNTERMINATED:
		return fail(P, e.col, "unterminated string");
	case LEX_XESCAPE:
		return fail(P, e.col, "'\\x' needs two hex digits");
	case LEX_ESCAPE:
	default:
		return fail(P, e.col, "unknown escape '\\%s'", escape_bytes(q, &e.c, 1));
	}
}

static int kind_of(struct parse *P, const struct token *t)
{
	char q[ESCAPE_BUF], s[64];
	int k;

	if (!t->keylen)
		for (k = 0; k < NKINDS; k++)
			if (word_is(t, kinds[k].name))
				return k;
	{
		const char *words[NKINDS];

		for (k = 0; k < NKINDS; k++)
			words[k] = kinds[k].name;
		return fail(P, t->col, "unknown kind '%s'%s", escape_bytes(q, t->p, t->n),
			    suggest(s, sizeof s, (const char *)t->p, t->n, words, NKINDS, ~0u));
	}
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

static int key_value(struct parse *P, struct line_state *L, const struct token *t)
{
	unsigned char *v = t->p + t->keylen + 1;
	size_t n = t->n - t->keylen - 1, col = t->col + t->keylen + 1;
	unsigned valid = kinds[L->kind].keys;
	char q[ESCAPE_BUF], s[64];
	const char *msg;
	int k;

	for (k = 0; k < NKEYS; k++)
		if (bytes_are(t->p, t->keylen, key_names[k]))
			break;
	if (k == NKEYS || !(valid & KB(k)))
		return fail(P, t->col, "unknown key '%s' for '%s'%s",
			    escape_bytes(q, t->p, t->keylen), kinds[L->kind].name,
			    suggest(s, sizeof s, (const char *)t->p, t->keylen, key_names, NKEYS, valid));
	if (L->seen & KB(k))
		return fail(P, t->col, "key '%s' given twice", key_names[k]);
	L->seen |= KB(k);
	if (n == 0)
		return fail(P, col, "key '%s' needs a value", key_names[k]);

	switch (k) {
	case KEY_AT:
		L->f.at_mode = v[0] == '+' ? AT_REL : AT_ABS;
		if (v[0] != '+')
			return number_arg(P, v, n, col, &L->f.at);
		msg = parse_number((const char *)v + 1, n - 1, &L->f.at);
		if (msg)
			return fail(P, col, "%s: '%s'", msg, escape_bytes(q, v, n));
		return 0;
	case KEY_LEN:
		return number_arg(P, v, n, col, &L->f.len);
	case KEY_SKIP:
		return number_arg(P, v, n, col, &L->f.skip);
	case KEY_SHA256:
	default:
		return sha256_value(P, L, v, n, col, t->quoted);
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
	char q[ESCAPE_BUF], s[64];

	if (L->nargs > 1)
		return fail(P, t->col, "'uuid' takes at most one word ('text' or 'binary')");
	if (word_is(t, "text")) {
		L->f.byte = 1;
		return 0;
	}
	if (word_is(t, "binary")) {
		L->f.byte = 0;
		return 0;
	}
	return fail(P, t->col, "unknown word '%s' for 'uuid'%s", escape_bytes(q, t->p, t->n),
		    suggest(s, sizeof s, (const char *)t->p, t->n, uuid_words, 2, ~0u));
}

static int positional(struct parse *P, struct line_state *L, const struct token *t)
{
	L->nargs++;
	switch (L->kind) {
	case FRAG_HEX:
		return hex_token(P, L, t);
	case FRAG_ZERO:
		return fail(P, t->col, "'zero' takes no arguments");
	case FRAG_UUID:
		return uuid_word(P, L, t);
	default:
		if (L->nargs > 1)
			return fail(P, t->col, "'%s' takes one %s", kinds[L->kind].name,
				    kinds[L->kind].one);
		L->arg = *t;
		return 0;
	}
}

static int path_arg(struct parse *P, const struct line_state *L)
{
	if (L->nargs == 0)
		return fail(P, L->kcol, "'%s' takes one path", kinds[L->kind].name);
	if (L->arg.n == 0)
		return fail(P, L->arg.col, "empty path");
	if (memchr(L->arg.p, '\0', L->arg.n))
		return fail(P, L->arg.col, "NUL byte in path");
	return 0;
}

static int directive_once(struct parse *P, const struct line_state *L, struct directive *d)
{
	const struct manifest *m = P->m;

	if (!d->set)
		return 0;
	if (d->origin == P->oi)
		return fail(P, L->kcol, "'%s' given twice (first on line %" PRIu32 ")",
			    kinds[L->kind].name, d->line);
	return fail(P, L->kcol, "'%s' given twice (first on line %" PRIu32 " of '%s')",
		    kinds[L->kind].name, d->line, m->origin[d->origin].name);
}

static void directive_set(struct parse *P, const struct line_state *L, struct directive *d)
{
	d->set = 1;
	d->origin = (uint8_t)P->oi;
	d->line = (uint32_t)P->line;
	d->col = (uint32_t)L->kcol;
}

/* "dir/path", or path alone when it is absolute or dir is ".". */
static char *join_dir(const char *dir, const unsigned char *path, size_t n)
{
	size_t dn = strlen(dir);
	int slash = dn && dir[dn - 1] != '/';
	char *s;

	if (path[0] == '/' || strcmp(dir, ".") == 0)
		dn = 0, slash = 0;
	s = malloc(dn + (size_t)slash + n + 1);
	if (!s)
		return NULL;
	memcpy(s, dir, dn);
	if (slash)
		s[dn] = '/';
	memcpy(s + dn + (size_t)slash, path, n);
	s[dn + (size_t)slash + n] = '\0';
	return s;
}

static int finish_directive(struct parse *P, struct line_state *L)
{
	struct manifest *m = P->m;

	if (L->kind == DIR_SIZE) {
		if (L->nargs == 0)
			return fail(P, L->kcol, "'size' takes one number");
		if (number_arg(P, L->arg.p, L->arg.n, L->arg.col, &m->size) < 0)
			return -1;
		directive_set(P, L, &m->size_at);
		return 0;
	}
	if (path_arg(P, L) < 0)
		return -1;
	m->output = join_dir(m->origin[P->oi].dir, L->arg.p, L->arg.n);
	if (!m->output)
		return fail(P, L->kcol, "out of memory");
	directive_set(P, L, &m->output_at);
	return 0;
}

static int push_fragment(struct parse *P, const struct fragment *f)
{
	struct manifest *m = P->m;

	if (m->nfrag == m->alloc) {
		size_t n = m->alloc ? m->alloc * 2 : 64;
		struct fragment *p;

		if (n > SIZE_MAX / sizeof *p || !(p = realloc(m->frag, n * sizeof *p)))
			return error_nomem(P->err);
		m->frag = p;
		m->alloc = n;
	}
	m->frag[m->nfrag++] = *f;
	return 0;
}

static int finish_fragment(struct parse *P, struct line_state *L)
{
	struct fragment *f = &L->f;
	char q[ESCAPE_BUF];

	switch (L->kind) {
	case FRAG_FILE:
		if (path_arg(P, L) < 0)
			return -1;
		f->bytes = L->arg.p;
		f->nbytes = L->arg.n;
		break;
	case FRAG_DATA:
		if (L->nargs == 0)
			return fail(P, L->kcol, "'data' takes one string");
		f->bytes = L->arg.p;
		f->nbytes = L->arg.n;
		break;
	case FRAG_HEX:
		if (L->nargs == 0)
			return fail(P, L->kcol, "'hex' needs hex digits");
		if (L->half)
			return fail(P, L->hex_col, "odd number of hex digits");
		f->bytes = L->hex_start;
		f->nbytes = (uint64_t)(L->hex_out - L->hex_start);
		break;
	case FRAG_FILL:
		if (L->nargs == 0)
			return fail(P, L->kcol, "'fill' takes one byte value");
		if (number_arg(P, L->arg.p, L->arg.n, L->arg.col, &L->number) < 0)
			return -1;
		if (L->number > 255)
			return fail(P, L->arg.col, "fill byte out of range 0..255: '%s'",
				    escape_bytes(q, L->arg.p, L->arg.n));
		f->byte = (uint8_t)L->number;
		break;
	default:
		break;
	}
	if ((L->kind == FRAG_FILL || L->kind == FRAG_ZERO) && !(L->seen & KB(KEY_LEN)))
		return fail(P, L->kcol, "'%s' needs len=", kinds[L->kind].name);

	if (L->digest_at) {
		unsigned char *to = L->digest_at;

		/* Hex bytes may have run over the digits; after them is free. */
		if (L->kind == FRAG_HEX && L->digest_at > L->hex_start)
			to = L->hex_out;
		memcpy(to, L->digest, sizeof L->digest);
		f->sha256 = to;
	}
	if (L->kind == FRAG_FILE)
		L->arg.p[L->arg.n] = '\0';
	return push_fragment(P, f);
}

static int parse_line(struct parse *P, unsigned char *lp, unsigned char *le)
{
	struct lexer lx = { lp, lp, le };
	struct line_state L;
	struct token t;
	unsigned char *nul;
	int r;

	nul = memchr(lp, '\0', (size_t)(le - lp));
	if (nul)
		return fail(P, (size_t)(nul - lp) + 1, "NUL byte in manifest");
	r = next_token(P, &lx, &t);
	if (r <= 0)
		return r;

	memset(&L, 0, sizeof L);
	if ((L.kind = kind_of(P, &t)) < 0)
		return -1;
	L.kcol = t.col;
	if (t.col > UINT32_MAX)
		return fail(P, t.col, "column too large");
	if (L.kind == DIR_OUTPUT && directive_once(P, &L, &P->m->output_at) < 0)
		return -1;
	if (L.kind == DIR_SIZE && directive_once(P, &L, &P->m->size_at) < 0)
		return -1;
	L.f.kind = (uint8_t)L.kind;
	L.f.at_mode = AT_FOLLOW;
	L.f.len = -1;
	L.f.line = (uint32_t)P->line;
	L.f.col = (uint32_t)t.col;
	L.f.origin = (uint8_t)P->oi;

	while ((r = next_token(P, &lx, &t)) > 0) {
		r = t.keylen ? key_value(P, &L, &t) : positional(P, &L, &t);
		if (r < 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (L.kind >= DIR_OUTPUT)
		return finish_directive(P, &L);
	return finish_fragment(P, &L);
}

int parse_text(struct manifest *m, unsigned oi, unsigned char *text, size_t len,
	       struct errors *err)
{
	struct parse P = { m, oi, m->origin[oi].lines, err };
	unsigned char *p = text, *end = text + len;
	int rc = 0;

	while (p < end) {
		unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		unsigned char *le = nl ? nl : end;

		P.line++;
		if (P.line > UINT32_MAX)
			return fail(&P, 1, "too many lines");
		if (le > p && le[-1] == '\r')
			le--;
		if (parse_line(&P, p, le) < 0)
			rc = -1;	/* reported; the next line is read all the same */
		m->origin[oi].lines = (uint32_t)P.line;
		p = nl ? nl + 1 : end;
	}
	return rc;
}

/*
 * parse.c -- manifest lines into fragments and directives (SPEC §2, §8).
 *
 * A line is KIND ARG... key=value...; keys and arguments may come in any
 * order.  Each line is checked whole, then becomes one struct fragment (or
 * sets a directive).  What the v2 grammar adds (names, expressions,
 * fields, digests, guards...) goes into a struct frag_ext that only the
 * fragments using it have, so a v1 line costs what it cost before.
 * Everything a fragment points to stays in the manifest's text, which the
 * lexer has unescaped in place; the only writes this file makes to it are:
 *
 *   - hex digits decoded to bytes from the first hex token on (the write
 *     pointer trails the read pointer, two digits per byte);
 *   - the 32 bytes of a sha256= digest, stored over its own 64 digits, or,
 *     when hex bytes may have run over those, right after the hex bytes
 *     (there is room: the 71 raw bytes of "sha256=..." lie behind them);
 *   - the bytes of an expect= value, decoded over its own digits;
 *   - a NUL after a file path, on the byte that ended the raw token (a
 *     blank, '#', '\r', '\n', or the extra byte past the text).
 *
 * The sha256 and the NUL are written once the line is fully read, so the
 * lexer never sees a byte that has been changed under it.
 */
#include "manifest/parse_internal.h"
#include "util/mem.h"
#include "util/suggest.h"
#include "util/thread.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest/args.h"

#define KB(k) (1u << (k))
#define ANY_FRAGMENT (KB(KEY_AT) | KB(KEY_ALIGN) | KB(KEY_NAME) | KB(KEY_EXPECT))

/* The kinds and directives, sorted by name for the suggestions. */
const struct kind_row kinds[] = {
	{ "data", FRAG_DATA, 0, ANY_FRAGMENT | KB(KEY_SHA256) | KB(KEY_LEN) | KB(KEY_PAD), "string" },
	{ "define", LINE_DEFINE, 0, 0, NULL },
	{ "file", FRAG_FILE, 0,
	  ANY_FRAGMENT | KB(KEY_SHA256) | KB(KEY_LEN) | KB(KEY_SKIP) | KB(KEY_FORMAT) | KB(KEY_BASE) |
	  KB(KEY_HOLES) | KB(KEY_DECODE),
	  "path" },
	{ "fill", FRAG_FILL, 0, ANY_FRAGMENT | KB(KEY_SHA256) | KB(KEY_LEN) | KB(KEY_TO),
	  "byte value" },
	{ "hex", FRAG_HEX, 0, ANY_FRAGMENT | KB(KEY_SHA256) | KB(KEY_LEN) | KB(KEY_PAD), NULL },
	{ "include", LINE_INCLUDE, 0, 0, NULL },
	{ "md5", FRAG_DIGEST, DIGEST_MD5, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "range" },
	{ "output", LINE_OUTPUT, 0, 0, "path" },
	{ "pad", LINE_PAD, 0, 0, "byte value" },
	{ "sha1", FRAG_DIGEST, DIGEST_SHA1, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "range" },
	{ "sha256", FRAG_DIGEST, DIGEST_SHA256, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "range" },
	{ "sha512", FRAG_DIGEST, DIGEST_SHA512, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "range" },
	{ "size", LINE_SIZE, 0, 0, "number" },
	{ "u16be", FRAG_FIELD, 2 | FIELD_BE, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "value" },
	{ "u16le", FRAG_FIELD, 2, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "value" },
	{ "u32be", FRAG_FIELD, 4 | FIELD_BE, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "value" },
	{ "u32le", FRAG_FIELD, 4, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "value" },
	{ "u64be", FRAG_FIELD, 8 | FIELD_BE, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "value" },
	{ "u64le", FRAG_FIELD, 8, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "value" },
	{ "u8", FRAG_FIELD, 1, ANY_FRAGMENT | KB(KEY_SELF) | KB(KEY_SHA256), "value" },
	{ "uuid", FRAG_UUID, 0, ANY_FRAGMENT | KB(KEY_V5) | KB(KEY_NS), NULL },
	{ "zero", FRAG_ZERO, 0, ANY_FRAGMENT | KB(KEY_SHA256) | KB(KEY_LEN) | KB(KEY_TO), NULL },
};
const size_t nkinds = sizeof(kinds) / sizeof(kinds[0]);

int fail(struct parse *P, size_t col, const char *fmt, ...)
{
	if (P->ahead)	/* the main thread reads the line again and reports */
		return -1;
	struct place at = { .file = P->m->origin[P->oi].name, .rank = P->oi, .line = P->line,
			    .col = col > UINT32_MAX ? UINT32_MAX : (uint32_t)col };
	va_list ap;

	va_start(ap, fmt);
	verror(P->err, ERR_PLAIN, &at, fmt, ap);
	va_end(ap);
	return -1;
}

int bytes_are(const unsigned char *p, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || p[i] != (unsigned char)w[i])
			return 0;
	return w[i] == '\0';
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

static const struct kind_row *kind_of(struct parse *P, const struct token *t)
{
	const char *words[sizeof(kinds) / sizeof(kinds[0])];
	char q[ESCAPE_BUF], s[64];

	if (!t->keylen)
		for (size_t k = 0; k < nkinds; k++)
			if (bytes_are(t->p, t->n, kinds[k].name))
				return &kinds[k];
	for (size_t k = 0; k < nkinds; k++)
		words[k] = kinds[k].name;
	fail(P, t->col, "unknown kind '%s'%s", escape_bytes(q, t->p, t->n),
	     suggest(s, sizeof s, (const char *)t->p, t->n, words, nkinds, ~0u));
	return NULL;
}

static int directive_once(struct parse *P, const struct line_state *L, struct directive *d)
{
	const struct manifest *m = P->m;

	if (!d->set)
		return 0;
	if (d->origin == P->oi)
		return fail(P, L->kcol, "'%s' given twice (first on line %" PRIu32 ")",
			    L->row->name, d->line);
	return fail(P, L->kcol, "'%s' given twice (first on line %" PRIu32 " of '%s')",
		    L->row->name, d->line, m->origin[d->origin].name);
}

void directive_set(struct parse *P, const struct line_state *L, struct directive *d)
{
	d->set = 1;
	d->origin = (uint8_t)P->oi;
	d->line = (uint32_t)P->line;
	d->col = (uint32_t)L->kcol;
}

/* The directive record a once-only line sets, or NULL. */
static struct directive *once_record(struct manifest *m, int kind)
{
	switch (kind) {
	case LINE_OUTPUT: return &m->output_at;
	case LINE_SIZE: return &m->size_at;
	case LINE_PAD: return &m->pad_at;
	default: return NULL;
	}
}

static int push_ext(struct parse *P, struct fragment *f, const struct frag_ext *x)
{
	struct manifest *m = P->m;

	if (m->next == m->ext_alloc) {
		size_t n = m->ext_alloc ? m->ext_alloc * 2 : 16;
		struct frag_ext *p;

		if (n > UINT32_MAX - 1 || !(p = mem_realloc(m->ext, n * sizeof *p)))
			return error_nomem(P->err);
		m->ext = p;
		m->ext_alloc = n;
	}
	m->ext[m->next++] = *x;
	f->ext = (uint32_t)m->next;
	return 0;
}

/* A field line with no key keeps its value in the fragment (frag_field). */
static void field_in_fragment(struct line_state *L)
{
	const struct mnum *v = &L->x.value;

	L->f.bytes = v->expr;
	L->f.nbytes = v->n;
	L->f.len = v->col;
	L->f.skip = v->v;
	L->f.byte = (uint8_t)(L->x.width | (L->x.big_endian ? FIELD_BYTE_BE : 0) |
			      (v->quoted ? FIELD_BYTE_QUOTED : 0));
	L->has_ext = 0;
}

static int push_fragment(struct parse *P, struct line_state *L)
{
	struct manifest *m = P->m;

	if (P->ahead && L->x.name)	/* the names are the main thread's */
		return -1;
	if (m->nfrag == m->alloc) {
		size_t n = m->alloc ? m->alloc * 2 : 64;
		struct fragment *p;

		if (n > SIZE_MAX / sizeof *p || !(p = mem_realloc(m->frag, n * sizeof *p)))
			return error_nomem(P->err);
		m->frag = p;
		m->alloc = n;
	}
	if (L->kind == FRAG_FIELD && !L->seen)
		field_in_fragment(L);
	if (L->has_ext && push_ext(P, &L->f, &L->x) < 0)
		return -1;
	if (L->x.name && name_add(P, L, m->nfrag) < 0) {
		m->next -= L->has_ext;
		return -1;
	}
	m->frag[m->nfrag++] = L->f;
	return 0;
}

/* Store the sha256= digest where there is room (see the top of the file). */
static void place_digest(struct line_state *L)
{
	unsigned char *to = L->digest_at;

	if (L->kind == FRAG_HEX && L->digest_at > L->hex_start)
		to = L->hex_out;
	memcpy(to, L->digest, sizeof L->digest);
	L->f.sha256 = to;
}

static int finish_fragment(struct parse *P, struct line_state *L)
{
	if (finish_args(P, L) < 0)
		return -1;
	if (L->digest_at)
		place_digest(L);
	if (L->kind == FRAG_FILE)
		L->arg.p[L->arg.n] = '\0';
	return push_fragment(P, L);
}

static int start_line(struct parse *P, struct line_state *L, const struct token *t)
{
	struct directive *once;

	memset(L, 0, sizeof *L);
	if (!(L->row = kind_of(P, t)))
		return -1;
	L->kind = L->row->kind;
	if (P->ahead && L->kind >= LINE_OUTPUT)
		return -1;
	L->kcol = t->col;
	if (t->col > UINT32_MAX)
		return fail(P, t->col, "column too large");
	if ((once = once_record(P->m, L->kind)) && directive_once(P, L, once) < 0)
		return -1;
	L->f.kind = (uint8_t)(L->kind < LINE_OUTPUT ? L->kind : 0);
	L->f.at_mode = AT_FOLLOW;
	L->f.len = -1;
	L->f.line = (uint32_t)P->line;
	L->f.col = (uint32_t)t->col;
	L->f.origin = (uint8_t)P->oi;
	kind_defaults(L);
	return 0;
}

static int parse_tokens(struct parse *P, unsigned char *lp, unsigned char *le)
{
	struct lexer lx = { lp, lp, le };
	struct line_state L;
	struct token t;
	int r;

	r = next_token(P, &lx, &t);
	if (r <= 0)
		return r;
	if (start_line(P, &L, &t) < 0)
		return -1;
	if (L.kind == LINE_INCLUDE || L.kind == LINE_DEFINE)
		return directive_line(P, &L, &lx);
	while ((r = next_token(P, &lx, &t)) > 0) {
		r = t.keylen ? key_value(P, &L, &t) : positional(P, &L, &t);
		if (r < 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (L.kind >= LINE_OUTPUT)
		return finish_directive(P, &L);
	return finish_fragment(P, &L);
}

static int parse_line(struct parse *P, unsigned char *lp, unsigned char *le)
{
	unsigned char *nul = memchr(lp, '\0', (size_t)(le - lp)), *x;
	size_t xlen;
	int failed = 0, r;

	if (nul)
		return fail(P, (size_t)(nul - lp) + 1, "NUL byte in manifest");
	x = expand_line(P, lp, (size_t)(le - lp), &xlen, &failed);
	if (failed)
		return -1;
	if (!x)
		return parse_tokens(P, lp, le);
	/* The expansion is the line from here on; fragments point into it. */
	if (keep_text(P, x, xlen) < 0)
		return -1;
	r = parse_tokens(P, x, x + xlen);
	return r;
}

/* The lines of [p, end), numbered on from P->line: 0, or -1 when any line
 * had an error (reported; the next line is read all the same). */
static int parse_lines(struct parse *P, unsigned char *p, unsigned char *end)
{
	struct manifest *m = P->m;
	int rc = 0;

	while (p < end) {
		unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		unsigned char *le = nl ? nl : end;

		P->line++;
		if (P->line > UINT32_MAX)
			return fail(P, 1, "too many lines");
		if (le > p && le[-1] == '\r')
			le--;
		if (parse_line(P, p, le) < 0)
			rc = -1;
		m->origin[P->oi].lines = (uint32_t)P->line;
		p = nl ? nl + 1 : end;
	}
	return rc;
}

/*
 * A large text is read on two cores: the main thread reads its first half
 * while a helper reads the second into a manifest of its own.  The helper
 * stops at the first line it may not read alone -- one with an error, a
 * directive, name= or ${...}, which depend on or change what the lines
 * before them set -- and puts that line's bytes back as they were (the
 * lexer unescapes in place).  Its fragments then follow the main thread's,
 * and the main thread reads on from that line.  The halves write to
 * disjoint bytes: the first ends with the newline after which the second
 * starts.  The helper numbers its lines from 1, and never looks at the
 * first half (whose newlines the main thread may be overwriting with a
 * path's NUL); the main thread adds its count when it takes them.
 */
#define AHEAD_MIN ((size_t)1 << 20)

struct ahead {
	struct parse P;		/* its lines numbered from 1 */
	struct manifest m;	/* the fragments and v2 records read ahead */
	struct errors err;
	uint64_t most;		/* lines it may read: the total stays below 2^32 */
	unsigned char *from, *end; /* the second half */
	unsigned char *stop;	/* the first line not read, or end */
	uint64_t lines;		/* lines read */
	unsigned char *copy;	/* the line being read, as it was */
	size_t copy_cap;
};

static void *read_ahead(void *arg)
{
	struct ahead *a = arg;
	unsigned char *p = a->from;

	while (p < a->end && a->P.line < a->most) {
		unsigned char *nl = memchr(p, '\n', (size_t)(a->end - p));
		unsigned char *le = nl ? nl : a->end;
		size_t n = (size_t)(le - p) + 1;	/* and the byte a path's NUL may take */

		if (n > a->copy_cap) {
			unsigned char *c = realloc(a->copy, n);

			if (!c)
				break;
			a->copy = c;
			a->copy_cap = n;
		}
		memcpy(a->copy, p, n);
		a->P.line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (parse_line(&a->P, p, le) < 0) {
			memcpy(p, a->copy, n);
			break;
		}
		a->lines++;
		p = nl ? nl + 1 : a->end;
	}
	a->stop = p;
	return NULL;
}

/* Append what a read ahead: 0, or -1 (out of memory, reported). */
static int take_ahead(struct parse *P, const struct ahead *a)
{
	struct manifest *m = P->m;
	const struct manifest *h = &a->m;
	size_t nf = m->nfrag + h->nfrag, nx = m->next + h->next;

	if (nx > UINT32_MAX - 1)
		return error_nomem(P->err);
	if (nf > m->alloc) {
		struct fragment *f = mem_realloc(m->frag, nf * sizeof *f);

		if (!f)
			return error_nomem(P->err);
		m->frag = f;
		m->alloc = nf;
	}
	if (nx > m->ext_alloc) {
		struct frag_ext *x = mem_realloc(m->ext, nx * sizeof *x);

		if (!x)
			return error_nomem(P->err);
		m->ext = x;
		m->ext_alloc = nx;
	}
	for (size_t i = 0; i < h->nfrag; i++) {
		struct fragment f = h->frag[i];

		if (f.ext)
			f.ext += (uint32_t)m->next;
		f.line += (uint32_t)P->line;
		m->frag[m->nfrag++] = f;
	}
	if (h->next)
		memcpy(m->ext + m->next, h->ext, h->next * sizeof *h->ext);
	m->next = nx;
	return 0;
}

static int parse_halves(struct parse *P, unsigned char *text, size_t len)
{
	unsigned char *end = text + len, *mid = memchr(text + len / 2, '\n', len - len / 2);
	struct ahead *a;
	pthread_t t;
	int rc;

	/* The first half has at most one line a byte: the second's numbers
	 * must stay below 2^32 whatever it has. */
	if (!mid || mid + 1 == end || P->line + (uint64_t)(mid + 1 - text) >= UINT32_MAX ||
	    sysconf(_SC_NPROCESSORS_ONLN) < 2 || !(a = calloc(1, sizeof *a)))
		return parse_lines(P, text, end);
	mid++;
	a->P = (struct parse){ .m = &a->m, .oi = P->oi, .err = &a->err, .ahead = 1 };
	manifest_init(&a->m);
	a->most = UINT32_MAX - P->line - (uint64_t)(mid - text);
	a->from = a->stop = mid;
	a->end = end;
	if (thread_start(&t, read_ahead, a) != 0) {
		free(a);
		return parse_lines(P, text, end);
	}
	rc = parse_lines(P, text, mid);
	pthread_join(t, NULL);
	if (take_ahead(P, a) < 0) {
		rc = -1;
	} else {
		P->line += a->lines;
		P->m->origin[P->oi].lines = (uint32_t)P->line;
		if (parse_lines(P, a->stop, end) < 0)
			rc = -1;
	}
	manifest_release(&a->m);
	errors_release(&a->err);
	free(a->copy);
	free(a);
	return rc;
}

int parse_text(struct parse *P, unsigned char *text, size_t len)
{
	P->line = P->m->origin[P->oi].lines;
	if (len >= AHEAD_MIN && !P->depth && !P->ahead)
		return parse_halves(P, text, len);
	return parse_lines(P, text, text + len);
}

/*
 * fuzz_manifest.c -- libFuzzer target for the manifest parser (SPEC §2).
 *
 * Built and run by scripts/fuzz (make fuzz FUZZ_SECONDS=N).  Each input is
 * one manifest text, parsed with manifest_add_text(m, "fuzz", ".", ...).
 * The parser reports every bad line (one error each) and keeps the lines
 * that parse, so every property below holds whether or not some lines
 * failed:
 *
 *  - The result is -1 exactly when errors were added.  The list keeps
 *    min(total, ERRORS_MAX) of them; each is at "fuzz" (origin 0), on a
 *    line of the input and a column of that line or just past it, with a
 *    message free of control bytes (the parser quotes what it shows), and
 *    no two are on the same line.  An error whose message is NULL (out of
 *    memory) is let through, and then the comparisons below are skipped.
 *  - Every fragment that parsed is sane: line and column inside the input,
 *    a known kind and at mode, the bytes it points to inside one of the
 *    origin's chunks and inside its own line, a FILE path NUL-terminated
 *    right after its nbytes and free of NULs, DATA/HEX byte counts that fit
 *    the raw line, numbers in range, a sha256 digest that does not overlap
 *    the bytes.  Directives are set only with their place.
 *  - The fragments are printed back in a canonical form (every byte as
 *    \xHH, every key spelt out) which must parse without error to the same
 *    fragments.
 *  - The input handed over a line at a time (each line a text of its own
 *    under the same name) must give the same fragments and directives, and
 *    the same errors (place and message, word for word); each of those
 *    calls fails exactly when it adds one error, and the errors the whole
 *    text kept are those of the first bad lines.
 *
 * Any violation abort()s, so the fuzzer keeps the input as a crash.
 */
#include "manifest/expr.h"
#include "manifest/manifest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The inputs' directory: an empty one of our own, so that a relative
 * `include` finds nothing and the inputs do not read the project's files. */
static char fuzz_dir[] = "/tmp/fuzz_manifest.XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(fuzz_dir))
		abort();
	return 0;
}

#define FUZZ_NAME "fuzz"

static void violated(const char *what, size_t i)
{
	fprintf(stderr, "fuzz_manifest: property violated: %s (fragment or error %zu)\n", what, i);
	abort();
}

#define REQUIRE(cond, i) do { if (!(cond)) violated(#cond, (i)); } while (0)

/* The input's line count and the length of each line, as the parser sees
 * them: lines end at '\n'; a final line without one still counts. */
static size_t count_lines(const uint8_t *d, size_t n)
{
	size_t lines = 0, i = 0;

	while (i < n) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);

		lines++;
		i = nl ? (size_t)(nl - d) + 1 : n;
	}
	return lines;
}

/* The offset of line's first byte (1-based line), or n past the last. */
static size_t line_start(const uint8_t *d, size_t n, uint64_t line)
{
	size_t i = 0;
	uint64_t l = 1;

	while (i < n && l < line) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);

		if (!nl)
			return n;
		i = (size_t)(nl - d) + 1;
		l++;
	}
	return i;
}

/* The line's length without its '\n' (a '\r' before it counts). */
static size_t line_length(const uint8_t *d, size_t n, uint64_t line)
{
	size_t i = line_start(d, n, line);
	const uint8_t *nl = memchr(d + i, '\n', n - i);

	return nl ? (size_t)(nl - d) - i : n - i;
}

/* Whether the message is printable as it is: no control bytes. */
static int clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* Whether an error is one of running out of memory. */
static int is_nomem(const struct error *e)
{
	return e->msg == NULL;
}

static int any_nomem(const struct errors *es)
{
	if (es->nomem)
		return 1;
	for (size_t i = 0; i < es->n; i++)
		if (is_nomem(&es->v[i]))
			return 1;
	return 0;
}

/* The list after a parse that returned r (sorted here). */
static void check_errors(struct errors *es, int r, const uint8_t *d, size_t n, int plain)
{
	size_t nlines = count_lines(d, n);
	const struct error *prev = NULL;

	REQUIRE(r == 0 || r == -1, 0);
	REQUIRE(es->n <= ERRORS_MAX, 0);
	REQUIRE(es->total >= es->n, 0);
	if (r == 0) {
		REQUIRE(es->n == 0 && es->total == 0 && !es->nomem, 0);
		return;
	}
	REQUIRE(es->total >= 1, 0);
	if (!es->nomem)
		REQUIRE(es->n == (es->total < ERRORS_MAX ? es->total : ERRORS_MAX), 0);
	errors_sort(es);
	for (size_t i = 0; i < es->n; i++) {
		const struct error *e = &es->v[i];
		char *t;

		if (is_nomem(e))
			continue;
		/* An include reports errors in the included file, and an include
		 * line may fail more than once. */
		if (!plain && (!e->file || strcmp(e->file, FUZZ_NAME) != 0)) {
			REQUIRE(e->msg[0] != '\0' && clean(e->msg), i);
			continue;
		}
		REQUIRE(e->file != NULL && strcmp(e->file, FUZZ_NAME) == 0, i);
		REQUIRE(e->rank == 0, i);
		REQUIRE(e->kind == ERR_PLAIN, i);
		/* "too many lines" names the line after the last, which cannot
		 * happen for inputs this small; every other error is on a line of
		 * the input. */
		REQUIRE(e->line >= 1 && e->line <= nlines, i);
		/* A column is a byte of its line, or just past it (a missing
		 * value, an unterminated escape at the end). */
		REQUIRE(e->col >= 1 && e->col <= line_length(d, n, e->line) + 1, i);
		REQUIRE(e->msg[0] != '\0', i);
		REQUIRE(clean(e->msg), i);
		/* One error per bad line. */
		if (prev && plain)
			REQUIRE(e->line > prev->line, i);
		prev = e;
		/* What a user sees. */
		t = error_text(e);
		REQUIRE(t != NULL, i);
		REQUIRE(strncmp(t, FUZZ_NAME ":", sizeof FUZZ_NAME) == 0, i);
		REQUIRE(clean(t), i);
		free(t);
	}
}

/* Whether p[0..n) lies inside one of the origin's chunks (text[len], the
 * spare byte, is the end: it may hold a path's NUL but no byte counted). */
static int inside(const unsigned char *p, uint64_t n, const struct origin *o)
{
	for (const struct chunk *c = o->chunks; c; c = c->prev) {
		const unsigned char *t = c->text;

		if (p >= t && p <= t + c->len && n <= (uint64_t)(t + c->len - p))
			return 1;
	}
	return 0;
}

/* Each line of the input: its offset, its length without the '\n' (a '\r'
 * before it counts), and where it lies in the manifest's memory -- one
 * chunk holds the whole input, or one chunk each line.  Index 0 is line 1. */
struct line_map {
	size_t *off, *len;
	const unsigned char **mem;
};

static void map_lines(struct line_map *lm, const struct origin *o, const uint8_t *d, size_t n,
		      size_t nlines)
{
	const struct chunk *c = o->chunks;
	size_t i = 0, l = 0;

	lm->off = malloc((nlines + 1) * sizeof *lm->off);
	lm->len = malloc((nlines + 1) * sizeof *lm->len);
	lm->mem = malloc((nlines + 1) * sizeof *lm->mem);
	if (!lm->off || !lm->len || !lm->mem)
		abort();
	while (i < n) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - d) : n;

		lm->off[l] = i;
		lm->len[l] = e - i;
		l++;
		i = nl ? e + 1 : n;
	}
	REQUIRE(l == nlines, 0);
	if (c && !c->prev) {
		for (l = 0; l < nlines; l++)
			lm->mem[l] = c->text + lm->off[l];
	} else {
		/* Newest first: the last line's chunk comes first. */
		for (l = nlines; l-- > 0; c = c ? c->prev : NULL)
			lm->mem[l] = c ? c->text : NULL;
	}
}

static void unmap_lines(struct line_map *lm)
{
	free(lm->off);
	free(lm->len);
	free(lm->mem);
}

static int inside_line(const unsigned char *p, uint64_t k, const unsigned char *s, size_t len)
{
	return s && p >= s && p <= s + len && k <= (uint64_t)(s + len - p);
}

static void check_fragments(const struct manifest *m, const uint8_t *d, size_t n, int whole)
{
	size_t nlines = count_lines(d, n), nchunks = 0, total = 0;
	const struct origin *o = &m->origin[0];
	struct line_map lm;

	REQUIRE(m->norigin == 1, 0);
	REQUIRE(strcmp(o->name, FUZZ_NAME) == 0 && strcmp(o->dir, fuzz_dir) == 0, 0);
	for (const struct chunk *c = o->chunks; c; c = c->prev) {
		REQUIRE(c->text != NULL, nchunks);
		nchunks++;
		total += c->len;
	}
	/* The whole text is one chunk; a line at a time, one chunk a line. */
	REQUIRE(nchunks == (whole ? 1 : nlines), 0);
	REQUIRE(total == n, 0);
	REQUIRE(o->lines == nlines, 0);
	REQUIRE(m->nfrag <= m->alloc, 0);
	map_lines(&lm, o, d, n, nlines);
	REQUIRE(m->size >= -1, 0);
	REQUIRE((m->size >= 0 || m->size_expr.expr != NULL) == !!m->size_at.set, 0);
	if (m->size_at.set)
		REQUIRE(m->size_at.origin == 0 && m->size_at.line >= 1 &&
				m->size_at.line <= nlines && m->size_at.col >= 1 &&
				m->size_at.col <= lm.len[m->size_at.line - 1], 0);
	REQUIRE((m->output != NULL) == !!m->output_at.set, 0);
	if (m->output) {
		REQUIRE(m->output[0] != '\0', 0);
		REQUIRE(m->output_at.origin == 0 && m->output_at.line >= 1 &&
				m->output_at.line <= nlines && m->output_at.col >= 1 &&
				m->output_at.col <= lm.len[m->output_at.line - 1], 0);
		REQUIRE(!m->size_at.set || m->size_at.line != m->output_at.line, 0);
	}
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct fragment *f = &m->frag[i];
		const unsigned char *ls;
		size_t ll;

		REQUIRE(f->line >= 1 && f->line <= nlines, i);
		REQUIRE(f->col >= 1 && f->col <= lm.len[f->line - 1], i);
		REQUIRE(f->kind <= FRAG_DIGEST, i);
		REQUIRE(f->at_mode <= AT_REL, i);
		REQUIRE(f->origin == 0, i);
		REQUIRE(f->at >= 0, i);
		if (f->at_mode == AT_FOLLOW)
			REQUIRE(f->at == 0, i);
		REQUIRE(f->skip >= 0, i);
		REQUIRE(f->len >= -1, i);
		if (i)
			REQUIRE(f->line > m->frag[i - 1].line, i);
		/* A directive's line holds no fragment. */
		REQUIRE(!m->size_at.set || m->size_at.line != f->line, i);
		REQUIRE(!m->output_at.set || m->output_at.line != f->line, i);
		ls = lm.mem[f->line - 1];
		ll = lm.len[f->line - 1];
		switch (f->kind) {
		case FRAG_FILE:
			REQUIRE(f->bytes != NULL && f->nbytes >= 1, i);
			/* The path and its NUL lie inside text[0..len] (text[len] is
			 * the spare byte), and inside the path's line (its NUL on
			 * the byte after the raw token: at most the '\n'). */
			REQUIRE(inside(f->bytes, f->nbytes, o), i);
			REQUIRE(inside_line(f->bytes, f->nbytes, ls, ll), i);
			REQUIRE(f->bytes[f->nbytes] == '\0', i);
			REQUIRE(memchr(f->bytes, '\0', f->nbytes) == NULL, i);
			REQUIRE(strlen((const char *)f->bytes) == f->nbytes, i);
			break;
		case FRAG_DATA:
			REQUIRE(f->bytes != NULL, i);
			REQUIRE(inside(f->bytes, f->nbytes, o), i);
			REQUIRE(inside_line(f->bytes, f->nbytes, ls, ll), i);
			/* Unescaping never grows a token: "data " plus the bytes. */
			REQUIRE(f->nbytes + 5 <= ll, i);
			/* len= makes it a fixed-width field, at least its bytes. */
			REQUIRE(f->skip == 0 && (f->len == -1 || f->ext ||
						 (uint64_t)f->len >= f->nbytes), i);
			break;
		case FRAG_HEX:
			REQUIRE(f->bytes != NULL && f->nbytes >= 1, i);
			REQUIRE(inside(f->bytes, f->nbytes, o), i);
			REQUIRE(inside_line(f->bytes, f->nbytes, ls, ll), i);
			/* Two digits per byte, after "hex ". */
			REQUIRE(2 * f->nbytes + 4 <= ll, i);
			REQUIRE(f->skip == 0 && (f->len == -1 || f->ext ||
						 (uint64_t)f->len >= f->nbytes), i);
			break;
		case FRAG_FILL:
		case FRAG_ZERO:
			REQUIRE(f->len >= 0 || f->ext, i);	/* to= or an expression */
			REQUIRE(f->skip == 0, i);
			if (f->kind == FRAG_ZERO)
				REQUIRE(f->byte == 0, i);
			break;
		case FRAG_UUID:
			REQUIRE(f->byte <= 1, i);
			REQUIRE(f->len == -1 && f->skip == 0, i);
			REQUIRE(f->sha256 == NULL, i);
			break;
		case FRAG_FIELD: {
			/* Without keys its value lives in the fragment (frag_field). */
			struct field_shape fs = frag_field(m, f);

			REQUIRE(fs.value.set, i);
			REQUIRE(fs.width == 1 || fs.width == 2 || fs.width == 4 || fs.width == 8, i);
			if (!f->ext && fs.value.expr)
				REQUIRE(inside(fs.value.expr, fs.value.n, o), i);
			/* sha256= (SPEC §2) is stored apart from the value's text. */
			if (f->sha256 && fs.value.expr)
				REQUIRE(f->sha256 + 32 <= fs.value.expr ||
						f->sha256 >= fs.value.expr + fs.value.n, i);
			break;
		}
		case FRAG_DIGEST:
			REQUIRE(f->ext != 0 && frag_ext(m, f)->value.expr != NULL, i);
			break;
		}
		if (f->sha256) {
			REQUIRE(inside(f->sha256, 32, o), i);
			REQUIRE(inside_line(f->sha256, 32, ls, ll), i);
			if ((f->kind == FRAG_DATA || f->kind == FRAG_HEX) && f->nbytes)
				REQUIRE(f->sha256 + 32 <= f->bytes || f->sha256 >= f->bytes + f->nbytes,
					i);
			if (f->kind == FRAG_FILE)
				REQUIRE(f->sha256 + 32 <= f->bytes ||
						f->sha256 > f->bytes + f->nbytes, i);
		}
	}
	unmap_lines(&lm);
}

static void print_errors(const char *what, struct errors *es)
{
	fprintf(stderr, "%s: %zu of %llu errors\n", what, es->n, (unsigned long long)es->total);
	for (size_t i = 0; i < es->n; i++) {
		char *t = error_text(&es->v[i]);

		fprintf(stderr, "  %s\n", t ? t : "(no memory)");
		free(t);
	}
}

/* A growing text buffer for the canonical form. */
struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, long long v)
{
	char tmp[64];
	int k = snprintf(tmp, sizeof tmp, fmt, v);

	put(b, tmp, (size_t)k);
}

static void put_quoted(struct buf *b, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char e[4] = { '\\', 'x', hex[s[i] >> 4], hex[s[i] & 15] };

		put(b, e, 4);
	}
	put(b, "\"", 1);
}

static void put_hex(struct buf *b, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		char e[2] = { hex[s[i] >> 4], hex[s[i] & 15] };

		put(b, e, 2);
	}
}

static void canonical(const struct manifest *m, struct buf *b)
{
	static const char *const kinds[] = { "file", "data", "hex", "fill", "zero", "uuid" };

	if (m->size >= 0)
		putf(b, "size 0x%llx\n", m->size);
	if (m->output) {
		puts_(b, "output ");
		put_quoted(b, (const unsigned char *)m->output, strlen(m->output));
		puts_(b, "\n");
	}
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct fragment *f = &m->frag[i];

		puts_(b, kinds[f->kind]);
		switch (f->kind) {
		case FRAG_FILE:
			puts_(b, " ");
			put_quoted(b, f->bytes, f->nbytes);
			putf(b, " skip=%lld", f->skip);
			if (f->len >= 0)
				putf(b, " len=%lld", f->len);
			break;
		case FRAG_DATA:
			puts_(b, " ");
			put_quoted(b, f->bytes, f->nbytes);
			if (f->len >= 0)
				putf(b, " len=%lld", f->len), putf(b, " pad=%lld", f->byte);
			break;
		case FRAG_HEX:
			puts_(b, " 0x");
			put_hex(b, f->bytes, f->nbytes);
			if (f->len >= 0)
				putf(b, " len=%lld", f->len), putf(b, " pad=%lld", f->byte);
			break;
		case FRAG_FILL:
			putf(b, " %lld", f->byte);
			putf(b, " len=%lld", f->len);
			break;
		case FRAG_ZERO:
			putf(b, " len=%lld", f->len);
			break;
		case FRAG_UUID:
			puts_(b, f->byte ? " text" : " binary");
			break;
		}
		if (f->at_mode == AT_ABS)
			putf(b, " at=%lld", f->at);
		else if (f->at_mode == AT_REL)
			putf(b, " at=+%lld", f->at);
		if (f->sha256) {
			puts_(b, " sha256=");
			put_hex(b, f->sha256, 32);
		}
		puts_(b, "\r\n");
	}
}

/* Parse the canonical form again: it has no errors, and the same
 * fragments come back. */
static void check_round_trip(const struct manifest *m)
{
	struct buf b = { 0 };
	struct manifest m2;
	struct errors err = { 0 };
	int r;

	/* The canonical form is v1's: a manifest with v2 lines (an ext record,
	 * a field, which may have none, pad, an include) is checked by the
	 * line-at-a-time parse alone. */
	if (m->next || m->pad_at.set || m->norigin > 1)
		return;
	for (size_t i = 0; i < m->nfrag; i++)
		if (m->frag[i].kind > FRAG_UUID)
			return;
	canonical(m, &b);
	manifest_init(&m2);
	r = manifest_add_text(&m2, "canon", ".", b.p ? b.p : "", b.n, &err);
	if (any_nomem(&err))
		goto out;
	if (r < 0 || err.total) {
		print_errors("canonical form", &err);
		fprintf(stderr, "fuzz_manifest: canonical form does not parse\n--\n%s--\n",
			b.p ? b.p : "");
		abort();
	}
	REQUIRE(m2.nfrag == m->nfrag, 0);
	REQUIRE(m2.size == m->size, 0);
	REQUIRE((m2.output == NULL) == (m->output == NULL), 0);
	if (m->output)
		REQUIRE(strcmp(m2.output, m->output) == 0, 0);
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct fragment *f = &m->frag[i], *g = &m2.frag[i];

		REQUIRE(g->kind == f->kind, i);
		REQUIRE(g->at_mode == f->at_mode && g->at == f->at, i);
		REQUIRE(g->skip == f->skip && g->len == f->len, i);
		REQUIRE(g->byte == f->byte, i);
		REQUIRE((g->sha256 == NULL) == (f->sha256 == NULL), i);
		if (f->sha256)
			REQUIRE(memcmp(g->sha256, f->sha256, 32) == 0, i);
		if (f->kind == FRAG_FILE || f->kind == FRAG_DATA || f->kind == FRAG_HEX) {
			REQUIRE(g->nbytes == f->nbytes, i);
			REQUIRE(f->nbytes == 0 || memcmp(g->bytes, f->bytes, f->nbytes) == 0, i);
		}
	}
out:
	manifest_release(&m2);
	errors_release(&err);
	free(b.p);
}

/* The same fragments and directives, in the same places. */
static void same_result(const struct manifest *m, const struct manifest *m2)
{
	REQUIRE(m2->nfrag == m->nfrag && m2->size == m->size, 0);
	REQUIRE((m2->output == NULL) == (m->output == NULL), 0);
	REQUIRE(!m->output || strcmp(m2->output, m->output) == 0, 0);
	REQUIRE(m2->size_at.set == m->size_at.set && m2->output_at.set == m->output_at.set, 0);
	REQUIRE(m2->size_at.line == m->size_at.line && m2->size_at.col == m->size_at.col, 0);
	REQUIRE(m2->output_at.line == m->output_at.line && m2->output_at.col == m->output_at.col,
		0);
	for (size_t j = 0; j < m->nfrag; j++) {
		const struct fragment *f = &m->frag[j], *g = &m2->frag[j];

		REQUIRE(g->kind == f->kind && g->line == f->line && g->col == f->col, j);
		REQUIRE(g->at_mode == f->at_mode && g->at == f->at, j);
		REQUIRE(g->skip == f->skip && g->len == f->len && g->byte == f->byte, j);
		REQUIRE((g->sha256 == NULL) == (f->sha256 == NULL), j);
		REQUIRE(!f->sha256 || memcmp(g->sha256, f->sha256, 32) == 0, j);
		REQUIRE(g->nbytes == f->nbytes, j);
		if (f->kind == FRAG_FILE || f->kind == FRAG_DATA || f->kind == FRAG_HEX)
			REQUIRE(f->nbytes == 0 || memcmp(g->bytes, f->bytes, f->nbytes) == 0, j);
	}
}

/* The same text handed over one line at a time, each a text of its own
 * under the same name: the same fragments and directives, and the same
 * errors, word for word (numbering, directives and errors do not depend
 * on how the text arrives).  es is the whole text's list, sorted. */
static void check_line_by_line(const struct manifest *m, int r, struct errors *es,
			       const uint8_t *d, size_t n)
{
	struct manifest m2;
	struct errors es2 = { 0 };
	uint64_t bad[ERRORS_MAX], nbad = 0, line = 0;
	size_t i = 0;
	int any = 0;

	manifest_init(&m2);
	while (i < n) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		size_t k = nl ? (size_t)(nl - d) + 1 - i : n - i;
		uint64_t before = es2.total;
		int r2 = manifest_add_text(&m2, FUZZ_NAME, fuzz_dir, (const char *)d + i, k, &es2);

		line++;
		if (any_nomem(&es2))
			goto out;	/* memory ran short: nothing to compare */
		/* A line fails exactly when it adds one error. */
		REQUIRE(r2 == 0 || r2 == -1, line);
		REQUIRE(es2.total - before == (r2 < 0 ? 1u : 0u), line);
		if (r2 < 0) {
			any = 1;
			if (nbad < ERRORS_MAX)
				bad[nbad] = line;
			nbad++;
		}
		i += k;
	}
	REQUIRE(any == (r < 0), 0);
	REQUIRE(es2.total == nbad, 0);
	if (n)
		check_fragments(&m2, d, n, 0);
	same_result(m, &m2);

	errors_sort(&es2);
	if (es2.total != es->total || es2.n != es->n) {
		print_errors("whole text", es);
		print_errors("line by line", &es2);
		violated("the same errors a line at a time", 0);
	}
	for (size_t j = 0; j < es->n; j++) {
		const struct error *a = &es->v[j], *b = &es2.v[j];

		/* The whole text kept the errors of its first bad lines. */
		REQUIRE(a->line == bad[j], j);
		if (a->line != b->line || a->col != b->col || a->rank != b->rank ||
		    a->kind != b->kind || strcmp(a->file, b->file) != 0 ||
		    strcmp(a->msg, b->msg) != 0) {
			print_errors("whole text", es);
			print_errors("line by line", &es2);
			violated("the same errors a line at a time", j);
		}
	}
out:
	errors_release(&es2);
	manifest_release(&m2);
}

/* Every expression the parser kept must parse or fail cleanly, its error
 * column inside its line (or 0 for a quoted one). */
static void check_one_expr(struct expr_pool *pool, const struct mnum *v, int range)
{
	struct expr_error e = { 0 };
	uint32_t root;
	int r;

	if (!v->expr)
		return;
	r = range ? expr_parse_range(pool, v->expr, v->n, v->quoted ? 0 : v->col, &root, &e)
		  : expr_parse(pool, v->expr, v->n, v->quoted ? 0 : v->col, &root, &e);
	if (r < 0) {
		REQUIRE(clean(e.msg) && e.msg[0], 0);
		REQUIRE(e.col == 0 || (e.col >= v->col && e.col <= (size_t)v->col + v->n), 0);
	}
}

static void check_exprs(const struct manifest *m)
{
	struct expr_pool pool = { 0 };

	for (size_t i = 0; i < m->nfrag; i++) {
		const struct frag_ext *x = frag_ext(m, &m->frag[i]);

		if (!x)
			continue;
		const struct mnum *v[] = { &x->at, &x->skip, &x->len, &x->align, &x->to, &x->pad };

		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
			check_one_expr(&pool, v[k], 0);
		check_one_expr(&pool, &x->value, m->frag[i].kind == FRAG_DIGEST);
		pool.n = 0;
	}
	check_one_expr(&pool, &m->size_expr, 0);
	check_one_expr(&pool, &m->pad, 0);
	expr_pool_release(&pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct errors err = { 0 };
	int r;

	manifest_init(&m);
	/* Defines and includes make lines of other texts: for those inputs
	 * the checks that count chunks and lines of the input stand down. */
	int plain = !memmem(data, size, "${", 2) && !memmem(data, size, "include", 7);

	r = manifest_add_text(&m, FUZZ_NAME, fuzz_dir, (const char *)data, size, &err);
	check_errors(&err, r, data, size, plain);
	if (!any_nomem(&err)) {
		/* The lines that parsed are kept even when others failed. */
		if (plain)
			check_fragments(&m, data, size, 1);
		check_exprs(&m);
		check_round_trip(&m);
		if (plain)
			check_line_by_line(&m, r, &err, data, size);
	}
	errors_release(&err);
	manifest_release(&m);
	return 0;
}

/*
 * fuzz_manifest.c -- libFuzzer target for the manifest parser (SPEC §2).
 *
 * Built and run by scripts/fuzz (make fuzz FUZZ_SECONDS=N).  Each input is
 * one manifest text, parsed with manifest_add_text(m, "fuzz", ".", ...).
 *
 * On failure the error must be one "fuzz:LINE:COL: message" whose LINE and
 * COL lie inside the input and whose text holds no control bytes (the
 * parser quotes what it shows).  On success every fragment must be sane:
 * line and column inside the input, a known kind and at mode, the bytes it
 * points to inside the manifest's own text, a FILE path NUL-terminated
 * right after its nbytes and free of NULs, DATA/HEX byte counts that fit
 * the raw text, numbers in range, a sha256 digest that does not overlap the
 * bytes.  Then the parsed manifest is printed back in a canonical form
 * (every byte as \xHH, every key spelt out) and parsed again: both parses
 * must agree fragment by fragment.  Last, the input is parsed again a line
 * at a time, and must give the same result.  Any violation abort()s, so
 * the fuzzer keeps the input as a crash.
 */
#include "manifest/manifest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz"

static void violated(const char *what, size_t i)
{
	fprintf(stderr, "fuzz_manifest: property violated: %s (fragment %zu)\n", what, i);
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

static size_t line_length(const uint8_t *d, size_t n, uint64_t line)
{
	size_t i = 0;
	uint64_t l = 1;

	while (i < n && l < line) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);

		if (!nl)
			return 0;
		i = (size_t)(nl - d) + 1;
		l++;
	}
	{
		const uint8_t *nl = memchr(d + i, '\n', n - i);

		return nl ? (size_t)(nl - d) - i : n - i;
	}
}

static void check_error(const char *err, const uint8_t *d, size_t n)
{
	const char *p;
	char *end;
	unsigned long long line, col;
	size_t nlines = count_lines(d, n);

	REQUIRE(err != NULL, 0);
	if (strcmp(err, "out of memory") == 0 || strstr(err, ": out of memory"))
		return;
	REQUIRE(strncmp(err, FUZZ_NAME ":", sizeof FUZZ_NAME) == 0, 0);
	p = err + sizeof FUZZ_NAME;
	REQUIRE(*p >= '1' && *p <= '9', 0);
	line = strtoull(p, &end, 10);
	REQUIRE(*end == ':', 0);
	p = end + 1;
	REQUIRE(*p >= '1' && *p <= '9', 0);
	col = strtoull(p, &end, 10);
	REQUIRE(end[0] == ':' && end[1] == ' ' && end[2] != '\0', 0);
	/* "too many lines" names the line after the last, which cannot happen
	 * for inputs this small; every other error is on a line of the input. */
	REQUIRE(line >= 1 && line <= nlines, 0);
	/* A column is a byte of its line, or just past it (a missing value, an
	 * unterminated escape at the end). */
	REQUIRE(col >= 1 && col <= line_length(d, n, line) + 1, 0);
	for (p = err; *p; p++)
		REQUIRE((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f, 0);
}

static int inside(const unsigned char *p, uint64_t n, const struct origin *o)
{
	const unsigned char *t = (const unsigned char *)o->text;

	return p >= t && p <= t + o->len && n <= (uint64_t)(t + o->len - p);
}

static void check_fragments(const struct manifest *m, const uint8_t *d, size_t n)
{
	size_t nlines = count_lines(d, n);
	const struct origin *o = &m->origin[0];

	REQUIRE(m->norigin == 1, 0);
	REQUIRE(o->len == n, 0);
	REQUIRE(o->lines == nlines, 0);
	REQUIRE(m->nfrag <= m->alloc, 0);
	REQUIRE(m->size >= -1, 0);
	REQUIRE((m->size >= 0) == !!m->size_at.set, 0);
	REQUIRE((m->output != NULL) == !!m->output_at.set, 0);
	if (m->output)
		REQUIRE(m->output[0] != '\0', 0);
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct fragment *f = &m->frag[i];

		REQUIRE(f->line >= 1 && f->line <= nlines, i);
		REQUIRE(f->col >= 1 && f->col <= line_length(d, n, f->line), i);
		REQUIRE(f->kind < 6, i);
		REQUIRE(f->at_mode <= AT_REL, i);
		REQUIRE(f->origin == 0, i);
		REQUIRE(f->at >= 0, i);
		if (f->at_mode == AT_FOLLOW)
			REQUIRE(f->at == 0, i);
		REQUIRE(f->skip >= 0, i);
		REQUIRE(f->len >= -1, i);
		if (i)
			REQUIRE(f->line > m->frag[i - 1].line, i);
		switch (f->kind) {
		case FRAG_FILE:
			REQUIRE(f->bytes != NULL && f->nbytes >= 1, i);
			/* The path and its NUL lie inside text[0..len] (text[len] is
			 * the spare byte). */
			REQUIRE(inside(f->bytes, f->nbytes, o), i);
			REQUIRE(f->bytes[f->nbytes] == '\0', i);
			REQUIRE(memchr(f->bytes, '\0', f->nbytes) == NULL, i);
			REQUIRE(strlen((const char *)f->bytes) == f->nbytes, i);
			break;
		case FRAG_DATA:
			REQUIRE(f->bytes != NULL, i);
			REQUIRE(inside(f->bytes, f->nbytes, o), i);
			/* Unescaping never grows a token: "data " plus the bytes. */
			REQUIRE(f->nbytes + 5 <= n, i);
			REQUIRE(f->skip == 0 && f->len == -1, i);
			break;
		case FRAG_HEX:
			REQUIRE(f->bytes != NULL && f->nbytes >= 1, i);
			REQUIRE(inside(f->bytes, f->nbytes, o), i);
			/* Two digits per byte, after "hex ". */
			REQUIRE(2 * f->nbytes + 4 <= n, i);
			REQUIRE(f->skip == 0 && f->len == -1, i);
			break;
		case FRAG_FILL:
		case FRAG_ZERO:
			REQUIRE(f->len >= 0, i);
			REQUIRE(f->skip == 0, i);
			if (f->kind == FRAG_ZERO)
				REQUIRE(f->byte == 0, i);
			break;
		case FRAG_UUID:
			REQUIRE(f->byte <= 1, i);
			REQUIRE(f->len == -1 && f->skip == 0, i);
			REQUIRE(f->sha256 == NULL, i);
			break;
		}
		if (f->sha256) {
			REQUIRE(inside(f->sha256, 32, o), i);
			if ((f->kind == FRAG_DATA || f->kind == FRAG_HEX) && f->nbytes)
				REQUIRE(f->sha256 + 32 <= f->bytes || f->sha256 >= f->bytes + f->nbytes,
					i);
			if (f->kind == FRAG_FILE)
				REQUIRE(f->sha256 + 32 <= f->bytes ||
						f->sha256 > f->bytes + f->nbytes, i);
		}
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
			break;
		case FRAG_HEX:
			puts_(b, " 0x");
			put_hex(b, f->bytes, f->nbytes);
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

/* Parse the canonical form again: the same fragments must come back. */
static void check_round_trip(const struct manifest *m)
{
	struct buf b = { 0 };
	struct manifest m2;
	char *err = NULL;

	canonical(m, &b);
	manifest_init(&m2);
	if (manifest_add_text(&m2, "canon", ".", b.p ? b.p : "", b.n, &err) < 0) {
		fprintf(stderr, "fuzz_manifest: canonical form does not parse: %s\n--\n%s--\n",
			err ? err : "(null)", b.p ? b.p : "");
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
	manifest_release(&m2);
	free(err);
	free(b.p);
}

/* The same text handed over one line at a time, each a text of its own
 * under the same name: the same fragments and directives, or the same
 * first error, word for word (numbering, directives and errors do not
 * depend on how the text arrives). */
static void check_line_by_line(const struct manifest *m, const char *err, const uint8_t *d,
			       size_t n)
{
	struct manifest m2;
	char *err2 = NULL;
	size_t i = 0;
	int r = 0;

	manifest_init(&m2);
	while (i < n && r == 0) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		size_t k = nl ? (size_t)(nl - d) + 1 - i : n - i;

		r = manifest_add_text(&m2, FUZZ_NAME, ".", (const char *)d + i, k, &err2);
		i += k;
	}
	REQUIRE((r < 0) == (err != NULL), 0);
	if (err) {
		if (strcmp(err, err2) != 0) {
			fprintf(stderr, "fuzz_manifest: whole text: %s\nline by line: %s\n", err, err2);
			abort();
		}
	} else {
		REQUIRE(m2.nfrag == m->nfrag && m2.size == m->size, 0);
		REQUIRE((m2.output == NULL) == (m->output == NULL), 0);
		REQUIRE(!m->output || strcmp(m2.output, m->output) == 0, 0);
		for (size_t j = 0; j < m->nfrag; j++) {
			const struct fragment *f = &m->frag[j], *g = &m2.frag[j];

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
	free(err2);
	manifest_release(&m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	char *err = NULL;
	int r;

	manifest_init(&m);
	r = manifest_add_text(&m, FUZZ_NAME, ".", (const char *)data, size, &err);
	if (r < 0) {
		check_error(err, data, size);
	} else {
		REQUIRE(r == 0 && err == NULL, 0);
		check_fragments(&m, data, size);
		check_round_trip(&m);
	}
	check_line_by_line(&m, err, data, size);
	free(err);
	manifest_release(&m);
	return 0;
}

/*
 * hex.c -- hex[:width=N][:upper]: the bytes as hex digits, as `xxd -p`.
 *
 * Model.  Each input byte becomes two digits from a 256-entry table of
 * pairs; a newline follows every width-th input byte (col counts the bytes
 * of the current line, carried across calls, so input may be cut
 * anywhere), and finish() ends a last partial line with one.  width=0
 * means one endless line, with no newline at all.
 *
 * Pending output is the encoding of input already taken (the outbuf).
 * write() takes input only when nothing is pending, encodes at most
 * IN_BATCH bytes at a time (3 output bytes per input byte at worst, when
 * width is 1), and goes on while the next stage takes everything (up to
 * FILTER_CALL_MAX a call).
 */
#include "filter/filters.h"
#include "util/hex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define IN_BATCH (256 * 1024)
/* hex_run may store up to 32 bytes past the output it returns. */
#define OUT_SLACK 32
#define OUT_CAP (3 * IN_BATCH + OUT_SLACK)
#define WIDTH_DEFAULT 30
#define WIDTH_MAX UINT32_MAX

struct hex_filter {
	struct stage st;	/* first: a stage pointer is a filter pointer */
	struct outbuf o;
	uint64_t width;		/* input bytes per line; 0: no newlines */
	uint64_t col;		/* input bytes on the current line, < width */
	char pair[256][2];	/* the two digits of each byte value */
	unsigned char alpha;	/* what makes a digit of 10 its letter: 'a' - '0' - 10 */
};

#ifdef __SSE2__
/* 16 bytes to 32 digits: split into nibbles, interleave them high first,
 * and add '0', plus alpha for those above 9. */
static void hex16(unsigned char *out, const unsigned char *in, __m128i alpha)
{
	const __m128i low4 = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0');
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)in);
	__m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), low4), lo = _mm_and_si128(x, low4);
	__m128i a = _mm_unpacklo_epi8(hi, lo), b = _mm_unpackhi_epi8(hi, lo);

	a = _mm_add_epi8(_mm_add_epi8(a, zero), _mm_and_si128(_mm_cmpgt_epi8(a, nine), alpha));
	b = _mm_add_epi8(_mm_add_epi8(b, zero), _mm_and_si128(_mm_cmpgt_epi8(b, nine), alpha));
	_mm_storeu_si128((__m128i *)(void *)out, a);
	_mm_storeu_si128((__m128i *)(void *)(out + 16), b);
}
#endif

/* Digits of in[0..seg) at o, where in[0..avail) may be read (avail >= seg);
 * returns the end of the digits.  Whole blocks of 16 go through SSE2; the
 * tail of a line too, when 16 input bytes are there to read, its extra
 * digits overwritten by what comes next (the outbuf has OUT_SLACK for the
 * last ones). */
static unsigned char *hex_segment(const struct hex_filter *f, unsigned char *o,
				  const unsigned char *in, size_t seg, size_t avail)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i alpha = _mm_set1_epi8((char)f->alpha);

	for (; i + 16 <= seg; i += 16, o += 32)
		hex16(o, in + i, alpha);
	if (i < seg && i + 16 <= avail) {
		hex16(o, in + i, alpha);
		return o + 2 * (seg - i);
	}
#else
	(void)avail;
#endif
	/* Four bytes to eight digits with one store (little- or big-endian
	 * alike: the pairs are copied in memory order). */
	for (; i + 4 <= seg; i += 4, o += 8) {
		unsigned char d[8];

		memcpy(d, f->pair[in[i]], 2);
		memcpy(d + 2, f->pair[in[i + 1]], 2);
		memcpy(d + 4, f->pair[in[i + 2]], 2);
		memcpy(d + 6, f->pair[in[i + 3]], 2);
		memcpy(o, d, 8);
	}
	for (; i < seg; i++, o += 2)
		memcpy(o, f->pair[in[i]], 2);
	return o;
}

/* Encode in[0..n) into out; returns the output length (<= 3n), and may
 * have stored up to OUT_SLACK bytes beyond it. */
static size_t hex_run(struct hex_filter *f, unsigned char *out, const unsigned char *in,
		      size_t n)
{
	unsigned char *o = out;

	while (n > 0) {
		size_t seg = n;

		if (f->width && f->width - f->col < seg)
			seg = (size_t)(f->width - f->col);
		o = hex_segment(f, o, in, seg, n);
		in += seg;
		n -= seg;
		if (f->width && (f->col += seg) == f->width) {
			*o++ = '\n';
			f->col = 0;
		}
	}
	return (size_t)(o - out);
}

static size_t hex_encode(struct stage *st, unsigned char *out, const unsigned char *in,
			 size_t n)
{
	return hex_run((struct hex_filter *)st, out, in, n);
}

static int64_t hex_write(struct stage *st, const void *buf, uint64_t n)
{
	struct hex_filter *f = (struct hex_filter *)st;

	return transform_write(st, &f->o, buf, n, IN_BATCH, hex_encode);
}

/* Flush, end a partial line, flush.  col is 0 once the newline is in the
 * outbuf, so a finish called again after EAGAIN only flushes. */
static int hex_finish(struct stage *st)
{
	struct hex_filter *f = (struct hex_filter *)st;

	if (outbuf_flush(st, &f->o) < 0)
		return -1;
	if (f->width && f->col) {
		f->o.buf[f->o.tail++] = '\n';
		f->col = 0;
	}
	return outbuf_flush(st, &f->o);
}

static void hex_destroy(struct stage *st)
{
	struct hex_filter *f = (struct hex_filter *)st;

	outbuf_release(&f->o);
	free(f);
}

static const struct stage_ops hex_ops = {
	.name = "hex",
	.text = 1,
	.write = hex_write,
	.finish = hex_finish,
	.destroy = hex_destroy,
};

/* One option, s[0..n): "upper" or "width=N". */
static int hex_option(const char *spec, const char *s, size_t n, uint64_t *width, int *upper,
		      struct errors *err)
{
	static const char *const words[] = { "upper", "width" };
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n, i;
	char hint[64];
	const char *h;

	if (n == 0) {
		filter_error(err, spec, "empty option");
		return -1;
	}
	if (klen == 5 && memcmp(s, "upper", 5) == 0) {
		if (eq) {
			filter_error(err, spec, "upper takes no value");
			return -1;
		}
		*upper = 1;
		return 0;
	}
	if (klen == 5 && memcmp(s, "width", 5) == 0) {
		uint64_t w = 0;

		if (!eq || eq + 1 == s + n) {
			filter_error(err, spec, "width must be a number");
			return -1;
		}
		for (i = klen + 1; i < n; i++) {
			if (s[i] < '0' || s[i] > '9') {
				filter_error(err, spec, "width must be a number");
				return -1;
			}
			w = w * 10 + (uint64_t)(s[i] - '0');
			if (w > WIDTH_MAX) {
				filter_error(err, spec, "width must be at most %lu",
					     (unsigned long)WIDTH_MAX);
				return -1;
			}
		}
		*width = w;
		return 0;
	}
	h = suggest(hint, sizeof hint, s, klen, words, 2, ~0u);
	filter_error(err, spec, "unknown option '%.*s'%s", (int)klen, s,
		     *h ? h : " (options: width=N, upper)");
	return -1;
}

struct stage *hex_create(const char *spec, const char *arg, struct errors *err)
{
	uint64_t width = WIDTH_DEFAULT;
	int upper = 0, i;
	struct hex_filter *f;
	const char *digits;

	/* Options separated by ':' or ','; a later one wins. */
	while (arg) {
		size_t n = strcspn(arg, ":,");

		if (hex_option(spec, arg, n, &width, &upper, err) < 0)
			return NULL;
		arg = arg[n] ? arg + n + 1 : NULL;
	}
	f = calloc(1, sizeof *f);
	if (!f || outbuf_init(&f->o, OUT_CAP) < 0) {
		free(f);
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	}
	digits = upper ? hex_digits_upper : hex_digits_lower;
	f->alpha = (unsigned char)(digits[10] - '0' - 10);
	for (i = 0; i < 256; i++) {
		f->pair[i][0] = digits[i >> 4];
		f->pair[i][1] = digits[i & 15];
	}
	f->width = width;
	f->st.ops = &hex_ops;
	return &f->st;
}

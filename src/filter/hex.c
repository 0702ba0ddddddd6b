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

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IN_BATCH (256 * 1024)
#define OUT_CAP (3 * IN_BATCH)
#define WIDTH_DEFAULT 30
#define WIDTH_MAX UINT32_MAX

struct hex_filter {
	struct stage st;	/* first: a stage pointer is a filter pointer */
	struct outbuf o;
	uint64_t width;		/* input bytes per line; 0: no newlines */
	uint64_t col;		/* input bytes on the current line, < width */
	char pair[256][2];	/* the two digits of each byte value */
};

/* Encode in[0..n) into out; returns the output length (<= 3n). */
static size_t hex_run(struct hex_filter *f, unsigned char *out, const unsigned char *in,
		      size_t n)
{
	unsigned char *o = out;

	while (n > 0) {
		size_t seg = n, i;

		if (f->width && f->width - f->col < seg)
			seg = (size_t)(f->width - f->col);
		/* Four bytes to eight digits with one store (little- or big-endian
		 * alike: the pairs are copied in memory order). */
		for (i = 0; i + 4 <= seg; i += 4, o += 8) {
			unsigned char d[8];

			memcpy(d, f->pair[in[i]], 2);
			memcpy(d + 2, f->pair[in[i + 1]], 2);
			memcpy(d + 4, f->pair[in[i + 2]], 2);
			memcpy(d + 6, f->pair[in[i + 3]], 2);
			memcpy(o, d, 8);
		}
		for (; i < seg; i++, o += 2)
			memcpy(o, f->pair[in[i]], 2);
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
	.write = hex_write,
	.finish = hex_finish,
	.destroy = hex_destroy,
};

/* One option, s[0..n): "upper" or "width=N". */
static int hex_option(const char *spec, const char *s, size_t n, uint64_t *width, int *upper,
		      char **err)
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

struct stage *hex_create(const char *spec, const char *arg, char **err)
{
	static const char lower_digits[] = "0123456789abcdef", upper_digits[] = "0123456789ABCDEF";
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
	digits = upper ? upper_digits : lower_digits;
	for (i = 0; i < 256; i++) {
		f->pair[i][0] = digits[i >> 4];
		f->pair[i][1] = digits[i & 15];
	}
	f->width = width;
	f->st.ops = &hex_ops;
	return &f->st;
}

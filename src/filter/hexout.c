/*
 * hexout.c -- the stage that ihex and srec share (hexout.h): image bytes
 * to data records at base + image offset, gaps to address jumps.
 *
 * Model.  pos is the image offset of the next input byte, so base + pos
 * its address.  Input bytes go into rec, the record being filled, which
 * starts at the address of its first byte; it is written out (the
 * format's data()) as soon as it holds width bytes or its next byte would
 * cross a multiple of the format's span (Intel HEX: 64 KiB).  A gap
 * (skip) ends the record early and moves pos over the gap, so the next
 * record starts at its new address; finish() ends the last record and adds
 * the end record.  What a record holds depends only on the image offsets
 * of the bytes and of the gaps, never on how the input was cut, so the
 * output is the same for every chunking.
 *
 * Pending output is the text of records already taken (the outbuf, filled
 * from empty).  write() takes input only when nothing is pending and
 * encodes at most `batch` bytes at a time, chosen at creation so that the
 * text of a batch always fits: 2 digits a byte, one record's overhead
 * (under 32 characters with an extended address line) every width bytes,
 * and a few short records (the one carried over, one for each span
 * boundary crossed).  skip() and finish() write at most two records' text
 * into an empty outbuf.
 *
 * Only 32-bit addresses can be written: a byte of data at 2^32 or above
 * fails the write with EOVERFLOW (gaps may go past it; they write nothing).
 */
#include "filter/hexout.h"
#include "util/hex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define OUT_CAP ((size_t)1 << 20)
#define BATCH_MAX ((size_t)256 << 10)
#define REC_OVERHEAD 32
/* Short records a batch may hold beyond its full ones: the one carried
 * over, and one per span boundary BATCH_MAX bytes may cross (64 KiB spans). */
#define SHORT_RECS 8
#define WIDTH_DEFAULT 16

/* Write the record being filled to out; its text's length. */
static size_t end_record(struct hexout *f, unsigned char *out)
{
	size_t k;

	if (f->len == 0)
		return 0;
	k = f->fmt->data(f, out);
	f->len = 0;
	return k;
}

/* in[0..n) into records at out; returns the text's length. */
static size_t hexout_encode(struct stage *st, unsigned char *out, const unsigned char *in, size_t n)
{
	struct hexout *f = (struct hexout *)st;
	uint64_t mask = f->fmt->span - 1;
	unsigned char *o = out;

	while (n > 0) {
		uint64_t addr = f->base + f->pos, edge = f->fmt->span - (addr & mask);
		size_t k = f->width - f->len;

		if (f->len == 0)
			f->start = addr;
		if (k > edge)
			k = (size_t)edge;
		if (k > n)
			k = n;
		memcpy(f->rec + f->len, in, k);
		f->len += (unsigned)k;
		f->pos += k;
		in += k;
		n -= k;
		if (f->len == f->width || k == edge)
			o += end_record(f, o);
	}
	return (size_t)(o - out);
}

int64_t hexout_write(struct stage *st, const void *buf, uint64_t n)
{
	struct hexout *f = (struct hexout *)st;
	uint64_t addr = f->base + f->pos;

	if (addr >= HEXOUT_LIMIT) {
		errno = EOVERFLOW;
		return -1;
	}
	if (n > HEXOUT_LIMIT - addr)
		n = HEXOUT_LIMIT - addr;	/* the next call meets the limit */
	return transform_write(st, &f->o, buf, n, f->batch, hexout_encode);
}

/* A gap: the record being filled ends where the gap starts. */
int64_t hexout_skip(struct stage *st, uint64_t n)
{
	struct hexout *f = (struct hexout *)st;

	if (outbuf_flush(st, &f->o) < 0)
		return -1;
	if (n > INT64_MAX)
		n = INT64_MAX;
	f->o.tail = end_record(f, f->o.buf);
	f->pos += n;
	/* The gap is taken.  Text the next stage does not take now stays
	 * pending, offered again first thing by the next call, which meets a
	 * lasting error again. */
	(void)outbuf_flush(st, &f->o);
	return (int64_t)n;
}

/* The last record and the end record, once; a call again after EAGAIN only
 * flushes. */
int hexout_finish(struct stage *st)
{
	struct hexout *f = (struct hexout *)st;

	if (outbuf_flush(st, &f->o) < 0)
		return -1;
	if (!f->ended) {
		f->o.tail = end_record(f, f->o.buf);
		f->o.tail += f->fmt->end(f->o.buf + f->o.tail);
		f->ended = 1;
	}
	return outbuf_flush(st, &f->o);
}

void hexout_destroy(struct stage *st)
{
	struct hexout *f = (struct hexout *)st;

	outbuf_release(&f->o);
	free(f);
}

/* s[0..n) as a number, decimal or 0x hex, at most max; 0 or -1. */
static int parse_number(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	unsigned radix = 10;
	size_t i = 0;

	*v = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		radix = 16;
		i = 2;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		int d = hex_value((unsigned char)s[i]);

		if (d < 0 || (unsigned)d >= radix || *v > (max - (uint64_t)d) / radix)
			return -1;
		*v = *v * radix + (uint64_t)d;
	}
	return 0;
}

/* One option, s[0..n): "width=N" or "base=ADDR". */
static int hexout_option(const char *spec, const char *s, size_t n, const struct hexout_format *fmt,
			 uint64_t *width, uint64_t *base, struct errors *err)
{
	static const char *const words[] = { "base", "width" };
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n;
	const char *v = eq ? eq + 1 : s + n;
	char hint[64];
	const char *h;

	if (n == 0) {
		filter_error(err, spec, "empty option");
		return -1;
	}
	if (klen == 5 && memcmp(s, "width", 5) == 0) {
		if (!eq || parse_number(v, n - klen - 1, fmt->width_max, width) < 0 || !*width) {
			filter_error(err, spec, "width must be a number from 1 to %u",
				     fmt->width_max);
			return -1;
		}
		return 0;
	}
	if (klen == 4 && memcmp(s, "base", 4) == 0) {
		if (!eq || parse_number(v, n - klen - 1, HEXOUT_LIMIT - 1, base) < 0) {
			filter_error(err, spec, "base must be an address from 0 to 0xffffffff");
			return -1;
		}
		return 0;
	}
	h = suggest(hint, sizeof hint, s, klen, words, 2, ~0u);
	filter_error(err, spec, "unknown option '%.*s'%s", (int)klen, s,
		     *h ? h : " (options: width=N, base=ADDR)");
	return -1;
}

struct stage *hexout_create(const char *spec, const char *arg, const struct hexout_format *fmt,
			    const struct stage_ops *ops, struct errors *err)
{
	uint64_t width = WIDTH_DEFAULT, base = 0;
	struct hexout *f;
	size_t per;

	/* Options separated by ':' or ','; a later one wins. */
	while (arg) {
		size_t n = strcspn(arg, ":,");

		if (hexout_option(spec, arg, n, fmt, &width, &base, err) < 0)
			return NULL;
		arg = arg[n] ? arg + n + 1 : NULL;
	}
	f = calloc(1, sizeof *f);
	if (!f || outbuf_init(&f->o, OUT_CAP) < 0) {
		free(f);
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	}
	per = 2 + (REC_OVERHEAD + (size_t)width - 1) / (size_t)width;
	f->batch = (OUT_CAP - SHORT_RECS * HEXOUT_REC_TEXT) / per;
	if (f->batch > BATCH_MAX)
		f->batch = BATCH_MAX;
	f->fmt = fmt;
	f->width = (unsigned)width;
	f->base = base;
	f->st.ops = ops;
	return &f->st;
}

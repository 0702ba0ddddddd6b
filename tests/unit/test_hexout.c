/*
 * test_hexout.c -- the ihex and srec output filters: their records, gaps as
 * address jumps, and the same text however the input is cut.
 *
 * An image is a list of segments, data or gap.  A driver pushes it through
 * filter -> capture as the stream engine does: data with stage_write, gaps
 * with stage_skip, each cut into pieces by a chunking (a gap into 5 at
 * most), the rest offered again after a short take or EAGAIN (the capture
 * stage's temper), then finish() until it returns 0.  Every output is
 * checked
 *  - against the image: hex_read (src/plan/hexfile.c, the reader written
 *    for HEX sources) must find exactly the data segments at base + their
 *    offsets, and nothing in the gaps;
 *  - line by line: a checksum and byte count that add up, data records of
 *    at most width bytes, full ones except at the end of a run or of a
 *    64 KiB block (Intel HEX), no record across a 64 KiB boundary, an
 *    extended linear address record exactly where the upper half changes,
 *    the end record last and once;
 *  - against the one-shot output (whole input, a stage that takes all):
 *    the same bytes for every chunking and temper;
 *  - and for a few images, against text objcopy wrote for the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter/filter.h"
#include "plan/hexfile.h"
#include "unit.h"

/* ---- the capture stage -------------------------------------------------- */

enum temper { T_ALL, T_ONE, T_P7, T_EAGAIN3, T_HALF, NTEMPER };

struct capture {
	struct stage st;
	unsigned char *p;
	size_t n, cap;
	int temper;
	unsigned long calls;
};

static int64_t capture_write(struct stage *st, const void *buf, uint64_t n)
{
	struct capture *c = (struct capture *)st;
	size_t k = (size_t)n;

	c->calls++;
	if (c->temper == T_ONE)
		k = 1;
	else if (c->temper == T_P7 && k > 7)
		k = 7;
	else if (c->temper == T_HALF)
		k = (k + 1) / 2;
	else if (c->temper == T_EAGAIN3 && c->calls % 3 == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (c->n + k > c->cap) {
		c->cap = c->cap ? c->cap : 4096;
		while (c->cap < c->n + k)
			c->cap *= 2;
		c->p = unit_xrealloc(c->p, c->cap);
	}
	memcpy(c->p + c->n, buf, k);
	c->n += k;
	return (int64_t)k;
}

static int capture_finish(struct stage *st)
{
	(void)st;
	return 0;
}

static void capture_destroy(struct stage *st)
{
	struct capture *c = (struct capture *)st;

	free(c->p);
	free(c);
}

static const struct stage_ops capture_ops = {
	.name = "capture",
	.write = capture_write,
	.finish = capture_finish,
	.destroy = capture_destroy,
};

/* ---- images and the driver ---------------------------------------------- */

struct seg {
	int gap;
	uint64_t n;
	const unsigned char *data;	/* data segments */
};

/* The output of spec over the image segs[0..nseg), cut into pieces of at
 * most chunk bytes (0: whole), into a capture of the temper; malloc'd into
 * *out, *outlen.  0, or -1 with errno (a permanent error, or EDEADLK for an
 * endless run of EAGAIN). */
static int drive(const char *spec, const struct seg *segs, size_t nseg, size_t chunk,
		 int temper, unsigned char **out, size_t *outlen)
{
	struct errors err = { 0 };
	struct stage *f = filter_create(spec, &err);
	struct capture *c = calloc(1, sizeof *c);
	int stalls = 0, ret = 0;

	*out = NULL;
	*outlen = 0;
	if (!CHECK(f != NULL && c != NULL)) {
		fprintf(stderr, "  filter_create(\"%s\"): %s\n", spec, first_error(&err));
		errors_release(&err);
		free(c);
		return -1;
	}
	c->st.ops = &capture_ops;
	c->temper = temper;
	f->next = &c->st;
	for (size_t i = 0; i < nseg && ret == 0; i++) {
		uint64_t off = 0;

		while (off < segs[i].n) {
			uint64_t k = segs[i].n - off, piece = chunk;
			int64_t r;

			/* A gap in 5 pieces at most: 1 TiB in 1-byte skips
			 * would never end. */
			if (segs[i].gap && piece < segs[i].n / 4)
				piece = segs[i].n / 4;
			if (chunk && k > piece)
				k = piece;
			r = segs[i].gap ? stage_skip(f, k) : stage_write(f, segs[i].data + off, k);
			if (r > 0 && (uint64_t)r <= k) {
				off += (uint64_t)r;
				stalls = 0;
			} else if (r < 0 && errno == EAGAIN && ++stalls < 100) {
				continue;
			} else {
				ret = -1;
				if (r >= 0 || errno == EAGAIN)
					errno = r >= 0 ? EIO : EDEADLK;
				break;
			}
		}
	}
	while (ret == 0 && stage_finish(f) != 0)
		if (errno != EAGAIN || ++stalls > 100)
			ret = -1;
	if (ret == 0) {
		uint64_t total = 0;

		for (size_t i = 0; i < nseg; i++)
			total += segs[i].n;
		CHECK_INT(f->in, total);
		CHECK_INT(f->out, c->n);
		CHECK_INT(stage_finish(f), 0);	/* again: nothing more */
		CHECK_INT(f->out, c->n);
	}
	*out = c->p;
	*outlen = c->n;
	c->p = NULL;
	stage_destroy_chain(f);
	return ret;
}

/* hex_read of text[0..n). */
static int read_back(const unsigned char *text, size_t n, enum hex_format fmt,
		     struct hex_image *img)
{
	struct hex_error e;
	FILE *tmp = tmpfile();
	int r;

	if (!tmp || (n && fwrite(text, 1, n, tmp) != n) || fflush(tmp) != 0 ||
	    lseek(fileno(tmp), 0, SEEK_SET) != 0) {
		perror("tmpfile");
		exit(1);
	}
	r = hex_read(fileno(tmp), fmt, img, &e);
	if (r < 0)
		fprintf(stderr, "  hex_read: %s\n", e.msg);
	fclose(tmp);
	return r;
}

/* The image read back holds exactly the data segments at base + offset
 * (adjacent ones joined into one run), and nothing in the gaps. */
static void check_image(const unsigned char *text, size_t n, enum hex_format fmt,
			const struct seg *segs, size_t nseg, uint64_t base)
{
	struct hex_image img;
	uint64_t pos = 0, run = 0, run_len = 0;
	size_t k = 0;

	if (!CHECK_INT(read_back(text, n, fmt, &img), 0))
		return;
	for (size_t i = 0; i <= nseg; pos += i < nseg ? segs[i].n : 0, i++) {
		int data = i < nseg && !segs[i].gap && segs[i].n;

		if ((i == nseg || (segs[i].gap && segs[i].n)) && run_len) {
			CHECK_INT(img.rec[k - 1].len, run_len);	/* a run ends */
			run_len = 0;
		}
		if (!data)
			continue;
		if (!run_len) {
			if (!CHECK(k < img.n) || !CHECK_INT(img.rec[k].addr, base + pos))
				break;
			run = pos;
			k++;
		}
		run_len += segs[i].n;
		if (!CHECK(img.rec[k - 1].len >= run_len))
			break;
		CHECK_MEM(hex_data(&img, k - 1) + (pos - run), segs[i].data, (size_t)segs[i].n);
	}
	CHECK_INT(img.n, k);
	hex_release(&img);
}

/* One line (without its LF) as bytes after its mark; their count, or -1. */
static long line_bytes(const unsigned char *s, size_t n, unsigned char *b)
{
	static const char digits[] = "0123456789ABCDEF";

	if (n % 2 || n > 1024)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		const char *hi = memchr(digits, s[i], 16), *lo = memchr(digits, s[i + 1], 16);

		if (!hi || !lo || !s[i] || !s[i + 1])
			return -1;
		b[i / 2] = (unsigned char)((hi - digits) << 4 | (lo - digits));
	}
	return (long)(n / 2);
}

/* What a text's lines must be, record by record. */
struct lines {
	uint32_t upper;		/* Intel HEX: the upper half in force */
	int ela;		/* the last line was a type 04 record */
	int ended;
	uint64_t prev_end;	/* where the last data record ended */
	unsigned prev_len;
	size_t records;
};

/* A data record of len bytes at addr, width at most: full unless the one
 * before ended elsewhere (a new run) or at a 64 KiB boundary (span). */
static void check_data(struct lines *l, uint64_t addr, unsigned len, unsigned width,
		       uint64_t span)
{
	CHECK(len >= 1 && len <= width);
	CHECK((addr & (span - 1)) + len <= span);
	if (l->records && l->prev_end == addr)
		CHECK(l->prev_len == width || (addr & (span - 1)) == 0);
	l->prev_end = addr + len;
	l->prev_len = len;
	l->records++;
}

static void check_ihex_line(struct lines *l, const unsigned char *b, long nb, unsigned width)
{
	unsigned sum = 0;

	for (long i = 0; i < nb; i++)
		sum += b[i];
	if (!CHECK(nb >= 5 && b[0] == nb - 5 && (sum & 0xff) == 0))
		return;
	CHECK(!l->ended);
	if (b[3] == 4) {
		uint32_t upper = (uint32_t)b[4] << 8 | b[5];

		CHECK(b[0] == 2 && upper != l->upper && !l->ela);	/* only where needed */
		l->upper = upper;
		l->ela = 1;
	} else if (b[3] == 0) {
		check_data(l, (uint64_t)l->upper << 16 | (unsigned)b[1] << 8 | b[2], b[0], width,
			   (uint64_t)1 << 16);
		l->ela = 0;
	} else {
		CHECK(b[3] == 1 && b[0] == 0 && !l->ela);
		l->ended = 1;
	}
}

static void check_srec_line(struct lines *l, unsigned type, const unsigned char *b, long nb,
			    unsigned width)
{
	unsigned sum = 0;
	uint64_t addr;

	for (long i = 0; i < nb - 1; i++)
		sum += b[i];
	if (!CHECK(nb >= 6 && b[0] == nb - 1 && b[nb - 1] == (~sum & 0xff)))
		return;
	CHECK(!l->ended);
	addr = (uint64_t)b[1] << 24 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 8 | b[4];
	if (type == 3) {
		check_data(l, addr, b[0] - 5u, width, (uint64_t)1 << 32);
	} else {
		CHECK(type == 7 && b[0] == 5 && addr == 0);
		l->ended = 1;
	}
}

/* Every line of an ihex or srec text, as struct lines says. */
static void check_lines(const unsigned char *t, size_t n, enum hex_format fmt, unsigned width)
{
	struct lines l = { 0 };
	unsigned char b[600];

	while (n > 0) {
		const unsigned char *nl = memchr(t, '\n', n);
		size_t len = nl ? (size_t)(nl - t) : n, skip = fmt == HEX_IHEX ? 1 : 2;
		long nb;

		if (!CHECK(nl != NULL && len > skip))	/* every line ends with LF */
			return;
		nb = line_bytes(t + skip, len - skip, b);
		if (!CHECK(nb > 0))
			return;
		if (fmt == HEX_IHEX && CHECK(t[0] == ':'))
			check_ihex_line(&l, b, nb, width);
		else if (fmt == HEX_SREC && CHECK(t[0] == 'S'))
			check_srec_line(&l, (unsigned)(t[1] - '0'), b, nb, width);
		t += len + 1;
		n -= len + 1;
	}
	CHECK(l.ended);
}

/* ---- the tests ---------------------------------------------------------- */

static const unsigned char forty[40] = {
	0xdc, 0x8b, 0x5a, 0xaf, 0xfd, 0xae, 0xf4, 0xd6, 0xf8, 0x17, 0x20, 0xf4, 0x5b, 0x83,
	0x62, 0x59, 0xe0, 0x18, 0x3f, 0xbe, 0x60, 0xa8, 0x41, 0x14, 0x90, 0x41, 0x9f, 0xeb,
	0xdb, 0x19, 0x85, 0x6a, 0x23, 0xf6, 0x9a, 0x9f, 0xe0, 0x6f, 0x1b, 0x97,
};

static int output_is(const char *spec, const struct seg *segs, size_t nseg, const char *want)
{
	unsigned char *out;
	size_t n;
	int ok;

	if (!CHECK_INT(drive(spec, segs, nseg, 0, T_ALL, &out, &n), 0)) {
		free(out);
		return 0;
	}
	ok = CHECK(n == strlen(want) && memcmp(out, want, n) == 0);
	if (!ok)
		fprintf(stderr, "  %s gave:\n%.*s  expected:\n%s", spec, (int)n, (const char *)out,
			want);
	free(out);
	return ok;
}

/* The text objcopy writes for the same 40 bytes (objcopy -I binary -O ihex
 * --change-addresses 0x10000000, less its type 05 start address record;
 * -O srec --srec-forceS3 --change-addresses 0x12340, less its S0 header and
 * with S7 at 0); small images whose text is written out by hand. */
static void test_literal(void)
{
	const struct seg f40 = { 0, 40, forty };
	const struct seg abc[] = {
		{ 1, 0x10, NULL },	   { 0, 3, (const unsigned char *)"abc" },
		{ 1, 0x1fff0 - 0x13, NULL }, { 0, 2, (const unsigned char *)"\xff\xff" },
		{ 1, 100, NULL },
	};

	output_is("ihex:base=0x10000000", &f40, 1,
		  ":020000041000EA\n"
		  ":10000000DC8B5AAFFDAEF4D6F81720F45B8362594F\n"
		  ":10001000E0183FBE60A8411490419FEBDB19856A50\n"
		  ":0800200023F69A9FE06F1B9785\n"
		  ":00000001FF\n");
	output_is("srec:base=0x12340", &f40, 1,
		  "S31500012340DC8B5AAFFDAEF4D6F81720F45B836259E5\n"
		  "S31500012350E0183FBE60A8411490419FEBDB19856AE6\n"
		  "S30D0001236023F69A9FE06F1B971B\n"
		  "S70500000000FA\n");
	/* Gaps: address jumps, the trailing one nothing at all. */
	output_is("ihex", abc, 5,
		  ":03001000616263C7\n"
		  ":020000040001F9\n"
		  ":02FFF000FFFF11\n"
		  ":00000001FF\n");
	output_is("srec:width=2", abc, 5,
		  "S30700000010616225\n"
		  "S306000000126384\n"
		  "S3070001FFF0FFFF0A\n"
		  "S70500000000FA\n");
	/* No data: the end record alone. */
	output_is("ihex", abc, 1, ":00000001FF\n");
	output_is("srec", NULL, 0, "S70500000000FA\n");
}

/* 32 bytes at 0xfff8, width 16: cut at the 64 KiB boundary, a type 04
 * record before the first record above it. */
static void test_boundary(void)
{
	static const unsigned char d[32] = "0123456789abcdefghijklmnopqrstuv";
	const struct seg segs[] = { { 1, 0xfff8, NULL }, { 0, 32, d } };

	output_is("ihex", segs, 2,
		  ":08FFF800303132333435363765\n"
		  ":020000040001F9\n"
		  ":1000000038396162636465666768696A6B6C6D6ED6\n"
		  ":080010006F7071727374757654\n"
		  ":00000001FF\n");
	output_is("srec", segs, 2,
		  "S3150000FFF83031323334353637383961626364656691\n"
		  "S315000100086768696A6B6C6D6E6F70717273747576F9\n"
		  "S70500000000FA\n");
}

/* A random image of about size bytes: data and gap segments of 1 byte to
 * 40 KiB, a gap first or not; data from *store (malloc'd, freed by the
 * caller). */
static size_t random_image(struct seg *segs, size_t max, size_t size, uint32_t seed,
			   unsigned char **store)
{
	size_t n = 0, used = 0;
	int gap = (int)(unit_rnd32(&seed) & 1);

	*store = unit_xrealloc(NULL, size + 40 * 1024);
	for (size_t i = 0; i < size + 40 * 1024; i++)
		(*store)[i] = (unsigned char)(unit_rnd32(&seed) >> 24);
	while (used < size && n < max) {
		uint32_t r = unit_rnd32(&seed);
		size_t k = r % 4 == 0 ? 1 + r % 7 : 1 + r % (40 * 1024);

		segs[n++] = (struct seg){ gap, k, gap ? NULL : *store + used };
		used += k;
		/* Now and then two data segments in a row: one run. */
		gap = r % 5 == 0 ? gap : !gap;
	}
	return n;
}

/* spec over segs: lines, image, and the same text for every chunking and
 * temper. */
static void check_spec(const char *spec, enum hex_format fmt, unsigned width, uint64_t base,
		       const struct seg *segs, size_t nseg)
{
	static const size_t chunks[] = { 0, 1, 3, 4099, 65536 };
	unsigned char *one, *out;
	size_t n1, n;

	if (!CHECK_INT(drive(spec, segs, nseg, 0, T_ALL, &one, &n1), 0)) {
		fprintf(stderr, "  %s: %s\n", spec, strerror(errno));
		free(one);
		return;
	}
	check_lines(one, n1, fmt, width);
	check_image(one, n1, fmt, segs, nseg, base);
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++)
		for (int t = 0; t < NTEMPER; t++) {
			/* 1-byte pieces into a 1-byte stage: once is enough. */
			if (chunks[c] == 1 && t != T_ONE && t != T_EAGAIN3)
				continue;
			if (CHECK_INT(drive(spec, segs, nseg, chunks[c], t, &out, &n), 0) &&
			    !CHECK(n == n1 && memcmp(out, one, n) == 0))
				fprintf(stderr, "  %s: chunk %zu, temper %d differs\n", spec,
					chunks[c], t);
			free(out);
		}
	free(one);
}

static void test_random(void)
{
	static const struct {
		const char *spec;
		enum hex_format fmt;
		unsigned width;
		uint64_t base;
	} cases[] = {
		{ "ihex", HEX_IHEX, 16, 0 },
		{ "ihex:width=1", HEX_IHEX, 1, 0 },
		{ "ihex:width=255:base=0x0800fff0", HEX_IHEX, 255, 0x0800fff0 },
		{ "ihex:width=7,base=12345", HEX_IHEX, 7, 12345 },
		{ "ihex:base=0xfffc0000", HEX_IHEX, 16, 0xfffc0000 },
		{ "srec", HEX_SREC, 16, 0 },
		{ "srec:width=1:base=0x10", HEX_SREC, 1, 0x10 },
		{ "srec:width=250:base=0xfffc0001", HEX_SREC, 250, 0xfffc0001 },
	};
	struct seg segs[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char *store;
		size_t n = random_image(segs, 64, 200 * 1024, 77u + (uint32_t)i, &store);

		check_spec(cases[i].spec, cases[i].fmt, cases[i].width, cases[i].base, segs, n);
		free(store);
	}
}

/* Data up to 2^32 is written, a byte at 2^32 is EOVERFLOW; gaps past it
 * write nothing and are no error. */
static void test_limit(void)
{
	static const unsigned char d[257];
	const struct seg fits[] = { { 0, 256, d }, { 1, (uint64_t)1 << 40, NULL } };
	const struct seg over[] = { { 0, 257, d } };
	const char *const specs[] = { "ihex:base=0xffffff00", "srec:base=0xffffff00" };

	for (int i = 0; i < 2; i++) {
		unsigned char *out;
		size_t n;

		check_spec(specs[i], (enum hex_format)i, 16, 0xffffff00, fits, 2);
		CHECK_INT(drive(specs[i], over, 1, 0, T_ALL, &out, &n), -1);
		CHECK_INT(errno, EOVERFLOW);
		free(out);
	}
}

static void expect_error(const char *spec, const char *msg)
{
	struct errors err = { 0 };
	struct stage *f = filter_create(spec, &err);

	if (!CHECK(f == NULL)) {
		stage_destroy_chain(f);
		return;
	}
	CHECK_STR(first_error(&err), msg);
	errors_release(&err);
}

static void test_options(void)
{
	expect_error("ihex:width=0", "filter 'ihex:width=0': width must be a number from 1 to 255");
	expect_error("ihex:width=256",
		     "filter 'ihex:width=256': width must be a number from 1 to 255");
	expect_error("srec:width=251",
		     "filter 'srec:width=251': width must be a number from 1 to 250");
	expect_error("srec:width=", "filter 'srec:width=': width must be a number from 1 to 250");
	expect_error("ihex:width", "filter 'ihex:width': width must be a number from 1 to 255");
	expect_error("ihex:width=0x",
		     "filter 'ihex:width=0x': width must be a number from 1 to 255");
	expect_error("ihex:base=0x100000000", "filter 'ihex:base=0x100000000': base must be an "
					      "address from 0 to 0xffffffff");
	expect_error("srec:base=-1",
		     "filter 'srec:base=-1': base must be an address from 0 to 0xffffffff");
	expect_error("ihex:base=99999999999999999999999",
		     "filter 'ihex:base=99999999999999999999999': base must be an address from 0 "
		     "to 0xffffffff");
	expect_error("ihex:bse=1",
		     "filter 'ihex:bse=1': unknown option 'bse' (did you mean 'base'?)");
	expect_error("srec:upper", "filter 'srec:upper': unknown option 'upper' (options: width=N, "
				   "base=ADDR)");
	expect_error("ihex:", "filter 'ihex:': empty option");
	expect_error("ihx", "unknown filter 'ihx' (did you mean 'ihex'?)");
	{
		struct errors err = { 0 };
		struct stage *f = filter_create("ihex:width=255:base=0xffffffff,width=1", &err);

		CHECK(f != NULL && f->ops->text && f->ops->skip);
		stage_destroy_chain(f);
		f = filter_create("srec:base=4294967295", &err);
		CHECK(f != NULL && f->ops->text && f->ops->skip);
		stage_destroy_chain(f);
		CHECK_INT(err.total, 0);
	}
}

/* A gap into a stage without a skip op is zeros there and after it: xor
 * then ihex writes records for the gap (the key's bytes); ihex then hex
 * writes none. */
static void test_skip_chain(void)
{
	struct errors err = { 0 };
	struct stage *x = filter_create("xor:5a", &err), *ih = filter_create("ihex", &err);
	struct capture *c = calloc(1, sizeof *c);
	const char *text = ":030000005A5A5AEF\n:00000001FF\n";

	if (!CHECK(x && ih && c)) {
		free(c);
		return;
	}
	c->st.ops = &capture_ops;
	x->next = ih;
	ih->next = &c->st;
	CHECK_INT(stage_skip(x, 3), 3);
	CHECK_INT(x->in, 3);
	CHECK_INT(ih->in, 3);	/* zeros, xored */
	CHECK_INT(stage_finish(x), 0);
	CHECK_INT(stage_finish(ih), 0);
	CHECK(c->n == strlen(text) && memcmp(c->p, text, c->n) == 0);
	stage_destroy_chain(x);

	x = filter_create("ihex", &err);
	ih = filter_create("hex", &err);
	c = calloc(1, sizeof *c);
	if (!CHECK(x && ih && c)) {
		free(c);
		return;
	}
	c->st.ops = &capture_ops;
	x->next = ih;
	ih->next = &c->st;
	CHECK_INT(stage_skip(x, (uint64_t)1 << 40), (int64_t)1 << 40);
	CHECK_INT(ih->in, 0);	/* the gap ended at ihex */
	CHECK_INT(stage_finish(x), 0);
	CHECK_INT(stage_finish(ih), 0);
	CHECK(c->n == 25 && memcmp(c->p, "3a303030303030303146460a\n", 25) == 0);
	stage_destroy_chain(x);
	CHECK_INT(err.total, 0);
}

int main(void)
{
	test_literal();
	test_boundary();
	test_random();
	test_limit();
	test_options();
	test_skip_chain();
	return unit_done("test_hexout");
}

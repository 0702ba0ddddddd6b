/*
 * test_filter.c -- the stream filters (xor, hex, gzip, zstd, xz) against
 * independent references, however the input is cut and whatever the next
 * stage takes.
 *
 * A capture stage stands in for the sink: it appends what it takes to a
 * growing buffer, with a temper (takes everything, 1 byte, a prime count,
 * EAGAIN every 3rd call, half, or EPIPE after a given count).  A driver
 * pushes the input through a chain as the stream engine does: pieces of
 * one chunking, the rest offered again after a short take or an EAGAIN,
 * then finish() on each stage until it returns 0.
 *
 * For every input size, chunking and temper the output must equal the
 * one-shot output (whole input, take-everything sink); the one-shot output
 * itself is checked against a reference computed here (xor byte by byte,
 * hex by snprintf) or by another implementation (zlib's inflate, libzstd's
 * and liblzma's decoders, xxd, gzip -dc, zstd -dc, xz -dc), never against
 * the code under test.  The compression filters also give the same bytes
 * for every thread count.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "filter/filter.h"
#include "filter/gzip_internal.h"
#include "unit.h"

#define KiB ((size_t)1024)
#define MiB (KiB * KiB)

/* ---- small utilities ---------------------------------------------------- */

static unsigned char *random_bytes(size_t n, uint32_t seed)
{
	unsigned char *p = unit_xmalloc(n);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(unit_rnd32(&seed) >> 24);
	return p;
}

/* Text-like bytes: words of a small vocabulary, numbers and newlines, and
 * now and then a long run copied from up to 40000 bytes back, so deflate
 * finds matches everywhere -- across gzip's blocks too, through their
 * dictionaries -- as it never does in random bytes. */
static unsigned char *text_bytes(size_t n, uint32_t seed)
{
	static const char *const words[] = { "alpha", "beta", "gamma", "delta", "manifest",
					     "fragment", "offset", "request", "stream", "filter",
					     "gzip", "block", "dictionary" };
	unsigned char *p = unit_xmalloc(n);
	size_t i = 0;

	while (i < n) {
		uint32_t r = unit_rnd32(&seed);
		char w[32];
		size_t k, j;

		if (r % 61 == 0 && i > 40000) {
			size_t from = i - 1000 - unit_rnd32(&seed) % 39000;

			k = 200 + unit_rnd32(&seed) % 3000;
			for (j = 0; j < k && i < n; j++)
				p[i++] = p[from + j];
			continue;
		}
		if (r % 7 == 0)
			k = (size_t)snprintf(w, sizeof w, "%u\n", r >> 20);
		else
			k = (size_t)snprintf(w, sizeof w, "%s ",
					     words[(r >> 8) % (sizeof words / sizeof words[0])]);
		for (j = 0; j < k && i < n; j++)
			p[i++] = (unsigned char)w[j];
	}
	return p;
}

/* A growing byte string. */
struct bytes {
	unsigned char *p;
	size_t n, cap;
};

static void bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->n + n > b->cap) {
		b->cap = b->cap ? b->cap : 4096;
		while (b->cap < b->n + n)
			b->cap *= 2;
		b->p = unit_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* b holds exactly p[0..n) (memcmp must not see the NULL of an empty b). */
static int same(const struct bytes *b, const void *p, size_t n)
{
	return b->n == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

static char tmpdir[4096];

static void temp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

/* The standard output of a shell command; -1 if it did not exit 0. */
static int run_command(const char *cmd, struct bytes *out)
{
	unsigned char buf[65536];
	FILE *p = popen(cmd, "r");
	size_t r;

	if (!p)
		return -1;
	while ((r = fread(buf, 1, sizeof buf, p)) > 0)
		bytes_add(out, buf, r);
	return pclose(p) == 0 ? 0 : -1;
}

/* ---- the capture stage -------------------------------------------------- */

enum temper { T_ALL, T_ONE, T_P7, T_P4099, T_EAGAIN3, T_HALF, NTEMPER, T_EPIPE = NTEMPER };

static const char *const temper_name[] = { "all", "1 byte", "7 bytes", "4099 bytes",
					   "EAGAIN every 3rd", "half", "EPIPE" };

struct capture {
	struct stage st;
	struct bytes b;
	int temper;
	unsigned long calls, zero_writes;
	size_t epipe_after;	/* T_EPIPE: bytes taken before the pipe breaks */
};

static int64_t capture_write(struct stage *st, const void *buf, uint64_t n)
{
	struct capture *c = (struct capture *)st;
	uint64_t k = n;

	c->calls++;
	if (n == 0) {
		c->zero_writes++;
		return 0;
	}
	switch (c->temper) {
	case T_ONE:
		k = 1;
		break;
	case T_P7:
		k = n < 7 ? n : 7;
		break;
	case T_P4099:
		k = n < 4099 ? n : 4099;
		break;
	case T_EAGAIN3:
		if (c->calls % 3 == 0) {
			errno = EAGAIN;
			return -1;
		}
		break;
	case T_HALF:
		k = (n + 1) / 2;
		break;
	case T_EPIPE:
		if (c->b.n >= c->epipe_after) {
			errno = EPIPE;
			return -1;
		}
		if (k > c->epipe_after - c->b.n)
			k = c->epipe_after - c->b.n;
		break;
	}
	bytes_add(&c->b, buf, (size_t)k);
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

	free(c->b.p);
	free(c);
}

static const struct stage_ops capture_ops = {
	.name = "capture",
	.write = capture_write,
	.finish = capture_finish,
	.destroy = capture_destroy,
};

static struct capture *capture_new(int temper)
{
	struct capture *c = unit_xmalloc(sizeof *c);

	memset(c, 0, sizeof *c);
	c->st.ops = &capture_ops;
	c->temper = temper;
	return c;
}

/* ---- chains and the driver ---------------------------------------------- */

enum chunking { C_WHOLE, C_1, C_3, C_31, C_4099, C_64K, C_RANDOM, NCHUNKING };

static const char *const chunking_name[] = { "whole", "1", "3", "31", "4099", "64 KiB",
					     "random" };

static size_t piece_size(int chunking, uint32_t *rng, size_t left)
{
	size_t k = left;

	switch (chunking) {
	case C_1: k = 1; break;
	case C_3: k = 3; break;
	case C_31: k = 31; break;
	case C_4099: k = 4099; break;
	case C_64K: k = 64 * KiB; break;
	case C_RANDOM:
		k = unit_rnd32(rng) % 4 == 0 ? 1 + unit_rnd32(rng) % 16 : 1 + unit_rnd32(rng) % 300000;
		break;
	}
	return k < left ? k : left;
}

struct chain {
	struct stage *head;	/* the first filter */
	struct stage *filt[4];	/* the filters, in order */
	size_t nfilt;
	struct capture *cap;	/* the last stage */
};

/* Build the chain specs[0] -> ... -> capture; 0, or -1 after a failed
 * check. */
static int chain_new(struct chain *ch, const char *const *specs, size_t nspec, int temper)
{
	size_t i;

	memset(ch, 0, sizeof *ch);
	ch->cap = capture_new(temper);
	for (i = nspec; i-- > 0;) {
		struct errors err = { 0 };
		struct stage *f = filter_create(specs[i], &err);

		if (!CHECK(f != NULL)) {
			fprintf(stderr, "  filter_create(\"%.40s\"): %s\n", specs[i],
				first_error(&err));
			errors_release(&err);
			stage_destroy_chain(ch->head ? ch->head : &ch->cap->st);
			return -1;
		}
		CHECK(err.total == 0);
		CHECK(f->next == NULL && f->in == 0 && f->out == 0);
		f->next = ch->head ? ch->head : &ch->cap->st;
		ch->head = f;
		ch->filt[i] = f;
	}
	ch->nfilt = nspec;
	return 0;
}

/* Push in[0..n) through ch as the stream engine does; 0, or -1 with errno
 * for a permanent error (an endless run of EAGAIN is EDEADLK). */
static int drive(struct chain *ch, const unsigned char *in, size_t n, int chunking, uint32_t seed)
{
	size_t pos = 0, i;
	int stalls = 0;

	while (pos < n) {
		size_t piece = piece_size(chunking, &seed, n - pos), off = 0;

		while (off < piece) {
			int64_t r = stage_write(ch->head, in + pos + off, piece - off);

			if (r > 0 && (uint64_t)r <= piece - off) {
				off += (size_t)r;
				stalls = 0;
				continue;
			}
			if (r > 0 || r == 0) {
				CHECK(r < 0);	/* took nothing, or more than offered */
				errno = EIO;
				return -1;
			}
			if (errno != EAGAIN)
				return -1;
			if (++stalls > 100) {
				errno = EDEADLK;
				return -1;
			}
		}
		pos += piece;
	}
	for (i = 0; i < ch->nfilt; i++) {
		while (stage_finish(ch->filt[i]) != 0) {
			if (errno != EAGAIN)
				return -1;
			if (++stalls > 100) {
				errno = EDEADLK;
				return -1;
			}
		}
		stalls = 0;
	}
	return 0;
}

/* The output of specs over in[0..n), cut by chunking into a sink of the
 * temper, into *out (malloc'd); 0, or -1 with errno.  Checks the counters
 * and that no stage was offered 0 bytes. */
static int run(const char *const *specs, size_t nspec, const unsigned char *in, size_t n,
	       int chunking, int temper, struct bytes *out)
{
	struct chain ch;
	size_t i;
	int r, e;

	memset(out, 0, sizeof *out);
	if (chain_new(&ch, specs, nspec, temper) < 0) {
		errno = EINVAL;
		return -1;
	}
	r = drive(&ch, in, n, chunking, 12345u + (uint32_t)n);
	e = errno;
	if (r == 0) {
		CHECK_INT(ch.head->in, n);
		for (i = 0; i + 1 < ch.nfilt; i++)
			CHECK_INT(ch.filt[i]->out, ch.filt[i + 1]->in);
		CHECK_INT(ch.filt[ch.nfilt - 1]->out, ch.cap->b.n);
		CHECK_INT(ch.cap->st.in, ch.cap->b.n);
		/* A finish after completion is 0 again, and passes nothing on. */
		for (i = 0; i < ch.nfilt; i++)
			CHECK_INT(stage_finish(ch.filt[i]), 0);
		CHECK_INT(ch.cap->st.in, ch.cap->b.n);
	}
	CHECK_INT(ch.cap->zero_writes, 0);
	*out = ch.cap->b;
	ch.cap->b.p = NULL;
	stage_destroy_chain(ch.head);
	errno = e;
	return r;
}

/* The one-shot output: the whole input at once into a sink that takes all. */
static struct bytes one_shot(const char *const *specs, size_t nspec, const unsigned char *in,
			     size_t n)
{
	struct bytes out;

	if (!CHECK_INT(run(specs, nspec, in, n, C_WHOLE, T_ALL, &out), 0))
		fprintf(stderr, "  %s over %zu bytes: %s\n", specs[0], n, strerror(errno));
	return out;
}

/* Every chunking x every temper gives exactly expect. */
static void all_cuts(const char *const *specs, size_t nspec, const unsigned char *in, size_t n,
		     const struct bytes *expect)
{
	int c, t;

	for (c = 0; c < NCHUNKING; c++) {
		for (t = 0; t < NTEMPER; t++) {
			struct bytes out;
			int r = run(specs, nspec, in, n, c, t, &out);

			if (!CHECK_INT(r, 0) ||
			    !CHECK(same(&out, expect->p, expect->n)))
				fprintf(stderr, "  %s%s over %zu bytes, pieces of %s, sink %s: %s%s\n",
					specs[0], nspec > 1 ? " ..." : "", n, chunking_name[c],
					temper_name[t], r ? strerror(errno) : "output differs",
					r ? "" : " from the one-shot output");
			free(out.p);
		}
	}
}

static const size_t sizes[] = { 0, 1, 2, 3, 29, 30, 31, 60, 1000, 100000, MiB + 7 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* ---- xor ---------------------------------------------------------------- */

static char *hex_spec(const char *prefix, const unsigned char *key, size_t n, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t p = strlen(prefix), i;
	char *s = unit_xmalloc(p + 2 * n + 1);

	memcpy(s, prefix, p);
	for (i = 0; i < n; i++) {
		s[p + 2 * i] = digits[key[i] >> 4];
		s[p + 2 * i + 1] = digits[key[i] & 15];
	}
	s[p + 2 * n] = '\0';
	return s;
}

static void check_xor_ref(const char *spec, const unsigned char *in, size_t n,
			  const unsigned char *key, size_t klen, const struct bytes *out)
{
	size_t i;

	if (!CHECK_INT(out->n, n))
		return;
	for (i = 0; i < n; i++)
		if (out->p[i] != (in[i] ^ key[i % klen]))
			break;
	if (!CHECK_INT(i, n))
		fprintf(stderr, "  %.40s over %zu bytes: byte %zu differs\n", spec, n, i);
}

static void test_xor(const unsigned char *data)
{
	static const size_t klens[] = { 1, 3, 8, 13, 4096, MiB };
	size_t k, s;

	for (k = 0; k < sizeof klens / sizeof klens[0]; k++) {
		unsigned char *key = random_bytes(klens[k], 777u + (uint32_t)k);
		char *spec = hex_spec(k % 2 ? "xor:0x" : "xor:", key, klens[k], k == 2);
		const char *specs[2] = { spec, spec };

		for (s = 0; s < NSIZES; s++) {
			size_t n = sizes[s];
			struct bytes out = one_shot(specs, 1, data, n), back;

			check_xor_ref(spec, data, n, key, klens[k], &out);
			/* Every cut: every size for short keys, 100000 for the
			 * long ones, and 1 MiB + 7 (past many outbufs and
			 * expanded keys) for some of each. */
			if (n < 100000 ? klens[k] < 4096
				       : n == 100000 || k == 0 || k == 3 || klens[k] == MiB)
				all_cuts(specs, 1, data, n, &out);
			free(out.p);
			/* xor twice is the identity, through a chain. */
			back = one_shot(specs, 2, data, n);
			CHECK(same(&back, data, n));
			free(back.p);
		}
		{
			struct bytes expect = { (unsigned char *)data, 100000, 0 };

			all_cuts(specs, 2, data, 100000, &expect);
		}
		free(spec);
		free(key);
	}

	/* xor:@FILE: the file's bytes are the key, 13 bytes and 1 MiB. */
	for (k = 0; k < 2; k++) {
		size_t klen = k ? MiB : 13;
		unsigned char *key = random_bytes(klen, 4242u + (uint32_t)k);
		char path[4200], spec[4300];
		const char *specs[1] = { spec };
		struct bytes out;

		temp_path(path, sizeof path, "key.bin");
		unit_write_file(path, key, klen);
		snprintf(spec, sizeof spec, "xor:@%s", path);
		out = one_shot(specs, 1, data, MiB + 7);
		check_xor_ref(spec, data, MiB + 7, key, klen, &out);
		all_cuts(specs, 1, data, 100000, &(struct bytes){ out.p, 100000, 0 });
		free(out.p);
		unlink(path);
		free(key);
	}
}

/* ---- hex ---------------------------------------------------------------- */

/* The reference: snprintf per byte, a newline after every width bytes and
 * after a last partial line. */
static struct bytes hex_ref(const unsigned char *in, size_t n, size_t width, int upper)
{
	struct bytes b = { 0 };
	char two[3];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(two, sizeof two, upper ? "%02X" : "%02x", in[i]);
		bytes_add(&b, two, 2);
		if (width && (i + 1) % width == 0)
			bytes_add(&b, "\n", 1);
	}
	if (width && n % width)
		bytes_add(&b, "\n", 1);
	return b;
}

static void test_hex(const unsigned char *data)
{
	static const struct {
		const char *spec;
		size_t width;
		int upper;
	} cases[] = {
		{ "hex", 30, 0 },
		{ "hex:width=0", 0, 0 },
		{ "hex:width=1", 1, 0 },
		{ "hex:width=16", 16, 0 },
		{ "hex:upper", 30, 1 },
		{ "hex:width=16:upper", 16, 1 },
		{ "hex:upper:width=7", 7, 1 },
		{ "hex:upper,width=1", 1, 1 },
		{ "hex:width=5,width=4096", 4096, 0 },
	};
	size_t c, s;

	for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const char *specs[1] = { cases[c].spec };

		for (s = 0; s < NSIZES; s++) {
			size_t n = sizes[s];
			struct bytes out = one_shot(specs, 1, data, n);
			struct bytes ref = hex_ref(data, n, cases[c].width, cases[c].upper);

			if (!CHECK(same(&out, ref.p, ref.n)))
				fprintf(stderr, "  %s over %zu bytes differs from snprintf\n",
					cases[c].spec, n);
			if (c == 0 || n <= 100000)
				all_cuts(specs, 1, data, n, &out);
			free(out.p);
			free(ref.p);
		}
	}

	/* xxd -p, and -c 16, on the same input. */
	if (unit_have_tool("xxd")) {
		static const struct {
			const char *spec, *opts;
		} x[] = { { "hex", "-p" }, { "hex:width=16", "-p -c 16" } };
		char path[4200], cmd[4400];
		size_t i, n = 100000 + 17;

		temp_path(path, sizeof path, "in.bin");
		unit_write_file(path, data, n);
		for (i = 0; i < 2; i++) {
			const char *specs[1] = { x[i].spec };
			struct bytes out = one_shot(specs, 1, data, n), ref = { 0 };

			snprintf(cmd, sizeof cmd, "xxd %s '%s'", x[i].opts, path);
			CHECK_INT(run_command(cmd, &ref), 0);
			if (!CHECK(same(&out, ref.p, ref.n)))
				fprintf(stderr, "  %s differs from xxd %s\n", x[i].spec, x[i].opts);
			free(out.p);
			free(ref.p);
		}
		unlink(path);
	} else {
		fprintf(stderr, "test_filter: no xxd, the comparison with xxd -p is skipped\n");
	}
}

/* ---- gzip --------------------------------------------------------------- */

/* The gzip output decompresses to in[0..n) with zlib's inflate, is exactly
 * one member, and has the reproducible header. */
static void check_gunzip(const char *spec, const struct bytes *gz, const unsigned char *in,
			 size_t n)
{
	unsigned char *plain = unit_xmalloc(n + 1);
	z_stream z;
	int r;

	if (!CHECK(gz->n >= 18)) {
		free(plain);
		return;
	}
	CHECK(gz->p[0] == 0x1f && gz->p[1] == 0x8b && gz->p[2] == 8);
	CHECK_INT(gz->p[3], 0);	/* flags: no name, no comment, no extra */
	CHECK(gz->p[4] == 0 && gz->p[5] == 0 && gz->p[6] == 0 && gz->p[7] == 0); /* mtime */

	memset(&z, 0, sizeof z);
	if (!CHECK_INT(inflateInit2(&z, 15 + 16), Z_OK)) {
		free(plain);
		return;
	}
	z.next_in = gz->p;
	z.avail_in = (uInt)gz->n;
	z.next_out = plain;
	z.avail_out = (uInt)(n + 1);
	r = inflate(&z, Z_FINISH);
	if (!CHECK_INT(r, Z_STREAM_END))
		fprintf(stderr, "  %s over %zu bytes: inflate says %d\n", spec, n, r);
	CHECK_INT(z.avail_in, 0);	/* one member, ending where the output ends */
	CHECK_INT(z.total_out, n);
	CHECK(z.total_out == n && memcmp(plain, in, n) == 0);
	inflateEnd(&z);
	free(plain);
}

static void test_gzip(const unsigned char *data)
{
	char spec[16];
	const char *specs[1] = { spec };
	size_t s;
	int level;

	for (level = -1; level <= 9; level++) {
		if (level < 0)
			snprintf(spec, sizeof spec, "gzip");
		else
			snprintf(spec, sizeof spec, "gzip:%d", level);
		for (s = 0; s < NSIZES; s++) {
			size_t n = sizes[s];
			struct bytes out = one_shot(specs, 1, data, n);

			check_gunzip(spec, &out, data, n);
			/* Every cut: all sizes for the default level and level 0
			 * (whose stored blocks zlib alone cuts by avail_in and
			 * avail_out), sizes up to 100000 for the others; gzip:6
			 * is gzip, checked below. */
			if (level <= 0 || (n <= 100000 && level != 6))
				all_cuts(specs, 1, data, n, &out);
			free(out.p);
		}
	}

	/* gzip -dc gives the input back, and "gzip" is "gzip:6". */
	{
		const char *a[1] = { "gzip" }, *b[1] = { "gzip:6" };
		struct bytes out = one_shot(a, 1, data, MiB + 7), out6 = one_shot(b, 1, data, MiB + 7);

		CHECK(same(&out, out6.p, out6.n));
		if (unit_have_tool("gzip")) {
			char path[4200], cmd[4400];
			struct bytes plain = { 0 };

			temp_path(path, sizeof path, "out.gz");
			unit_write_file(path, out.p, out.n);
			snprintf(cmd, sizeof cmd, "gzip -dc '%s'", path);
			CHECK_INT(run_command(cmd, &plain), 0);
			CHECK(same(&plain, data, MiB + 7));
			free(plain.p);
			unlink(path);
		} else {
			fprintf(stderr, "test_filter: no gzip, the gzip -dc check is skipped\n");
		}
		free(out.p);
		free(out6.p);
	}

	/* No input after finish. */
	{
		struct chain ch;

		if (chain_new(&ch, specs, 1, T_ALL) == 0) {
			CHECK_INT(stage_write(ch.head, data, 10), 10);
			CHECK_INT(stage_finish(ch.head), 0);
			errno = 0;
			CHECK_INT(stage_write(ch.head, data, 10), -1);
			CHECK_INT(errno, EINVAL);
			CHECK_INT(stage_finish(ch.head), 0);
			stage_destroy_chain(ch.head);
		}
	}
}

/* ---- gzip in parallel blocks ------------------------------------------ */

/* All the members' data of gz, inflated into *out (malloc'd); the number
 * of members, or -1 if gz is not a gzip stream. */
static int gunzip_all(const struct bytes *gz, struct bytes *out)
{
	unsigned char buf[65536];
	z_stream z;
	int r = Z_OK, members = 0;

	memset(out, 0, sizeof *out);
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = gz->p;
	z.avail_in = (uInt)gz->n;
	while (z.avail_in > 0) {
		z.next_out = buf;
		z.avail_out = sizeof buf;
		r = inflate(&z, Z_NO_FLUSH);
		bytes_add(out, buf, sizeof buf - z.avail_out);
		if (r == Z_STREAM_END) {
			members++;
			if (z.avail_in > 0 && inflateReset(&z) != Z_OK)
				break;
		} else if (r != Z_OK) {
			break;
		}
	}
	inflateEnd(&z);
	return r == Z_STREAM_END ? members : -1;
}

/* The output of a compression filter with threads workers, through a sink
 * of the temper, cut by chunking (gzip: gzip_create_threads, where 0 is no
 * worker; the others: filter_create_threads). */
static int run_threads(const char *spec, int threads, const unsigned char *in, size_t n,
		       int chunking, int temper, struct bytes *out)
{
	const char *colon = strchr(spec, ':');
	struct errors err = { 0 };
	struct chain ch;
	int r, e;

	memset(&ch, 0, sizeof ch);
	memset(out, 0, sizeof *out);
	if (strncmp(spec, "gzip", 4) == 0)
		ch.head = gzip_create_threads(spec, colon ? colon + 1 : NULL, threads, &err);
	else
		ch.head = filter_create_threads(spec, threads, &err);
	if (!CHECK(ch.head != NULL)) {
		fprintf(stderr, "  create(\"%s\", %d threads): %s\n", spec, threads,
			first_error(&err));
		errors_release(&err);
		errno = EINVAL;
		return -1;
	}
	ch.cap = capture_new(temper);
	ch.head->next = &ch.cap->st;
	ch.filt[0] = ch.head;
	ch.nfilt = 1;
	r = drive(&ch, in, n, chunking, 777u + (uint32_t)n);
	e = errno;
	if (r == 0) {
		CHECK_INT(ch.head->in, n);
		CHECK_INT(ch.head->out, ch.cap->b.n);
	}
	*out = ch.cap->b;
	ch.cap->b.p = NULL;
	stage_destroy_chain(ch.head);
	errno = e;
	return r;
}

/* Inputs of one block and more (128 KiB blocks from level 4, 256 KiB below;
 * an exact multiple ends in an empty last block), random and text-like:
 * each decompresses to its input, is one member, and is the same for every
 * number of workers, every cut and every sink; gzip -dc reads it; the
 * blocks' dictionaries make it about as small as one zlib stream. */
static void test_gzip_blocks(const unsigned char *data)
{
	static const int levels[] = { 0, 1, 3, 4, 6, 9 };
	static const size_t bsizes[] = { 128 * KiB - 1, 128 * KiB, 128 * KiB + 1, 256 * KiB,
					 MiB, 3 * MiB + 12345 };
	static const int threads[] = { 0, 1, 2, 3, GZIP_THREADS_MAX };
	size_t big = 3 * MiB + 12345, l, s, t;
	unsigned char *text = text_bytes(big, 31337u);
	char spec[16];

	for (l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		const char *specs[1] = { spec };

		snprintf(spec, sizeof spec, "gzip:%d", levels[l]);
		for (s = 0; s < sizeof bsizes / sizeof bsizes[0]; s++) {
			size_t n = bsizes[s];
			const unsigned char *in = s % 2 ? text : data;
			struct bytes out;

			if (n > MiB + 7 + 100)
				in = text;
			out = one_shot(specs, 1, in, n);
			check_gunzip(spec, &out, in, n);
			/* Any number of workers, pieces and sink: the same. */
			for (t = 0; t < sizeof threads / sizeof threads[0]; t++) {
				struct bytes o2;
				int c = (int)((t + s) % NCHUNKING), tp = (int)((t + l) % NTEMPER);
				int r = run_threads(spec, threads[t], in, n, c, tp, &o2);

				if (!CHECK_INT(r, 0) || !CHECK(same(&o2, out.p, out.n)))
					fprintf(stderr, "  %s over %zu bytes, %d workers, pieces of %s, "
						"sink %s: %s\n", spec, n, threads[t], chunking_name[c],
						temper_name[tp], r ? strerror(errno) : "output differs");
				free(o2.p);
			}
			free(out.p);
		}
	}

	/* Every cut of a multi-block text, at the default level and level 1. */
	{
		const char *a[1] = { "gzip" }, *b[1] = { "gzip:1" };
		struct bytes out = one_shot(a, 1, text, big), out1 = one_shot(b, 1, text, big);

		all_cuts(a, 1, text, big, &out);
		all_cuts(b, 1, text, big, &out1);

		/* The dictionaries work: within 1 % of one zlib stream (without
		 * them, 128 KiB blocks lose several percent on this text). */
		{
			uLongf zn = compressBound((uLong)big);
			unsigned char *z = unit_xmalloc(zn);

			CHECK_INT(compress2(z, &zn, text, (uLong)big, 6), Z_OK);
			if (!CHECK(out.n < zn + zn / 100))
				fprintf(stderr, "  gzip over %zu bytes of text: %zu bytes, one zlib "
					"stream %lu\n", big, out.n, (unsigned long)zn);
			free(z);
		}
		if (unit_have_tool("gzip")) {
			char path[4200], cmd[4400];
			struct bytes plain = { 0 };

			temp_path(path, sizeof path, "text.gz");
			unit_write_file(path, out.p, out.n);
			snprintf(cmd, sizeof cmd, "gzip -dc '%s'", path);
			CHECK_INT(run_command(cmd, &plain), 0);
			CHECK(same(&plain, text, big));
			free(plain.p);
			unlink(path);
		}
		free(out.p);
		free(out1.p);
	}

	/* Two gzip filters in one chain: each its own member, every cut. */
	{
		static const char *const specs[2] = { "gzip:6", "gzip:1" };
		struct bytes out = one_shot(specs, 2, text, big), inner, plain;
		struct bytes out2 = one_shot(specs, 2, text, MiB + 7);

		CHECK_INT(gunzip_all(&out, &inner), 1);
		CHECK_INT(gunzip_all(&inner, &plain), 1);
		CHECK(same(&plain, text, big));
		all_cuts(specs, 2, text, MiB + 7, &out2);
		free(inner.p);
		free(plain.p);
		free(out.p);
		free(out2.p);
	}

	free(text);
}

/* ---- zstd and xz -------------------------------------------------------- */

/* The zstd output is exactly one frame, with a content checksum, that
 * libzstd's streaming decoder turns into in[0..n). */
static void check_unzstd(const char *spec, const struct bytes *z, const unsigned char *in,
			 size_t n)
{
	static const unsigned char magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer zin = { z->p, z->n, 0 };
	unsigned char *plain = unit_xmalloc(n + 1);
	ZSTD_outBuffer zout = { plain, n + 1, 0 };
	size_t r = 1;

	if (!CHECK(d != NULL) || !CHECK(z->n >= 9)) {
		ZSTD_freeDCtx(d);
		free(plain);
		return;
	}
	CHECK_INT(ZSTD_findFrameCompressedSize(z->p, z->n), z->n);	/* one frame */
	CHECK_MEM(z->p, magic, sizeof magic);
	CHECK(z->p[4] & 4);	/* the frame header's Content_Checksum_flag */
	while (zin.pos < zin.size && r != 0 && !ZSTD_isError(r))
		r = ZSTD_decompressStream(d, &zout, &zin);
	if (!CHECK_INT(r, 0))
		fprintf(stderr, "  %s over %zu bytes: libzstd says %s\n", spec, n,
			ZSTD_isError(r) ? ZSTD_getErrorName(r) : "the frame is not complete");
	CHECK_INT(zin.pos, z->n);
	CHECK_INT(zout.pos, n);
	CHECK(zout.pos == n && memcmp(plain, in, n) == 0);
	ZSTD_freeDCtx(d);
	free(plain);
}

/* The xz output is exactly one stream, with a CRC64 check, that liblzma's
 * decoder turns into in[0..n). */
static void check_unxz(const char *spec, const struct bytes *x, const unsigned char *in,
		       size_t n)
{
	static const unsigned char magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	lzma_stream z = LZMA_STREAM_INIT;
	unsigned char *plain = unit_xmalloc(n + 1);
	lzma_ret r;

	if (!CHECK(x->n >= 32) || !CHECK_INT(lzma_stream_decoder(&z, UINT64_MAX, 0), LZMA_OK)) {
		free(plain);
		return;
	}
	CHECK_MEM(x->p, magic, sizeof magic);
	CHECK(x->p[6] == 0 && x->p[7] == LZMA_CHECK_CRC64);	/* stream flags */
	z.next_in = x->p;
	z.avail_in = x->n;
	z.next_out = plain;
	z.avail_out = n + 1;
	r = lzma_code(&z, LZMA_FINISH);
	if (!CHECK_INT(r, LZMA_STREAM_END))
		fprintf(stderr, "  %s over %zu bytes: liblzma says %d\n", spec, n, (int)r);
	CHECK_INT(z.avail_in, 0);	/* one stream, ending where the output ends */
	CHECK_INT(z.total_out, n);
	CHECK(z.total_out == n && memcmp(plain, in, n) == 0);
	lzma_end(&z);
	free(plain);
}

static void check_decoded(const char *spec, const struct bytes *out, const unsigned char *in,
			  size_t n)
{
	if (spec[0] == 'z')
		check_unzstd(spec, out, in, n);
	else
		check_unxz(spec, out, in, n);
}

/* The zstd or xz program reads out and gives in[0..n) back. */
static void check_tool(const char *spec, const struct bytes *out, const unsigned char *in,
		       size_t n)
{
	const char *tool = spec[0] == 'z' ? "zstd" : "xz";
	char path[4200], cmd[4400];
	struct bytes plain = { 0 };

	if (!unit_have_tool(tool)) {
		fprintf(stderr, "test_filter: no %s, the %s -dc check is skipped\n", tool, tool);
		return;
	}
	temp_path(path, sizeof path, "out.z");
	unit_write_file(path, out->p, out->n);
	snprintf(cmd, sizeof cmd, "%s -dc '%s'", tool, path);
	if (!CHECK_INT(run_command(cmd, &plain), 0) || !CHECK(same(&plain, in, n)))
		fprintf(stderr, "  %s over %zu bytes: %s -dc differs\n", spec, n, tool);
	free(plain.p);
	unlink(path);
}

/* A few cuts and sinks, for filters slow to set up (zstd:19 clears 80 MiB
 * of tables for every frame): the same bytes as expect. */
static void some_cuts(const char *const *specs, const unsigned char *in, size_t n,
		      const struct bytes *expect)
{
	static const int cuts[][2] = { { C_1, T_EAGAIN3 }, { C_3, T_ONE }, { C_31, T_HALF } };
	size_t i;

	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		struct bytes out;

		if (!CHECK_INT(run(specs, 1, in, n, cuts[i][0], cuts[i][1], &out), 0) ||
		    !CHECK(same(&out, expect->p, expect->n)))
			fprintf(stderr, "  %s over %zu bytes, pieces of %s, sink %s\n", specs[0], n,
				chunking_name[cuts[i][0]], temper_name[cuts[i][1]]);
		free(out.p);
	}
}

/* Every level's edges and the defaults, at every size: one frame or stream
 * that decodes to the input, the same for every cut and sink (up to 100000
 * bytes; the top levels up to 100000 bytes, and for a few cuts); "zstd" is
 * "zstd:3" and "xz" is "xz:6"; the programs read it; no input after
 * finish. */
static void test_zstd_xz(const unsigned char *data)
{
	static const char *const specs[] = { "zstd", "zstd:1", "zstd:19", "xz", "xz:0", "xz:9" };
	static const char *const same_as[][2] = { { "zstd", "zstd:3" }, { "xz", "xz:6" } };
	size_t i, s;

	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		const char *one[1] = { specs[i] };
		int slow = strcmp(specs[i], "zstd:19") == 0 || strcmp(specs[i], "xz:9") == 0;

		for (s = 0; s < NSIZES; s++) {
			size_t n = sizes[s];
			struct bytes out;

			if (slow && n > 100000)
				continue;
			out = one_shot(one, 1, data, n);
			check_decoded(specs[i], &out, data, n);
			if (!slow && n <= 100000)
				all_cuts(one, 1, data, n, &out);
			if (slow && n == 31)
				some_cuts(one, data, n, &out);
			if (n == 3 || n == 100000)
				check_tool(specs[i], &out, data, n);
			free(out.p);
		}
	}
	for (i = 0; i < 2; i++) {
		const char *a[1] = { same_as[i][0] }, *b[1] = { same_as[i][1] };
		struct bytes x = one_shot(a, 1, data, 100000), y = one_shot(b, 1, data, 100000);

		CHECK(same(&x, y.p, y.n));
		free(x.p);
		free(y.p);
	}
	for (i = 0; i < 2; i++) {
		const char *one[1] = { i ? "xz" : "zstd" };
		struct chain ch;

		if (chain_new(&ch, one, 1, T_ALL) == 0) {
			CHECK_INT(stage_write(ch.head, data, 10), 10);
			CHECK_INT(stage_finish(ch.head), 0);
			errno = 0;
			CHECK_INT(stage_write(ch.head, data, 10), -1);
			CHECK_INT(errno, EINVAL);
			CHECK_INT(stage_finish(ch.head), 0);
			stage_destroy_chain(ch.head);
		}
	}
}

/* Inputs around and past libzstd's sections (2 MiB at zstd:1) and
 * liblzma's blocks (1 MiB at xz:0), exact multiples among them, random and
 * text-like: each decodes to its input and is the same for every thread
 * count, every cut and every sink; gzip too, from -T 1 up. */
static void test_compress_threads(const unsigned char *data)
{
	static const struct {
		const char *spec;
		size_t unit;	/* section or block size */
	} cases[] = { { "zstd:1", 2 * MiB }, { "xz:0", MiB }, { "zstd", 8 * MiB } };
	static const int threads[] = { 1, 2, 3, 4, 8 };
	size_t big = 5 * MiB + 12345, c, s, t;
	int r;
	unsigned char *text = text_bytes(2 * 8 * MiB + 1, 4711u);

	for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const size_t u = cases[c].unit;
		const size_t bsizes[] = { 2, u - 1, u, u + 1, 2 * u, big };
		const char *one[1] = { cases[c].spec };

		for (s = 0; s < sizeof bsizes / sizeof bsizes[0]; s++) {
			size_t n = bsizes[s];
			const unsigned char *in = s % 2 || n > MiB + 7 + 100 ? text : data;
			struct bytes out = one_shot(one, 1, in, n);

			check_decoded(cases[c].spec, &out, in, n);
			for (t = 0; t < sizeof threads / sizeof threads[0]; t++) {
				struct bytes o2;
				int ck = (int)((t + s) % NCHUNKING), tp = (int)((t + c) % NTEMPER);

				r = run_threads(cases[c].spec, threads[t], in, n, ck, tp, &o2);
				if (!CHECK_INT(r, 0) || !CHECK(same(&o2, out.p, out.n)))
					fprintf(stderr, "  %s over %zu bytes, %d threads, pieces "
						"of %s, sink %s: %s\n", cases[c].spec, n,
						threads[t], chunking_name[ck], temper_name[tp],
						r ? strerror(errno) : "output differs");
				free(o2.p);
			}
			free(out.p);
		}
	}

	/* Every cut of a text of two sections or blocks and a bit. */
	for (c = 0; c < 2; c++) {
		const char *one[1] = { cases[c].spec };
		size_t n = 2 * cases[c].unit + 12345;
		struct bytes out = one_shot(one, 1, text, n);

		all_cuts(one, 1, text, n, &out);
		check_tool(cases[c].spec, &out, text, n);
		free(out.p);
	}

	/* gzip, whose -T is its number of workers. */
	for (s = 0; s < 2; s++) {
		const char *one[1] = { s ? "gzip:1" : "gzip" };
		struct bytes out = one_shot(one, 1, text, big);

		for (t = 0; t < sizeof threads / sizeof threads[0]; t++) {
			struct bytes o2;
			struct errors err = { 0 };
			struct stage *st = filter_create_threads(one[0], threads[t], &err);

			CHECK(st != NULL);
			stage_destroy_chain(st);
			errors_release(&err);
			r = run_threads(one[0], threads[t], text, big, C_RANDOM, T_HALF, &o2);
			if (CHECK_INT(r, 0))
				CHECK(same(&o2, out.p, out.n));
			free(o2.p);
		}
		free(out.p);
	}
	free(text);
}

/* ---- a broken pipe ------------------------------------------------------ */

/* EPIPE from the sink comes back as -1/EPIPE, from write when the filter
 * has output to pass on during the input, and from finish in any case,
 * again on every later call. */
static void test_epipe(const unsigned char *data)
{
	static const char *const all[] = { "xor:5a", "hex", "gzip", "gzip:0", "xz", "zstd" };
	static const size_t sizes_in[] = { 10, MiB };
	static const size_t after[] = { 0, 5 };
	size_t i, s, a;

	for (i = 0; i < sizeof all / sizeof all[0]; i++) {
		for (s = 0; s < 2; s++) {
			for (a = 0; a < 2; a++) {
				const char *specs[1] = { all[i] };
				struct chain ch;
				int r, in_write;

				if (chain_new(&ch, specs, 1, T_EPIPE) < 0)
					continue;
				ch.cap->epipe_after = after[a];
				errno = 0;
				r = drive(&ch, data, sizes_in[s], C_4099, 1);
				in_write = ch.head->in < sizes_in[s];
				if (!CHECK_INT(r, -1) || !CHECK_INT(errno, EPIPE))
					fprintf(stderr, "  %s over %zu bytes, EPIPE after %zu: %d, %s\n",
						all[i], sizes_in[s], after[a], r, strerror(errno));
				/* Only an output larger than the first 4099 bytes
				 * of input can break the pipe before the end (zstd
				 * writes nothing before its first 8 MiB section). */
				if (s == 1 && strcmp(all[i], "zstd") != 0)
					CHECK(in_write);
				errno = 0;
				CHECK_INT(stage_finish(ch.head), -1);
				CHECK_INT(errno, EPIPE);
				errno = 0;
				CHECK_INT(stage_finish(ch.head), -1);
				CHECK_INT(errno, EPIPE);
				if (in_write) {
					errno = 0;
					CHECK_INT(stage_write(ch.head, data, 5), -1);
					CHECK_INT(errno, EPIPE);
				}
				CHECK_INT(ch.cap->b.n, after[a]);
				stage_destroy_chain(ch.head);
			}
		}
	}
}

/* ---- bad specs ---------------------------------------------------------- */

static void expect_error(const char *spec, const char *msg)
{
	struct errors err = { 0 };
	struct stage *st = filter_create(spec, &err);

	if (!CHECK(st == NULL))
		stage_destroy_chain(st);
	if (!CHECK_STR(first_error(&err), msg))
		fprintf(stderr, "  for the spec \"%s\"\n", spec);
	errors_release(&err);
}

static void test_errors(void)
{
	char cwd[4096];
	unsigned char *big;
	int i;

	expect_error("gzp", "unknown filter 'gzp' (did you mean 'gzip'?)");
	expect_error("gzp:9", "unknown filter 'gzp' (did you mean 'gzip'?)");
	expect_error("Hex", "unknown filter 'Hex' (did you mean 'hex'?)");
	expect_error("xr:5a", "unknown filter 'xr' (did you mean 'xor'?)");
	expect_error("lzma", "unknown filter 'lzma'");
	expect_error("", "filter '': no filter name (one of gzip, hex, ihex, srec, xor, "
		     "xz, zstd)");
	expect_error(":5", "filter ':5': no filter name (one of gzip, hex, ihex, srec, xor, "
		     "xz, zstd)");

	expect_error("xor:5", "filter 'xor:5': odd number of hex digits in the key");
	expect_error("xor:0x123", "filter 'xor:0x123': odd number of hex digits in the key");
	expect_error("xor:zz", "filter 'xor:zz': 'z' is not a hex digit");
	expect_error("xor:5a 5b", "filter 'xor:5a 5b': ' ' is not a hex digit");
	expect_error("xor:5\n", "filter 'xor:5\\x0a': byte 0x0a is not a hex digit");
	expect_error("xor", "filter 'xor': needs a key: xor:HEX or xor:@FILE");
	expect_error("xor:", "filter 'xor:': needs a key: xor:HEX or xor:@FILE");
	expect_error("xor:0x", "filter 'xor:0x': the key must be 1 byte to 1 MiB");

	expect_error("gzip:10", "filter 'gzip:10': level must be 0..9");
	expect_error("gzip:", "filter 'gzip:': level must be 0..9");
	expect_error("gzip:x", "filter 'gzip:x': level must be 0..9");
	expect_error("gzip:-1", "filter 'gzip:-1': level must be 0..9");

	expect_error("hex:width=x", "filter 'hex:width=x': width must be a number");
	expect_error("hex:width=", "filter 'hex:width=': width must be a number");
	expect_error("hex:width", "filter 'hex:width': width must be a number");
	expect_error("hex:width=-1", "filter 'hex:width=-1': width must be a number");
	expect_error("hex:width=16x", "filter 'hex:width=16x': width must be a number");
	expect_error("hex:width=99999999999",
		     "filter 'hex:width=99999999999': width must be at most 4294967295");
	expect_error("hex:uper", "filter 'hex:uper': unknown option 'uper' (did you mean 'upper'?)");
	expect_error("hex:upper:widht=3",
		     "filter 'hex:upper:widht=3': unknown option 'widht' (did you mean 'width'?)");
	expect_error("hex:bold", "filter 'hex:bold': unknown option 'bold' (options: width=N, upper)");
	expect_error("hex:", "filter 'hex:': empty option");
	expect_error("hex:upper,", "filter 'hex:upper,': empty option");
	expect_error("hex:upper=1", "filter 'hex:upper=1': upper takes no value");

	/* A long spec is cut in the message. */
	{
		char spec[200];
		char want[300];

		memset(spec, 'a', sizeof spec);
		memcpy(spec, "xor:", 4);
		spec[sizeof spec - 2] = 'g';
		spec[sizeof spec - 1] = '\0';
		snprintf(want, sizeof want, "filter '%.40s...': 'g' is not a hex digit", spec);
		expect_error(spec, want);
	}

	/* Key files, relative to the current directory. */
	if (!CHECK(getcwd(cwd, sizeof cwd) != NULL) || !CHECK_INT(chdir(tmpdir), 0))
		return;
	unit_write_file("empty", "", 0);
	big = random_bytes(MiB + 1, 99);
	unit_write_file("big", big, MiB + 1);
	CHECK_INT(mkdir("dir", 0700), 0);
	expect_error("xor:@k", "filter 'xor:@k': cannot read 'k': No such file or directory");
	expect_error("xor:@", "filter 'xor:@': cannot read '': No such file or directory");
	expect_error("xor:@empty", "filter 'xor:@empty': the key must be 1 byte to 1 MiB");
	expect_error("xor:@big", "filter 'xor:@big': the key must be 1 byte to 1 MiB");
	expect_error("xor:@dir", "filter 'xor:@dir': cannot read 'dir': Is a directory");
	{
		/* 1 MiB exactly is a key; relative paths work. */
		struct errors err = { 0 };
		struct stage *st;

		unit_write_file("big", big, MiB);
		st = filter_create("xor:@big", &err);
		CHECK(st != NULL && err.total == 0);
		stage_destroy_chain(st);
		errors_release(&err);
	}
	{
		/* A key of 1 MiB + 1 given in hex. */
		char *spec = hex_spec("xor:", big, MiB + 1, 0);
		char want[300];

		snprintf(want, sizeof want, "filter '%.40s...': the key must be 1 byte to 1 MiB",
			 spec);
		expect_error(spec, want);
		free(spec);
	}
	free(big);
	unlink("empty");
	unlink("big");
	rmdir("dir");
	CHECK_INT(chdir(cwd), 0);

	/* The good specs all build, and name their filter. */
	{
		static const char *const good[][2] = {
			{ "xor:00", "xor" }, { "xor:0XaBcD", "xor" }, { "hex", "hex" },
			{ "hex:width=0", "hex" }, { "hex:upper", "hex" }, { "gzip", "gzip" },
			{ "gzip:0", "gzip" }, { "gzip:9", "gzip" },
		};

		for (i = 0; i < (int)(sizeof good / sizeof good[0]); i++) {
			struct errors err = { 0 };
			struct stage *st = filter_create(good[i][0], &err);

			if (CHECK(st != NULL)) {
				CHECK_STR(st->ops->name, good[i][1]);
				stage_destroy_chain(st);
			}
			CHECK(err.total == 0);
			errors_release(&err);
		}
	}
}

/* The levels of zstd and xz: their edges build, and name their filter; a
 * level out of range, or not plain decimal digits, is an error naming the
 * spec and the range. */
static void test_level_errors(void)
{
	static const char *const good[] = { "zstd", "zstd:1", "zstd:19", "zstd:07", "xz",
					     "xz:0", "xz:9" };
	size_t i;

	expect_error("zst", "unknown filter 'zst' (did you mean 'zstd'?)");
	expect_error("lz:9", "unknown filter 'lz' (did you mean 'xz'?)");
	expect_error("zstd:0", "filter 'zstd:0': level must be 1..19");
	expect_error("zstd:20", "filter 'zstd:20': level must be 1..19");
	expect_error("zstd:abc", "filter 'zstd:abc': level must be 1..19");
	expect_error("zstd:", "filter 'zstd:': level must be 1..19");
	expect_error("zstd:-3", "filter 'zstd:-3': level must be 1..19");
	expect_error("zstd:3x", "filter 'zstd:3x': level must be 1..19");
	expect_error("zstd: 3", "filter 'zstd: 3': level must be 1..19");
	expect_error("zstd:0003", "filter 'zstd:0003': level must be 1..19");
	expect_error("xz:10", "filter 'xz:10': level must be 0..9");
	expect_error("xz:", "filter 'xz:': level must be 0..9");
	expect_error("xz:e", "filter 'xz:e': level must be 0..9");
	expect_error("xz:9e", "filter 'xz:9e': level must be 0..9");
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct errors err = { 0 };
		struct stage *st = filter_create(good[i], &err);

		if (CHECK(st != NULL)) {
			CHECK_STR(st->ops->name, good[i][0] == 'z' ? "zstd" : "xz");
			stage_destroy_chain(st);
		}
		CHECK(err.total == 0);
		errors_release(&err);
	}
}

/* ---- stage.c on its own ------------------------------------------------- */

static void test_outbuf(void)
{
	struct capture *c = capture_new(T_EAGAIN3);
	struct stage st = { .ops = NULL, .next = &c->st };
	struct outbuf o;
	int r, tries = 0;

	CHECK_INT(outbuf_init(&o, 10), 0);
	CHECK_INT(outbuf_flush(&st, &o), 0);	/* nothing pending */
	memcpy(o.buf, "0123456789", 10);
	o.tail = 10;
	c->temper = T_P7;
	c->calls = 2;		/* the next call takes 7 */
	CHECK_INT(outbuf_flush(&st, &o), 0);
	CHECK_INT(st.out, 10);
	CHECK(o.head == 0 && o.tail == 0);
	memcpy(o.buf, "abcdef", 6);
	o.tail = 6;
	c->temper = T_EAGAIN3;
	c->calls = 2;		/* the next call is the 3rd: EAGAIN */
	errno = 0;
	r = outbuf_flush(&st, &o);
	CHECK_INT(r, -1);
	CHECK_INT(errno, EAGAIN);
	CHECK_INT(o.tail - o.head, 6);
	while ((r = outbuf_flush(&st, &o)) != 0 && ++tries < 10)
		;
	CHECK_INT(r, 0);
	CHECK_INT(st.out, 16);
	CHECK(c->b.n == 16 && memcmp(c->b.p, "0123456789abcdef", 16) == 0);
	outbuf_release(&o);
	CHECK(o.buf == NULL && o.cap == 0);
	stage_destroy_chain(&c->st);
}

int main(void)
{
	const char *dir = getenv("TMPDIR");
	unsigned char *data = random_bytes(MiB + 7 + 100, 2463534242u);

	snprintf(tmpdir, sizeof tmpdir, "%s/test_filter.XXXXXX", dir && *dir ? dir : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("test_filter: mkdtemp");
		return 1;
	}
	test_outbuf();
	test_errors();
	test_level_errors();
	test_xor(data);
	test_hex(data);
	test_gzip(data);
	test_gzip_blocks(data);
	test_zstd_xz(data);
	test_compress_threads(data);
	test_epipe(data);
	rmdir(tmpdir);
	free(data);
	return unit_done("test_filter");
}

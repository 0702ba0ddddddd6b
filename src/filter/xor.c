/*
 * xor.c -- xor:HEX and xor:@FILE: every byte XORed with a repeating key.
 *
 * Model.  Output byte i is input byte i XOR key[i mod keylen], i counting
 * this filter's own input from 0.  The key is expanded once to ekey: the key
 * repeated to elen bytes, a multiple of its length and of 8 and at least
 * 4 KiB, so the hot loop XORs 8 bytes at a time against ekey[phase..]
 * without a modulo; phase is i mod elen for the next input byte.
 *
 * Pending output is the XORed copy of input already taken (the outbuf, one
 * byte out per byte in).  write() takes input only when nothing is pending,
 * transforms one outbuf's worth at a time, and goes on while the next stage
 * takes everything (up to FILTER_CALL_MAX a call); finish() only flushes,
 * there is no trailer.
 */
#include "filter/filters.h"
#include "util/hex.h"
#include "util/io.h"
#include "util/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX (1024 * 1024)	/* the longest key, in bytes */
#define EKEY_MIN 4096		/* the expanded key is at least this long */
#define OUT_CAP (64 * 1024)	/* pending output, = input per batch */

struct xor_filter {
	struct stage st;	/* first: a stage pointer is a filter pointer */
	struct outbuf o;
	unsigned char *ekey;	/* the key repeated to elen bytes */
	size_t elen;
	size_t phase;		/* (input position) mod elen */
};

/* dst = src XOR the key stream from f->phase on, advancing the phase. */
static void xor_run(struct xor_filter *f, unsigned char *dst, const unsigned char *src,
		    size_t n)
{
	while (n > 0) {
		size_t run = f->elen - f->phase, i = 0;
		const unsigned char *k = f->ekey + f->phase;

		if (run > n)
			run = n;
		for (; i + 32 <= run; i += 32) {
			uint64_t a[4], b[4];

			memcpy(a, src + i, sizeof a);
			memcpy(b, k + i, sizeof b);
			a[0] ^= b[0];
			a[1] ^= b[1];
			a[2] ^= b[2];
			a[3] ^= b[3];
			memcpy(dst + i, a, sizeof a);
		}
		for (; i + 8 <= run; i += 8) {
			uint64_t a, b;

			memcpy(&a, src + i, 8);
			memcpy(&b, k + i, 8);
			a ^= b;
			memcpy(dst + i, &a, 8);
		}
		for (; i < run; i++)
			dst[i] = src[i] ^ k[i];
		f->phase += run;
		if (f->phase == f->elen)
			f->phase = 0;
		dst += run;
		src += run;
		n -= run;
	}
}

static size_t xor_encode(struct stage *st, unsigned char *out, const unsigned char *in,
			 size_t n)
{
	xor_run((struct xor_filter *)st, out, in, n);
	return n;
}

static int64_t xor_write(struct stage *st, const void *buf, uint64_t n)
{
	struct xor_filter *f = (struct xor_filter *)st;

	return transform_write(st, &f->o, buf, n, f->o.cap, xor_encode);
}

static int xor_finish(struct stage *st)
{
	struct xor_filter *f = (struct xor_filter *)st;

	return outbuf_flush(st, &f->o);
}

static void xor_destroy(struct stage *st)
{
	struct xor_filter *f = (struct xor_filter *)st;

	outbuf_release(&f->o);
	free(f->ekey);
	free(f);
}

static const struct stage_ops xor_ops = {
	.name = "xor",
	.write = xor_write,
	.finish = xor_finish,
	.destroy = xor_destroy,
};

/* The key of xor:HEX into *key, freed with mem_free as read_file's is. */
static int parse_hex_key(const char *spec, const char *s, unsigned char **key, size_t *len,
			 struct errors *err)
{
	const unsigned char *u;
	size_t n, i;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	u = (const unsigned char *)s;
	for (n = 0; hex_value_plus1[u[n]]; n++)
		;
	if (u[n] >= 0x20 && u[n] < 0x7f) {
		filter_error(err, spec, "'%c' is not a hex digit", u[n]);
		return -1;
	}
	if (u[n] != '\0') {
		filter_error(err, spec, "byte 0x%02x is not a hex digit", u[n]);
		return -1;
	}
	if (n % 2) {
		filter_error(err, spec, "odd number of hex digits in the key");
		return -1;
	}
	if (n == 0 || n / 2 > KEY_MAX) {
		filter_error(err, spec, "the key must be 1 byte to 1 MiB");
		return -1;
	}
	if (!(*key = mem_realloc(NULL, n / 2))) {
		filter_error(err, spec, "%s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n / 2; i++)
		(*key)[i] = (unsigned char)(hex_value(u[2 * i]) << 4 | hex_value(u[2 * i + 1]));
	*len = n / 2;
	return 0;
}

static int read_key_file(const char *spec, const char *path, unsigned char **key, size_t *len,
			 struct errors *err)
{
	int e = read_file(path, KEY_MAX, key, len);

	if (e == E2BIG || (!e && *len == 0)) {
		if (!e)
			mem_free(*key);
		*key = NULL;
		filter_error(err, spec, "the key must be 1 byte to 1 MiB");
		return -1;
	}
	if (e) {
		filter_error(err, spec, "cannot read '%s': %s", path, strerror(e));
		return -1;
	}
	return 0;
}

static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

struct stage *xor_create(const char *spec, const char *arg, struct errors *err)
{
	struct xor_filter *f;
	unsigned char *key = NULL;
	size_t len = 0, elen, i;

	if (!arg || !*arg)
		return filter_error(err, spec, "needs a key: xor:HEX or xor:@FILE");
	if (arg[0] == '@' ? read_key_file(spec, arg + 1, &key, &len, err) < 0
			  : parse_hex_key(spec, arg, &key, &len, err) < 0)
		return NULL;

	/* elen: lcm(len, 8), times enough to reach EKEY_MIN; at most 8 MiB. */
	elen = len / gcd(len, 8) * 8;
	elen *= (EKEY_MIN + elen - 1) / elen;
	f = calloc(1, sizeof *f);
	if (!f || !(f->ekey = malloc(elen)) || outbuf_init(&f->o, OUT_CAP) < 0) {
		mem_free(key);
		if (f)
			xor_destroy(&f->st);
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	}
	for (i = 0; i < elen; i += len)
		memcpy(f->ekey + i, key, len);
	mem_free(key);
	f->elen = elen;
	f->st.ops = &xor_ops;
	return &f->st;
}

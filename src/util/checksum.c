/*
 * checksum.c -- one table-driven engine for every CRC of the Rocksoft
 * model, zlib for CRC-32 and Adler-32, OpenSSL for the digests.
 *
 * The register.  A CRC with refin keeps its register reflected in the low
 * bits of a uint64_t and shifts right; any other keeps it unreflected in
 * the top bits and shifts left.  Either way a byte is xored into the end
 * that leaves the register first, and a lookup in a table of 256 gives
 * what the register gains when that byte leaves it.  So one loop serves
 * every width: below 8 bits the byte reaches past the register, and its
 * bits there leave during the same byte step, which the table accounts
 * for.  The catalogue's init is unreflected: a reflected register starts
 * from it reflected; at the end the register is turned back to catalogue
 * form, reflected if refout, then xored with xorout.
 *
 * Eight bytes at a time.  Table k gives the gain of a byte followed by k
 * zero bytes, so eight bytes xored into the register at once take eight
 * independent lookups instead of eight dependent ones ("slicing-by-8", M.
 * Kounavis and F. Berry, Intel, 2005).  CRC-32/ISO-HDLC is zlib's crc32()
 * instead, faster still.
 *
 * Runs of one byte.  One byte step is affine over GF(2) in the register:
 * r -> M r + c, where M is the step of a zero byte and c the step of the
 * byte on a zero register.  n steps are the n-th power of that map, made
 * by squaring it log2(n) times: a 64 x 64-bit matrix by columns.  The sum
 * and Adler-32 have closed forms; only the digests hash every byte.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/checksum.h"

#define ADLER_BASE 65521	/* the largest prime below 2^16, as zlib */
#define FILL_DIRECT 256		/* a CRC's shorter runs are fed as bytes */
#define FILL_PIECE 16384	/* a digest's run is hashed from this many bytes */
#define SUM_PIECE ((size_t)1 << 32)	/* 255 times this fits a uint64_t */

struct crc {
	struct crc_model m;
	uint64_t reg;		/* the register as the loops keep it (above) */
	int zlib;		/* the model is zlib's crc32(): it does the bulk */
	uint64_t t[8][256];	/* t[k]: a byte's gain followed by k zero bytes */
};

struct cksum {
	enum cksum_kind kind;
	struct crc *crc;	/* CKSUM_CRC */
	uint32_t adler;		/* CKSUM_ADLER32 */
	unsigned __int128 sum;	/* CKSUM_SUM */
	EVP_MD_CTX *md;		/* the digests */
	int spent;		/* the digest was taken, or OpenSSL failed */
};

/* A map r -> m r + c over GF(2), m by columns: m[i] is the image of bit i. */
struct affine {
	uint64_t m[64], c;
};

static const struct crc_model presets[CRC_PRESETS] = {
	{ 32, 0x04c11db7, 0xffffffff, 1, 1, 0xffffffff },	/* CRC-32/ISO-HDLC */
	{ 32, 0x1edc6f41, 0xffffffff, 1, 1, 0xffffffff },	/* CRC-32/ISCSI */
	{ 32, 0x04c11db7, 0xffffffff, 0, 0, 0 },		/* CRC-32/MPEG-2 */
	{ 16, 0x1021, 0, 0, 0, 0 },				/* CRC-16/XMODEM */
	{ 16, 0x1021, 0xffff, 0, 0, 0 },			/* CRC-16/IBM-3740 */
	{ 16, 0x8005, 0xffff, 1, 1, 0 },			/* CRC-16/MODBUS */
	{ 8, 0x07, 0, 0, 0, 0 },				/* CRC-8/SMBUS */
};

const char *const crc_preset_names[CRC_PRESETS] = {
	"crc32", "crc32c", "crc32_mpeg2", "crc16_xmodem", "crc16_ccitt", "crc16_modbus", "crc8",
};

const struct crc_model *crc_preset(const char *name, size_t len)
{
	for (size_t i = 0; i < CRC_PRESETS; i++)
		if (strlen(crc_preset_names[i]) == len &&
		    memcmp(crc_preset_names[i], name, len) == 0)
			return &presets[i];
	return NULL;
}

static uint64_t width_mask(unsigned width)
{
	return width >= 64 ? UINT64_MAX : ((uint64_t)1 << width) - 1;
}

/* The low width bits of x in reverse order. */
static uint64_t reflect(uint64_t x, unsigned width)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < width; i++, x >>= 1)
		r = (r << 1) | (x & 1);
	return r;
}

const char *crc_model_check(const struct crc_model *m)
{
	uint64_t mask;

	if (m->width < 1 || m->width > 64)
		return "CRC width must be 1..64";
	mask = width_mask(m->width);
	if (m->poly & ~mask)
		return "CRC poly does not fit in its width";
	if (m->init & ~mask)
		return "CRC init does not fit in its width";
	if (m->xorout & ~mask)
		return "CRC xorout does not fit in its width";
	if (m->refin != 0 && m->refin != 1)
		return "CRC refin must be 0 or 1";
	if (m->refout != 0 && m->refout != 1)
		return "CRC refout must be 0 or 1";
	return NULL;
}

static int same_model(const struct crc_model *a, const struct crc_model *b)
{
	return a->width == b->width && a->poly == b->poly && a->init == b->init &&
	       a->refin == b->refin && a->refout == b->refout && a->xorout == b->xorout;
}

/* ---- the CRC engine ------------------------------------------------------ */

/* Table 0 bit by bit, then each table k from table k-1 by one zero byte. */
static void crc_tables(struct crc *s)
{
	unsigned w = s->m.width;
	uint64_t rpoly = reflect(s->m.poly, w), tpoly = s->m.poly << (64 - w);

	for (unsigned i = 0; i < 256; i++) {
		uint64_t x = s->m.refin ? i : (uint64_t)i << 56;

		for (int bit = 0; bit < 8; bit++)
			if (s->m.refin)
				x = (x >> 1) ^ (x & 1 ? rpoly : 0);
			else
				x = (x << 1) ^ (x >> 63 ? tpoly : 0);
		s->t[0][i] = x;
	}
	for (int k = 1; k < 8; k++)
		for (unsigned i = 0; i < 256; i++) {
			uint64_t x = s->t[k - 1][i];

			s->t[k][i] = s->m.refin ? (x >> 8) ^ s->t[0][x & 0xff]
						: (x << 8) ^ s->t[0][x >> 56];
		}
}

static uint64_t load_le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	       (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static uint64_t load_be64(const unsigned char *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

static uint64_t crc_reflected(const struct crc *s, uint64_t r, const unsigned char *p, size_t n)
{
	const uint64_t(*t)[256] = s->t;

	for (; n >= 8; p += 8, n -= 8) {
		r ^= load_le64(p);
		r = t[7][r & 0xff] ^ t[6][(r >> 8) & 0xff] ^ t[5][(r >> 16) & 0xff] ^
		    t[4][(r >> 24) & 0xff] ^ t[3][(r >> 32) & 0xff] ^ t[2][(r >> 40) & 0xff] ^
		    t[1][(r >> 48) & 0xff] ^ t[0][r >> 56];
	}
	for (; n; p++, n--)
		r = (r >> 8) ^ t[0][(r ^ *p) & 0xff];
	return r;
}

static uint64_t crc_normal(const struct crc *s, uint64_t r, const unsigned char *p, size_t n)
{
	const uint64_t(*t)[256] = s->t;

	for (; n >= 8; p += 8, n -= 8) {
		r ^= load_be64(p);
		r = t[7][r >> 56] ^ t[6][(r >> 48) & 0xff] ^ t[5][(r >> 40) & 0xff] ^
		    t[4][(r >> 32) & 0xff] ^ t[3][(r >> 24) & 0xff] ^ t[2][(r >> 16) & 0xff] ^
		    t[1][(r >> 8) & 0xff] ^ t[0][r & 0xff];
	}
	for (; n; p++, n--)
		r = (r << 8) ^ t[0][(r >> 56) ^ *p];
	return r;
}

static void crc_update(struct crc *s, const unsigned char *p, size_t n)
{
	/* zlib's register is the reflected one, complemented (its xorout). */
	if (s->zlib)
		s->reg = crc32_z(s->reg ^ 0xffffffff, p, n) ^ 0xffffffff;
	else if (s->m.refin)
		s->reg = crc_reflected(s, s->reg, p, n);
	else
		s->reg = crc_normal(s, s->reg, p, n);
}

static uint64_t crc_byte(const struct crc *s, uint64_t r, unsigned char b)
{
	return s->m.refin ? (r >> 8) ^ s->t[0][(r ^ b) & 0xff] : (r << 8) ^ s->t[0][(r >> 56) ^ b];
}

static uint64_t gf2_times(const uint64_t m[64], uint64_t v)
{
	uint64_t r = 0;

	for (unsigned i = 0; v; i++, v >>= 1)
		if (v & 1)
			r ^= m[i];
	return r;
}

/* f = f o f: r -> M(M r + c) + c. */
static void affine_square(struct affine *f)
{
	uint64_t m[64];

	for (int i = 0; i < 64; i++)
		m[i] = gf2_times(f->m, f->m[i]);
	f->c = gf2_times(f->m, f->c) ^ f->c;
	memcpy(f->m, m, sizeof m);
}

/* Bits of a register outside its width (the low bits of an unreflected
 * one) stay zero, and M keeps them so; their columns are never used. */
static void crc_fill(struct crc *s, unsigned char byte, uint64_t n)
{
	struct affine f;
	uint64_t r = s->reg;

	if (n <= FILL_DIRECT) {
		unsigned char buf[FILL_DIRECT];

		memset(buf, byte, (size_t)n);
		crc_update(s, buf, (size_t)n);
		return;
	}
	for (int i = 0; i < 64; i++)
		f.m[i] = crc_byte(s, (uint64_t)1 << i, 0);
	f.c = crc_byte(s, 0, byte);
	/* The powers f^(2^k) commute, so the set bits of n apply in any order. */
	for (;;) {
		if (n & 1)
			r = gf2_times(f.m, r) ^ f.c;
		n >>= 1;
		if (!n)
			break;
		affine_square(&f);
	}
	s->reg = r;
}

/* The register in catalogue form: unreflected, then as refout and xorout say. */
static uint64_t crc_result(const struct crc *s)
{
	unsigned w = s->m.width;
	uint64_t r = s->m.refin ? reflect(s->reg, w) : s->reg >> (64 - w);

	if (s->m.refout)
		r = reflect(r, w);
	return r ^ s->m.xorout;
}

static struct crc *crc_new(const struct crc_model *m)
{
	struct crc *s = malloc(sizeof *s);

	if (!s)
		return NULL;
	s->m = *m;
	s->zlib = same_model(m, &presets[0]);
	s->reg = m->refin ? reflect(m->init, m->width) : m->init << (64 - m->width);
	crc_tables(s);
	return s;
}

/* ---- Adler-32 and the sum ------------------------------------------------- */

/* After byte x n times, a = a0 + n x and b = b0 + n a0 + x n(n+1)/2. */
static uint32_t adler_fill(uint32_t adler, unsigned char x, uint64_t n)
{
	uint64_t a = adler & 0xffff, b = adler >> 16, nm = n % ADLER_BASE;
	uint64_t tri = (uint64_t)((unsigned __int128)n * ((unsigned __int128)n + 1) / 2 %
				  ADLER_BASE);

	b = (b + nm * a + tri * x) % ADLER_BASE;
	a = (a + nm * x) % ADLER_BASE;
	return (uint32_t)(b << 16 | a);
}

static unsigned __int128 sum_bytes(const unsigned char *p, size_t n)
{
	unsigned __int128 total = 0;

	while (n) {
		size_t k = n < SUM_PIECE ? n : SUM_PIECE;
		uint64_t part = 0;

		for (size_t i = 0; i < k; i++)
			part += p[i];
		total += part;
		p += k;
		n -= k;
	}
	return total;
}

/* ---- the digests ---------------------------------------------------------- */

static const EVP_MD *digest_md(enum cksum_kind kind)
{
	switch (kind) {
	case CKSUM_MD5: return EVP_md5();
	case CKSUM_SHA1: return EVP_sha1();
	case CKSUM_SHA256: return EVP_sha256();
	case CKSUM_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

size_t cksum_digest_size(enum cksum_kind kind)
{
	switch (kind) {
	case CKSUM_MD5: return 16;
	case CKSUM_SHA1: return 20;
	case CKSUM_SHA256: return 32;
	case CKSUM_SHA512: return 64;
	default: return 0;
	}
}

/* 0, or an errno: ENOMEM, or ENOTSUP when this OpenSSL refuses the
 * algorithm (MD5 under a FIPS provider). */
static int digest_start(struct cksum *c, const EVP_MD *md)
{
	if (!(c->md = EVP_MD_CTX_new()))
		return ENOMEM;
	if (EVP_DigestInit_ex(c->md, md, NULL) != 1)
		return ENOTSUP;
	return 0;
}

static void digest_update(struct cksum *c, const void *p, size_t n)
{
	if (!c->spent && EVP_DigestUpdate(c->md, p, n) != 1)
		c->spent = 1;
}

static void digest_fill(struct cksum *c, unsigned char byte, uint64_t n)
{
	unsigned char buf[FILL_PIECE];

	memset(buf, byte, n < FILL_PIECE ? (size_t)n : FILL_PIECE);
	while (n > 0 && !c->spent) {
		size_t k = n < FILL_PIECE ? (size_t)n : FILL_PIECE;

		digest_update(c, buf, k);
		n -= k;
	}
}

/* ---- the interface -------------------------------------------------------- */

struct cksum *cksum_new(enum cksum_kind kind, const struct crc_model *m)
{
	struct cksum *c;
	const EVP_MD *md = digest_md(kind);
	int err;

	if ((unsigned)kind > CKSUM_SHA512 || (kind == CKSUM_CRC && (!m || crc_model_check(m)))) {
		errno = EINVAL;
		return NULL;
	}
	if (!(c = calloc(1, sizeof *c)))
		return NULL;
	c->kind = kind;
	c->adler = 1;
	if (kind == CKSUM_CRC && !(c->crc = crc_new(m))) {
		free(c);
		return NULL;
	}
	if (md && (err = digest_start(c, md)) != 0) {
		cksum_free(c);
		errno = err;
		return NULL;
	}
	return c;
}

void cksum_update(struct cksum *c, const void *p, size_t n)
{
	/* Also because zlib takes a null pointer as a request for its start value. */
	if (n == 0)
		return;
	switch (c->kind) {
	case CKSUM_CRC: crc_update(c->crc, p, n); break;
	case CKSUM_ADLER32: c->adler = (uint32_t)adler32_z(c->adler, p, n); break;
	case CKSUM_SUM: c->sum += sum_bytes(p, n); break;
	default: digest_update(c, p, n); break;
	}
}

void cksum_update_fill(struct cksum *c, unsigned char byte, uint64_t n)
{
	if (n == 0)
		return;
	switch (c->kind) {
	case CKSUM_CRC: crc_fill(c->crc, byte, n); break;
	case CKSUM_ADLER32: c->adler = adler_fill(c->adler, byte, n); break;
	case CKSUM_SUM: c->sum += (unsigned __int128)byte * n; break;
	default: digest_fill(c, byte, n); break;
	}
}

unsigned __int128 cksum_value(const struct cksum *c)
{
	switch (c->kind) {
	case CKSUM_CRC: return crc_result(c->crc);
	case CKSUM_ADLER32: return c->adler;
	case CKSUM_SUM: return c->sum;
	default: return 0;
	}
}

size_t cksum_digest(struct cksum *c, unsigned char out[CKSUM_DIGEST_MAX])
{
	unsigned int len = 0;

	if (!c->md || c->spent)
		return 0;
	c->spent = 1;
	if (EVP_DigestFinal_ex(c->md, out, &len) != 1)
		return 0;
	return len;
}

void cksum_free(struct cksum *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c->crc);
	free(c);
}

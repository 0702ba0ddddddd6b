/*
 * checksum.h -- the checksums of manifest fields (SPEC §8.4): any CRC of the
 * Rocksoft model from 1 to 64 bits with its named presets, Adler-32, the sum
 * of the bytes, and the digests MD5, SHA-1, SHA-256 and SHA-512.  Each takes
 * its bytes in pieces of any size, and a run of one byte in O(log n) steps
 * where the algorithm allows it (all but the digests), so a gap of a
 * terabyte of zeros costs nothing.
 */
#ifndef UTIL_CHECKSUM_H
#define UTIL_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* A CRC as the CRC catalogue (reveng) writes it: poly in normal, not
 * reflected, form without its x^width term; init the register before the
 * first byte, unreflected; refin: each byte enters least significant bit
 * first; refout: the register is reflected at the end; then xorout. */
struct crc_model {
	unsigned width;		/* 1..64 */
	uint64_t poly, init;
	int refin, refout;	/* 0 or 1 */
	uint64_t xorout;
};

/* The presets of SPEC §8.4, in its order: "crc32" (CRC-32/ISO-HDLC),
 * "crc32c" (CRC-32/ISCSI), "crc32_mpeg2" (CRC-32/MPEG-2), "crc16_xmodem"
 * (CRC-16/XMODEM), "crc16_ccitt" (CRC-16/IBM-3740), "crc16_modbus"
 * (CRC-16/MODBUS), "crc8" (CRC-8/SMBUS).  The names are also the words to
 * offer for a misspelt one (util/suggest.h). */
#define CRC_PRESETS 7
extern const char *const crc_preset_names[CRC_PRESETS];

/* The preset named name[0..len) exactly (case matters), or NULL. */
const struct crc_model *crc_preset(const char *name, size_t len);

/* NULL when m is a model cksum_new takes, else a static message saying
 * what is wrong ("CRC width must be 1..64", ...), for `crc(R,...)`. */
const char *crc_model_check(const struct crc_model *m);

enum cksum_kind {
	CKSUM_CRC,	/* a crc_model */
	CKSUM_ADLER32,	/* zlib's adler32() */
	CKSUM_SUM,	/* the bytes added as unsigned integers */
	CKSUM_MD5,
	CKSUM_SHA1,
	CKSUM_SHA256,
	CKSUM_SHA512
};

#define CKSUM_DIGEST_MAX 64	/* the longest digest, SHA-512's */

/* The length in bytes of kind's digest, known before any byte is fed (a
 * digest field's size); 0 for the kinds whose result is a number. */
size_t cksum_digest_size(enum cksum_kind kind);

struct cksum;

/* A checksum of no bytes yet; m is read for CKSUM_CRC only (and copied).
 * NULL with errno EINVAL for an unknown kind or a model crc_model_check
 * refuses, ENOMEM when out of memory, ENOTSUP when this OpenSSL refuses
 * the digest (MD5 under a FIPS provider). */
struct cksum *cksum_new(enum cksum_kind kind, const struct crc_model *m);

/* Feed p[0..n): the result is the same however the bytes are cut. */
void cksum_update(struct cksum *c, const void *p, size_t n);

/* Feed n copies of byte: O(log n) work for a CRC, the sum and Adler-32;
 * for a digest as fast as its bytes hash, from a small buffer. */
void cksum_update_fill(struct cksum *c, unsigned char byte, uint64_t n);

/* The CRC (catalogue form: reflected and xored as the model says), the
 * Adler-32 or the sum of the bytes fed so far; the checksum may be fed
 * further afterwards.  0 for a digest. */
unsigned __int128 cksum_value(const struct cksum *c);

/* A digest's bytes into out; returns their number (cksum_digest_size), or
 * 0 for a kind that is no digest, a second call, or when OpenSSL failed
 * while hashing.  It ends the digest: nothing may be fed after it. */
size_t cksum_digest(struct cksum *c, unsigned char out[CKSUM_DIGEST_MAX]);

void cksum_free(struct cksum *c);

#endif

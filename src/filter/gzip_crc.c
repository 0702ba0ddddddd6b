/*
 * gzip_crc.c -- the CRC-32 of gzip (zlib's crc32()), faster on x86-64
 * with carry-less multiplication.
 *
 * Model.  The CRC of the bulk of a buffer is folded 64 bytes at a time
 * with PCLMULQDQ, as in Intel's white paper "Fast CRC Computation for
 * Generic Polynomials Using PCLMULQDQ Instruction" (2009): four 128-bit
 * accumulators are each multiplied by x^(512+-32) mod P and the next 64
 * bytes added; at the end they are folded into one, reduced to 64 and 32
 * bits, and a Barrett reduction gives the CRC.  The constants are those of
 * the reflected polynomial 0xedb88320.  What is left (under 16 bytes), and
 * everything on a CPU without PCLMULQDQ and SSE4.1, goes to zlib.  The
 * result is the same either way: a CRC is a function of the bytes.
 */
#include "filter/gzip_crc.h"

#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define FOLD_MIN 64	/* the folding loop wants at least this much */

/* The CRC of p[0..n), n >= FOLD_MIN and a multiple of 16, continuing crc
 * (as crc32(), pre- and post-conditioned). */
__attribute__((target("pclmul,sse4.1")))
static uint32_t crc32_fold(uint32_t crc, const unsigned char *p, size_t n)
{
	const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
	const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
	const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124);
	const __m128i poly = _mm_set_epi64x(0x1f7011641, 0x1db710641);
	const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i x0, x1, x2, x3, t;

	x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p),
			   _mm_cvtsi32_si128((int)~crc));
	x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	p += 64;
	n -= 64;

	/* Fold 64 bytes at a time into the four accumulators. */
#define FOLD(x, k, next)                                                          \
	do {                                                                      \
		t = _mm_clmulepi64_si128((x), (k), 0x00);                         \
		(x) = _mm_clmulepi64_si128((x), (k), 0x11);                       \
		(x) = _mm_xor_si128(_mm_xor_si128((x), t), (next));               \
	} while (0)
	while (n >= 64) {
		FOLD(x0, k1k2, _mm_loadu_si128((const __m128i *)p));
		FOLD(x1, k1k2, _mm_loadu_si128((const __m128i *)(p + 16)));
		FOLD(x2, k1k2, _mm_loadu_si128((const __m128i *)(p + 32)));
		FOLD(x3, k1k2, _mm_loadu_si128((const __m128i *)(p + 48)));
		p += 64;
		n -= 64;
	}

	/* Four accumulators into one, then 16 bytes at a time. */
	FOLD(x0, k3k4, x1);
	FOLD(x0, k3k4, x2);
	FOLD(x0, k3k4, x3);
	while (n >= 16) {
		FOLD(x0, k3k4, _mm_loadu_si128((const __m128i *)p));
		p += 16;
		n -= 16;
	}
#undef FOLD

	/* 128 bits to 64, then to 32 (appending 32 zero bits). */
	t = _mm_clmulepi64_si128(k3k4, x0, 0x01);
	x0 = _mm_xor_si128(_mm_srli_si128(x0, 8), t);
	t = _mm_srli_si128(x0, 4);
	x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), k5, 0x00);
	x0 = _mm_xor_si128(x0, t);

	/* Barrett reduction to the 32-bit remainder. */
	t = x0;
	x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), poly, 0x10);
	x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), poly, 0x00);
	x0 = _mm_xor_si128(x0, t);
	return ~(uint32_t)_mm_extract_epi32(x0, 1);
}

uint32_t gzip_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	if (n >= FOLD_MIN && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1")) {
		size_t bulk = n & ~(size_t)15;

		crc = crc32_fold(crc, p, bulk);
		p += bulk;
		n -= bulk;
	}
	return (uint32_t)crc32_z(crc, p, n);
}

#else

uint32_t gzip_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	return (uint32_t)crc32_z(crc, p, n);
}

#endif

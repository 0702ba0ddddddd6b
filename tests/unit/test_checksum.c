/*
 * test_checksum.c -- the checksums of SPEC §8.4 against values this code
 * did not make:
 *  - every CRC of width 1..64 in the CRC RevEng catalogue (reveng.
 *    sourceforge.io/crc-catalogue), each over "123456789" against the
 *    catalogue's check value, the seven presets among them;
 *  - a bit-at-a-time CRC written here straight from the Rocksoft model
 *    (itself checked against the catalogue), over random bytes, for the
 *    catalogue's models and random ones of every width;
 *  - Adler-32 and the digests against the known vectors (as zlib,
 *    md5sum, sha1sum, sha256sum and sha512sum give them);
 *  - a run of one byte against the same bytes fed as a buffer, and a
 *    terabyte of zeros against zlib's crc32_combine and adler32_combine;
 *  - the same value however the input is cut.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "unit.h"
#include "util/checksum.h"

#define CHECK_STRING "123456789"
#define TIB ((uint64_t)1 << 40)

struct catalogued {
	const char *name;
	struct crc_model m;
	uint64_t check;
};

/* The catalogue's models of width 64 or less, as it lists them. */
static const struct catalogued catalogue[] = {
	{ "CRC-3/GSM", { 3, 0x3, 0, 0, 0, 0x7 }, 0x4 },
	{ "CRC-3/ROHC", { 3, 0x3, 0x7, 1, 1, 0 }, 0x6 },
	{ "CRC-4/G-704", { 4, 0x3, 0, 1, 1, 0 }, 0x7 },
	{ "CRC-4/INTERLAKEN", { 4, 0x3, 0xf, 0, 0, 0xf }, 0xb },
	{ "CRC-5/EPC-C1G2", { 5, 0x09, 0x09, 0, 0, 0 }, 0 },
	{ "CRC-5/G-704", { 5, 0x15, 0, 1, 1, 0 }, 0x07 },
	{ "CRC-5/USB", { 5, 0x05, 0x1f, 1, 1, 0x1f }, 0x19 },
	{ "CRC-6/CDMA2000-A", { 6, 0x27, 0x3f, 0, 0, 0 }, 0x0d },
	{ "CRC-6/CDMA2000-B", { 6, 0x07, 0x3f, 0, 0, 0 }, 0x3b },
	{ "CRC-6/DARC", { 6, 0x19, 0, 1, 1, 0 }, 0x26 },
	{ "CRC-6/G-704", { 6, 0x03, 0, 1, 1, 0 }, 0x06 },
	{ "CRC-6/GSM", { 6, 0x2f, 0, 0, 0, 0x3f }, 0x13 },
	{ "CRC-7/MMC", { 7, 0x09, 0, 0, 0, 0 }, 0x75 },
	{ "CRC-7/ROHC", { 7, 0x4f, 0x7f, 1, 1, 0 }, 0x53 },
	{ "CRC-7/UMTS", { 7, 0x45, 0, 0, 0, 0 }, 0x61 },
	{ "CRC-8/AUTOSAR", { 8, 0x2f, 0xff, 0, 0, 0xff }, 0xdf },
	{ "CRC-8/BLUETOOTH", { 8, 0xa7, 0, 1, 1, 0 }, 0x26 },
	{ "CRC-8/CDMA2000", { 8, 0x9b, 0xff, 0, 0, 0 }, 0xda },
	{ "CRC-8/DARC", { 8, 0x39, 0, 1, 1, 0 }, 0x15 },
	{ "CRC-8/DVB-S2", { 8, 0xd5, 0, 0, 0, 0 }, 0xbc },
	{ "CRC-8/GSM-A", { 8, 0x1d, 0, 0, 0, 0 }, 0x37 },
	{ "CRC-8/GSM-B", { 8, 0x49, 0, 0, 0, 0xff }, 0x94 },
	{ "CRC-8/HITAG", { 8, 0x1d, 0xff, 0, 0, 0 }, 0xb4 },
	{ "CRC-8/I-432-1", { 8, 0x07, 0, 0, 0, 0x55 }, 0xa1 },
	{ "CRC-8/I-CODE", { 8, 0x1d, 0xfd, 0, 0, 0 }, 0x7e },
	{ "CRC-8/LTE", { 8, 0x9b, 0, 0, 0, 0 }, 0xea },
	{ "CRC-8/MAXIM-DOW", { 8, 0x31, 0, 1, 1, 0 }, 0xa1 },
	{ "CRC-8/MIFARE-MAD", { 8, 0x1d, 0xc7, 0, 0, 0 }, 0x99 },
	{ "CRC-8/NRSC-5", { 8, 0x31, 0xff, 0, 0, 0 }, 0xf7 },
	{ "CRC-8/OPENSAFETY", { 8, 0x2f, 0, 0, 0, 0 }, 0x3e },
	{ "CRC-8/ROHC", { 8, 0x07, 0xff, 1, 1, 0 }, 0xd0 },
	{ "CRC-8/SAE-J1850", { 8, 0x1d, 0xff, 0, 0, 0xff }, 0x4b },
	{ "CRC-8/SMBUS", { 8, 0x07, 0, 0, 0, 0 }, 0xf4 },
	{ "CRC-8/TECH-3250", { 8, 0x1d, 0xff, 1, 1, 0 }, 0x97 },
	{ "CRC-8/WCDMA", { 8, 0x9b, 0, 1, 1, 0 }, 0x25 },
	{ "CRC-10/ATM", { 10, 0x233, 0, 0, 0, 0 }, 0x199 },
	{ "CRC-10/CDMA2000", { 10, 0x3d9, 0x3ff, 0, 0, 0 }, 0x233 },
	{ "CRC-10/GSM", { 10, 0x175, 0, 0, 0, 0x3ff }, 0x12a },
	{ "CRC-11/FLEXRAY", { 11, 0x385, 0x01a, 0, 0, 0 }, 0x5a3 },
	{ "CRC-11/UMTS", { 11, 0x307, 0, 0, 0, 0 }, 0x061 },
	{ "CRC-12/CDMA2000", { 12, 0xf13, 0xfff, 0, 0, 0 }, 0xd4d },
	{ "CRC-12/DECT", { 12, 0x80f, 0, 0, 0, 0 }, 0xf5b },
	{ "CRC-12/GSM", { 12, 0xd31, 0, 0, 0, 0xfff }, 0xb34 },
	{ "CRC-12/UMTS", { 12, 0x80f, 0, 0, 1, 0 }, 0xdaf },
	{ "CRC-13/BBC", { 13, 0x1cf5, 0, 0, 0, 0 }, 0x04fa },
	{ "CRC-14/DARC", { 14, 0x0805, 0, 1, 1, 0 }, 0x082d },
	{ "CRC-14/GSM", { 14, 0x202d, 0, 0, 0, 0x3fff }, 0x30ae },
	{ "CRC-15/CAN", { 15, 0x4599, 0, 0, 0, 0 }, 0x059e },
	{ "CRC-15/MPT1327", { 15, 0x6815, 0, 0, 0, 0x0001 }, 0x2566 },
	{ "CRC-16/ARC", { 16, 0x8005, 0, 1, 1, 0 }, 0xbb3d },
	{ "CRC-16/CDMA2000", { 16, 0xc867, 0xffff, 0, 0, 0 }, 0x4c06 },
	{ "CRC-16/CMS", { 16, 0x8005, 0xffff, 0, 0, 0 }, 0xaee7 },
	{ "CRC-16/DDS-110", { 16, 0x8005, 0x800d, 0, 0, 0 }, 0x9ecf },
	{ "CRC-16/DECT-R", { 16, 0x0589, 0, 0, 0, 0x0001 }, 0x007e },
	{ "CRC-16/DECT-X", { 16, 0x0589, 0, 0, 0, 0 }, 0x007f },
	{ "CRC-16/DNP", { 16, 0x3d65, 0, 1, 1, 0xffff }, 0xea82 },
	{ "CRC-16/EN-13757", { 16, 0x3d65, 0, 0, 0, 0xffff }, 0xc2b7 },
	{ "CRC-16/GENIBUS", { 16, 0x1021, 0xffff, 0, 0, 0xffff }, 0xd64e },
	{ "CRC-16/GSM", { 16, 0x1021, 0, 0, 0, 0xffff }, 0xce3c },
	{ "CRC-16/IBM-3740", { 16, 0x1021, 0xffff, 0, 0, 0 }, 0x29b1 },
	{ "CRC-16/IBM-SDLC", { 16, 0x1021, 0xffff, 1, 1, 0xffff }, 0x906e },
	{ "CRC-16/ISO-IEC-14443-3-A", { 16, 0x1021, 0xc6c6, 1, 1, 0 }, 0xbf05 },
	{ "CRC-16/KERMIT", { 16, 0x1021, 0, 1, 1, 0 }, 0x2189 },
	{ "CRC-16/LJ1200", { 16, 0x6f63, 0, 0, 0, 0 }, 0xbdf4 },
	{ "CRC-16/M17", { 16, 0x5935, 0xffff, 0, 0, 0 }, 0x772b },
	{ "CRC-16/MAXIM-DOW", { 16, 0x8005, 0, 1, 1, 0xffff }, 0x44c2 },
	{ "CRC-16/MCRF4XX", { 16, 0x1021, 0xffff, 1, 1, 0 }, 0x6f91 },
	{ "CRC-16/MODBUS", { 16, 0x8005, 0xffff, 1, 1, 0 }, 0x4b37 },
	{ "CRC-16/NRSC-5", { 16, 0x080b, 0xffff, 1, 1, 0 }, 0xa066 },
	{ "CRC-16/OPENSAFETY-A", { 16, 0x5935, 0, 0, 0, 0 }, 0x5d38 },
	{ "CRC-16/OPENSAFETY-B", { 16, 0x755b, 0, 0, 0, 0 }, 0x20fe },
	{ "CRC-16/PROFIBUS", { 16, 0x1dcf, 0xffff, 0, 0, 0xffff }, 0xa819 },
	{ "CRC-16/RIELLO", { 16, 0x1021, 0xb2aa, 1, 1, 0 }, 0x63d0 },
	{ "CRC-16/SPI-FUJITSU", { 16, 0x1021, 0x1d0f, 0, 0, 0 }, 0xe5cc },
	{ "CRC-16/T10-DIF", { 16, 0x8bb7, 0, 0, 0, 0 }, 0xd0db },
	{ "CRC-16/TELEDISK", { 16, 0xa097, 0, 0, 0, 0 }, 0x0fb3 },
	{ "CRC-16/TMS37157", { 16, 0x1021, 0x89ec, 1, 1, 0 }, 0x26b1 },
	{ "CRC-16/UMTS", { 16, 0x8005, 0, 0, 0, 0 }, 0xfee8 },
	{ "CRC-16/USB", { 16, 0x8005, 0xffff, 1, 1, 0xffff }, 0xb4c8 },
	{ "CRC-16/XMODEM", { 16, 0x1021, 0, 0, 0, 0 }, 0x31c3 },
	{ "CRC-17/CAN-FD", { 17, 0x1685b, 0, 0, 0, 0 }, 0x04f03 },
	{ "CRC-21/CAN-FD", { 21, 0x102899, 0, 0, 0, 0 }, 0x0ed841 },
	{ "CRC-24/BLE", { 24, 0x00065b, 0x555555, 1, 1, 0 }, 0xc25a56 },
	{ "CRC-24/FLEXRAY-A", { 24, 0x5d6dcb, 0xfedcba, 0, 0, 0 }, 0x7979bd },
	{ "CRC-24/FLEXRAY-B", { 24, 0x5d6dcb, 0xabcdef, 0, 0, 0 }, 0x1f23b8 },
	{ "CRC-24/INTERLAKEN", { 24, 0x328b63, 0xffffff, 0, 0, 0xffffff }, 0xb4f3e6 },
	{ "CRC-24/LTE-A", { 24, 0x864cfb, 0, 0, 0, 0 }, 0xcde703 },
	{ "CRC-24/LTE-B", { 24, 0x800063, 0, 0, 0, 0 }, 0x23ef52 },
	{ "CRC-24/OPENPGP", { 24, 0x864cfb, 0xb704ce, 0, 0, 0 }, 0x21cf02 },
	{ "CRC-24/OS-9", { 24, 0x800063, 0xffffff, 0, 0, 0xffffff }, 0x200fa5 },
	{ "CRC-30/CDMA", { 30, 0x2030b9c7, 0x3fffffff, 0, 0, 0x3fffffff }, 0x04c34abf },
	{ "CRC-31/PHILIPS", { 31, 0x04c11db7, 0x7fffffff, 0, 0, 0x7fffffff }, 0x0ce9e46c },
	{ "CRC-32/AIXM", { 32, 0x814141ab, 0, 0, 0, 0 }, 0x3010bf7f },
	{ "CRC-32/AUTOSAR", { 32, 0xf4acfb13, 0xffffffff, 1, 1, 0xffffffff }, 0x1697d06a },
	{ "CRC-32/BASE91-D", { 32, 0xa833982b, 0xffffffff, 1, 1, 0xffffffff }, 0x87315576 },
	{ "CRC-32/BZIP2", { 32, 0x04c11db7, 0xffffffff, 0, 0, 0xffffffff }, 0xfc891918 },
	{ "CRC-32/CD-ROM-EDC", { 32, 0x8001801b, 0, 1, 1, 0 }, 0x6ec2edc4 },
	{ "CRC-32/CKSUM", { 32, 0x04c11db7, 0, 0, 0, 0xffffffff }, 0x765e7680 },
	{ "CRC-32/ISCSI", { 32, 0x1edc6f41, 0xffffffff, 1, 1, 0xffffffff }, 0xe3069283 },
	{ "CRC-32/ISO-HDLC", { 32, 0x04c11db7, 0xffffffff, 1, 1, 0xffffffff }, 0xcbf43926 },
	{ "CRC-32/JAMCRC", { 32, 0x04c11db7, 0xffffffff, 1, 1, 0 }, 0x340bc6d9 },
	{ "CRC-32/MEF", { 32, 0x741b8cd7, 0xffffffff, 1, 1, 0 }, 0xd2c22f51 },
	{ "CRC-32/MPEG-2", { 32, 0x04c11db7, 0xffffffff, 0, 0, 0 }, 0x0376e6e7 },
	{ "CRC-32/XFER", { 32, 0x000000af, 0, 0, 0, 0 }, 0xbd0be338 },
	{ "CRC-40/GSM", { 40, 0x0004820009, 0, 0, 0, 0xffffffffff }, 0xd4164fc646 },
	{ "CRC-64/ECMA-182", { 64, 0x42f0e1eba9ea3693, 0, 0, 0, 0 }, 0x6c40df5f0b497347 },
	{ "CRC-64/GO-ISO", { 64, 0x000000000000001b, 0xffffffffffffffff, 1, 1, 0xffffffffffffffff },
	  0xb90956c775a41001 },
	{ "CRC-64/MS", { 64, 0x259c84cba6426349, 0xffffffffffffffff, 1, 1, 0 },
	  0x75d4b74f024eceea },
	{ "CRC-64/REDIS", { 64, 0xad93d23594c935a9, 0, 1, 1, 0 }, 0xe9c6d914c4b8d9ca },
	{ "CRC-64/WE", { 64, 0x42f0e1eba9ea3693, 0xffffffffffffffff, 0, 0, 0xffffffffffffffff },
	  0x62ec59e3f1a4f00a },
	{ "CRC-64/XZ", { 64, 0x42f0e1eba9ea3693, 0xffffffffffffffff, 1, 1, 0xffffffffffffffff },
	  0x995dc9bbdf1939fa },
};

#define NCATALOGUE (sizeof catalogue / sizeof catalogue[0])

static uint64_t rnd64(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *st = x;
}

static void fill_random(uint64_t *st, unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(rnd64(st) >> 56);
}

static void check_u64(const char *what, const char *name, uint64_t got, uint64_t want)
{
	unit_checks++;
	if (got != want) {
		unit_failures++;
		fprintf(stderr, "%s, %s: 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", what, name, got,
			want);
	}
}

static struct cksum *xcksum(enum cksum_kind kind, const struct crc_model *m)
{
	struct cksum *c = cksum_new(kind, m);

	if (!c) {
		perror("test_checksum: cksum_new");
		exit(1);
	}
	return c;
}

/* ---- a CRC the slow way ----------------------------------------------- */

static uint64_t mask_of(unsigned width)
{
	return width == 64 ? UINT64_MAX : ((uint64_t)1 << width) - 1;
}

static uint64_t reversed(uint64_t x, unsigned width)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < width; i++)
		if (x & (uint64_t)1 << i)
			r |= (uint64_t)1 << (width - 1 - i);
	return r;
}

/* The Rocksoft model as Williams states it: each message bit, most
 * significant first (least with refin), goes into the top of the register. */
static uint64_t slow_crc(const struct crc_model *m, const unsigned char *p, size_t n)
{
	uint64_t reg = m->init, top = (uint64_t)1 << (m->width - 1);

	for (size_t i = 0; i < n; i++) {
		unsigned byte = m->refin ? (unsigned)reversed(p[i], 8) : p[i];

		for (int bit = 7; bit >= 0; bit--) {
			int out = !!(reg & top) ^ ((byte >> bit) & 1);

			reg = (reg << 1) & mask_of(m->width);
			if (out)
				reg ^= m->poly;
		}
	}
	if (m->refout)
		reg = reversed(reg, m->width);
	return reg ^ m->xorout;
}

static uint64_t crc_of(const struct crc_model *m, const void *p, size_t n)
{
	struct cksum *c = xcksum(CKSUM_CRC, m);
	uint64_t v;

	cksum_update(c, p, n);
	v = (uint64_t)cksum_value(c);
	cksum_free(c);
	return v;
}

static struct crc_model random_model(uint64_t *st, unsigned width, int refin, int refout)
{
	struct crc_model m = { width, 0, 0, refin, refout, 0 };

	m.poly = (rnd64(st) & mask_of(width)) | 1;
	m.init = rnd64(st) & mask_of(width);
	m.xorout = rnd64(st) & mask_of(width);
	return m;
}

/* ---- the tests -------------------------------------------------------- */

static void test_catalogue(void)
{
	for (size_t i = 0; i < NCATALOGUE; i++) {
		const struct catalogued *e = &catalogue[i];
		struct cksum *c;

		CHECK(crc_model_check(&e->m) == NULL);
		check_u64("slow_crc(123456789)", e->name,
			  slow_crc(&e->m, (const unsigned char *)CHECK_STRING, 9), e->check);
		check_u64("crc(123456789)", e->name, crc_of(&e->m, CHECK_STRING, 9), e->check);
		c = xcksum(CKSUM_CRC, &e->m);
		for (int k = 0; k < 9; k++)
			cksum_update(c, &CHECK_STRING[k], 1);
		check_u64("crc(123456789) a byte at a time", e->name, (uint64_t)cksum_value(c),
			  e->check);
		cksum_free(c);
	}
}

static const struct catalogued *catalogued(const char *name)
{
	for (size_t i = 0; i < NCATALOGUE; i++)
		if (strcmp(catalogue[i].name, name) == 0)
			return &catalogue[i];
	fprintf(stderr, "test_checksum: %s is not in the catalogue\n", name);
	exit(1);
}

static void test_presets(void)
{
	static const struct {
		const char *preset, *name;
		uint64_t check;
	} spec[CRC_PRESETS] = {
		{ "crc32", "CRC-32/ISO-HDLC", 0xcbf43926 },
		{ "crc32c", "CRC-32/ISCSI", 0xe3069283 },
		{ "crc32_mpeg2", "CRC-32/MPEG-2", 0x0376e6e7 },
		{ "crc16_xmodem", "CRC-16/XMODEM", 0x31c3 },
		{ "crc16_ccitt", "CRC-16/IBM-3740", 0x29b1 },
		{ "crc16_modbus", "CRC-16/MODBUS", 0x4b37 },
		{ "crc8", "CRC-8/SMBUS", 0xf4 },
	};

	for (int i = 0; i < CRC_PRESETS; i++) {
		const struct crc_model *m = crc_preset(spec[i].preset, strlen(spec[i].preset));
		const struct crc_model *want = &catalogued(spec[i].name)->m;

		CHECK_STR(crc_preset_names[i], spec[i].preset);
		if (!CHECK(m != NULL))
			continue;
		CHECK(m->width == want->width && m->poly == want->poly && m->init == want->init &&
		      m->refin == want->refin && m->refout == want->refout &&
		      m->xorout == want->xorout);
		check_u64("preset check value", spec[i].preset, crc_of(m, CHECK_STRING, 9),
			  spec[i].check);
	}
	/* The name is a length, not a C string: a prefix of a longer token. */
	CHECK(crc_preset("crc32c(kernel)", 6) == crc_preset("crc32c", 6));
	CHECK(crc_preset("crc32c", 5) == crc_preset("crc32", 5));
	CHECK(crc_preset("crc32", 5) != crc_preset("crc32c", 6));
	CHECK(crc_preset("crc", 3) == NULL);
	CHECK(crc_preset("CRC32", 5) == NULL);
	CHECK(crc_preset("crc16", 5) == NULL);
	CHECK(crc_preset("", 0) == NULL);
}

/* Width 1 with poly 1 is the parity of the message bits. */
static void test_parity(void)
{
	struct crc_model parity = { 1, 1, 0, 0, 0, 0 };

	CHECK_INT(crc_of(&parity, CHECK_STRING, 9), 1);
	CHECK_INT(crc_of(&parity, "\x03", 1), 0);
	CHECK_INT(crc_of(&parity, "\x07\x00", 2), 1);
	CHECK_INT(crc_of(&parity, "", 0), 0);
}

/* Random bytes through the catalogue's models and random models of every
 * width, against slow_crc. */
static void test_against_slow(void)
{
	uint64_t st = 0x9e3779b97f4a7c15;
	unsigned char buf[300];
	char name[64];

	for (size_t i = 0; i < NCATALOGUE; i++) {
		size_t n = (size_t)(rnd64(&st) % sizeof buf);

		fill_random(&st, buf, n);
		check_u64("random bytes", catalogue[i].name, crc_of(&catalogue[i].m, buf, n),
			  slow_crc(&catalogue[i].m, buf, n));
	}
	for (unsigned width = 1; width <= 64; width++)
		for (int r = 0; r < 4; r++)
			for (int round = 0; round < 4; round++) {
				struct crc_model m = random_model(&st, width, r & 1, r >> 1);
				size_t n = (size_t)(rnd64(&st) % sizeof buf);

				fill_random(&st, buf, n);
				snprintf(name, sizeof name,
					 "width %u refin %d refout %d, %zu bytes", width, m.refin,
					 m.refout, n);
				check_u64("random model", name, crc_of(&m, buf, n),
					  slow_crc(&m, buf, n));
			}
}

/* The checksum of the bytes fed in random pieces (empty ones too). */
static void feed_cut(struct cksum *c, uint64_t *st, const unsigned char *p, size_t n, int tiny)
{
	while (n) {
		size_t k = (size_t)(rnd64(st) % (tiny ? 3 : 700));

		if (k > n)
			k = n;
		cksum_update(c, p, k);
		p += k;
		n -= k;
	}
}

static void test_chunking(void)
{
	static const enum cksum_kind kinds[] = {
		CKSUM_ADLER32, CKSUM_SUM, CKSUM_MD5, CKSUM_SHA1, CKSUM_SHA256, CKSUM_SHA512,
	};
	uint64_t st = 12345;
	size_t n = 5000;
	unsigned char *buf = unit_xmalloc(n), whole[CKSUM_DIGEST_MAX], cut[CKSUM_DIGEST_MAX];

	fill_random(&st, buf, n);
	for (size_t i = 0; i < NCATALOGUE; i++) {
		uint64_t want = crc_of(&catalogue[i].m, buf, n);

		for (int tiny = 0; tiny < 2; tiny++) {
			struct cksum *c = xcksum(CKSUM_CRC, &catalogue[i].m);

			feed_cut(c, &st, buf, n, tiny);
			check_u64("cut input", catalogue[i].name, (uint64_t)cksum_value(c), want);
			cksum_free(c);
		}
	}
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct cksum *a = xcksum(kinds[i], NULL), *b = xcksum(kinds[i], NULL);
		size_t len = cksum_digest_size(kinds[i]);

		cksum_update(a, buf, n);
		feed_cut(b, &st, buf, n, 0);
		CHECK(cksum_value(a) == cksum_value(b));
		CHECK(cksum_digest(a, whole) == len && cksum_digest(b, cut) == len);
		CHECK(len == 0 || memcmp(whole, cut, len) == 0);
		cksum_free(a);
		cksum_free(b);
	}
	free(buf);
}

/* A run of one byte against the same bytes as a buffer, between random
 * bytes before and after, for n across the direct and the squaring path. */
static void check_fill(const char *name, enum cksum_kind kind, const struct crc_model *m,
		       uint64_t *st, unsigned char *buf, uint64_t n)
{
	static const unsigned char bytes[] = { 0x00, 0xff, 0xa5 };
	unsigned char head[5], tail[3], d1[CKSUM_DIGEST_MAX], d2[CKSUM_DIGEST_MAX];
	char what[80];

	fill_random(st, head, sizeof head);
	fill_random(st, tail, sizeof tail);
	for (size_t b = 0; b < sizeof bytes; b++) {
		struct cksum *fed = xcksum(kind, m), *run = xcksum(kind, m);

		memset(buf, bytes[b], (size_t)n);
		cksum_update(fed, head, sizeof head);
		cksum_update(fed, buf, (size_t)n);
		cksum_update(fed, tail, sizeof tail);
		cksum_update(run, head, sizeof head);
		cksum_update_fill(run, bytes[b], n);
		cksum_update(run, tail, sizeof tail);
		snprintf(what, sizeof what, "%" PRIu64 " bytes 0x%02x", n, bytes[b]);
		check_u64(what, name, (uint64_t)cksum_value(run), (uint64_t)cksum_value(fed));
		if (cksum_digest_size(kind)) {
			CHECK(cksum_digest(fed, d1) == cksum_digest_size(kind));
			CHECK(cksum_digest(run, d2) == cksum_digest_size(kind));
			CHECK_MEM(d1, d2, cksum_digest_size(kind));
		}
		cksum_free(fed);
		cksum_free(run);
	}
}

#define MAX_FILL (1 << 20)

static void test_fill(void)
{
	static const unsigned widths[] = { 1, 3, 5, 7, 8, 12, 16, 31, 32, 40, 64 };
	static const uint64_t ns[] = {
		0, 1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 258, 300, 511, 4096, 65537,
	};
	static const enum cksum_kind kinds[] = { CKSUM_ADLER32, CKSUM_SUM, CKSUM_SHA256 };
	static const char *const named[] = {
		"CRC-32/ISO-HDLC", "CRC-32/ISCSI", "CRC-12/UMTS", "CRC-64/XZ", "CRC-5/USB",
		"CRC-3/GSM",
	};
	uint64_t st = 777, n[sizeof ns / sizeof ns[0] + 3];
	unsigned char *buf = unit_xmalloc(MAX_FILL);
	char name[64];

	memcpy(n, ns, sizeof ns);
	for (size_t i = sizeof ns / sizeof ns[0]; i < sizeof n / sizeof n[0]; i++)
		n[i] = rnd64(&st) % MAX_FILL;
	for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
		for (int r = 0; r < 4; r++) {
			struct crc_model m = random_model(&st, widths[w], r & 1, r >> 1);

			snprintf(name, sizeof name, "width %u refin %d refout %d", m.width, m.refin,
				 m.refout);
			for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
				check_fill(name, CKSUM_CRC, &m, &st, buf, n[i]);
		}
	for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
		for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
			check_fill(named[k], CKSUM_CRC, &catalogued(named[k])->m, &st, buf, n[i]);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
			check_fill("not a CRC", kinds[k], NULL, &st, buf, n[i]);
	free(buf);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A tebibyte of zeros, in a moment, against zlib's own way of appending
 * zeros (crc32_combine, adler32_combine), doubled from a mebibyte. */
static void test_fill_huge(void)
{
	unsigned char *zeros = calloc(1, 1 << 20);
	uLong crc, adler;
	uint64_t len;
	struct cksum *c = xcksum(CKSUM_CRC, crc_preset("crc32", 5));
	struct cksum *a = xcksum(CKSUM_ADLER32, NULL), *s = xcksum(CKSUM_SUM, NULL);
	struct cksum *x1 = xcksum(CKSUM_CRC, &catalogued("CRC-64/ECMA-182")->m);
	struct cksum *x2 = xcksum(CKSUM_CRC, &catalogued("CRC-64/ECMA-182")->m);
	double t0;

	if (!zeros) {
		fprintf(stderr, "test_checksum: out of memory\n");
		exit(1);
	}
	crc = crc32(0, zeros, 1 << 20);
	adler = adler32(1, zeros, 1 << 20);
	for (len = 1 << 20; len < TIB; len *= 2) {
		crc = crc32_combine(crc, crc, (z_off_t)len);
		adler = adler32_combine(adler, adler, (z_off_t)len);
	}
	t0 = seconds();
	cksum_update_fill(c, 0, TIB);
	cksum_update_fill(a, 0, TIB);
	cksum_update_fill(s, 0xff, TIB);
	cksum_update_fill(x1, 0x5a, TIB);
	cksum_update_fill(x1, 0x5a, TIB + 12345);
	cksum_update_fill(x2, 0x5a, 2 * TIB + 12345);
	cksum_update_fill(x2, 0x5a, UINT64_MAX);
	CHECK(seconds() - t0 < 2.0);
	check_u64("a TiB of zeros", "crc32", (uint64_t)cksum_value(c), crc);
	check_u64("a TiB of zeros", "adler32", (uint64_t)cksum_value(a), adler);
	CHECK(cksum_value(s) == (unsigned __int128)255 * TIB);
	cksum_update_fill(x1, 0x5a, UINT64_MAX);
	check_u64("2 TiB and 12345 as two runs", "CRC-64/ECMA-182", (uint64_t)cksum_value(x1),
		  (uint64_t)cksum_value(x2));
	/* The sum does not wrap at 2^64. */
	cksum_update_fill(s, 0xff, UINT64_MAX);
	CHECK(cksum_value(s) == (unsigned __int128)255 * TIB + (unsigned __int128)255 * UINT64_MAX);
	cksum_free(c);
	cksum_free(a);
	cksum_free(s);
	cksum_free(x1);
	cksum_free(x2);
	free(zeros);
}

static void test_adler_sum(void)
{
	struct cksum *a = xcksum(CKSUM_ADLER32, NULL), *s = xcksum(CKSUM_SUM, NULL);
	struct cksum *c = xcksum(CKSUM_CRC, crc_preset("crc32", 5));

	CHECK(cksum_value(a) == 1);
	CHECK(cksum_value(s) == 0);
	CHECK(cksum_value(c) == 0);
	cksum_update(a, CHECK_STRING, 9);
	cksum_update(s, CHECK_STRING, 9);
	check_u64("check value", "adler32", (uint64_t)cksum_value(a), 0x091e01de);
	check_u64("check value", "sum", (uint64_t)cksum_value(s), 477);
	cksum_free(a);
	cksum_free(s);
	/* A million 'a', as Python's zlib.adler32 and zlib.crc32 give them. */
	a = xcksum(CKSUM_ADLER32, NULL);
	cksum_update_fill(a, 'a', 1000000);
	cksum_update_fill(c, 'a', 1000000);
	check_u64("a million 'a'", "adler32", (uint64_t)cksum_value(a), 0x15d870f9);
	check_u64("a million 'a'", "crc32", (uint64_t)cksum_value(c), 0xdc25bfbc);
	cksum_free(a);
	cksum_free(c);
}

static void digest_is(enum cksum_kind kind, const char *text, uint64_t times, const char *hex)
{
	struct cksum *c = xcksum(kind, NULL);
	unsigned char d[CKSUM_DIGEST_MAX];
	char got[2 * CKSUM_DIGEST_MAX + 1];
	size_t n;

	if (times)
		cksum_update_fill(c, (unsigned char)text[0], times);
	else
		cksum_update(c, text, strlen(text));
	n = cksum_digest(c, d);
	cksum_free(c);
	for (size_t i = 0; i < n; i++)
		snprintf(got + 2 * i, 3, "%02x", d[i]);
	got[2 * n] = '\0';
	CHECK_STR(got, hex);
	CHECK(n == cksum_digest_size(kind));
}

static void test_digests(void)
{
	static const struct {
		enum cksum_kind kind;
		size_t size;
		const char *empty, *abc, *million_a;
	} v[] = {
		{ CKSUM_MD5, 16, "d41d8cd98f00b204e9800998ecf8427e",
		  "900150983cd24fb0d6963f7d28e17f72", "7707d6ae4e027c70eea2a935c2296f21" },
		{ CKSUM_SHA1, 20, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
		  "a9993e364706816aba3e25717850c26c9cd0d89d",
		  "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
		{ CKSUM_SHA256, 32,
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
		{ CKSUM_SHA512, 64,
		  "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
		  "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
		  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
		  "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
		  "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b" },
	};
	unsigned char d[CKSUM_DIGEST_MAX];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct cksum *c;

		CHECK(cksum_digest_size(v[i].kind) == v[i].size);
		digest_is(v[i].kind, "", 0, v[i].empty);
		digest_is(v[i].kind, "abc", 0, v[i].abc);
		digest_is(v[i].kind, "a", 1000000, v[i].million_a);
		/* The digest is taken once; its value as a number is 0. */
		c = xcksum(v[i].kind, NULL);
		CHECK(cksum_value(c) == 0);
		CHECK(cksum_digest(c, d) == v[i].size);
		CHECK(cksum_digest(c, d) == 0);
		cksum_free(c);
	}
	for (enum cksum_kind k = CKSUM_CRC; k <= CKSUM_SUM; k++)
		CHECK(cksum_digest_size(k) == 0);
}

static void test_bad_models(void)
{
	static const struct {
		struct crc_model m;
		const char *message;
	} bad[] = {
		{ { 0, 1, 0, 0, 0, 0 }, "CRC width must be 1..64" },
		{ { 65, 1, 0, 0, 0, 0 }, "CRC width must be 1..64" },
		{ { 4, 0x13, 0, 0, 0, 0 }, "CRC poly does not fit in its width" },
		{ { 1, 3, 0, 0, 0, 0 }, "CRC poly does not fit in its width" },
		{ { 16, 0x1021, 0x10000, 0, 0, 0 }, "CRC init does not fit in its width" },
		{ { 63, 1, 0, 0, 0, UINT64_MAX }, "CRC xorout does not fit in its width" },
		{ { 8, 7, 0, 2, 0, 0 }, "CRC refin must be 0 or 1" },
		{ { 8, 7, 0, 0, -1, 0 }, "CRC refout must be 0 or 1" },
	};
	struct crc_model widest = { 64, UINT64_MAX, UINT64_MAX, 1, 0, UINT64_MAX };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_STR(crc_model_check(&bad[i].m), bad[i].message);
		errno = 0;
		CHECK(cksum_new(CKSUM_CRC, &bad[i].m) == NULL && errno == EINVAL);
	}
	CHECK(crc_model_check(&widest) == NULL);
	errno = 0;
	CHECK(cksum_new(CKSUM_CRC, NULL) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(cksum_new((enum cksum_kind)99, NULL) == NULL && errno == EINVAL);
	cksum_free(NULL);
}

int main(void)
{
	test_catalogue();
	test_presets();
	test_parity();
	test_against_slow();
	test_chunking();
	test_adler_sum();
	test_digests();
	test_fill();
	test_fill_huge();
	test_bad_models();
	return unit_done("test_checksum");
}

/*
 * test_hexfile.c -- hex_read on Intel HEX and S-record files: hand-made
 * files for every record type and every error class, and round trips of
 * random binaries through independent writers (binutils' objcopy, and
 * srec_cat of the srecord package), with offsets, gaps, files whose
 * records come out of address order, and a 16 MiB image for speed.
 *
 * The hand-made records get their checksums from a builder here, and a few
 * are literal lines that objcopy and srec_cat wrote, so the checksum rules
 * are checked against other implementations too.  Without objcopy or
 * srec_cat the round trips that need one are skipped with a note; the
 * hand-made cases always run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plan/hexfile.h"
#include "unit.h"

static char tmpdir[] = "/tmp/test_hexfile.XXXXXX";

static unsigned char *random_bytes(size_t n, uint32_t seed)
{
	unsigned char *p = unit_xmalloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(unit_rnd32(&seed) >> 24);
	return p;
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

/* Run a shell command in tmpdir; 0 when it exited 0. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	int k = snprintf(cmd, sizeof cmd, "cd '%s' && ", tmpdir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd + k, sizeof cmd - (size_t)k, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "  command failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

/* hex_read of the file tmpdir/name. */
static int read_path(const char *name, enum hex_format f, struct hex_image *img,
		     struct hex_error *e)
{
	char path[4200];
	int fd, r;

	path_of(path, sizeof path, name);
	if ((fd = open(path, O_RDONLY)) < 0) {
		perror(path);
		exit(1);
	}
	r = hex_read(fd, f, img, e);
	close(fd);
	return r;
}

/* hex_read of text, from a file. */
static int read_text(const char *text, enum hex_format f, struct hex_image *img,
		     struct hex_error *e)
{
	char path[4200];

	path_of(path, sizeof path, "text");
	unit_write_file(path, text, strlen(text));
	return read_path("text", f, img, e);
}

/* Text buffers of the hand-made files. */
#define TEXT_CAP 8192

/* Append to the text out (of TEXT_CAP bytes). */
static void appendf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(char *out, const char *fmt, ...)
{
	size_t n = strlen(out);
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(out + n, TEXT_CAP - n, fmt, ap) >= (int)(TEXT_CAP - n)) {
		fprintf(stderr, "test_hexfile: a hand-made file is too long\n");
		exit(1);
	}
	va_end(ap);
}

/* One Intel HEX record line (with LF) appended to out. */
static void ihex_line(char *out, unsigned type, unsigned addr, const void *data, unsigned n)
{
	const unsigned char *d = data;
	unsigned sum = n + (addr >> 8) + (addr & 0xff) + type;

	appendf(out, ":%02X%04X%02X", n, addr & 0xffff, type);
	for (unsigned i = 0; i < n; i++) {
		appendf(out, "%02X", d[i]);
		sum += d[i];
	}
	appendf(out, "%02X\n", (0x100 - (sum & 0xff)) & 0xff);
}

/* One S-record line: type t, an address of alen bytes. */
static void srec_line(char *out, unsigned t, unsigned alen, uint64_t addr, const void *data,
		      unsigned n)
{
	const unsigned char *d = data;
	unsigned sum = alen + n + 1;

	appendf(out, "S%u%02X", t, alen + n + 1);
	for (unsigned i = alen; i-- > 0;) {
		unsigned b = (unsigned)(addr >> (8 * i)) & 0xff;

		appendf(out, "%02X", b);
		sum += b;
	}
	for (unsigned i = 0; i < n; i++) {
		appendf(out, "%02X", d[i]);
		sum += d[i];
	}
	appendf(out, "%02X\n", ~sum & 0xff);
}

/* img is exactly the runs {addr[i], len[i]}. */
static int runs_are(const struct hex_image *img, size_t n, const uint64_t *addr,
		    const uint64_t *len)
{
	if (!CHECK_INT(img->n, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!CHECK_INT(img->rec[i].addr, addr[i]) || !CHECK_INT(img->rec[i].len, len[i]))
			return 0;
	return 1;
}

/* ---- hand-made Intel HEX ------------------------------------------------ */

/* Lines objcopy wrote (-I binary -O ihex, --change-addresses 0x12340 and
 * 0x10000000): types 02 and 03, then 04 and 05, with the same 40 bytes. */
static const char objcopy_seg[] = ":020000021000EC\n"
				  ":10234000DC8B5AAFFDAEF4D6F81720F45B836259EC\n"
				  ":10235000E0183FBE60A8411490419FEBDB19856AED\n"
				  ":0823600023F69A9FE06F1B9722\n"
				  ":040000031000234086\n"
				  ":00000001FF\n";
static const char objcopy_lin[] = ":020000041000EA\n"
				  ":10000000DC8B5AAFFDAEF4D6F81720F45B8362594F\n"
				  ":10001000E0183FBE60A8411490419FEBDB19856A50\n"
				  ":0800200023F69A9FE06F1B9785\n"
				  ":0400000510000000E7\n"
				  ":00000001FF\n";
static const unsigned char forty[40] = {
	0xdc, 0x8b, 0x5a, 0xaf, 0xfd, 0xae, 0xf4, 0xd6, 0xf8, 0x17, 0x20, 0xf4, 0x5b, 0x83,
	0x62, 0x59, 0xe0, 0x18, 0x3f, 0xbe, 0x60, 0xa8, 0x41, 0x14, 0x90, 0x41, 0x9f, 0xeb,
	0xdb, 0x19, 0x85, 0x6a, 0x23, 0xf6, 0x9a, 0x9f, 0xe0, 0x6f, 0x1b, 0x97,
};

static void test_ihex_literal(void)
{
	struct hex_image img;
	struct hex_error e;

	CHECK_INT(read_text(objcopy_seg, HEX_IHEX, &img, &e), 0);
	if (CHECK_INT(img.n, 1)) {
		CHECK_INT(img.rec[0].addr, 0x12340);
		CHECK_INT(img.rec[0].len, 40);
		CHECK_INT(img.rec[0].line, 2);
		CHECK_MEM(hex_data(&img, 0), forty, 40);
	}
	CHECK_INT(img.lo, 0x12340);
	CHECK_INT(img.hi, 0x12368);
	CHECK_INT(img.size, 40);
	hex_release(&img);
	CHECK_INT(read_text(objcopy_lin, HEX_IHEX, &img, &e), 0);
	if (CHECK_INT(img.n, 1)) {
		CHECK_INT(img.rec[0].addr, 0x10000000);
		CHECK_MEM(hex_data(&img, 0), forty, 40);
	}
	hex_release(&img);
	/* Lowercase, CR LF, blank lines, no LF on the last line, no EOF. */
	CHECK_INT(read_text("\r\n:0100000041be\r\n\n\n:0100010042bc", HEX_IHEX, &img, &e), 0);
	if (CHECK_INT(img.n, 1) && CHECK_INT(img.rec[0].len, 2))
		CHECK_MEM(hex_data(&img, 0), "AB", 2);
	CHECK_INT(img.rec[0].line, 2);
	hex_release(&img);
	/* Empty: no data, lo = hi = 0. */
	CHECK_INT(read_text("", HEX_IHEX, &img, &e), 0);
	CHECK(img.n == 0 && img.lo == 0 && img.hi == 0 && img.size == 0);
	hex_release(&img);
	CHECK_INT(read_text(":00000001FF\n", HEX_IHEX, &img, &e), 0);
	CHECK(img.n == 0 && img.size == 0);
	hex_release(&img);
}

/* Every record type; records out of order; the end record ends it. */
static void test_ihex_types(void)
{
	static const unsigned char seg[2] = { 0x12, 0x34 }, lin[2] = { 0x08, 0x00 };
	static const unsigned char top[2] = { 0xff, 0xff }, start[4] = { 1, 2, 3, 4 };
	static const uint64_t at[] = { 0x10, 0x12350, 0x12360, 0x08000000, 0xfffffff8 };
	static const uint64_t len[] = { 4, 8, 3, 16, 16 };
	unsigned char d[16];
	char text[TEXT_CAP] = "";
	struct hex_image img;
	struct hex_error e;

	for (int i = 0; i < 16; i++)
		d[i] = (unsigned char)(0xa0 + i);
	ihex_line(text, 4, 0, lin, 2);
	ihex_line(text, 0, 0, d, 16);		/* 0x08000000 */
	ihex_line(text, 2, 0, seg, 2);
	ihex_line(text, 0, 0x10, d, 8);		/* 0x12340 + 0x10 */
	ihex_line(text, 3, 0, start, 4);
	ihex_line(text, 0, 0x20, d, 3);		/* 0x12360: a run of its own */
	ihex_line(text, 4, 0, top, 2);
	ihex_line(text, 0, 0xfff8, d, 16);	/* 0xfffffff8, on past 2^32 */
	ihex_line(text, 5, 0, start, 4);
	ihex_line(text, 0, 0, d, 0);		/* no bytes: no record */
	ihex_line(text, 2, 0, (const unsigned char[2]){ 0, 0 }, 2);
	ihex_line(text, 0, 0x10, d, 4);		/* 0x10 */
	ihex_line(text, 1, 0, NULL, 0);
	appendf(text, ":0100000099 is never read, nor the next line\nxyz\n");
	CHECK_INT(read_text(text, HEX_IHEX, &img, &e), 0);
	if (runs_are(&img, 5, at, len)) {
		CHECK_MEM(hex_data(&img, 0), d, 4);
		CHECK_MEM(hex_data(&img, 1), d, 8);
		CHECK_MEM(hex_data(&img, 2), d, 3);
		CHECK_MEM(hex_data(&img, 3), d, 16);
		CHECK_MEM(hex_data(&img, 4), d, 16);
		CHECK_INT(img.rec[0].line, 12);
		CHECK_INT(img.rec[4].line, 8);
	}
	CHECK_INT(img.lo, 0x10);
	CHECK_INT(img.hi, 0x100000008);
	CHECK_INT(img.size, 47);
	hex_release(&img);
}

/* Records that touch become one run, in address order whatever the file
 * order; the bytes follow the addresses. */
static void test_ihex_join(void)
{
	char text[TEXT_CAP] = "";
	unsigned char d[64];
	struct hex_image img;
	struct hex_error e;

	for (int i = 0; i < 64; i++)
		d[i] = (unsigned char)i;
	ihex_line(text, 0, 0x1030, d + 48, 16);
	ihex_line(text, 0, 0x1000, d, 16);
	ihex_line(text, 0, 0x1020, d + 32, 16);
	ihex_line(text, 0, 0x1010, d + 16, 16);
	ihex_line(text, 0, 0x2000, d, 1);
	CHECK_INT(read_text(text, HEX_IHEX, &img, &e), 0);
	if (CHECK_INT(img.n, 2)) {
		CHECK_INT(img.rec[0].addr, 0x1000);
		CHECK_INT(img.rec[0].len, 64);
		CHECK_INT(img.rec[0].line, 2);
		CHECK_MEM(hex_data(&img, 0), d, 64);
		CHECK_INT(img.rec[1].addr, 0x2000);
		CHECK_INT(hex_data(&img, 1)[0], 0);
	}
	hex_release(&img);
}

struct bad_case {
	const char *text;
	uint32_t line;
	const char *msg;
};

static void check_bad(const struct bad_case *c, size_t n, enum hex_format f)
{
	for (size_t i = 0; i < n; i++) {
		struct hex_image img;
		struct hex_error e;

		if (!CHECK_INT(read_text(c[i].text, f, &img, &e), -1)) {
			fprintf(stderr, "  accepted: %s\n", c[i].text);
			hex_release(&img);
			continue;
		}
		CHECK(img.rec == NULL && img.bytes == NULL && img.n == 0);
		CHECK_INT(e.line, c[i].line);
		CHECK_INT(e.errnum, 0);
		CHECK_STR(e.msg, c[i].msg);
	}
}

static void test_ihex_errors(void)
{
	static const struct bad_case c[] = {
		{ ":0100000041BF\n", 1, "line 1: checksum 0xbf, expected 0xbe" },
		{ "\n:0100000041BE\r\n:01000100G2BC\n", 3, "line 3: 'G' is not a hex digit" },
		{ ":0100000041BE \n", 1, "line 1: byte 0x20 is not a hex digit" },
		{ ":01000000\r41BE\n", 1, "line 1: byte 0x0d is not a hex digit" },
		{ ":0100000041B\n", 1, "line 1: odd number of hex digits" },
		{ ":0200000041BD\n", 1,
		  "line 1: byte count 0x02, but the record has 1 data byte" },
		{ ":000000FF\n", 1, "line 1: record too short (4 bytes, at least 5)" },
		{ ":\n", 1, "line 1: record too short (0 bytes, at least 5)" },
		{ "0100000041BE\n", 1, "line 1: a record starts with ':', not '0'" },
		{ " :0100000041BE\n", 1, "line 1: a record starts with ':', not byte 0x20" },
		{ ":00000006FA\n", 1, "line 1: unknown record type 06" },
		{ ":0100000141BD\n", 1,
		  "line 1: end-of-file record with 1 data byte, expected 0" },
		{ ":03000004000000F9\n", 1,
		  "line 1: extended linear address record with 3 data bytes, expected 2" },
		{ ":0100000241BC\n", 1,
		  "line 1: extended segment address record with 1 data byte, expected 2" },
		{ ":020000030000FB\n", 1,
		  "line 1: start segment address record with 2 data bytes, expected 4" },
		{ ":020000050000F9\n", 1,
		  "line 1: start linear address record with 2 data bytes, expected 4" },
		/* Overlaps, blamed on the later line of the pair. */
		{ ":0201000041427A\n\n:0101010043BA\n", 3,
		  "line 3: record at 0x101+1 overlaps the one at 0x100+2 on line 1" },
		{ ":0101010043BA\n:0201000041427A\n", 2,
		  "line 2: record at 0x100+2 overlaps the one at 0x101+1 on line 1" },
		{ ":0100000041BE\n:0100000041BE\n", 2,
		  "line 2: record at 0x0+1 overlaps the one at 0x0+1 on line 1" },
		/* The same 16-bit address under another base is no overlap; under
		 * the same one again it is. */
		{ ":0100000041BE\n:020000040001F9\n:0100000041BE\n:020000040000FA\n"
		  ":0100000041BE\n",
		  5, "line 5: record at 0x0+1 overlaps the one at 0x0+1 on line 1" },
	};

	check_bad(c, sizeof c / sizeof c[0], HEX_IHEX);
}

/* A line too long to be a record, in one read and across reads. */
static void test_long_line(void)
{
	size_t n = 3 << 20;
	char *text = unit_xmalloc(n + 32);
	struct hex_image img;
	struct hex_error e;

	memcpy(text, ":0100000041BE\n:", 15);
	memset(text + 15, '0', 1100);
	memcpy(text + 15 + 1100, "\n", 2);
	CHECK_INT(read_text(text, HEX_IHEX, &img, &e), -1);
	CHECK_STR(e.msg, "line 2: more than 1024 characters, longer than any record");
	memset(text + 15, '0', n);
	text[15 + n] = '\0';
	CHECK_INT(read_text(text, HEX_IHEX, &img, &e), -1);
	CHECK_STR(e.msg, "line 2: more than 1024 characters, longer than any record");
	free(text);
}

/* ---- hand-made S-records ------------------------------------------------ */

/* srec_cat's (S0, S2, S5) and objcopy's (S0, S2, S8) lines for forty. */
static const char srec_cat_s2[] =
	"S0220000687474703A2F2F737265636F72642E736F75726365666F7267652E6E65742F1D\n"
	"S224012340DC8B5AAFFDAEF4D6F81720F45B836259E0183FBE60A8411490419FEBDB19856A46\n"
	"S20C01236023F69A9FE06F1B971C\n"
	"S5030002FA\n";
static const char objcopy_s2[] = "S0090000722E73726563A9\n"
				 "S214012340DC8B5AAFFDAEF4D6F81720F45B836259E6\n"
				 "S214012350E0183FBE60A8411490419FEBDB19856AE7\n"
				 "S20C01236023F69A9FE06F1B971C\n"
				 "S80401234097\n";

static void test_srec_literal(void)
{
	const char *const texts[] = { srec_cat_s2, objcopy_s2 };
	struct hex_image img;
	struct hex_error e;

	for (size_t i = 0; i < 2; i++) {
		CHECK_INT(read_text(texts[i], HEX_SREC, &img, &e), 0);
		if (CHECK_INT(img.n, 1)) {
			CHECK_INT(img.rec[0].addr, 0x12340);
			CHECK_INT(img.rec[0].len, 40);
			CHECK_MEM(hex_data(&img, 0), forty, 40);
		}
		hex_release(&img);
	}
}

static void test_srec_types(void)
{
	static const uint64_t at[] = { 0x10, 0x123456, 0xfffffffe };
	static const uint64_t len[] = { 6, 3, 4 };
	char text[TEXT_CAP] = "";
	struct hex_image img;
	struct hex_error e;

	srec_line(text, 0, 2, 0, "hdr", 3);
	srec_line(text, 3, 4, 0xfffffffe, "wxyz", 4);	/* on past 2^32 */
	srec_line(text, 1, 2, 0x13, "def", 3);
	srec_line(text, 2, 3, 0x123456, "ghi", 3);
	srec_line(text, 1, 2, 0x10, "abc", 3);		/* joins 0x13 */
	srec_line(text, 5, 2, 4, NULL, 0);
	srec_line(text, 3, 4, 0x20, "", 0);		/* a data record, no bytes */
	srec_line(text, 6, 3, 5, NULL, 0);
	srec_line(text, 7, 4, 0, NULL, 0);
	appendf(text, "S1040000FFFC is never read\nnor this\n");
	CHECK_INT(read_text(text, HEX_SREC, &img, &e), 0);
	if (runs_are(&img, 3, at, len)) {
		CHECK_MEM(hex_data(&img, 0), "abcdef", 6);
		CHECK_MEM(hex_data(&img, 1), "ghi", 3);
		CHECK_MEM(hex_data(&img, 2), "wxyz", 4);
		CHECK_INT(img.rec[0].line, 5);
	}
	CHECK_INT(img.hi, 0x100000002);
	hex_release(&img);
	/* S8 and S9 end it too. */
	for (unsigned t = 8; t <= 9; t++) {
		text[0] = '\0';
		srec_line(text, 1, 2, 0, "a", 1);
		srec_line(text, t, t == 8 ? 3 : 2, 0, NULL, 0);
		srec_line(text, 1, 2, 0, "b", 1);
		CHECK_INT(read_text(text, HEX_SREC, &img, &e), 0);
		CHECK(img.n == 1 && img.size == 1 && hex_data(&img, 0)[0] == 'a');
		hex_release(&img);
	}
}

static void test_srec_errors(void)
{
	static const struct bad_case c[] = {
		{ "S1040000FFFD\n", 1, "line 1: checksum 0xfd, expected 0xfc" },
		{ "S1040000FFF\n", 1, "line 1: odd number of hex digits" },
		{ "S1040000FXFC\n", 1, "line 1: 'X' is not a hex digit" },
		{ "S1050000FFFC\n", 1, "line 1: byte count 0x05, but 4 bytes follow it" },
		{ "S2030000FC\n", 1, "line 1: record too short (4 bytes, at least 5)" },
		{ "S\n", 1, "line 1: record too short (no type)" },
		{ "S4030000FC\n", 1, "line 1: unknown record type 'S4'" },
		{ "SX030000FC\n", 1, "line 1: unknown record type 'SX'" },
		{ "s1040000FFFC\n", 1, "line 1: a record starts with 'S', not 's'" },
		{ "S1040000FFFC\nS5030002FA\n", 2,
		  "line 2: S5 record count 2, but 1 data record comes before it" },
		{ "S1040000FFFC\nS604000000FB\n", 2,
		  "line 2: S6 record count 0, but 1 data record comes before it" },
		{ "S1040000FFFC\nS1040001FFFB\nS5030001FB\n", 3,
		  "line 3: S5 record count 1, but 2 data records come before it" },
		{ "S9040000FFFC\n", 1, "line 1: S9 record with 1 data byte, expected none" },
		{ "S1040010FFEC\nS1050008FFFFF4\n\nS1040009FFF3\n", 4,
		  "line 4: record at 0x9+1 overlaps the one at 0x8+2 on line 2" },
	};

	check_bad(c, sizeof c / sizeof c[0], HEX_SREC);
}

/* A read error: no line, the errno. */
static void test_read_error(void)
{
	struct hex_image img;
	struct hex_error e;
	int fd = open(tmpdir, O_RDONLY | O_DIRECTORY);

	CHECK(fd >= 0);
	CHECK_INT(hex_read(fd, HEX_IHEX, &img, &e), -1);
	CHECK_INT(e.line, 0);
	CHECK_INT(e.errnum, EISDIR);
	CHECK_STR(e.msg, strerror(EISDIR));
	close(fd);
}

/* ---- round trips through objcopy and srec_cat --------------------------- */

struct run {
	uint64_t addr;
	const unsigned char *data;
	uint64_t len;
};

/* tmpdir/name, read as f, is exactly the runs r[0..n) (in address order). */
static void expect_runs(const char *name, enum hex_format f, const struct run *r, size_t n)
{
	struct hex_image img;
	struct hex_error e;
	uint64_t size = 0;

	if (!CHECK_INT(read_path(name, f, &img, &e), 0)) {
		fprintf(stderr, "  %s: %s\n", name, e.msg);
		return;
	}
	if (CHECK_INT(img.n, n))
		for (size_t i = 0; i < n; i++) {
			CHECK_INT(img.rec[i].addr, r[i].addr);
			if (CHECK_INT(img.rec[i].len, r[i].len))
				CHECK_MEM(hex_data(&img, i), r[i].data, (size_t)r[i].len);
			size += r[i].len;
		}
	CHECK_INT(img.size, size);
	if (n) {
		CHECK_INT(img.lo, r[0].addr);
		CHECK_INT(img.hi, r[n - 1].addr + r[n - 1].len);
	}
	hex_release(&img);
}

/* One random binary at one address through objcopy: Intel HEX (02 records
 * below 1 MiB, 04 above), S-records (S1, S2 or S3 by the address), and S3
 * records of 5 bytes. */
static void objcopy_case(size_t len, uint64_t addr, uint32_t seed)
{
	unsigned char *d = random_bytes(len, seed);
	struct run r = { addr, d, len };
	char bin[4200];

	path_of(bin, sizeof bin, "in.bin");
	unit_write_file(bin, d, len);
	if (sh("objcopy -I binary -O ihex --change-addresses 0x%llx in.bin oc.hex",
	       (unsigned long long)addr) == 0)
		expect_runs("oc.hex", HEX_IHEX, &r, 1);
	if (sh("objcopy -I binary -O srec --change-addresses 0x%llx in.bin oc.srec",
	       (unsigned long long)addr) == 0)
		expect_runs("oc.srec", HEX_SREC, &r, 1);
	if (sh("objcopy -I binary -O srec --srec-forceS3 --srec-len=5 --change-addresses 0x%llx "
	       "in.bin oc3.srec",
	       (unsigned long long)addr) == 0)
		expect_runs("oc3.srec", HEX_SREC, &r, 1);
	free(d);
}

static void test_objcopy(void)
{
	if (!unit_have_tool("objcopy")) {
		fprintf(stderr, "note: no objcopy (Debian package binutils): its round trips "
				"are skipped\n");
		return;
	}
	objcopy_case(1, 0, 1);
	objcopy_case(17, 0x12340, 2);
	objcopy_case(70000, 0x12345, 3);	/* 02 records across segments */
	objcopy_case(70000, 0x0800fff0, 4);	/* 04 records across 64 KiB */
	objcopy_case(4096, 0xfffff000, 5);	/* up to 2^32 */
}

/* Two objcopy outputs at different addresses, the higher one first (its
 * end record dropped): out of order, sorted by hex_read. */
static void test_concatenated(void)
{
	unsigned char *a = random_bytes(3000, 6), *b = random_bytes(500, 7);
	const struct run r[] = { { 0x20000, a, 3000 }, { 0x80001, b, 500 } };
	char path[4200];

	if (!unit_have_tool("objcopy")) {
		free(a);
		free(b);
		return;
	}
	path_of(path, sizeof path, "a.bin");
	unit_write_file(path, a, 3000);
	path_of(path, sizeof path, "b.bin");
	unit_write_file(path, b, 500);
	if (sh("objcopy -I binary -O ihex --change-addresses 0x20000 a.bin a.hex && "
	       "objcopy -I binary -O ihex --change-addresses 0x80001 b.bin b.hex && "
	       "grep -v '^:00000001FF' b.hex > ab.hex && cat a.hex >> ab.hex") == 0)
		expect_runs("ab.hex", HEX_IHEX, r, 2);
	if (sh("objcopy -I binary -O srec --change-addresses 0x20000 a.bin a.srec && "
	       "objcopy -I binary -O srec --change-addresses 0x80001 b.bin b.srec && "
	       "grep -v '^S[789]' b.srec > ab.srec && cat a.srec >> ab.srec") == 0)
		expect_runs("ab.srec", HEX_SREC, r, 2);
	free(a);
	free(b);
}

/* srec_cat: two binaries with a gap between them, as two runs; the gap
 * filled (-fill), as one. */
static void test_srec_cat(void)
{
	unsigned char *a = random_bytes(1000, 8), *b = random_bytes(77, 9), *ab;
	const struct run r[] = { { 0xfff00, a, 1000 }, { 0x100400, b, 77 } };
	const char *const out[] = { "-intel", "-motorola", "-motorola -address-length=4 -obs=7",
				    "-intel -obs=255" };
	char path[4200];

	if (!unit_have_tool("srec_cat")) {
		fprintf(stderr, "note: no srec_cat (Debian package srecord): its round trips "
				"are skipped\n");
		free(a);
		free(b);
		return;
	}
	path_of(path, sizeof path, "a.bin");
	unit_write_file(path, a, 1000);
	path_of(path, sizeof path, "b.bin");
	unit_write_file(path, b, 77);
	for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
		enum hex_format f = out[i][1] == 'i' ? HEX_IHEX : HEX_SREC;
		struct run whole = { 0xfff00, NULL, 0x100400 + 77 - 0xfff00 };

		if (sh("srec_cat a.bin -binary -offset 0xfff00 b.bin -binary -offset 0x100400 "
		       "-o gap.txt %s",
		       out[i]) == 0)
			expect_runs("gap.txt", f, r, 2);
		ab = unit_xmalloc((size_t)whole.len);
		memset(ab, 0xff, (size_t)whole.len);
		memcpy(ab, a, 1000);
		memcpy(ab + 0x100400 - 0xfff00, b, 77);
		whole.data = ab;
		if (sh("srec_cat '(' a.bin -binary -offset 0xfff00 b.bin -binary -offset 0x100400 "
		       "')' -fill 0xff 0xfff00 0x100400 -o fill.txt %s",
		       out[i]) == 0)
			expect_runs("fill.txt", f, &whole, 1);
		free(ab);
	}
	free(a);
	free(b);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 16 MiB as objcopy's Intel HEX (about 45 MB of text) and as S3 records:
 * read once from the file and once from a pipe, timed. */
static void test_large(void)
{
	size_t len = (size_t)16 << 20;
	unsigned char *d = random_bytes(len, 10);
	struct run r = { 0x08000000, d, len };
	const char *const fmt[] = { "ihex", "srec" };
	char path[4200];

	if (!unit_have_tool("objcopy")) {
		free(d);
		return;
	}
	path_of(path, sizeof path, "big.bin");
	unit_write_file(path, d, len);
	for (int f = 0; f < 2; f++) {
		struct hex_image img;
		struct hex_error e;
		struct stat st;
		double t;
		FILE *p;
		char cmd[4400];

		if (sh("objcopy -I binary -O %s %s --change-addresses 0x08000000 big.bin big.txt",
		       fmt[f], f ? "--srec-forceS3" : "") != 0)
			continue;
		path_of(path, sizeof path, "big.txt");
		CHECK(stat(path, &st) == 0);
		t = now();
		expect_runs("big.txt", (enum hex_format)f, &r, 1);
		t = now() - t;
		fprintf(stderr, "%s: 16 MiB as %.1f MB of %s read in %.3f s (%.0f MB/s of text)\n",
			"test_hexfile", (double)st.st_size / 1e6, fmt[f], t,
			(double)st.st_size / 1e6 / t);
		snprintf(cmd, sizeof cmd, "cat '%s'", path);
		if (!CHECK((p = popen(cmd, "r")) != NULL))
			continue;
		if (CHECK_INT(hex_read(fileno(p), (enum hex_format)f, &img, &e), 0)) {
			CHECK(img.n == 1 && img.size == len && memcmp(img.bytes, d, len) == 0);
			hex_release(&img);
		}
		CHECK_INT(pclose(p), 0);
	}
	free(d);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_ihex_literal();
	test_ihex_types();
	test_ihex_join();
	test_ihex_errors();
	test_long_line();
	test_srec_literal();
	test_srec_types();
	test_srec_errors();
	test_read_error();
	test_objcopy();
	test_concatenated();
	test_srec_cat();
	test_large();
	sh("rm -rf '%s'", tmpdir);
	return unit_done("test_hexfile");
}

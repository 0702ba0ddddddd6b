/*
 * test_plan.c -- the planner: offsets (following, at=, at=+N), lengths,
 * `size`, overlap errors naming both lines, "later wins" against a
 * brute-force painter, and source checks.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "plan/plan.h"
#include <zlib.h>

#include "unit.h"

static char dir[] = "/tmp/test_plan.XXXXXX";

/* Plan text; returns 0 or -1 and keeps the error message. */
static int plan_text(struct manifest *m, struct plan *p, const char *text, int overlap,
		     struct errors *err)
{
	struct plan_opts o = { .allow_overlap = overlap };

	manifest_init(m);
	errors_release(err);
	if (manifest_add_text(m, "t", dir, text, strlen(text), err) < 0)
		return -2;
	return plan_build(p, m, &o, err);
}

static void test_offsets(void)
{
	struct manifest m;
	struct plan p;
	struct errors err = { 0 };

	CHECK_INT(plan_text(&m, &p, "data abc\ndata de at=+2\nfill 1 len=4 at=100\n"
				    "zero len=3\nuuid\nuuid text at=+0x10\n", 0, &err), 0);
	CHECK_INT(p.pf[0].at, 0);
	CHECK_INT(p.pf[1].at, 5);
	CHECK_INT(p.pf[2].at, 100);
	CHECK_INT(p.pf[3].at, 104);
	CHECK_INT(p.pf[4].at, 107);
	CHECK_INT(p.pf[4].len, 16);
	CHECK_INT(p.pf[5].at, 139);
	CHECK_INT(p.pf[5].len, 36);
	CHECK_INT(p.image_len, 175);
	CHECK_INT(p.npieces, 6);
	plan_release(&p);
	manifest_release(&m);

	/* size pads the image, and bounds every fragment */
	CHECK_INT(plan_text(&m, &p, "size 1K\ndata abc at=1000\n", 0, &err), 0);
	CHECK_INT(p.image_len, 1024);
	plan_release(&p);
	manifest_release(&m);
	CHECK_INT(plan_text(&m, &p, "size 1K\ndata abc at=1022\n", 0, &err), -1);
	CHECK_STR(first_error(&err), "t:2:1: fragment ends at 1025, past 'size 1024' (line 1)");
	errors_release(&err);
	manifest_release(&m);

	/* offsets that would pass INT64_MAX are errors, never wraps */
	CHECK_INT(plan_text(&m, &p, "zero len=7E at=0x7fffffffffffff00\n", 0, &err), -1);
	CHECK(err.n && strstr(first_error(&err), "t:1:1: fragment at 9223372036854775552 of") != NULL);
	errors_release(&err);
	manifest_release(&m);
	CHECK_INT(plan_text(&m, &p, "zero len=7E\nzero len=1 at=+1E\n", 0, &err), -1);
	CHECK(err.n && strstr(first_error(&err), "t:2:1: at=+1152921504606846976 puts the fragment past") != NULL);
	errors_release(&err);
	manifest_release(&m);

	/* an empty manifest is an empty image */
	CHECK_INT(plan_text(&m, &p, "# nothing\n", 0, &err), 0);
	CHECK_INT(p.image_len, 0);
	CHECK_INT(p.npieces, 0);
	plan_release(&p);
	manifest_release(&m);
}

static void test_overlap_errors(void)
{
	struct manifest m;
	struct plan p;
	struct errors err = { 0 };

	CHECK_INT(plan_text(&m, &p, "data abcd at=10\ndata xy at=0\nfill 9 len=2 at=13\n", 0, &err), -1);
	CHECK_STR(first_error(&err), "t:3:1: 'fill' at 0xd..0xe overlaps line 1 ('data' at 0xa..0xd)");
	CHECK_INT(err.v[0].kind, ERR_OVERLAP);
	errors_release(&err);
	manifest_release(&m);
	/* the earlier line may come later in the target */
	CHECK_INT(plan_text(&m, &p, "zero len=100 at=50\ndata x at=0\ndata y at=149\n", 0, &err), -1);
	CHECK(err.n && strncmp(first_error(&err), "t:3:1: 'data' at 0x95..0x95 overlaps line 1 ('zero' at 0x32..0x95)", 66) == 0);
	errors_release(&err);
	manifest_release(&m);
	/* touching is not overlapping, and empty fragments overlap nothing */
	CHECK_INT(plan_text(&m, &p, "data ab at=0\ndata cd at=2\ndata \"\" at=1\nzero len=0 at=0\n", 0, &err), 0);
	CHECK_INT(p.npieces, 2);
	plan_release(&p);
	manifest_release(&m);
}

/* Paint fragments in manifest order into owner[] and compare with the
 * planner's extents: every byte's owner must be the last line covering it. */
static void test_later_wins_random(void)
{
	enum { SPAN = 300 };
	unsigned seed = 12345;

	for (int iter = 0; iter < 500; iter++) {
		int owner[SPAN], delta[SPAN], ok = 1, n = 1 + rand_r(&seed) % 12;
		char text[4096] = "", line[64];
		int64_t at[16], len[16], end = 0;
		struct manifest m;
		struct plan p;
		struct errors err = { 0 };

		for (int i = 0; i < SPAN; i++)
			owner[i] = -1;
		for (int i = 0; i < n; i++) {
			at[i] = rand_r(&seed) % 200;
			len[i] = rand_r(&seed) % 100;
			snprintf(line, sizeof(line), "zero len=%lld at=%lld\n", (long long)len[i],
				 (long long)at[i]);
			strcat(text, line);
			for (int64_t b = at[i]; b < at[i] + len[i]; b++) {
				owner[b] = i;
				delta[b] = (int)(b - at[i]);
			}
			if (at[i] + len[i] > end)
				end = at[i] + len[i];
		}
		if (!CHECK_INT(plan_text(&m, &p, text, 1, &err), 0)) {
			errors_release(&err);
			manifest_release(&m);
			continue;
		}
		int64_t pos = 0;
		for (size_t k = 0; k < p.npieces; k++) {
			const struct extent *x = &p.ext[k];

			ok &= x->at >= pos && x->len > 0;
			for (int64_t b = pos; b < x->at; b++)
				ok &= owner[b] == -1;
			for (int64_t b = x->at; b < x->at + x->len; b++)
				ok &= owner[b] == (int)x->frag && delta[b] == x->delta + (b - x->at);
			/* neighbours of one fragment are merged */
			if (k)
				ok &= !(p.ext[k - 1].frag == x->frag && p.ext[k - 1].at + p.ext[k - 1].len == x->at);
			pos = x->at + x->len;
		}
		for (int64_t b = pos; b < SPAN; b++)
			ok &= owner[b] == -1;
		ok &= p.image_len == end;
		if (!CHECK(ok))
			fprintf(stderr, "layout:\n%s", text);
		plan_release(&p);
		manifest_release(&m);
	}
}

static void write_file(const char *name, const char *content)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	close(fd);
}

static void test_sources(void)
{
	struct manifest m;
	struct plan p;
	struct errors err = { 0 };
	char sub[256];

	write_file("ten", "0123456789");
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CHECK(mkdir(sub, 0755) == 0);

	CHECK_INT(plan_text(&m, &p, "file ten skip=3 len=4\nfile ten\nfile ten skip=10\n", 0, &err), 0);
	CHECK_INT(p.nsrc, 1);			/* one descriptor for one path */
	CHECK_INT(p.pf[0].src_off, 3);
	CHECK_INT(p.pf[0].len, 4);
	CHECK_INT(p.pf[1].len, 10);
	CHECK_INT(p.pf[2].len, 0);
	CHECK_INT(p.image_len, 14);
	plan_release(&p);
	manifest_release(&m);

	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "file missing\n", "t:1:1: cannot open 'missing': No such file or directory" },
		{ "data x\nfile sub\n", "t:2:1: 'sub' is a directory" },
		{ "file ten skip=11\n", "t:1:1: skip=11 is past the end of 'ten' (10 bytes)" },
		{ "file ten skip=5 len=6\n",
		  "t:1:1: 'ten' is too short: skip=5 len=6 needs 11 bytes, it has 10" },
		{ "file /dev/null\n", "t:1:1: '/dev/null' is a character device: give len=, it "
				      "may never end" },
		{ "file /dev/null len=1\n", "t:1:1: '/dev/null' is too short: skip=0 len=1 "
					     "needs 1 bytes, it has 0" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(plan_text(&m, &p, bad[i].text, 0, &err), -1);
		CHECK_STR(first_error(&err), bad[i].err);
		errors_release(&err);
		manifest_release(&m);
	}
	snprintf(sub, sizeof(sub), "%s/ten", dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	rmdir(sub);
}

static void test_batch(void)
{
	struct manifest m;
	struct plan p;
	struct errors err = { 0 };
	io_batch *b;

	CHECK_INT(plan_text(&m, &p, "data ab at=4\nfill 7 len=3 at=10\nsize 20\n", 0, &err), 0);
	b = plan_batch(&p, 0);
	CHECK(b && b->used == 2 && b->e[0].at == 4 && b->e[1].at == 10 && b->e[1].tag == 1);
	iob_free(b);
	b = plan_batch(&p, 1);		/* gaps and padding as zero entries */
	CHECK(b && iob_bytesleft(b) == 20);
	CHECK(b && b->used == 5 && b->e[0].tag == PLAN_GAP && b->e[4].at == 13 &&
	      b->e[4].n == 7 && b->e[4].kind == IOB_ZERO);
	iob_free(b);
	plan_release(&p);
	manifest_release(&m);
}

/* The pieces without --allow-overlap: no copy of the layout when the
 * manifest lists fragments by offset, an order of indexes otherwise; the
 * batch is the same either way, and needs the plan alone. */
static void test_pieces(void)
{
	struct manifest m;
	struct plan p;
	struct errors err = { 0 };
	io_batch *b;

	CHECK_INT(plan_text(&m, &p, "data ab\nfill 7 len=3 at=+2\ndata c\n", 0, &err), 0);
	CHECK(p.order == NULL && p.ext == NULL && p.visible == NULL && p.npieces == 3);
	CHECK(plan_piece(&p, 1).at == 4 && plan_piece(&p, 1).len == 3 && plan_piece(&p, 1).frag == 1);
	CHECK_INT(plan_visible(&p, 1), 3);
	plan_release(&p);
	manifest_release(&m);

	CHECK_INT(plan_text(&m, &p, "data ab at=10\ndata \"\"\nfill 7 len=3 at=0\ndata c at=5\n", 0,
			    &err), 0);
	CHECK(p.order && p.ext == NULL && p.npieces == 3);
	CHECK(p.order && plan_piece(&p, 0).frag == 2 && plan_piece(&p, 1).frag == 3 &&
	      plan_piece(&p, 2).frag == 0);
	CHECK(p.pf[3].line == 4 && p.pf[3].col == 1 && p.pf[3].kind == FRAG_DATA &&
	      p.pf[2].kind == FRAG_FILL && p.pf[2].byte == 7);
	manifest_drop_fragments(&m);
	b = plan_batch(&p, 1);
	CHECK(b && b->used == 5 && b->e[0].tag == 2 && b->e[0].kind == IOB_FILL &&
	      b->e[0].byte == 7 && b->e[1].tag == PLAN_GAP && b->e[2].tag == 3 &&
	      b->e[4].tag == 0 && b->e[4].n == 2 && memcmp(b->e[4].buf, "ab", 2) == 0);
	iob_free(b);
	plan_drop_pieces(&p);
	CHECK(p.order == NULL && p.npieces == 0);
	plan_release(&p);
	manifest_release(&m);

	CHECK_INT(plan_text(&m, &p, "data abcd\ndata XY at=1\n", 1, &err), 0);
	CHECK(p.ext && p.visible && plan_visible(&p, 0) == 2 && plan_visible(&p, 1) == 2);
	plan_release(&p);
	manifest_release(&m);
}

/* The bytes fragment i contributes, as hex, for a computed one. */
static const char *bytes_hex(const struct plan *p, size_t i)
{
	static char buf[300];
	size_t n = p->pf[i].len < 128 ? (size_t)p->pf[i].len : 128;

	for (size_t k = 0; k < n; k++)
		snprintf(buf + 2 * k, 3, "%02x", p->pf[i].bytes[k]);
	buf[2 * n] = '\0';
	return buf;
}

/* The v2 resolution (SPEC §8): layout in manifest order, then size, then
 * fields in dependency order. */
static void test_resolve(void)
{
	struct manifest m;
	struct plan p;
	struct errors err = { 0 };

	/* Layout keys see earlier lines; align= rounds after at=+; to= ends. */
	if (CHECK_INT(plan_text(&m, &p, "data abc name=a\n"
				"data x at=+2 align=8 name=b\n"
				"zero to=\"b.end * 2\"\n"
				"fill 0xee len=\"a.size\" at=+1\n", 0, &err), 0)) {
		CHECK_INT(p.pf[1].at, 8);
		CHECK_INT(p.pf[2].at, 9);
		CHECK_INT(p.pf[2].len, 9);
		CHECK_INT(p.pf[3].at, 19);
		CHECK_INT(p.pf[3].len, 3);
		CHECK_INT(p.image_len, 22);
	}
	plan_release(&p);
	manifest_release(&m);
	errors_release(&err);

	/* size may refer to any line; fields to image.size and checksums. */
	if (CHECK_INT(plan_text(&m, &p, "u16be image.size\n"
				"u32le crc32(0..4)\n"
				"data abc name=tail\n"
				"size \"tail.end + 7\"\n", 0, &err), 0)) {
		CHECK_INT(p.image_len, 16);
		CHECK_STR(bytes_hex(&p, 0), "0010");
		/* crc32 of 00 10 and its own two bytes as zero: zlib's crc32 of
		 * 00100000 is 0x1a5e2eec -- computed independently below. */
		{
			unsigned char in[4] = { 0x00, 0x10, 0, 0 };
			unsigned long want = crc32(0, in, 4);
			char hex[9];

			snprintf(hex, sizeof hex, "%02lx%02lx%02lx%02lx", want & 255, want >> 8 & 255,
				 want >> 16 & 255, want >> 24 & 255);
			CHECK_STR(bytes_hex(&p, 1), hex);
		}
	}
	plan_release(&p);
	manifest_release(&m);
	errors_release(&err);

	/* A field computed before another that covers it, whatever the order
	 * of the lines; the cover's bytes are then final. */
	if (CHECK_INT(plan_text(&m, &p, "u8 \"sum(a..b) & 0xff\"\n"
				"u8 7 name=a\n"
				"u8 \"a.size + 1\" name=b\n", 0, &err), 0))
		CHECK_STR(bytes_hex(&p, 0), "09");
	plan_release(&p);
	manifest_release(&m);
	errors_release(&err);

	/* Three levels, in reverse line order: each covers the next, so each
	 * is computed in a later round; the same CRC asked by two fields is
	 * computed once and gives both the same value.  zlib's crc32 gives
	 * what they must be. */
	if (CHECK_INT(plan_text(&m, &p, "u32le crc32(0..12)\n"
				"u32le crc32(c) name=b\n"
				"u32le 0x01020304 name=c\n"
				"u32le crc32(c)\n", 0, &err), 0)) {
		unsigned char img[12] = { 0 }, c[4] = { 4, 3, 2, 1 };
		unsigned long cb = crc32(0, c, 4), ca;
		char hex[9];

		for (int k = 0; k < 4; k++) {
			img[4 + k] = (unsigned char)(cb >> (8 * k));
			img[8 + k] = c[k];
		}
		ca = crc32(0, img, 12);	/* its own four bytes as zero */
		snprintf(hex, sizeof hex, "%02lx%02lx%02lx%02lx", ca & 255, ca >> 8 & 255,
			 ca >> 16 & 255, ca >> 24 & 255);
		CHECK_STR(bytes_hex(&p, 0), hex);
		snprintf(hex, sizeof hex, "%02lx%02lx%02lx%02lx", cb & 255, cb >> 8 & 255,
			 cb >> 16 & 255, cb >> 24 & 255);
		CHECK_STR(bytes_hex(&p, 1), hex);
		CHECK_STR(bytes_hex(&p, 3), hex);
	}
	plan_release(&p);
	manifest_release(&m);
	errors_release(&err);

	/* Mistakes: a later line in a layout key, image.size in one, a
	 * cycle, a value too wide, a checksum in a layout key. */
	static const struct { const char *text, *err; } bad[] = {
		{ "data x at=y.end\ndata y name=y\n",
		  "t:1:11: layout keys may refer only to earlier lines: 'y' is on line 2" },
		{ "data x len=image.size\n",
		  "t:1:12: layout keys (at=, skip=, len=, align=, to=) cannot refer to image.size" },
		{ "data x at=6 align=4\n", "t:1:19: at=6 is not a multiple of align=4" },
		{ "zero len=image.size\n",
		  "t:1:10: layout keys (at=, skip=, len=, align=, to=) cannot refer to image.size" },
		/* Both lines of a cycle are reported; the first by place: */
		{ "u32le crc32(b) name=a\nu32le crc32(a) name=b\n",
		  "t:1:7: line 2, inside this range, has an error" },
		{ "u8 256\n", "t:1:4: the value 256 does not fit in 8 bits (-2^7 .. 2^8-1); mask it "
		  "with & to cut it on purpose" },
		{ "data a name=a\nzero len=crc8(a)\n", "t:2:10: 'crc8' reads the image: only field "
		  "values may use it, not layout keys or size" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = plan_text(&m, &p, bad[i].text, 0, &err);

		CHECK(r < 0);
		if (!CHECK_STR(first_error(&err), bad[i].err))
			fprintf(stderr, "  for %s", bad[i].text);
		plan_release(&p);
		manifest_release(&m);
		errors_release(&err);
	}
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_resolve();
	test_offsets();
	test_pieces();
	test_overlap_errors();
	test_later_wins_random();
	test_sources();
	test_batch();
	rmdir(dir);
	return unit_done("test_plan");
}

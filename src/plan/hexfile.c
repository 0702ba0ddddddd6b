/*
 * hexfile.c -- Intel HEX and S-record files to a sorted list of byte runs
 * (hexfile.h says what is read and what is refused).
 *
 * Model.  The text is read in 1 MiB pieces into one buffer; every complete
 * line in it is parsed where it lies, and a partial last line is moved to
 * the front before the next read, so the buffer never grows (a line longer
 * than TEXT_MAX cannot be a record, and is an error).  A line is decoded
 * into a small array, checked (digits, length, byte count, checksum, type),
 * and a data record's bytes are appended to img->bytes, with an entry
 * {addr, off, len, line} in img->rec: the bytes in file order, each entry
 * pointing at its own.  After the end: the entries are sorted by address
 * unless they came in that order, one sweep looks for an overlap, the bytes
 * are copied into address order if the sort moved entries, and entries
 * that touch are joined into runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/hexfile.h"
#include "util/hex.h"
#include "util/io.h"

#define READ_SIZE ((size_t)1 << 20)
/* The longest line that may be a record (the longest is 1 + 2 * 260
 * characters), not counting a CR before its LF. */
#define TEXT_MAX 1024

struct reader {
	enum hex_format f;
	struct hex_image *img;
	struct hex_error *e;
	size_t cap_rec, cap_bytes;	/* what img->rec and img->bytes hold */
	uint64_t base;		/* Intel HEX: set by the last 02 or 04 record */
	uint64_t ndata;		/* S-records: data records so far, for S5/S6 */
	uint32_t line;		/* the line being parsed, from 1 */
	int ended;		/* the end record was read */
	int sorted;		/* the entries so far are in address order */
};

__attribute__((format(printf, 2, 3)))
static int bad(struct reader *r, const char *fmt, ...)
{
	size_t size = sizeof r->e->msg;
	va_list ap;
	int k;

	r->e->line = r->line;
	r->e->errnum = 0;
	k = snprintf(r->e->msg, size, "line %" PRIu32 ": ", r->line);
	if (k < 0 || (size_t)k >= size)
		return -1;
	va_start(ap, fmt);
	if (vsnprintf(r->e->msg + k, size - (size_t)k, fmt, ap) < 0)
		r->e->msg[k] = '\0';
	va_end(ap);
	return -1;
}

static int sys_error(struct reader *r, int err)
{
	r->e->line = 0;
	r->e->errnum = err;
	if (snprintf(r->e->msg, sizeof r->e->msg, "%s", strerror(err)) < 0)
		r->e->msg[0] = '\0';
	return -1;
}

/* A character where a hex digit should be, named so that it is seen. */
static int not_digit(struct reader *r, unsigned char c)
{
	if (c > 0x20 && c < 0x7f)
		return bad(r, "'%c' is not a hex digit", c);
	return bad(r, "byte 0x%02x is not a hex digit", c);
}

static int bad_start(struct reader *r, unsigned char c, char mark)
{
	if (c > 0x20 && c < 0x7f)
		return bad(r, "a record starts with '%c', not '%c'", mark, c);
	return bad(r, "a record starts with '%c', not byte 0x%02x", mark, c);
}

/* The digits s[0..n) as bytes into b; their count, or -1 after an error. */
static long decode(struct reader *r, const char *s, size_t n, unsigned char *b)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		unsigned hi = hex_value_plus1[u[i]], lo = hex_value_plus1[u[i + 1]];

		if (!hi || !lo)
			return not_digit(r, hi ? u[i + 1] : u[i]);
		b[i / 2] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	if (i < n)
		return hex_value_plus1[u[i]] ? bad(r, "odd number of hex digits")
					     : not_digit(r, u[i]);
	return (long)(n / 2);
}

/* Make room for need elements of size elem at *p (cap of them now). */
static int grow(void **p, size_t *cap, size_t elem, uint64_t need)
{
	size_t c = *cap ? *cap : 4096 / elem;
	void *q;

	while (c < need) {
		if (c > SIZE_MAX / 2 / elem)
			return -1;
		c *= 2;
	}
	if (c == *cap)
		return 0;
	if (!(q = realloc(*p, c * elem)))
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int add_data(struct reader *r, uint64_t addr, const unsigned char *p, size_t len)
{
	struct hex_image *img = r->img;

	if (len == 0)
		return 0;
	if (grow((void **)&img->rec, &r->cap_rec, sizeof *img->rec, img->n + 1) < 0 ||
	    grow((void **)&img->bytes, &r->cap_bytes, 1, img->size + len) < 0)
		return sys_error(r, ENOMEM);
	memcpy(img->bytes + img->size, p, len);
	if (img->n && addr < img->rec[img->n - 1].addr)
		r->sorted = 0;
	img->rec[img->n++] = (struct hex_record){
		.addr = addr, .off = img->size, .len = len, .line = r->line,
	};
	img->size += len;
	return 0;
}

/* Intel HEX, by record type: its name, and its byte count (data: any). */
static const char *const ihex_name[] = { "data", "end-of-file", "extended segment address",
					 "start segment address", "extended linear address",
					 "start linear address" };
static const unsigned char ihex_count[] = { 0, 0, 2, 4, 2, 4 };

/* ":CCAAAATT<data>SS": count, address, type, data, checksum. */
static int ihex_record(struct reader *r, const char *s, size_t n)
{
	unsigned char b[TEXT_MAX / 2];
	unsigned sum = 0, count, type;
	long nb, i;

	if (s[0] != ':')
		return bad_start(r, (unsigned char)s[0], ':');
	if ((nb = decode(r, s + 1, n - 1, b)) < 0)
		return -1;
	if (nb < 5)
		return bad(r, "record too short (%ld bytes, at least 5)", nb);
	count = b[0];
	if (count != (unsigned long)nb - 5)
		return bad(r, "byte count 0x%02x, but the record has %ld data byte%s", count,
			   nb - 5, nb == 6 ? "" : "s");
	for (i = 0; i < nb - 1; i++)
		sum += b[i];
	if (b[nb - 1] != (unsigned char)(0x100 - (sum & 0xff)))
		return bad(r, "checksum 0x%02x, expected 0x%02x", b[nb - 1],
			   (unsigned char)(0x100 - (sum & 0xff)));
	type = b[3];
	if (type >= sizeof ihex_count)
		return bad(r, "unknown record type %02x", type);
	if (type != 0 && count != ihex_count[type])
		return bad(r, "%s record with %u data byte%s, expected %u", ihex_name[type],
			   count, count == 1 ? "" : "s", ihex_count[type]);
	switch (type) {
	case 0: return add_data(r, r->base + ((unsigned)b[1] << 8 | b[2]), b + 4, count);
	case 1: r->ended = 1; break;
	case 2: r->base = (uint64_t)((unsigned)b[4] << 8 | b[5]) << 4; break;
	case 4: r->base = (uint64_t)((unsigned)b[4] << 8 | b[5]) << 16; break;
	}
	return 0;
}

/* S-records, by type: the address length (S4 is no type). */
static const unsigned char srec_alen[10] = { 2, 2, 3, 4, 0, 2, 3, 4, 3, 2 };

/* S5/S6 (a count of the data records before it) and S7/S8/S9 (the end). */
static int srec_tail(struct reader *r, unsigned t, uint64_t value, long dlen)
{
	uint64_t have = r->ndata & (t == 5 ? 0xffff : 0xffffff);

	if (dlen)
		return bad(r, "S%u record with %ld data byte%s, expected none", t, dlen,
			   dlen == 1 ? "" : "s");
	if (t >= 7)
		r->ended = 1;
	else if (value != have)
		return bad(r,
			   "S%u record count %" PRIu64 ", but %" PRIu64 " data record%s before it",
			   t, value, have, have == 1 ? " comes" : "s come");
	return 0;
}

/* "StCC<address><data>SS": type, count, address, data, checksum. */
static int srec_record(struct reader *r, const char *s, size_t n)
{
	unsigned char b[TEXT_MAX / 2];
	unsigned sum = 0, t, alen;
	uint64_t addr = 0;
	long nb, i;

	if (s[0] != 'S')
		return bad_start(r, (unsigned char)s[0], 'S');
	if (n < 2)
		return bad(r, "record too short (no type)");
	if (s[1] < '0' || s[1] > '9' || s[1] == '4')
		return (unsigned char)s[1] > 0x20 && (unsigned char)s[1] < 0x7f
			       ? bad(r, "unknown record type 'S%c'", s[1])
			       : bad(r, "unknown record type: byte 0x%02x after 'S'",
				     (unsigned char)s[1]);
	t = (unsigned)(s[1] - '0');
	alen = srec_alen[t];
	if ((nb = decode(r, s + 2, n - 2, b)) < 0)
		return -1;
	if (nb < (long)alen + 2)
		return bad(r, "record too short (%ld bytes, at least %u)", nb, alen + 2);
	if (b[0] != (unsigned long)nb - 1)
		return bad(r, "byte count 0x%02x, but %ld bytes follow it", b[0], nb - 1);
	for (i = 0; i < nb - 1; i++)
		sum += b[i];
	if (b[nb - 1] != (unsigned char)~sum)
		return bad(r, "checksum 0x%02x, expected 0x%02x", b[nb - 1], (unsigned char)~sum);
	for (i = 1; i <= (long)alen; i++)
		addr = addr << 8 | b[i];
	if (t == 0)
		return 0;
	if (t > 3)
		return srec_tail(r, t, addr, nb - 2 - (long)alen);
	r->ndata++;
	return add_data(r, addr, b + 1 + alen, (size_t)(nb - 2 - (long)alen));
}

/* One line, s[0..n) without its LF: blank, or a record. */
static int parse_line(struct reader *r, const char *s, size_t n)
{
	if (r->line < UINT32_MAX)
		r->line++;
	if (n && s[n - 1] == '\r')
		n--;
	if (n == 0)
		return 0;
	if (n > TEXT_MAX)
		return bad(r, "more than %d characters, longer than any record", TEXT_MAX);
	return r->f == HEX_IHEX ? ihex_record(r, s, n) : srec_record(r, s, n);
}

/* Every line of fd up to the end record or the end; 0 or -1 with r->e. */
static int read_lines(struct reader *r, int fd)
{
	char *buf = malloc(READ_SIZE + TEXT_MAX + 2);
	size_t have = 0;
	int ret = -1;

	if (!buf)
		return sys_error(r, ENOMEM);
	while (!r->ended) {
		ssize_t got = read_wait(fd, buf + have, READ_SIZE);
		size_t end, start = 0;
		char *nl;

		if (got < 0) {
			sys_error(r, errno);
			goto out;
		}
		end = have + (size_t)got;
		while (!r->ended && (nl = memchr(buf + start, '\n', end - start)) != NULL) {
			if (parse_line(r, buf + start, (size_t)(nl - buf) - start) < 0)
				goto out;
			start = (size_t)(nl - buf) + 1;
		}
		if (got == 0 || r->ended) {	/* a last line may lack its LF */
			if (!r->ended && start < end && parse_line(r, buf + start, end - start) < 0)
				goto out;
			break;
		}
		/* A line with no LF in reach is too long to be a record. */
		if (end - start > TEXT_MAX + 1) {
			parse_line(r, buf + start, end - start);
			goto out;
		}
		memmove(buf, buf + start, end - start);
		have = end - start;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

static int by_addr(const void *a, const void *b)
{
	const struct hex_record *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* With the entries sorted by address: an overlap is an error, blamed on
 * the later line of the pair.  Each entry is checked against the one that
 * reaches furthest before it, which it overlaps if it overlaps any; of the
 * pairs so found, the one with the earliest later line is named. */
static int find_overlap(struct reader *r)
{
	const struct hex_record *v = r->img->rec, *far = NULL, *later = NULL, *earlier = NULL;

	for (size_t i = 0; i < r->img->n; i++) {
		if (far && v[i].addr < far->addr + far->len) {
			const struct hex_record *l = v[i].line > far->line ? &v[i] : far;

			if (!later || l->line < later->line) {
				later = l;
				earlier = l == far ? &v[i] : far;
			}
		}
		if (!far || v[i].addr + v[i].len > far->addr + far->len)
			far = &v[i];
	}
	if (!later)
		return 0;
	r->line = later->line;
	return bad(r,
		   "record at 0x%" PRIx64 "+%" PRIu64 " overlaps the one at 0x%" PRIx64 "+%" PRIu64
		   " on line %" PRIu32,
		   later->addr, later->len, earlier->addr, earlier->len, earlier->line);
}

/* The bytes in address order, after a sort moved the entries. */
static int compact(struct reader *r)
{
	struct hex_image *img = r->img;
	unsigned char *bytes = malloc(img->size ? (size_t)img->size : 1);
	uint64_t off = 0;

	if (!bytes)
		return sys_error(r, ENOMEM);
	for (size_t i = 0; i < img->n; i++) {
		memcpy(bytes + off, img->bytes + img->rec[i].off, (size_t)img->rec[i].len);
		img->rec[i].off = off;
		off += img->rec[i].len;
	}
	free(img->bytes);
	img->bytes = bytes;
	return 0;
}

/* Sort, refuse an overlap, put the bytes in order, join what touches. */
static int arrange(struct reader *r)
{
	struct hex_image *img = r->img;
	struct hex_record *v;
	size_t k = 0;

	if (!r->sorted)
		qsort(img->rec, img->n, sizeof *img->rec, by_addr);
	if (find_overlap(r) < 0 || (!r->sorted && compact(r) < 0))
		return -1;
	for (size_t i = 0; i < img->n; i++) {
		if (k && img->rec[k - 1].addr + img->rec[k - 1].len == img->rec[i].addr)
			img->rec[k - 1].len += img->rec[i].len;	/* its bytes follow */
		else
			img->rec[k++] = img->rec[i];
	}
	img->n = k;
	if (k) {
		img->lo = img->rec[0].addr;
		img->hi = img->rec[k - 1].addr + img->rec[k - 1].len;
		if ((v = realloc(img->rec, k * sizeof *v)) != NULL)	/* shrinking: may keep it */
			img->rec = v;
	}
	return 0;
}

int hex_read(int fd, enum hex_format f, struct hex_image *img, struct hex_error *e)
{
	struct reader r = { .f = f, .img = img, .e = e, .sorted = 1 };

	memset(img, 0, sizeof *img);
	memset(e, 0, sizeof *e);
	if (read_lines(&r, fd) < 0 || arrange(&r) < 0) {
		hex_release(img);
		return -1;
	}
	return 0;
}

void hex_release(struct hex_image *img)
{
	free(img->rec);
	free(img->bytes);
	memset(img, 0, sizeof *img);
}

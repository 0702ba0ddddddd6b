/*
 * hexout.h -- private to src/filter: what the ihex and srec filters share.
 *
 * Both cut the image into data records of `width` bytes at base + image
 * offset, and end with an end record; they differ only in the text of a
 * record (and Intel HEX never lets a record cross a 64 KiB boundary).  So
 * hexout.c holds the stage -- input, gaps, records, pending output -- and
 * each format file gives a struct hexout_format: its limits and the two
 * functions that write its records, as redis' ae_*.c give ae.c theirs.
 */
#ifndef FILTER_HEXOUT_H
#define FILTER_HEXOUT_H

#include "filter/filters.h"

/* The longest text a format's data() writes for one record of 255 bytes:
 * a data line (":" or "S3", count, 4 address bytes, type, 255 data bytes,
 * checksum, newline: under 540) and an extended address line before it. */
#define HEXOUT_REC_TEXT 600
/* Data at this address or above cannot be written (32-bit addresses). */
#define HEXOUT_LIMIT ((uint64_t)1 << 32)

struct hexout;

struct hexout_format {
	unsigned width_max;	/* the most data bytes a record holds */
	uint64_t span;		/* a power of 2: no record crosses a multiple of it */
	/* The text of the data record rec[0..len) at start, after whatever
	 * it needs first (Intel HEX: a type 04 record), at out; its length,
	 * at most HEXOUT_REC_TEXT. */
	size_t (*data)(struct hexout *f, unsigned char *out);
	/* The text of the end record at out; its length. */
	size_t (*end)(unsigned char *out);
};

struct hexout {
	struct stage st;	/* first: a stage pointer is a filter pointer */
	struct outbuf o;
	const struct hexout_format *fmt;
	uint64_t base;		/* the address of image offset 0 */
	uint64_t pos;		/* the image offset of the next input byte */
	uint64_t start;		/* the address of rec[0] */
	uint32_t upper;		/* Intel HEX: the upper 16 address bits in force */
	unsigned width;		/* data bytes per record */
	unsigned len;		/* bytes in rec: the record being filled */
	size_t batch;		/* input encoded at a time, so its text fits o */
	int ended;		/* the end record is in o, or was passed on */
	unsigned char rec[256];
};

/* The two hex digits of byte b at o (uppercase, as objcopy writes them);
 * returns o + 2. */
static inline unsigned char *hexout_byte(unsigned char *o, unsigned b)
{
	static const char digits[] = "0123456789ABCDEF";

	o[0] = (unsigned char)digits[(b >> 4) & 15];
	o[1] = (unsigned char)digits[b & 15];
	return o + 2;
}

/* A filter of format fmt with the stage ops ops, from "[width=N][:base=ADDR]"
 * (NULL: the defaults, width 16 and base 0). */
struct stage *hexout_create(const char *spec, const char *arg, const struct hexout_format *fmt,
			    const struct stage_ops *ops, struct errors *err);
/* The stage ops that both filters share. */
int64_t hexout_write(struct stage *st, const void *buf, uint64_t n);
int64_t hexout_skip(struct stage *st, uint64_t n);
int hexout_finish(struct stage *st);
void hexout_destroy(struct stage *st);

#endif

/*
 * srec.c -- srec[:width=N][:base=ADDR]: the image as Motorola S-records
 * (SPEC §10), gaps as address jumps; hexout.c cuts the records.
 *
 * Records.  S3 data records (32-bit addresses) of up to width bytes
 * (default 16, at most 250, so that the byte count stays within a byte) at
 * base + image offset, then an S7 termination record with address 0.  No
 * S0 header and no S5 count: SPEC §10 asks for neither, and readers take
 * files without them (srec_cat warns of the missing header).  Digits are
 * uppercase and lines end with LF, as objcopy writes them.
 */
#include "filter/hexout.h"

/* "StCC<address><data>SS\n" at o: type, count (of the bytes after it),
 * 4 address bytes, data, checksum (the ones' complement of the sum of
 * count, address and data); returns its length. */
static size_t srec_line(unsigned char *o, char type, uint32_t addr, const unsigned char *d,
			unsigned n)
{
	unsigned char *p = o;
	unsigned count = 4 + n + 1, sum = count;

	*p++ = 'S';
	*p++ = (unsigned char)type;
	p = hexout_byte(p, count);
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned b = (addr >> shift) & 0xff;

		p = hexout_byte(p, b);
		sum += b;
	}
	for (unsigned i = 0; i < n; i++) {
		p = hexout_byte(p, d[i]);
		sum += d[i];
	}
	p = hexout_byte(p, ~sum & 0xff);
	*p++ = '\n';
	return (size_t)(p - o);
}

static size_t srec_data(struct hexout *f, unsigned char *out)
{
	return srec_line(out, '3', (uint32_t)f->start, f->rec, f->len);
}

static size_t srec_end(unsigned char *out)
{
	return srec_line(out, '7', 0, NULL, 0);
}

/* No boundary inside 32-bit addresses: width and gaps alone cut records. */
static const struct hexout_format srec_format = {
	.width_max = 250,
	.span = HEXOUT_LIMIT,
	.data = srec_data,
	.end = srec_end,
};

static const struct stage_ops srec_ops = {
	.name = "srec",
	.text = 1,
	.write = hexout_write,
	.finish = hexout_finish,
	.destroy = hexout_destroy,
	.skip = hexout_skip,
};

struct stage *srec_create(const char *spec, const char *arg, struct errors *err)
{
	return hexout_create(spec, arg, &srec_format, &srec_ops, err);
}

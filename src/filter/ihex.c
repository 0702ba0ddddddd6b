/*
 * ihex.c -- ihex[:width=N][:base=ADDR]: the image as Intel HEX (SPEC §10),
 * gaps as address jumps; hexout.c cuts the records.
 *
 * Records.  A data record (type 00) holds up to width bytes (default 16,
 * at most 255) at base + image offset, and never crosses a 64 KiB
 * boundary: its 16-bit address is the low half of the address, and the
 * upper half is set by an extended linear address record (type 04) before
 * the first record whose upper half differs from the one in force -- 0 at
 * the start, as every reader assumes, so an image below 64 KiB has no type
 * 04 record.  The end-of-file record (01) comes last; there is no start
 * address record.  Digits are uppercase and lines end with LF, as objcopy
 * writes them.
 */
#include "filter/hexout.h"

/* ":CCAAAATT<data>SS\n" at o: count, address, type, data, checksum (the
 * two's complement of the sum of the other bytes); returns its length. */
static size_t ihex_line(unsigned char *o, unsigned type, unsigned addr, const unsigned char *d,
			unsigned n)
{
	unsigned char *p = o;
	unsigned sum = n + (addr >> 8) + (addr & 0xff) + type;

	*p++ = ':';
	p = hexout_byte(p, n);
	p = hexout_byte(p, addr >> 8);
	p = hexout_byte(p, addr & 0xff);
	p = hexout_byte(p, type);
	for (unsigned i = 0; i < n; i++) {
		p = hexout_byte(p, d[i]);
		sum += d[i];
	}
	p = hexout_byte(p, (0x100 - (sum & 0xff)) & 0xff);
	*p++ = '\n';
	return (size_t)(p - o);
}

static size_t ihex_data(struct hexout *f, unsigned char *out)
{
	uint32_t upper = (uint32_t)(f->start >> 16);
	size_t k = 0;

	if (upper != f->upper) {
		const unsigned char ela[2] = { (unsigned char)(upper >> 8), (unsigned char)upper };

		k = ihex_line(out, 4, 0, ela, 2);
		f->upper = upper;
	}
	return k + ihex_line(out + k, 0, (unsigned)(f->start & 0xffff), f->rec, f->len);
}

static size_t ihex_end(unsigned char *out)
{
	return ihex_line(out, 1, 0, NULL, 0);
}

static const struct hexout_format ihex_format = {
	.width_max = 255,
	.span = (uint64_t)1 << 16,
	.data = ihex_data,
	.end = ihex_end,
};

static const struct stage_ops ihex_ops = {
	.name = "ihex",
	.text = 1,
	.write = hexout_write,
	.finish = hexout_finish,
	.destroy = hexout_destroy,
	.skip = hexout_skip,
};

struct stage *ihex_create(const char *spec, const char *arg, struct errors *err)
{
	return hexout_create(spec, arg, &ihex_format, &ihex_ops, err);
}

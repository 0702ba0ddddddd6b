/*
 * hexfile.h -- Intel HEX and Motorola S-record files read into memory: the
 * bytes of their data records, by address (SPEC §9.4, `file PATH
 * format=ihex|srec`).
 *
 * What is read, and what is refused (the choices objcopy and srec_cat make,
 * where they agree):
 *  - A line is a record; it ends with LF or CR LF, the last one may lack
 *    it, and blank lines are skipped.  Anything else outside a record
 *    (blanks, a lone CR, text without the ':' or 'S' mark) is an error.
 *    Hex digits may be upper or lower case.
 *  - The end record (Intel type 01; S7, S8, S9) ends the file: nothing
 *    after it is read, as objcopy does.  A file without one is read to its
 *    end, as objcopy does (srec_cat only warns).
 *  - Intel HEX: 00 data at base + the 16-bit address, contiguous (never
 *    wrapping within 64 KiB: a record running past a 64 KiB boundary goes
 *    on into the next, as objcopy reads it); 02 sets base to its value *
 *    16, 04 to its value * 65536 (each replaces the other's, as srec_cat
 *    has it; objcopy would add them); 01 end of file; 03 and 05 (start
 *    addresses) are checked and ignored.  The byte count of 01 must be 0,
 *    of 02 and 04 2, of 03 and 05 4.  The checksum is the two's complement
 *    of the sum of the other bytes.  A record may end as far as 2^32 + 0xfe.
 *  - S-records: S1, S2, S3 data at 16-, 24-, 32-bit addresses; S0 (header)
 *    is checked and ignored; S5 and S6 give the number of data records
 *    before them (modulo 2^16 and 2^24), and a count that differs is an
 *    error, as srec_cat says; S7, S8, S9 end the file.  The checksum is the
 *    ones' complement of the sum of the count, address and data bytes.
 *  - Each error names its line: bad syntax (a character that is not a hex
 *    digit, an odd number of digits, a record too short for its type, a
 *    byte count that is not the record's length, a line longer than any
 *    record), a bad checksum ("line 12: checksum 0x3c, expected 0x3d"), an
 *    unknown record type, and a record overlapping another one, blamed on
 *    the later line of the two.
 *
 * The result.  Data records may come in any address order; the image lists
 * their bytes sorted by address, joined into runs: a record is a run of
 * bytes at consecutive addresses, however many data records made it (a
 * 16 MiB image written as 16-byte records is one record, not a million),
 * and the gaps between records are what the file does not describe.  All
 * the bytes are in one buffer, in address order.
 *
 * Cost.  One pass over the text in 1 MiB reads; the bytes and the record
 * list grow by doubling (no allocation per record or byte), and a file
 * whose records are already in address order is neither sorted nor copied.
 * While reading, every data record takes 32 bytes of the list (about twice
 * its data for 16-byte records) until they are joined at the end.
 */
#ifndef PLAN_HEXFILE_H
#define PLAN_HEXFILE_H

#include <stddef.h>
#include <stdint.h>

enum hex_format { HEX_IHEX, HEX_SREC };

/* A run of bytes at consecutive addresses. */
struct hex_record {
	uint64_t addr;		/* the address of its first byte */
	uint64_t off;		/* its bytes: image.bytes[off .. off + len) */
	uint64_t len;		/* > 0 */
	uint32_t line;		/* the line of its first data record */
};

struct hex_image {
	struct hex_record *rec;	/* sorted by address, disjoint, never touching */
	size_t n;
	unsigned char *bytes;	/* every record's bytes, in address order */
	uint64_t size;		/* their number: the sum of the records' len */
	uint64_t lo, hi;	/* the lowest address and the highest record end;
				 * both 0 when there is no data */
};

struct hex_error {
	uint32_t line;		/* the line of the bad record; 0 for a read error */
	int errnum;		/* an errno for a read error or ENOMEM, else 0 */
	char msg[160];		/* the whole message: "line 12: checksum 0x3c,
				 * expected 0x3d", or strerror(errnum) */
};

/* Read a whole HEX file of format f from fd, to its end record or its end.
 * 0 with *img filled (release it with hex_release), or -1 with *e and *img
 * empty. */
int hex_read(int fd, enum hex_format f, struct hex_image *img, struct hex_error *e);
void hex_release(struct hex_image *img);

/* The bytes of record i. */
static inline const unsigned char *hex_data(const struct hex_image *img, size_t i)
{
	return img->bytes + img->rec[i].off;
}

#endif

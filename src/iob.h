/*
 * iob.h -- the io_batch library: a queue of buffers, file ranges and fills
 * to be written out in order, modeled on libowfat's iob_* API.
 *
 * A batch is a list of entries.  Each entry contributes bytes: from memory
 * (iob_addbuf), from a range of an open file (iob_addfile), or n copies of
 * one byte (iob_addfill, iob_addzero).  iob_send() writes the rest of the
 * batch to a descriptor using the cheapest kernel path; iob_write() pushes
 * it through a callback.  Both consume entries exactly once, in order.
 *
 * Project extensions to libowfat's set: every entry also records a target
 * offset and a caller's tag (iob_place), so an engine that writes at offsets
 * (the aio engine) can walk b->e[] directly; and fill/zero entries, so that
 * long runs of one byte never need a buffer of their length.
 *
 * Return conventions (libowfat's): add calls return 1 on success and 0 on
 * failure (errno ENOMEM, EOVERFLOW past INT64_MAX, EINVAL or EBADF for bad
 * arguments), leaving the batch as it was; iob_send/iob_write return the number of
 * bytes written, 0 when nothing is left, -1 for EAGAIN, -3 for a permanent
 * error (errno says which).
 */
#ifndef IOB_H
#define IOB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t (*io_write_callback)(int64_t s, const void *buf, uint64_t n);

enum iob_kind {
	IOB_BUF,	/* bytes in memory */
	IOB_FILE,	/* a range of an open file (pread, or a kernel copy path) */
	IOB_FILL,	/* n copies of one byte */
	IOB_ZERO	/* n zero bytes that a writer may leave as a hole */
};

/* Entry flags: what iob_reset must release, and how a file is read. */
#define IOB_FREE_BUF	0x1u	/* free(buf) */
#define IOB_CLOSE_FD	0x2u	/* close(fd) */
#define IOB_STREAM	0x4u	/* IOB_FILE from a pipe or device: read(2) from its
				 * current position; off only counts bytes */
#define IOB_KEEP	0x8u	/* IOB_ZERO whose range the target keeps as it is:
				 * an engine that writes at offsets neither writes
				 * nor punches it (a source hole under holes=skip) */

/* 40 bytes: buf and fd share a union because a batch holds an entry per
 * fragment, and the per-fragment memory figure counts them. */
typedef struct iob_entry {
	union {
		const unsigned char *buf; /* IOB_BUF: the next byte to write */
		int fd;		/* IOB_FILE: the source */
	};
	uint64_t off;		/* IOB_FILE: source offset of the next byte;
				 * IOB_BUF: bytes of it consumed so far */
	uint64_t n;		/* bytes left in this entry */
	int64_t at;		/* target offset of the next byte */
	uint32_t tag;		/* the caller's, from iob_place */
	uint8_t kind;		/* enum iob_kind */
	uint8_t flags;		/* IOB_FREE_BUF, IOB_CLOSE_FD, IOB_STREAM, IOB_KEEP */
	uint8_t byte;		/* IOB_FILL: the byte; IOB_ZERO: 0 */
} iob_entry;

/* What iob_send moved through which kernel path, in bytes. */
struct iob_stats {
	uint64_t copy_file_range;
	uint64_t sendfile;
	uint64_t splice;
	uint64_t writev;
	uint64_t readwrite;	/* the read+write fallback */
	uint64_t seek;		/* zero entries left as holes (seek_zeros) */
};

typedef struct io_batch {
	iob_entry *e;		/* entries e[0..used); e[next..used) are left */
	size_t used, alloc, next;
	uint64_t bytesleft;
	int64_t at;		/* target offset given to the next entry */
	uint32_t tag;		/* tag given to the next entry */
	int err;		/* latched permanent error (an errno), or 0 */
	uint64_t call_max;	/* when set, one iob_send/iob_write call returns once
				 * about this many bytes went out (0: no bound) */
	int seek_zeros;		/* iob_send: move s's offset over IOB_ZERO entries
				 * with lseek, leaving holes (the caller vouches
				 * that s is a file whose bytes there read as 0) */
	int copy_only;		/* iob_send: no copy_file_range, which may share the
				 * source's extents (XFS, btrfs) instead of copying */
	volatile sig_atomic_t *stop; /* iob_send: when set, a system call that a
				 * signal interrupts while *stop is nonzero is not
				 * retried: the call ends with EINTR */
	unsigned char *scratch;	/* staging for file ranges and fills */
	size_t scratch_size;
	int scratch_fd;		/* what scratch holds: fd, source offset, */
	uint64_t scratch_off;	/* length (for IOB_FILE), or fill byte */
	uint64_t scratch_len;	/* (scratch_fd == -2, byte in scratch_off) */
	struct iob_stats stats;
} io_batch;

io_batch *iob_new(int hint_entries);
int iob_addbuf(io_batch *b, const void *buf, uint64_t n);
int iob_addbuf_free(io_batch *b, const void *buf, uint64_t n);
int iob_adds(io_batch *b, const char *s);
int iob_addfile(io_batch *b, int64_t fd, uint64_t off, uint64_t n);
int iob_addfile_close(io_batch *b, int64_t fd, uint64_t off, uint64_t n);
int iob_addstream(io_batch *b, int64_t fd, uint64_t n);
int iob_addfill(io_batch *b, unsigned char c, uint64_t n);
int iob_addzero(io_batch *b, uint64_t n);
void iob_place(io_batch *b, int64_t at, uint32_t tag);
uint64_t iob_bytesleft(const io_batch *b);
void iob_reset(io_batch *b);
void iob_free(io_batch *b);
int64_t iob_send(int64_t s, io_batch *b);
int64_t iob_write(int64_t s, io_batch *b, io_write_callback cb);

#endif

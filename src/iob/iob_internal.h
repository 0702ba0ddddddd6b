/*
 * iob_internal.h -- helpers shared by the io_batch calls; not installed.
 *
 * Invariants kept by every function here:
 *  - b->bytesleft is the sum of e[next..used).n and never exceeds INT64_MAX,
 *    so a byte count always fits the int64_t that iob_send/iob_write return;
 *  - an entry is consumed only through iob_consume(), which moves buf/off/at
 *    together, so a partly written entry resumes at the exact byte;
 *  - the scratch buffer says what it holds: scratch_fd >= 0 means
 *    scratch_len bytes of that file from scratch_off, IOB_SCRATCH_FILL means
 *    every byte is (unsigned char)scratch_off, -1 means nothing useful.
 */
#ifndef IOB_INTERNAL_H
#define IOB_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iob.h"
#include "util/io.h"
#include "util/mem.h"

/* One staging buffer per batch; big enough to amortise a syscall. */
#define IOB_SCRATCH_SIZE	((size_t)256 * 1024)
/* Linux moves at most this much per read/write-like call (MAX_RW_COUNT). */
#define IOB_MAX_IO		((uint64_t)0x7ffff000)
#define IOB_SCRATCH_NONE	(-1)
#define IOB_SCRATCH_FILL	(-2)

static inline uint64_t iob_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline int iob_is_again(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

/* Make room for one more entry; doubling keeps appends amortised O(1). */
static inline int iob_reserve(io_batch *b)
{
	size_t nalloc;
	iob_entry *ne;

	if (b->used < b->alloc)
		return 1;
	nalloc = b->alloc ? b->alloc * 2 : 16;
	if (nalloc < b->alloc || nalloc > SIZE_MAX / sizeof(*ne)) {
		errno = ENOMEM;
		return 0;
	}
	ne = mem_realloc(b->e, nalloc * sizeof(*ne));
	if (!ne) {
		errno = ENOMEM;
		return 0;
	}
	b->e = ne;
	b->alloc = nalloc;
	return 1;
}

/*
 * Append a copy of *proto at the batch's current target offset and tag.
 * Refuses (EOVERFLOW) when the byte count or the target offset would pass
 * INT64_MAX, so that later arithmetic on them can never wrap.
 */
static inline int iob_append(io_batch *b, const iob_entry *proto)
{
	iob_entry *e;
	uint64_t n = proto->n;

	if (n > (uint64_t)INT64_MAX - b->bytesleft ||
	    b->at > INT64_MAX - (int64_t)n) {
		errno = EOVERFLOW;
		return 0;
	}
	if (!iob_reserve(b))
		return 0;
	e = &b->e[b->used++];
	*e = *proto;
	e->at = b->at;
	e->tag = b->tag;
	b->at += (int64_t)n;
	b->bytesleft += n;
	return 1;
}

/* The scratch buffer is allocated on first use: pure-buffer batches never pay. */
static inline int iob_scratch_get(io_batch *b)
{
	if (b->scratch)
		return 1;
	b->scratch = malloc(IOB_SCRATCH_SIZE);
	if (!b->scratch) {
		errno = ENOMEM;
		return 0;
	}
	b->scratch_size = IOB_SCRATCH_SIZE;
	b->scratch_fd = IOB_SCRATCH_NONE;
	return 1;
}

/* Fill the scratch with c, unless it already holds nothing but c. */
static inline int iob_scratch_fill(io_batch *b, unsigned char c)
{
	if (!iob_scratch_get(b))
		return 0;
	if (b->scratch_fd == IOB_SCRATCH_FILL && b->scratch_off == c)
		return 1;
	memset(b->scratch, c, b->scratch_size);
	b->scratch_fd = IOB_SCRATCH_FILL;
	b->scratch_off = c;
	b->scratch_len = b->scratch_size;
	return 1;
}

/*
 * Point *p at the next bytes of file entry e and return how many are
 * there (> 0), or -errno.  Bytes already staged by an earlier call are
 * served again without a pread: a sink that takes one byte at a time must
 * cost one pread per scratch buffer, not one per byte.  A source that ends
 * before the entry does is EIO: retrying could never make progress.
 */
static inline int64_t iob_stage_file(io_batch *b, const iob_entry *e,
				     const unsigned char **p)
{
	uint64_t k;
	ssize_t r;

	*p = NULL;
	if (b->scratch_fd == e->fd && e->off >= b->scratch_off &&
	    e->off - b->scratch_off < b->scratch_len) {
		k = e->off - b->scratch_off;
		*p = b->scratch + k;
		return (int64_t)iob_min(b->scratch_len - k, e->n);
	}
	if (!iob_scratch_get(b))
		return -ENOMEM;
	b->scratch_fd = IOB_SCRATCH_NONE;
	if (e->flags & IOB_STREAM)
		r = read_wait(e->fd, b->scratch, (size_t)iob_min(e->n, b->scratch_size));
	else
		do {
			r = pread(e->fd, b->scratch, (size_t)iob_min(e->n, b->scratch_size),
				  (off_t)e->off);
		} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EIO;
	b->scratch_fd = e->fd;
	b->scratch_off = e->off;
	b->scratch_len = (uint64_t)r;
	*p = b->scratch;
	return r;
}

/*
 * Point *p at the next bytes of entry e, whatever its kind; return their
 * count (> 0) or -errno.  Memory entries are passed as they are; fills come
 * from the scratch buffer, so no fill ever needs a buffer of its length.
 */
static inline int64_t iob_stage(io_batch *b, const iob_entry *e, const void **p)
{
	const unsigned char *q;
	int64_t r;

	*p = NULL;
	switch (e->kind) {
	case IOB_BUF:
		*p = e->buf;
		return (int64_t)e->n;
	case IOB_FILE:
		r = iob_stage_file(b, e, &q);
		*p = q;
		return r;
	case IOB_FILL:
	case IOB_ZERO:
		if (!iob_scratch_fill(b, e->byte))
			return -ENOMEM;
		*p = b->scratch;
		return (int64_t)iob_min(e->n, b->scratch_size);
	}
	return -EINVAL;
}

/* Skip entries with nothing left, so e[next] is the one to write from. */
static inline void iob_skip_empty(io_batch *b)
{
	while (b->next < b->used && b->e[b->next].n == 0)
		b->next++;
}

/* k bytes of e (the current entry, k <= e->n) went out. */
static inline void iob_consume(io_batch *b, iob_entry *e, uint64_t k)
{
	e->n -= k;
	e->at += (int64_t)k;
	b->bytesleft -= k;
	e->off += k;		/* IOB_BUF: so that buf - off is where it began */
	if (e->kind == IOB_BUF)
		e->buf += k;
	if (e->n)
		return;
	/* Its staged bytes must not be served to a later entry of the same fd. */
	if (e->kind == IOB_FILE && b->scratch_fd == e->fd)
		b->scratch_fd = IOB_SCRATCH_NONE;
	b->next++;
}

/* k bytes went out across the entries from e[next] on (one writev). */
static inline void iob_advance(io_batch *b, uint64_t k)
{
	uint64_t t;

	while (k) {
		iob_skip_empty(b);
		t = iob_min(k, b->e[b->next].n);
		iob_consume(b, &b->e[b->next], t);
		k -= t;
	}
}

/*
 * A permanent error: latch it, so that it is reported exactly once to a
 * caller that got a byte count this time and to every call after that.
 */
static inline int64_t iob_fail(io_batch *b, int64_t total, int err)
{
	b->err = err ? err : EIO;
	if (total > 0)
		return total;
	errno = b->err;
	return -3;
}

#endif

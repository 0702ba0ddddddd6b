/*
 * iob_write.c -- push the rest of a batch through a write callback.
 *
 * The model: the callback behaves like a non-blocking write(2).  Each piece
 * it is offered is the next bytes of the current entry (a buffer as it is,
 * file data staged in the scratch buffer, fills from a scratch buffer full
 * of the byte).  Whatever it accepts is consumed at once and never offered
 * again; what it declines stays queued, and staged file bytes stay staged,
 * so the next call offers them again without another pread.
 *
 * A short count means the sink is full: return what went through.  A stop
 * (-1 or 0 from the callback, or a source error) after bytes went through
 * in this call returns that count; the next call reports the stop.  A
 * permanent error is latched in b->err and reported by every later call
 * without calling the callback again; EAGAIN is not latched.
 */
#include "iob_internal.h"

int64_t iob_write(int64_t s, io_batch *b, io_write_callback cb)
{
	int64_t total = 0, len, w;
	const void *p;
	iob_entry *e;

	if (b->err) {
		errno = b->err;
		return -3;
	}
	for (;;) {
		iob_skip_empty(b);
		if (b->next == b->used)
			return total;
		e = &b->e[b->next];
		len = iob_stage(b, e, &p);
		if (len < 0)
			return iob_fail(b, total, (int)-len);
		errno = 0;
		w = cb(s, p, (uint64_t)len);
		if (w < 0) {
			if (w == -1 && iob_is_again(errno))
				return total ? total : -1;
			return iob_fail(b, total, errno);
		}
		/* 0 with bytes offered, or more than offered: the sink is broken. */
		if (w == 0 || w > len)
			return iob_fail(b, total, EIO);
		iob_consume(b, e, (uint64_t)w);
		total += w;
		if (w < len || (b->call_max && (uint64_t)total >= b->call_max))
			return total;
	}
}

/*
 * iob_addbuf_free.c -- queue a malloc()ed buffer that the batch frees at
 * reset.  On failure nothing is taken: the caller still owns buf.
 */
#include "iob_internal.h"

int iob_addbuf_free(io_batch *b, const void *buf, uint64_t n)
{
	/* buf advances as bytes go out and off counts them: buf - off is
	 * what free() needs. */
	iob_entry e = { .kind = IOB_BUF, .buf = buf, .n = n, .flags = IOB_FREE_BUF };

	if (!buf && n) {
		errno = EINVAL;
		return 0;
	}
	return iob_append(b, &e);
}

/* iob_addbuf.c -- queue bytes the caller keeps alive until the batch is reset. */
#include "iob_internal.h"

int iob_addbuf(io_batch *b, const void *buf, uint64_t n)
{
	iob_entry e = { .kind = IOB_BUF, .buf = buf, .n = n };

	if (!buf && n) {
		errno = EINVAL;
		return 0;
	}
	return iob_append(b, &e);
}

/* iob_addstream.c -- queue the next n bytes read from fd (a pipe, FIFO,
 * socket or device) at its current position; fd stays the caller's. */
#include <limits.h>

#include "iob_internal.h"

int iob_addstream(io_batch *b, int64_t fd, uint64_t n)
{
	iob_entry e = { .kind = IOB_FILE, .flags = IOB_STREAM, .n = n, .fd = (int)fd };

	if (fd < 0 || fd > INT_MAX) {
		errno = EBADF;
		return 0;
	}
	if (n > (uint64_t)INT64_MAX) {
		errno = EOVERFLOW;
		return 0;
	}
	return iob_append(b, &e);
}

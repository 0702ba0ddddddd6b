/* iob_addfile.c -- queue n bytes of fd from offset off; fd stays the caller's. */
#include <limits.h>

#include "iob_internal.h"

int iob_addfile(io_batch *b, int64_t fd, uint64_t off, uint64_t n)
{
	iob_entry e = { .kind = IOB_FILE, .off = off, .n = n, .fd = (int)fd };

	if (fd < 0 || fd > INT_MAX) {
		errno = EBADF;
		return 0;
	}
	/* pread and friends take an off_t: the whole range must fit one. */
	if (off > (uint64_t)INT64_MAX || n > (uint64_t)INT64_MAX - off) {
		errno = EOVERFLOW;
		return 0;
	}
	return iob_append(b, &e);
}

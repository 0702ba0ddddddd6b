/*
 * iob_addfile_close.c -- like iob_addfile, but the batch closes fd at reset.
 * On failure nothing is taken: the caller still owns fd and must close it.
 */
#include "iob_internal.h"

int iob_addfile_close(io_batch *b, int64_t fd, uint64_t off, uint64_t n)
{
	if (!iob_addfile(b, fd, off, n))
		return 0;
	b->e[b->used - 1].flags |= IOB_CLOSE_FD;
	return 1;
}

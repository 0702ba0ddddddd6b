/*
 * iob_addzero.c -- queue n zero bytes.  Kept apart from a fill of 0 so an
 * engine that writes at offsets may leave them as a hole.
 */
#include "iob_internal.h"

int iob_addzero(io_batch *b, uint64_t n)
{
	iob_entry e = { .kind = IOB_ZERO, .n = n, .byte = 0 };

	return iob_append(b, &e);
}

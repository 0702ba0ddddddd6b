/* iob_addfill.c -- queue n copies of one byte, streamed without a buffer of n. */
#include "iob_internal.h"

int iob_addfill(io_batch *b, unsigned char c, uint64_t n)
{
	iob_entry e = { .kind = IOB_FILL, .n = n, .byte = c };

	return iob_append(b, &e);
}

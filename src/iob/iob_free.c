/* iob_free.c -- release everything the batch owns and the batch itself. */
#include "iob_internal.h"

void iob_free(io_batch *b)
{
	if (!b)
		return;
	iob_reset(b);
	mem_free(b->e);
	free(b);
}

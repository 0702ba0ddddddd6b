/* iob_place.c -- set the target offset and tag of the entries added next. */
#include "iob_internal.h"

void iob_place(io_batch *b, int64_t at, uint32_t tag)
{
	b->at = at;
	b->tag = tag;
}

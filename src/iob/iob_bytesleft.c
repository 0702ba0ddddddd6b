/* iob_bytesleft.c -- how many bytes the batch has yet to write. */
#include "iob_internal.h"

uint64_t iob_bytesleft(const io_batch *b)
{
	return b->bytesleft;
}

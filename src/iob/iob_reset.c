/*
 * iob_reset.c -- release what the entries own, consumed or not, and empty
 * the batch for reuse.  The entry array is kept: a batch refilled after a
 * reset usually needs about as many entries again.
 */
#include "iob_internal.h"

void iob_reset(io_batch *b)
{
	size_t i;

	for (i = 0; i < b->used; i++) {
		iob_entry *e = &b->e[i];

		if (e->flags & IOB_FREE_BUF)
			free((void *)(e->buf - e->off));
		/* Nothing useful to do if close fails: the fd is gone either way. */
		if (e->flags & IOB_CLOSE_FD)
			(void)close(e->fd);
	}
	free(b->scratch);
	b->scratch = NULL;
	b->scratch_size = 0;
	b->scratch_fd = IOB_SCRATCH_NONE;
	b->scratch_off = 0;
	b->scratch_len = 0;
	b->used = 0;
	b->next = 0;
	b->bytesleft = 0;
	b->at = 0;
	b->tag = 0;
	b->err = 0;
	memset(&b->stats, 0, sizeof(b->stats));
}

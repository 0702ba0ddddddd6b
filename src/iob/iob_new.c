/* iob_new.c -- create an empty batch. */
#include "iob_internal.h"

io_batch *iob_new(int hint_entries)
{
	io_batch *b = calloc(1, sizeof(*b));

	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	b->scratch_fd = IOB_SCRATCH_NONE;
	if (hint_entries > 0) {
		b->e = mem_calloc((size_t)hint_entries, sizeof(*b->e));
		if (!b->e) {
			free(b);
			errno = ENOMEM;
			return NULL;
		}
		b->alloc = (size_t)hint_entries;
	}
	return b;
}

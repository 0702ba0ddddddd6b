/* iob_adds.c -- queue a C string, without its terminating NUL. */
#include "iob_internal.h"

int iob_adds(io_batch *b, const char *s)
{
	if (!s) {
		errno = EINVAL;
		return 0;
	}
	return iob_addbuf(b, s, strlen(s));
}

/* engine_util.c -- small helpers of the engine's files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_internal.h"

int entry_bytes(const iob_entry *e, uint64_t done, unsigned char *buf, uint64_t n)
{
	switch (e->kind) {
	case IOB_BUF:
		memcpy(buf, e->buf + done, n);
		return 0;
	case IOB_FILE:
		return pread_full(e->fd, buf, n, (int64_t)(e->off + done));
	default:
		memset(buf, e->byte, n);
		return 0;
	}
}

int set_error(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	return -1;
}

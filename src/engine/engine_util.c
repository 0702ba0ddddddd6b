/* engine_util.c -- small helpers of the engine's files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "engine/engine_internal.h"

int pread_full(int fd, void *buf, size_t n, int64_t off)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t got = pread(fd, p, n, off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno;
		if (got == 0)
			return EIO;
		p += got;
		off += got;
		n -= (size_t)got;
	}
	return 0;
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

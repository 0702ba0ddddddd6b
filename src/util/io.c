/* io.c -- reading a file range whole (io.h). */
#include <errno.h>
#include <unistd.h>

#include "util/io.h"

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

/* io.c -- reading whole (io.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.h"
#include "util/mem.h"

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

/* poll first: a FIFO opened O_NONBLOCK before its writer came reads 0 (an
 * end) at once, but polls readable only once the writer has written or come
 * and gone (Linux keeps POLLHUP back until a writer has been seen).  So the
 * planner may open every FIFO without blocking and still read each in turn
 * (SPEC §9.5).  For anything else the poll costs one call and changes
 * nothing. */
ssize_t read_wait(int fd, void *buf, size_t n)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;	/* not readable yet: no read */
			return -1;
		}
		got = read(fd, buf, n);
		if (got >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return got;
	}
}

/* The first buffer size: the file's size + 1 (so one read sees the end)
 * when it is a regular file, else 64 KiB; never past max + 1. */
static size_t first_size(int fd, size_t max)
{
	struct stat st;
	size_t cap = 64 * 1024;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < SIZE_MAX / 2)
		cap = (size_t)st.st_size + 1;
	return cap > max ? max + 1 : cap;
}

int read_fd(int fd, size_t max, unsigned char **bufp, size_t *lenp)
{
	size_t cap, len = 0;
	unsigned char *buf, *bigger;
	ssize_t got;

	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;	/* cap + 1 never wraps */
	cap = first_size(fd, max);
	if (!(buf = mem_realloc(NULL, cap + 1)))
		return ENOMEM;
	while ((got = read_wait(fd, buf + len, cap - len)) > 0) {
		len += (size_t)got;
		if (len > max) {
			mem_free(buf);
			return E2BIG;
		}
		if (len < cap)
			continue;
		cap = cap > max / 2 ? max + 1 : cap * 2;
		if (!(bigger = mem_realloc(buf, cap + 1))) {
			mem_free(buf);
			return ENOMEM;
		}
		buf = bigger;
	}
	if (got < 0) {
		int err = errno;

		mem_free(buf);
		return err;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), err;

	if (fd < 0)
		return errno;
	err = read_fd(fd, max, buf, len);
	close(fd);
	return err;
}

int64_t next_data(int fd, int64_t off, int64_t end)
{
	off_t d = lseek(fd, off, SEEK_DATA);

	if (d < 0)
		return errno == ENXIO ? end : off;
	return d < end ? d : end;
}

int64_t next_hole(int fd, int64_t off, int64_t end)
{
	off_t h = lseek(fd, off, SEEK_HOLE);

	return h < 0 || h > end ? end : h;
}

/* realpath of path, or of its directory joined with its last component
 * when that does not exist yet (not "." or ".."); malloc'd, or NULL. */
static char *real_or_new(const char *path)
{
	char *r = realpath(path, NULL), *d, *b, *dir, *out = NULL;

	if (r || errno != ENOENT)
		return r;
	if (!(d = strdup(path)) || !(b = strdup(path))) {
		free(d);
		return NULL;
	}
	dir = realpath(dirname(d), NULL);
	if (dir && strcmp(basename(b), "..") != 0 && strcmp(basename(b), ".") != 0 &&
	    asprintf(&out, "%s/%s", strcmp(dir, "/") ? dir : "", basename(b)) < 0)
		out = NULL;
	free(dir);
	free(d);
	free(b);
	return out;
}

const char *path_below(const char *dir, const char *real)
{
	size_t n = strlen(dir);

	if (strcmp(real, dir) == 0)
		return real + n;
	if (strcmp(dir, "/") == 0)
		return real + 1;
	if (strncmp(real, dir, n) == 0 && real[n] == '/')
		return real + n + 1;
	return NULL;
}

int path_inside(const char *dir, const char *path)
{
	char *r = real_or_new(path);
	int in = r && path_below(dir, r) != NULL;

	free(r);
	return in;
}

/*
 * io.h -- reading whole: a file range, a stream's next bytes, a small file.
 *
 * Built into libiob.a as well as the program: the io_batch library reads
 * stream sources with read_wait.
 */
#ifndef UTIL_IO_H
#define UTIL_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* pread exactly n bytes at off: 0, or an errno (EIO: the file ended). */
int pread_full(int fd, void *buf, size_t n, int64_t off);
/* read(2) that waits with poll until fd is readable (a non-blocking
 * source, or a FIFO whose writer has not come yet) and waits out EINTR:
 * >= 0 bytes, or -1 with errno. */
ssize_t read_wait(int fd, void *buf, size_t n);
/* All of the file at path, at most max bytes (one more is E2BIG), into a
 * *buf of *len bytes plus a spare one (for a NUL), freed with mem_free
 * (util/mem.h: a manifest's text is an array that grows): 0 or an errno. */
int read_file(const char *path, size_t max, unsigned char **buf, size_t *len);
/* The same from an open descriptor. */
int read_fd(int fd, size_t max, unsigned char **buf, size_t *len);
/* A sparse file's map (SEEK_DATA, SEEK_HOLE) within [off, end): where the
 * data from off on starts (end when only a hole is left; off itself when
 * the file system cannot say), and where the data from off on stops. */
int64_t next_data(int fd, int64_t off, int64_t end);
int64_t next_hole(int fd, int64_t off, int64_t end);
/* Where real (a real path) goes on below the directory whose real path is
 * dir: the rest of real after "dir/" ("" for dir itself), or NULL when it
 * is not dir or beneath it. */
const char *path_below(const char *dir, const char *real);
/* Whether path, resolved (symbolic links followed; a last component that
 * does not exist yet taken as named), lies in the directory whose real path
 * is dir or beneath it. */
int path_inside(const char *dir, const char *path);

#endif

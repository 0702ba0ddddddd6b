/*
 * io.h -- reading a file range whole.
 */
#ifndef UTIL_IO_H
#define UTIL_IO_H

#include <stddef.h>
#include <stdint.h>

/* pread exactly n bytes at off: 0, or an errno (EIO: the file ended). */
int pread_full(int fd, void *buf, size_t n, int64_t off);

#endif

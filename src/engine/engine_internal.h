/* engine_internal.h -- what the engine's files share. */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* pread exactly n bytes at off: 0, or an errno (EIO: the file ended). */
int pread_full(int fd, void *buf, size_t n, int64_t off);
/* *err = the formatted message (NULL if even that fails); returns -1. */
int set_error(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

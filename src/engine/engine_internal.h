/* engine_internal.h -- what the engine's files share. */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "iob.h"
#include "util/io.h"

/* n bytes of entry e from offset done into buf, whatever its kind (a
 * memory, file or fill entry): 0, or an errno (EIO: a file ended). */
int entry_bytes(const iob_entry *e, uint64_t done, unsigned char *buf, uint64_t n);
/* *err = the formatted message (NULL if even that fails); returns -1. */
int set_error(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

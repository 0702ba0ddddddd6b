/* stream.h -- what the stream engine's files share. */
#ifndef STREAM_H
#define STREAM_H

#include <signal.h>

#include "filter/filter.h"

/* The last stage of a stream: write(2) to fd; threaded: by a thread of its
 * own (only for a target that never says EAGAIN: a file or a device). */
struct stage *sink_create(int fd, volatile sig_atomic_t *stop, int threaded);
/* Wait until everything a threaded sink took is written: 0, or the errno
 * of a write that failed (a direct one too), so that a target's error is
 * not taken for a source's. */
int sink_drain(struct stage *sink);
/* --direct: a sink of aligned writes from offset 0 (direct_out.c). */
struct target;
struct stage *sink_create_direct(const struct target *t, volatile sig_atomic_t *stop);

#endif

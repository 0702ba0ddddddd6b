/* stream.h -- what the stream engine's files share. */
#ifndef STREAM_H
#define STREAM_H

#include <signal.h>

#include "filter/filter.h"

/* The last stage of a stream: write(2) to fd. */
struct stage *sink_create(int fd, volatile sig_atomic_t *stop);

#endif

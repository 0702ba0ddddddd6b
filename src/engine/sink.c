/*
 * sink.c -- the last stage of a stream: write(2) to the target descriptor.
 *
 * It takes what write(2) takes.  EAGAIN (a non-blocking target that is
 * full) goes back up the chain as -1/EAGAIN: the engine polls the target
 * for POLLOUT and calls again, so no byte is lost and no loop spins.  EINTR
 * is retried unless a signal asked the run to stop.  EPIPE (the reader went
 * away; SIGPIPE is ignored) is a permanent error like any other.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/stream.h"

struct sink {
	struct stage st;
	int fd;
	volatile sig_atomic_t *stop;
};

static int64_t sink_write(struct stage *st, const void *buf, uint64_t n)
{
	struct sink *s = (struct sink *)st;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	if (s->stop && *s->stop) {
		errno = EINTR;	/* stopped: no more bytes out */
		return -1;
	}
	for (;;) {
		ssize_t w = write(s->fd, buf, n);

		if (w >= 0) {
			st->out += (uint64_t)w;
			return w;
		}
		if (errno != EINTR || (s->stop && *s->stop))
			return -1;
	}
}

static int sink_finish(struct stage *st)
{
	(void)st;
	return 0;
}

static void sink_destroy(struct stage *st)
{
	free(st);
}

static const struct stage_ops sink_ops = { "sink", sink_write, sink_finish, sink_destroy };

struct stage *sink_create(int fd, volatile sig_atomic_t *stop)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->st.ops = &sink_ops;
	s->fd = fd;
	s->stop = stop;
	return &s->st;
}

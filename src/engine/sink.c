/*
 * sink.c -- the last stage of a stream: write(2) to the target descriptor.
 *
 * It takes what write(2) takes.  EAGAIN (a non-blocking target that is
 * full) goes back up the chain as -1/EAGAIN: the engine polls the target
 * for POLLOUT and calls again, so no byte is lost and no loop spins.  EINTR
 * is retried unless a signal asked the run to stop.  EPIPE (the reader went
 * away; SIGPIPE is ignored) is a permanent error like any other.
 *
 * Behind a filter, into a regular file or a block device, the writes past
 * the first DIRECT_BYTES are done by a thread of their own, so that
 * filtering the next bytes overlaps writing the last ones (writing is most
 * of the time of `-f hex` or `-f xor`: tmpfs copies and allocates under the
 * inode lock).  The sink then copies what it takes into a ring of
 * WRITER_BUFS buffers, which the writer empties in order; a failed write is
 * kept and returned by the next sink_write, sink_finish or sink_drain, and
 * nothing after it is written.  The engine drains the sink after every
 * call, so that a failure is reported with the fragments of that call.  Small images, and a target that fails at
 * once (/dev/full), never start the thread: their failures stay with the
 * request that met them.
 * Such targets never say EAGAIN, so the engine's polling never waits on
 * the writer.  Pipes, sockets and terminals keep the direct write, whose
 * EAGAIN the engine must see.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "engine/stream.h"
#include "util/mem.h"
#include "util/thread.h"

#define WRITER_BUFS 4
#define WRITER_BUF ((size_t)1 << 20)
#define DIRECT_BYTES ((uint64_t)4 << 20)

struct writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* a buffer was queued, written, or quit was set */
	struct big_buf ring;	/* the buffers, in 2 MiB pages (util/mem.h) */
	unsigned char *buf[WRITER_BUFS];
	size_t len[WRITER_BUFS];
	uint64_t queued, written; /* buffers handed to the writer, and done */
	size_t fill;		/* bytes in buf[queued % WRITER_BUFS] */
	int err;		/* the first failed write's errno, or 0 */
	int quit;
};

struct sink {
	struct stage st;
	int fd;
	volatile sig_atomic_t *stop;
	int err;		/* direct writes: the errno of one that failed */
	int threaded;		/* the writer may be started */
	struct writer *w;	/* NULL: write directly */
	struct direct_out *d;	/* --direct: aligned writes instead (direct_out.c) */
};

static int writer_start(struct sink *s);

/* write(2) all of buf; 0 or an errno. */
static int write_all(struct sink *s, const unsigned char *buf, size_t n, uint64_t *out)
{
	while (n) {
		ssize_t w = write(s->fd, buf, n > SSIZE_MAX ? SSIZE_MAX : n);

		if (w < 0 && errno == EINTR && !(s->stop && *s->stop))
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return EIO;
		buf += w;
		n -= (size_t)w;
		*out += (uint64_t)w;
	}
	return 0;
}

static void *writer_main(void *arg)
{
	struct sink *s = arg;
	struct writer *w = s->w;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->written == w->queued && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->written == w->queued)
			break;
		unsigned i = (unsigned)(w->written % WRITER_BUFS);
		uint64_t out = 0;
		int err = 0;

		pthread_mutex_unlock(&w->mu);
		/* After a failure, or once a signal stopped the run, nothing
		 * more is written. */
		if (!w->err && !(s->stop && *s->stop))
			err = write_all(s, w->buf[i], w->len[i], &out);
		pthread_mutex_lock(&w->mu);
		s->st.out += out;
		if (err && !w->err)
			w->err = err;
		w->written++;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Hand the buffer being filled to the writer; wait while the ring is full.
 * Called with the lock held. */
static void queue_fill(struct writer *w)
{
	w->len[w->queued % WRITER_BUFS] = w->fill;
	w->queued++;
	w->fill = 0;
	pthread_cond_broadcast(&w->cv);
	while (w->queued - w->written == WRITER_BUFS)
		pthread_cond_wait(&w->cv, &w->mu);
}

static int64_t sink_write_async(struct sink *s, const unsigned char *buf, uint64_t n)
{
	struct writer *w = s->w;
	uint64_t taken = 0;
	int err;

	pthread_mutex_lock(&w->mu);
	while (!(err = w->err) && taken < n) {
		unsigned char *to = w->buf[w->queued % WRITER_BUFS] + w->fill;
		size_t k = WRITER_BUF - w->fill < n - taken ? WRITER_BUF - w->fill
							     : (size_t)(n - taken);

		/* The buffer being filled is the producer's own: copy unlocked. */
		pthread_mutex_unlock(&w->mu);
		memcpy(to, buf + taken, k);
		pthread_mutex_lock(&w->mu);
		w->fill += k;
		taken += k;
		if (w->fill == WRITER_BUF)
			queue_fill(w);
	}
	pthread_mutex_unlock(&w->mu);
	if (taken)
		return (int64_t)taken;
	errno = err;
	return -1;
}

static int64_t sink_write(struct stage *st, const void *buf, uint64_t n)
{
	struct sink *s = (struct sink *)st;

	if (s->stop && *s->stop) {
		errno = EINTR;	/* stopped: no more bytes out */
		return -1;
	}
	if (s->d)
		return direct_out_write(s->d, buf, n);
	if (!s->w && s->threaded && st->out >= DIRECT_BYTES) {
		s->threaded = 0;
		writer_start(s);	/* or, failing that, direct writes */
	}
	if (s->w)
		return sink_write_async(s, buf, n);
	for (;;) {
		ssize_t w = write(s->fd, buf, n > SSIZE_MAX ? SSIZE_MAX : n);

		if (w >= 0) {
			st->out += (uint64_t)w;
			return w;
		}
		if (errno != EINTR || (s->stop && *s->stop)) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				s->err = errno;
			return -1;
		}
	}
}

int sink_drain(struct stage *st)
{
	struct sink *s = (struct sink *)st;
	struct writer *w = s->w;
	int err;

	if (s->d)
		return direct_out_flush(s->d);
	if (!w)
		return s->err;
	pthread_mutex_lock(&w->mu);
	if (w->fill && !w->err)
		queue_fill(w);
	while (w->written != w->queued)
		pthread_cond_wait(&w->cv, &w->mu);
	err = w->err;
	pthread_mutex_unlock(&w->mu);
	return err;
}

static int sink_finish(struct stage *st)
{
	struct sink *s = (struct sink *)st;
	int err = s->d ? direct_out_finish(s->d) : sink_drain(st);

	if (!err)
		return 0;
	errno = err;
	return -1;
}

static void writer_stop(struct sink *s)
{
	struct writer *w = s->w;

	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
}

static void writer_free(struct writer *w)
{
	big_buf_free(&w->ring);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static void sink_destroy(struct stage *st)
{
	struct sink *s = (struct sink *)st;

	if (s->w) {
		writer_stop(s);
		writer_free(s->w);
	}
	direct_out_free(s->d);
	free(st);
}

static const struct stage_ops sink_ops = {
	.name = "sink",
	.write = sink_write,
	.finish = sink_finish,
	.destroy = sink_destroy,
};

/* Start the writer thread; 0, or -1 (the sink then writes directly). */
static int writer_start(struct sink *s)
{
	struct writer *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (big_buf_alloc(&w->ring, WRITER_BUFS * WRITER_BUF, WRITER_BUFS * WRITER_BUF) < 0) {
		writer_free(w);
		return -1;
	}
	for (int i = 0; i < WRITER_BUFS; i++)
		w->buf[i] = w->ring.p + (size_t)i * WRITER_BUF;
	s->w = w;
	if (thread_start(&w->thread, writer_main, s) != 0) {
		s->w = NULL;
		writer_free(w);
		return -1;
	}
	return 0;
}

struct stage *sink_create(int fd, volatile sig_atomic_t *stop, int threaded)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->st.ops = &sink_ops;
	s->fd = fd;
	s->stop = stop;
	s->threaded = threaded;
	return &s->st;
}

struct stage *sink_create_direct(const struct target *t, volatile sig_atomic_t *stop)
{
	struct stage *st = sink_create(t->fd, stop, 0);
	struct sink *s = (struct sink *)st;

	if (st && !(s->d = direct_out_new(t, &st->out))) {
		free(st);
		return NULL;
	}
	return st;
}

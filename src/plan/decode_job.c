/*
 * decode_job.c -- decoded bytes at write time: a thread per batch entry
 * that decodes its range of a compressed source into a pipe, whose read
 * end the batch holds as a stream entry (iob_addstream).
 *
 * Why a pipe and a thread.  The engines already read stream entries in
 * target order, one read at a time, and iob_send splices them; a pipe
 * makes a decoder one more stream, so that decoded bytes flow through the
 * same read paths as every other source, with no temporary file, while
 * decoding runs beside the writes.  The pipe (1 MiB where the system
 * allows) is the only buffer between the decoder and the engine.
 *
 * Why a job per entry, started in batch order, a few at a time.  An
 * entry's bytes are wanted when the engine reaches it, and both engines
 * read stream entries in batch order (under --allow-overlap the pieces of
 * several fragments interleave, but each piece is an entry of its own).
 * So jobs start in that order, at most RUNNING_MAX running at once, each
 * finished job starting the next: the job the engine waits for has always
 * been started, since every job before it has finished or is running, and
 * a job that is ahead blocks on its full pipe.  Thousands of decoded
 * entries then cost their pipes (two descriptors each) but not thousands
 * of threads, decoders and full pipe buffers at once.  Each job decodes
 * its source from the start.
 *
 * Ownership.  The thread owns the write end and closes it when it is done
 * (all bytes written, the data ended early, or a fault), so the engine sees
 * the end of the stream; a fault is kept in the job (EBADMSG for corrupt or
 * truncated data), for plan_decode_error.  plan_decode_stop closes the read
 * ends, which ends any thread still writing (EPIPE; its signals are
 * blocked), and joins them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "plan/decode_internal.h"
#include "plan/plan.h"
#include "util/thread.h"

#define PIECE ((size_t)256 << 10)
#define PIPE_SIZE (1 << 20)

/* Decoders running at once: enough to keep the engine fed on two cores. */
#define RUNNING_MAX 4

struct decode_job {
	struct decode_set *set;
	pthread_t t;
	int started;
	int rfd, wfd;		/* the pipe; wfd is the thread's */
	int src_fd, fmt;
	int64_t skip, len;	/* the decoded range */
	size_t frag;
	atomic_int stop;
	int err;		/* the thread's fault, or 0 */
};

static int write_all(int fd, const unsigned char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Skip, then decode len bytes into the pipe: 0 (done, or the data ended
 * early, or the reader went away), or the errno of a fault.  The formats
 * check their data at the end of a block, frame or member (CRCs, content
 * checksums), so a range that ends where the data ends is followed by one
 * more read, which takes the last checks: damage that only a checksum
 * shows fails the fragment even though all of its bytes went through. */
static int pump(struct decode_job *j, struct codec *c, unsigned char *buf)
{
	int64_t skipped = 0, left = j->len;

	while (skipped < j->skip && !atomic_load(&j->stop)) {
		int64_t step = j->skip - skipped < (int64_t)(16 * PIECE) ? j->skip - skipped
									: (int64_t)(16 * PIECE);
		int64_t got = codec_skip(c, step, buf, PIECE);

		if (got < 0)
			return errno;
		if (got < step)
			return 0;	/* short: the reader sees the end */
		skipped += got;
	}
	while (left > 0 && !atomic_load(&j->stop)) {
		ssize_t r = codec_read(c, buf, left < (int64_t)PIECE ? (size_t)left : PIECE);

		if (r < 0)
			return errno;
		if (r == 0 || write_all(j->wfd, buf, (size_t)r) < 0)
			return 0;
		left -= r;
	}
	if (left == 0 && codec_read(c, buf, PIECE) < 0)
		return errno;
	return 0;
}

static void *job_main(void *arg);

/* Start jobs in batch order while fewer than RUNNING_MAX run; d->lock is
 * held.  A job whose thread cannot start fails its fragment with the
 * errno, and its reader sees the end of the stream. */
static void start_pending(struct decode_set *d)
{
	while (!d->stopping && d->running < RUNNING_MAX && d->next < d->njob) {
		struct decode_job *j = d->job[d->next++];
		int rc = thread_start(&j->t, job_main, j);

		if (rc != 0) {
			j->err = rc;
			close(j->wfd);
			j->wfd = -1;
			continue;
		}
		j->started = 1;
		d->running++;
	}
}

/* A job's thread is done: the next may start. */
static void finished(struct decode_set *d)
{
	pthread_mutex_lock(&d->lock);
	d->running--;
	start_pending(d);
	pthread_mutex_unlock(&d->lock);
}

static void *job_main(void *arg)
{
	struct decode_job *j = arg;
	unsigned char *buf = malloc(PIECE);
	struct codec *c = buf ? codec_open(j->src_fd, j->fmt) : NULL;

	j->err = c ? pump(j, c, buf) : ENOMEM;
	codec_close(c);
	free(buf);
	close(j->wfd);
	finished(j->set);
	return NULL;
}

/* Keep job in the set, so that plan_decode_stop finds it: 0 or ENOMEM. */
static int keep_job(struct decode_set *d, struct decode_job *j)
{
	int rc = 0;

	/* Under the lock: a finishing job's thread reads d->job meanwhile. */
	pthread_mutex_lock(&d->lock);
	if (d->njob == d->jobcap) {
		size_t cap = d->jobcap ? 2 * d->jobcap : 8;
		struct decode_job **v = realloc(d->job, cap * sizeof(*v));

		if (v) {
			d->job = v;
			d->jobcap = cap;
		} else {
			rc = ENOMEM;
		}
	}
	if (rc == 0)
		d->job[d->njob++] = j;
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* A job for n decoded bytes of fragment i from off, its pipe made and
 * kept in the set: NULL with errno. */
static struct decode_job *new_job(const struct plan *p, size_t i, int64_t off, uint64_t n)
{
	const struct decode_rec *r = decode_find(p, i);
	struct decode_job *j = r ? calloc(1, sizeof(*j)) : NULL;
	int fds[2];

	if (!j || pipe2(fds, O_CLOEXEC) < 0) {
		int e = j ? errno : r ? ENOMEM : EINVAL;

		free(j);
		errno = e;
		return NULL;
	}
	/* Fewer, larger reads and writes; the default 64 KiB also works. */
	(void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
	*j = (struct decode_job){ .set = p->dec, .rfd = fds[0], .wfd = fds[1], .fmt = r->fmt,
				  .frag = i,
				  .src_fd = p->src[p->pf[i].src].fd,
				  .skip = p->pf[i].src_off + off, .len = (int64_t)n };
	if (keep_job(p->dec, j) != 0) {
		close(fds[0]);
		close(fds[1]);
		free(j);
		errno = ENOMEM;
		return NULL;
	}
	return j;
}

int decode_addstream(io_batch *b, const struct plan *p, size_t i, int64_t off, uint64_t n)
{
	struct decode_job *j = new_job(p, i, off, n);

	if (!j)
		return 0;
	pthread_mutex_lock(&p->dec->lock);
	start_pending(p->dec);
	pthread_mutex_unlock(&p->dec->lock);
	return iob_addstream(b, j->rfd, n);
}

void plan_decode_stop(const struct plan *p)
{
	struct decode_set *d = p->dec;

	if (d) {
		pthread_mutex_lock(&d->lock);
		d->stopping = 1;
		pthread_mutex_unlock(&d->lock);
	}
	for (size_t k = 0; d && k < d->njob; k++) {
		struct decode_job *j = d->job[k];
		struct decode_rec *r = decode_find(p, j->frag);

		atomic_store(&j->stop, 1);
		close(j->rfd);
		if (j->started)
			pthread_join(j->t, NULL);
		else if (j->wfd >= 0)
			close(j->wfd);	/* never started: the write end is still ours */
		if (r && !r->err)
			r->err = j->err;
		free(j);
	}
	if (d) {	/* every thread is joined: a later batch (--verify) starts afresh */
		d->njob = d->next = 0;
		d->running = 0;
		d->stopping = 0;
	}
}

int plan_decode_error(const struct plan *p, size_t i)
{
	const struct decode_rec *r = decode_find(p, i);

	return r ? r->err : 0;
}

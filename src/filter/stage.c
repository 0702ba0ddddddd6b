/*
 * stage.c -- what every stage shares: counted writes, the chain's
 * lifecycle, and the pending-output buffer of a filter.
 *
 * A filter turns the input it takes into output in its outbuf, then offers
 * that output to the next stage.  Whatever the next stage does not take
 * stays pending in buf[head..tail) and is offered again, first thing, on
 * the next write or finish; so a filter never takes new input while old
 * output is pending, and the outbuf never grows.  When it empties, head and
 * tail go back to 0, so the whole buffer is free for the next batch.
 *
 * A gap (stage_skip) goes to a stage's skip() when it has one, and is
 * zeros through its write() when it has not (filter.h, "Gaps").
 */
#include "filter/filters.h"

#include <errno.h>
#include <stdlib.h>

int64_t stage_write(struct stage *st, const void *buf, uint64_t n)
{
	int64_t r;

	if (n == 0)
		return 0;
	if (n > FILTER_CALL_MAX)	/* bounded work a call, for every stage */
		n = FILTER_CALL_MAX;
	r = st->ops->write(st, buf, n);
	if (r > 0)
		st->in += (uint64_t)r;
	return r;
}

/* A gap into a stage that keeps no gaps is zeros, from one static buffer,
 * at most 64 KiB a call: the caller loops, as after any short write. */
int64_t stage_skip(struct stage *st, uint64_t n)
{
	static const unsigned char zeros[64 * 1024];
	int64_t r;

	if (n == 0)
		return 0;
	if (!st->ops->skip)
		return stage_write(st, zeros, n < sizeof zeros ? n : sizeof zeros);
	r = st->ops->skip(st, n);
	if (r > 0)
		st->in += (uint64_t)r;
	return r;
}

int stage_finish(struct stage *st)
{
	return st->ops->finish(st);
}

void stage_destroy_chain(struct stage *st)
{
	struct stage *next;

	for (; st; st = next) {
		next = st->next;
		st->ops->destroy(st);
	}
}

int outbuf_init(struct outbuf *o, size_t cap)
{
	o->head = o->tail = 0;
	o->cap = 0;
	o->buf = malloc(cap ? cap : 1);
	if (!o->buf)
		return -1;
	o->cap = cap;
	return 0;
}

void outbuf_release(struct outbuf *o)
{
	free(o->buf);
	o->buf = NULL;
	o->cap = o->head = o->tail = 0;
}

/* A next stage that takes 0 bytes, or claims more than it was offered, is
 * broken: that is EIO, as iob_write(3) says, never a silent loop. */
int outbuf_flush(struct stage *st, struct outbuf *o)
{
	while (o->head < o->tail) {
		uint64_t n = o->tail - o->head;
		int64_t r;

		if (!st->next) {
			errno = EINVAL;
			return -1;
		}
		r = stage_write(st->next, o->buf + o->head, n);
		if (r <= 0 || (uint64_t)r > n) {
			if (r >= 0)
				errno = EIO;
			return -1;
		}
		o->head += (size_t)r;
		st->out += (uint64_t)r;
	}
	o->head = o->tail = 0;
	return 0;
}

int64_t transform_write(struct stage *st, struct outbuf *o, const void *buf, uint64_t n,
			size_t batch, transform_fn encode)
{
	const unsigned char *in = buf;
	uint64_t taken = 0;

	if (outbuf_flush(st, o) < 0)
		return -1;
	/* Input is taken once encoded into o; a flush that stops after that
	 * (EAGAIN, or an error that the next call meets again) only ends this
	 * call. */
	while (taken < n) {
		size_t k = n - taken < batch ? (size_t)(n - taken) : batch;

		o->tail = encode(st, o->buf, in + taken, k);
		taken += k;
		if (outbuf_flush(st, o) < 0)
			break;
	}
	return (int64_t)taken;
}

/*
 * stream.c -- the stream engine: the image, in target order, to a file, a
 * pipe or standard output.
 *
 * Model.  The batch holds the whole image: extents and, between them, zero
 * entries for the gaps and the padding (plan_batch with gaps).  Without
 * filters, iob_send() writes it with the kernel's copy paths; with filters,
 * iob_write() pushes it through the chain, whose last stage is the sink.
 * Into a new or replaced regular file without filters, zero ranges and
 * gaps are left as holes (the offset moves over them), and a trailing hole
 * is made by setting the length.
 * Either call is repeated until it returns 0 (done), -1 (the target is
 * full: poll it for POLLOUT, then call again), or -3 (a permanent error).
 * After the batch, each filter is finished in chain order (the gzip
 * trailer, the last hex newline), again polling on EAGAIN.
 *
 * A "request" here is one iob_send/iob_write call that moved bytes or
 * failed: it is reported like an aio request, with the call's errno as
 * aio_error and its return value as aio_return.  A fragment's written bytes
 * are what its entries lost of their length.
 *
 * Gaps as gaps.  When the chain's first stage has a skip() op (ihex, srec:
 * filter.h, "Gaps"), a gap -- a zero entry with no fragment's tag, which
 * plan_batch makes for the gaps and the padding -- does not go through
 * iob_write as zeros: the engine hands it to stage_skip() whole and
 * consumes the entry itself, as iob_write would have (a jump of any length
 * costs one call).  iob_write is kept from running into a gap by its
 * callback, which declines a gap entry with EAGAIN, the one way a callback
 * makes iob_write return what went through so far without an error; the
 * engine skips the gap before it calls iob_write again, so that EAGAIN never
 * reaches the polling.  A skipped gap is no request (nothing is written for
 * it) and not in bytes_written.  `pad` bytes are written, never skipped:
 * plan_batch must make them fills, or tag them, to be told from a gap.
 *
 * Shared extents.  Without filters, a span of a file entry that clone.c
 * can clone is cloned before iob_send gets to it (iob_send's call is
 * bounded to end in front of it); the span is consumed from the batch like
 * a skipped gap, and counts as written but as no request.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/stream.h"

#define STREAM_CALL_MAX ((uint64_t)8 << 20)

struct stream_run {
	io_batch *b;
	const struct target *t;
	const struct engine_opts *o;
	struct engine_result *r;
	struct stage *head;	/* the first filter, or NULL for iob_send */
	struct stage *sink;
	uint64_t *len;		/* each entry's length before the run */
	int err;		/* the permanent error that ended the run */
	struct tag_list tags;	/* the fragments of the call being recorded */
	uint64_t done;		/* image bytes through so far */
	int gaps;		/* the chain keeps gaps: the head has a skip() op */
	uint64_t skipped;	/* gap bytes handed to stage_skip */
	struct cloner clone;	/* shared extents (clone.c); off with filters */
};

/* Whether entry i is a gap: zeros that no fragment gives. */
static int is_gap(const struct stream_run *x, size_t i)
{
	const io_batch *b = x->b;

	return i < b->used && b->e[i].kind == IOB_ZERO && b->e[i].tag >= x->r->nfrag;
}

/* iob_write's callback; e[next] is the entry whose bytes it is offered. */
static int64_t to_chain(int64_t s, const void *buf, uint64_t n)
{
	struct stream_run *x = (struct stream_run *)(intptr_t)s;

	if (x->gaps && is_gap(x, x->b->next)) {
		errno = EAGAIN;	/* stop in front of it: skip_gap's */
		return -1;
	}
	return stage_write(x->head, buf, n);
}

/* Wait until the target takes bytes again; -1 when a signal stops the run. */
static int wait_writable(struct stream_run *x)
{
	struct pollfd pfd = { .fd = x->t->fd, .events = POLLOUT };

	while (poll(&pfd, 1, -1) < 0)
		if (errno != EINTR || *x->o->stop)
			return -1;
	return *x->o->stop ? -1 : 0;
}

/* Whether entry i is a zero range that iob_send leaves as a hole. */
static int left_as_hole(const io_batch *b, size_t i)
{
	return b->e[i].kind == IOB_ZERO && b->seek_zeros;
}

/* One call's outcome: the request record, and +1 request for every
 * fragment whose entries it touched. */
static void record(struct stream_run *x, size_t first, int64_t at, int64_t ret, int err)
{
	const io_batch *b = x->b;
	size_t last = b->next < b->used ? b->next : b->used - 1;
	uint32_t tag = first < b->used ? b->e[first].tag : UINT32_MAX;
	struct request_outcome out = {
		.req = x->r->requests + 1, .at = at, .len = ret > 0 ? ret : 0, .err = err, .ret = ret,
	};

	/* The entry the call stopped in front of, untouched, is not its. */
	if (last > first && last == b->next && b->e[last].n == x->len[last])
		last--;
	x->r->requests++;
	if (err) {
		x->r->failed++;
		outcome_of(x->r, tag)->err = err;
	}
	tag_list_start(&x->tags, out.req, x->r->nfrag);
	for (size_t i = first; i <= last && i < b->used; i++) {
		struct frag_outcome *f = outcome_of(x->r, b->e[i].tag);

		if (left_as_hole(b, i))
			continue;
		if (tag_list_add(&x->tags, b->e[i].tag) != 0)
			f->requests++;
		if (err && !f->err)
			f->err = err;
	}
	out.tags = x->tags.v;
	out.ntags = x->tags.n;
	if (x->o->hook)
		x->o->hook(x->o->hook_ctx, &out);
}

/* Where the next byte of the image is, and which entry holds it. */
static int64_t position(const io_batch *b, size_t *entry)
{
	size_t i = b->next;

	while (i < b->used && b->e[i].n == 0)
		i++;
	*entry = i;
	return i < b->used ? b->e[i].at : 0;
}


/* Gap entry i into the chain's skip(), whole; 0, or -1 when the run ends
 * (a permanent error, recorded as a failed request, or a signal). */
static int skip_gap(struct stream_run *x, size_t i)
{
	iob_entry *e = &x->b->e[i];

	while (e->n) {
		int64_t at = e->at, r = stage_skip(x->head, e->n);

		if (r > 0 && (uint64_t)r <= e->n) {
			batch_consume(x->b, i, (uint64_t)r);
			x->skipped += (uint64_t)r;
			x->done += (uint64_t)r;
			if (x->o->progress)
				x->o->progress(x->o->progress_ctx, x->done, 1);
		} else if (r < 0 && errno == EAGAIN) {
			if (wait_writable(x) < 0)
				return -1;
		} else {
			x->err = r < 0 && errno ? errno : EIO;
			record(x, i, at, -1, x->err);
			return -1;
		}
		if (*x->o->stop)
			return -1;
	}
	return 0;
}

/* Wait for the sink's writer thread to write what this call gave it: 0,
 * or the errno of a write to the target that failed (there, or directly).
 * Per call, so that a failure is reported with the fragments whose bytes
 * it lost, and never as a source that ended early. */
static int writes_lost(struct stream_run *x)
{
	return x->sink ? sink_drain(x->sink) : 0;
}

/* Clone the span the batch's next bytes begin, if they do (1), else bound
 * iob_send's call to end in front of the next such span (0). */
static int clone_next(struct stream_run *x)
{
	uint64_t most = STREAM_CALL_MAX, n = clone_stream_step(&x->clone, x->b, x->r, &most);

	x->b->call_max = most;
	if (!n)
		return 0;
	x->done += n;
	if (x->o->progress)
		x->o->progress(x->o->progress_ctx, x->done, 1);
	return 1;
}

static void pump(struct stream_run *x)
{
	for (;;) {
		int lost;
		size_t first;
		int64_t at = position(x->b, &first), r;

		if (x->gaps && is_gap(x, first)) {
			if (skip_gap(x, first) < 0)
				return;
			continue;
		}
		if (!x->head && clone_next(x)) {
			if (*x->o->stop)
				return;
			continue;
		}
		r = x->head ? iob_write((intptr_t)x, x->b, to_chain) : iob_send(x->t->fd, x->b);
		if (r == 0 || (r < -1 && *x->o->stop))
			return;		/* done, or a signal stopped the sink */
		if (r != -1 && (lost = writes_lost(x)) != 0) {
			/* The writer thread failed on bytes of this call, or of
			 * the call before: every fragment the call touched is
			 * reported failed (too many is better than too few). */
			x->err = lost;
			record(x, first, at, -1, lost);
			return;
		}
		if (r > 0) {
			record(x, first, at, r, 0);
			x->done += (uint64_t)r;
			if (x->o->progress)
				x->o->progress(x->o->progress_ctx, x->done, 1);
		} else if (r == -1) {
			if (wait_writable(x) < 0)
				return;
		} else {
			size_t cur;

			x->err = errno ? errno : EIO;
			record(x, first, at, -1, x->err);
			/* EIO on a file entry: its source ended before its length. */
			position(x->b, &cur);
			if (x->err == EIO && cur < x->b->used && x->b->e[cur].kind == IOB_FILE) {
				outcome_of(x->r, x->b->e[cur].tag)->err = EIO;
				outcome_of(x->r, x->b->e[cur].tag)->source_short = 1;
			}
			return;
		}
		if (*x->o->stop)
			return;
	}
}

/* The filters' trailers, in chain order. */
static void finish_chain(struct stream_run *x)
{
	for (struct stage *st = x->head; st && !x->err; st = st->next)
		while (stage_finish(st) < 0) {
			if (errno != EAGAIN) {
				x->err = errno;
				x->r->flush.done = 1;
				x->r->flush.err = errno;
				break;
			}
			if (wait_writable(x) < 0)
				return;
		}
}

static void account(struct stream_run *x)
{
	const io_batch *b = x->b;
	uint64_t image = 0;

	for (size_t i = 0; i < b->used; i++) {
		uint64_t done = x->len[i] - b->e[i].n;

		image += done;
		if (left_as_hole(b, i))	/* as in aio mode: nothing written */
			count_holes(x->r, b->e[i].tag, done);
		else
			outcome_of(x->r, b->e[i].tag)->written += done;	/* gaps: to none */
	}
	/* Holes, and gaps skipped as address jumps: nothing written, as in
	 * aio mode. */
	x->r->bytes_written = image - b->stats.seek - x->skipped;
	x->r->bytes_out = x->sink ? x->sink->out : image - b->stats.seek;
	x->r->zero_copy = b->stats.copy_file_range + b->stats.splice + b->stats.sendfile;
}

/* A batch that ended in a hole left the file short of it: set the length
 * (reported like the aio engine's length step). */
static void end_hole(struct stream_run *x)
{
	off_t end = lseek(x->t->fd, 0, SEEK_CUR);
	struct stat st;

	if (!x->b->stats.seek || end < 0 || fstat(x->t->fd, &st) < 0 || st.st_size >= end)
		return;
	x->r->truncate.done = 1;
	if (ftruncate(x->t->fd, end) < 0) {
		x->r->truncate.err = errno;
		x->err = errno;
	}
}

static void sync_target(struct stream_run *x)
{
	if (x->o->sync == SYNC_NONE || *x->o->stop)
		return;
	x->r->sync.done = 1;
	/* EINVAL: a pipe or a socket, which has nothing to synchronise. */
	if ((x->o->sync == SYNC_DATA ? fdatasync(x->t->fd) : fsync(x->t->fd)) < 0 &&
	    errno != EINVAL)
		x->r->sync.err = errno;
}

/* Zero ranges and gaps as holes where the file may hold them ("a hole where
 * the target allows", SPEC §2): a new or replaced regular file, written at
 * its offset (not O_APPEND), with no filter to go through. */
static int stream_makes_holes(const struct target *t, const struct stage *filters)
{
	return !filters && t->holes && !t->append && !t->direct;
}

static int stream_run(io_batch *b, const struct target *t, const struct engine_opts *o,
		      struct engine_result *r)
{
	struct stream_run x = { .b = b, .t = t, .o = o, .r = r, .head = o->filters };
	int err;

	x.gaps = x.head && x.head->ops->skip;
	x.len = malloc((b->used ? b->used : 1) * sizeof(*x.len));
	if (!x.len)
		return -1;
	for (size_t i = 0; i < b->used; i++)
		x.len[i] = b->e[i].n;
	if (t->direct && !x.head) {	/* --direct: aligned writes, no copy paths */
		if (!(x.head = x.sink = sink_create_direct(t, o->stop))) {
			free(x.len);
			return -1;
		}
	} else if (x.head) {
		struct stage *last = x.head;

		while (last->next)
			last = last->next;
		x.sink = t->direct ? sink_create_direct(t, o->stop) :
			 sink_create(t->fd, o->stop,
				     t->type == TARGET_REGULAR || t->type == TARGET_DEVICE);
		if (!(last->next = x.sink)) {
			free(x.len);
			return -1;
		}
	}
	/* Bounded calls: a signal or the progress line is seen between them;
	 * a signal also ends a call blocked on a pipe that is not read. */
	b->call_max = STREAM_CALL_MAX;
	b->stop = o->stop;
	b->seek_zeros = stream_makes_holes(t, x.head);
	b->copy_only = !o->clone;	/* copy_file_range may share extents */
	clone_start(&x.clone, t, o->clone && !x.head);
	pump(&x);
	if (!*o->stop && !x.err)
		end_hole(&x);
	if (!*o->stop && !x.err && x.head) {
		x.r->flush.done = 1;
		finish_chain(&x);
	}
	if (x.sink && (err = sink_drain(x.sink)) != 0 && !x.err) {
		x.err = err;	/* a write behind the chain failed after it */
		r->flush.done = 1;
		r->flush.err = err;
	}
	account(&x);
	if (!x.err)
		sync_target(&x);
	free(x.len);
	tag_list_release(&x.tags);
	if (!o->filters && x.sink)	/* ours, not in the caller's chain */
		stage_destroy_chain(x.sink);
	return 0;
}

const struct engine_ops engine_stream = {
	.name = "stream",
	.whole_image = 1,
	.zero_copy = 1,
	.sync_call = { "none", "fdatasync", "fsync" },
	.makes_holes = stream_makes_holes,
	.run = stream_run,
};

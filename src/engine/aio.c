/*
 * aio.c -- the aio engine: the batch as POSIX aio_write(3) requests.
 *
 * Model.  Each entry is split into requests of at most request_size bytes.
 * A request lives in a slot from submission until aio_error(3) stops saying
 * EINPROGRESS; up to queue_depth slots are in flight, and aio_suspend(3)
 * waits for any of them.  A slot owns a buffer of request_size bytes that is
 * reused once its request completes: file ranges are pread into it (never
 * mmap: a source truncated under us must be an error, not SIGBUS), fills are
 * memset into it; buffer entries are written from where they are.
 *
 * A completed request is reported with its aio_error/aio_return.  A short
 * write is continued from the same slot as a new request for the rest; a
 * failed one marks its fragment failed and the run goes on, so that every
 * request has an outcome.
 *
 * glibc serves the requests of one descriptor with one worker thread, in
 * order, so requests are spread round-robin over a few dup(2)s of the
 * target to keep more than one of them really in flight.
 *
 * Zero ranges: left alone when the target may hold holes (a new or
 * replaced regular file, whose final ftruncate creates them); punched with
 * fallocate(2) in an existing file or on a block device; written as zeros
 * where the kernel cannot punch.
 *
 * Shared extents: before a file entry's bytes become requests, the span
 * that clone.c can clone is cloned (synchronously, between submissions);
 * a request never reaches into such a span, and a group of staged slots
 * ends in front of one, as in front of a zero range.
 */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/gather.h"
#include "util/mem.h"

#ifndef MAX_TARGET_FDS
#define MAX_TARGET_FDS 4
#endif

struct slot {
	struct aiocb cb;
	unsigned char *buf;	/* request_size bytes, allocated on first need */
	uint64_t req;
	size_t e0;		/* the entry holding the request's first byte, */
	uint64_t off0;		/* and that byte's offset within the entry */
	int busy;
	int staged;		/* prepared, its reads not yet done */
	int retry;		/* the rest of a short write, waiting for aio_write
				 * to have room again */
	uint64_t rest;		/* bytes staged after the request, past a run of
				 * zero blocks: its next request (skip_zero_blocks) */
};

struct aio_run {
	io_batch *b;
	const struct target *t;
	const struct engine_opts *o;
	struct engine_result *r;
	struct slot *slot;
	const struct aiocb **wait; /* the in-flight control blocks */
	unsigned nslot, inflight, retrying;
	int fd[MAX_TARGET_FDS];
	unsigned nfd;
	size_t entry;		/* the next entry to submit from */
	uint64_t entry_done;	/* bytes of it already submitted */
	size_t punched;		/* entry + 1 of the last zero range punched */
	uint64_t nreq;		/* requests numbered so far */
	unsigned char *zeros;	/* request_size zero bytes */
	struct gather g;	/* the staged slots' source reads */
	struct slot **group;	/* the staged slots, in request order */
	struct tag_list tags;	/* the fragments of the request being recorded */
	size_t direct_until;	/* entries before this one are read directly */
	uint64_t zblock;	/* the target's block size when whole blocks of
				 * zeros stay holes (a new regular file), else 0 */
	uint64_t skipped;	/* image bytes left as holes, for progress */
	struct big_buf bufs;	/* the slots' buffers (slot_buffer) */
	struct cloner clone;	/* shared extents (clone.c) */
};

/* A group of staged slots ends once its reads would take this much memory. */
#define GROUP_MAX_READS ((size_t)1 << 17)

/* Share a request's outcome among the fragments its span holds: each
 * counts the request once, the first good bytes are written in order, and
 * an error marks them all. */
static void share_out(struct aio_run *x, const struct slot *s, uint64_t span, uint64_t good,
		      int err)
{
	const io_batch *b = x->b;
	size_t e = s->e0;
	uint64_t off = s->off0;

	tag_list_start(&x->tags, s->req, x->r->nfrag);
	while (span > 0 && e < b->used) {
		uint64_t piece = b->e[e].n - off < span ? b->e[e].n - off : span;
		struct frag_outcome *f = outcome_of(x->r, b->e[e].tag);
		uint64_t w = piece < good ? piece : good;

		if (b->e[e].tag == DIRECT_FILLER)	/* --direct: not image bytes */
			x->r->bytes_written -= w;
		else if (tag_list_add(&x->tags, b->e[e].tag) != 0)
			f->requests++;
		if (err && !f->err)
			f->err = err;
		f->written += w;
		good -= w;
		span -= piece;
		off += piece;
		if (off == b->e[e].n) {
			e++;
			off = 0;
		}
	}
}

/* n bytes from the slot's start stay holes: count them to their fragments. */
static void share_holes(struct aio_run *x, const struct slot *s, uint64_t n)
{
	const io_batch *b = x->b;
	size_t e = s->e0;
	uint64_t off = s->off0;

	x->skipped += n;
	while (n > 0 && e < b->used) {
		uint64_t piece = b->e[e].n - off < n ? b->e[e].n - off : n;

		count_holes(x->r, b->e[e].tag, piece);
		n -= piece;
		e++;
		off = 0;
	}
}

/* Move the slot's start past n bytes (after a short write). */
static void advance(struct aio_run *x, struct slot *s, uint64_t n)
{
	while (n > 0 && s->e0 < x->b->used) {
		uint64_t left = x->b->e[s->e0].n - s->off0;

		if (n < left) {
			s->off0 += n;
			return;
		}
		n -= left;
		s->e0++;
		s->off0 = 0;
	}
}

static void record(struct aio_run *x, struct slot *s, int err, int64_t ret)
{
	struct request_outcome out = {
		.req = s->req, .at = (int64_t)s->cb.aio_offset,
		.len = (int64_t)s->cb.aio_nbytes, .err = err, .ret = ret,
	};
	int failed = err || ret <= 0;

	x->r->requests++;
	if (failed) {
		x->r->failed++;
	} else {
		x->r->bytes_written += (uint64_t)ret;
		x->r->bytes_out += (uint64_t)ret;
	}
	share_out(x, s, s->cb.aio_nbytes, failed ? 0 : (uint64_t)ret, failed ? (err ? err : EIO) : 0);
	out.tags = x->tags.v;
	out.ntags = x->tags.n;
	if (x->o->hook)
		x->o->hook(x->o->hook_ctx, &out);
}

/* A request that failed before it could be submitted (a source read). */
static void record_unsubmitted(struct aio_run *x, struct slot *s, int err)
{
	record(x, s, err, -1);
	if (err == EIO)
		outcome_of(x->r, x->b->e[s->e0].tag)->source_short = 1;
}

static size_t slot_buffer_size(const struct aio_run *x)
{
	return (x->o->request_size + 4095) & ~(uint64_t)4095;
}

/* The slots' buffers are populated when they take at most this much in
 * all: beyond it, pages are taken as they are touched (-b 1G for small
 * fragments must not take 1 GiB of memory a slot). */
#define POPULATE_MAX ((size_t)64 << 20)

/* The slots' buffers: one mapping in 2 MiB pages (util/mem.h), made on the
 * first need, with its pages in place (one system call instead of a fault
 * per page as they are first filled) when small enough -- as many as the
 * batch can fill: on a VM, memory the guest has not touched lately costs
 * the host a fault per page too (16 MiB took 1 ms or 29 ms). */
static unsigned char *slot_buffer(struct aio_run *x, struct slot *s)
{
	size_t size = slot_buffer_size(x), total = size * x->nslot, fill = total;

	if (x->b->bytesleft < fill)
		fill = (size_t)(x->b->bytesleft + size - 1) / size * size;
	if (!x->bufs.p && big_buf_alloc(&x->bufs, total, total <= POPULATE_MAX ? fill : 0) < 0)
		return NULL;
	if (!s->buf)
		s->buf = x->bufs.p + (size_t)(s - x->slot) * size;
	return s->buf;
}

/* Punch (or zero) a zero range where the target keeps its old bytes.
 * 0 when done, 1 when the kernel cannot and zeros must be written, -1 when
 * it failed (recorded against the fragment). */
static int punch(struct aio_run *x, const iob_entry *e)
{
	int mode = x->t->type == TARGET_REGULAR ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
						: FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	int64_t len = (int64_t)e->n;

	/* Past the old end, the final ftruncate supplies the zeros. */
	if (x->t->type == TARGET_REGULAR && e->at + len > x->t->old_size)
		len = e->at < x->t->old_size ? x->t->old_size - e->at : 0;
	if (len == 0 || fallocate(x->fd[0], mode, e->at, len) == 0)
		return 0;
	if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL || errno == ENODEV)
		return 1;
	outcome_of(x->r, e->tag)->err = errno;
	x->r->failed++;
	return -1;
}

/* The bytes of entry e from done on that requests may copy: up to the
 * span clone.c would clone, or all of them.  A span due right here that
 * was not cloned (a signal came first) is copied. */
static uint64_t copy_limit(const struct aio_run *x, const iob_entry *e, uint64_t done)
{
	uint64_t head;

	if (clone_span(&x->clone, e, done, &head) && head > 0)
		return head;
	return e->n - done;
}

/* Clone what can be cloned of entry e from where submission stands; the
 * bytes count as written, as a request's would. */
static void clone_here(struct aio_run *x, const iob_entry *e)
{
	uint64_t head, n;

	while (!*x->o->stop && (n = clone_span(&x->clone, e, x->entry_done, &head)) && !head) {
		if (clone_range(&x->clone, e, x->entry_done, n, x->r) < 0)
			return;
		outcome_of(x->r, e->tag)->written += n;
		x->r->bytes_written += n;
		x->r->bytes_out += n;
		x->entry_done += n;
		if (x->o->progress)
			x->o->progress(x->o->progress_ctx, x->r->bytes_written, x->inflight);
	}
}

/* Whether the next bytes to submit begin a span to clone. */
static int clone_due(const struct aio_run *x)
{
	uint64_t head;

	return clone_span(&x->clone, &x->b->e[x->entry], x->entry_done, &head) && !head;
}

/* The next entry with bytes to submit, or NULL when the batch is done. */
static const iob_entry *next_entry(struct aio_run *x)
{
	io_batch *b = x->b;

	for (; x->entry < b->used; x->entry++, x->entry_done = 0) {
		const iob_entry *e = &b->e[x->entry];

		clone_here(x, e);
		if (x->entry_done >= e->n)
			continue;
		if (e->kind == IOB_ZERO && x->punched != x->entry + 1) {
			int how = x->t->holes || (e->flags & IOB_KEEP) ? 0 : punch(x, e);

			x->punched = x->entry + 1;
			if (how == 0) {
				count_holes(x->r, e->tag, e->n);
				x->skipped += e->n;
			}
			if (how <= 0)
				continue;
		}
		return e;
	}
	return NULL;
}

/* Note a file piece's read for the group's gather; anything else, and
 * everything while a failed group is redone, is staged at once. */
static int defer_or_stage(struct aio_run *x, const iob_entry *e, uint64_t done, unsigned char *buf,
			  uint64_t n)
{
	if (e->kind == IOB_FILE && !(e->flags & IOB_STREAM) && x->entry >= x->direct_until)
		return gather_add(&x->g, e->fd, e->off + done, (uint32_t)n, buf);
	return entry_bytes(e, done, buf, n);
}

/* A stream entry (a pipe: a decoded source, SPEC §9.3): its bytes can be
 * read only once, so a slot that holds them is never prepared again: it
 * is a request of its own, in a group of its own, with no gathered reads
 * that could fail the group, and it waits for room rather than being put
 * back (submit_group). */
static int is_stream(const iob_entry *e)
{
	return e->kind == IOB_FILE && (e->flags & IOB_STREAM);
}

/* Whether entry i may join a packed request that ends at target offset end:
 * it must follow without a gap and not be a zero range (next_entry decides
 * whether those are holes, punched, or written), nor a stream, nor hold a
 * span to clone. */
static int joins(const struct aio_run *x, size_t i, int64_t end)
{
	const iob_entry *e = &x->b->e[i];
	uint64_t head;

	return e->at == end && e->kind != IOB_ZERO && !is_stream(e) &&
	       !clone_span(&x->clone, e, 0, &head);
}

/* Stage the current entry's next piece into the slot's buffer and, when
 * that piece ends its entry, the whole entries that follow
 * it in the target while they fit in request_size: small fragments share a
 * request, and no fragment is split differently than it would be alone.
 * Returns the length, or 0 with *err set. */
static uint64_t pack(struct aio_run *x, struct slot *s, int *err)
{
	const io_batch *b = x->b;
	uint64_t used = 0, room = x->o->request_size;

	while (x->entry < b->used && used < room) {
		const iob_entry *e = &b->e[x->entry];
		uint64_t piece = copy_limit(x, e, x->entry_done);

		/* --direct: a run is split only at whole blocks. */
		if (used && ((piece > room - used && !x->t->direct) ||
			     !joins(x, x->entry, (int64_t)s->cb.aio_offset + (int64_t)used)))
			break;
		if (piece > room - used)
			piece = room - used;
		if ((*err = defer_or_stage(x, e, x->entry_done, s->buf + used, piece)) != 0) {
			if (!used)
				return 0;
			*err = 0;	/* send what is packed; this entry fails alone */
			break;
		}
		used += piece;
		x->entry_done += piece;
		if (x->entry_done == e->n) {
			x->entry++;
			x->entry_done = 0;
		} else if (clone_due(x)) {
			break;	/* the rest of the entry begins with a clone */
		}
		if (is_stream(e)) {
			/* Alone in its request; but under --direct a stream that
			 * ends inside a block takes that block's other bytes. */
			uint64_t blk = x->t->direct ? x->t->dio_align : 0;

			if (!blk || used % blk == 0 || x->entry_done != 0)
				break;
			room = (used + blk - 1) / blk * blk;
		}
	}
	return used;
}

/* Set up slot s for the next request, from entry e; 0, or an errno for a
 * request that failed before submission (it is then consumed and reported). */
static int prepare(struct aio_run *x, struct slot *s, const iob_entry *e)
{
	uint64_t left = copy_limit(x, e, x->entry_done), len;
	int err = 0;

	memset(&s->cb, 0, sizeof(s->cb));
	s->rest = 0;
	s->cb.aio_fildes = x->fd[s->req % x->nfd];
	s->cb.aio_offset = (off_t)(e->at + (int64_t)x->entry_done);
	s->cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	s->e0 = x->entry;
	s->off0 = x->entry_done;
	if (left >= x->o->request_size && (e->kind == IOB_BUF || (e->kind != IOB_FILE && e->byte == 0)) &&
	    (!x->t->direct || e->kind != IOB_BUF || direct_mem_ok(x->t, e->buf + x->entry_done))) {
		/* A whole request from memory as it is: no copy. */
		len = x->o->request_size;
		s->cb.aio_buf = e->kind == IOB_BUF ? (void *)(e->buf + x->entry_done) : x->zeros;
		x->entry_done += len;
	} else if (!slot_buffer(x, s)) {
		len = left < x->o->request_size ? left : x->o->request_size;
		x->entry_done += len;
		err = ENOMEM;
	} else {
		len = pack(x, s, &err);
		if (err) {	/* the first entry's piece could not be read */
			len = left < x->o->request_size ? left : x->o->request_size;
			x->entry_done += len;
		}
		s->cb.aio_buf = s->buf;
	}
	s->cb.aio_nbytes = len;
	if (x->entry < x->b->used && x->entry_done == x->b->e[x->entry].n) {
		x->entry++;
		x->entry_done = 0;
	}
	return err;
}

static struct slot *free_slot(struct aio_run *x)
{
	for (unsigned i = 0; i < x->nslot; i++)
		if (!x->slot[i].busy && !x->slot[i].staged && !x->slot[i].retry)
			return &x->slot[i];
	return NULL;
}

/* Submit slot s; -1 when aio_write is out of resources and must wait. */
static int submit(struct aio_run *x, struct slot *s)
{
	if (aio_write(&s->cb) == 0) {
		s->busy = 1;
		x->inflight++;
		return 0;
	}
	if (errno == EAGAIN && x->inflight > 0)
		return -1;
	record(x, s, errno, -1);
	return 0;
}

/* Put slot s back: the entries it took are prepared again later. */
static void unprepare(struct aio_run *x, struct slot *s)
{
	x->entry = s->e0;
	x->entry_done = s->off0;
	x->nreq = s->req - 1;
}

/* Prepare requests into free slots while their reads are small enough to
 * gather: a slot that reads one piece (a large fragment) ends the group, so
 * it is submitted as soon as it is read.  A zero range ends it too, because
 * passing one may punch it, which must not be done twice if the group is
 * prepared again.  Returns the number of staged slots. */
static unsigned stage_group(struct aio_run *x)
{
	const iob_entry *e;
	unsigned n = 0;

	while (x->inflight + x->retrying + n < x->nslot && !*x->o->stop) {
		if (n && x->entry < x->b->used &&
		    (x->b->e[x->entry].kind == IOB_ZERO || is_stream(&x->b->e[x->entry]) ||
		     clone_due(x)))
			break;
		if (!(e = next_entry(x)))
			break;

		struct slot *s = free_slot(x);
		size_t reads = x->g.n;
		int err;

		s->req = ++x->nreq;
		err = prepare(x, s, e);
		if (err && n) {		/* fail it alone, as the first of a group */
			x->g.n = reads;
			unprepare(x, s);
			break;
		}
		if (err) {
			record_unsubmitted(x, s, err);
			continue;
		}
		s->staged = 1;
		x->group[n++] = s;
		if (x->g.n - reads <= 1 || x->g.n >= GROUP_MAX_READS)
			break;
	}
	return n;
}

/* Length of the run from p on (at target offset at, n bytes) before the
 * first whole block of zeros, or n. */
static uint64_t until_zero_block(uint64_t zb, const unsigned char *p, int64_t at, uint64_t n)
{
	uint64_t i = (zb - (uint64_t)at % zb) % zb;	/* the first block boundary */

	/* A block's first byte nearly always decides: the test reads one
	 * byte a block of data (the buffers are in 2 MiB pages, so that
	 * costs no TLB miss each). */
	for (; i + zb <= n; i += zb)
		if (all_zero(p + i, zb))
			return i;
	return n;
}

/* Length of the whole blocks of zeros at p (at target offset at). */
static uint64_t zero_blocks(uint64_t zb, const unsigned char *p, int64_t at, uint64_t n)
{
	uint64_t i = 0;

	if ((uint64_t)at % zb)
		return 0;
	while (i + zb <= n && all_zero(p + i, zb))
		i += zb;
	return i;
}

/* Into a target that may hold holes, whole blocks of zeros are not written
 * (SPEC §9.1): the slot's request starts past them and ends before the
 * next such block; what follows waits in s->rest for complete().  Returns
 * the request's length; 0 when nothing of the slot is left to write. */
static uint64_t skip_zero_blocks(struct aio_run *x, struct slot *s)
{
	unsigned char *p = (unsigned char *)s->cb.aio_buf;
	uint64_t n = s->cb.aio_nbytes + s->rest, z, run;

	if (!x->zblock)
		return n;
	z = zero_blocks(x->zblock, p, s->cb.aio_offset, n);
	if (z) {
		share_holes(x, s, z);
		advance(x, s, z);
		p += z;
		n -= z;
		s->cb.aio_offset += (off_t)z;
	}
	run = until_zero_block(x->zblock, p, s->cb.aio_offset, n);
	s->cb.aio_buf = p;
	s->cb.aio_nbytes = run;
	s->rest = n - run;
	return run;
}

/* Go on with the slot's staged bytes after its request: the next run that
 * is not zero blocks, as a new request.  0 when there is none. */
static int next_run(struct aio_run *x, struct slot *s)
{
	uint64_t done = s->cb.aio_nbytes;

	if (!s->rest)
		return 0;
	advance(x, s, done);
	s->cb.aio_buf = (char *)s->cb.aio_buf + done;
	s->cb.aio_offset += (off_t)done;
	s->cb.aio_nbytes = 0;
	return skip_zero_blocks(x, s) > 0;
}

/* Submit the staged slots in order; -1 when aio_write must wait (the slot
 * that could not go, and those after it, are prepared again later). */
static int submit_group(struct aio_run *x, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct slot *s = x->group[i];

		s->staged = 0;
		if (skip_zero_blocks(x, s) == 0)
			continue;	/* all of it stays a hole */
		if (submit(x, s) == 0)
			continue;
		if (is_stream(&x->b->e[s->e0])) {
			s->retry = 1;	/* alone in its group: its bytes wait in it */
			x->retrying++;
			return -1;
		}
		unprepare(x, s);
		while (++i < n)
			x->group[i]->staged = 0;
		return -1;
	}
	return 0;
}

/* Submit the continued short writes that found no room; -1 while some
 * still wait. */
static int resubmit(struct aio_run *x)
{
	for (unsigned i = 0; i < x->nslot && x->retrying; i++) {
		struct slot *s = &x->slot[i];

		if (!s->retry)
			continue;
		if (*x->o->stop)	/* numbered, so reported: it will not go */
			record(x, s, ECANCELED, -1);
		else if (submit(x, s) < 0)
			return -1;
		s->retry = 0;
		x->retrying--;
	}
	return 0;
}

static void fill_queue(struct aio_run *x)
{
	unsigned n;

	if (resubmit(x) < 0)
		return;
	while ((n = stage_group(x)) > 0) {
		if (gather_run(&x->g) != 0) {
			/* A source read failed (one was truncated under us): prepare
			 * the group again reading piece by piece, so that only the
			 * fragment whose read fails fails. */
			x->direct_until = x->entry + 1;
			unprepare(x, x->group[0]);
			for (unsigned i = 0; i < n; i++)
				x->group[i]->staged = 0;
			continue;
		}
		if (submit_group(x, n) < 0)
			return;
	}
}

/* A request finished: report it; continue it from the same slot if short. */
static void complete(struct aio_run *x, struct slot *s)
{
	int err = aio_error(&s->cb);
	ssize_t ret = aio_return(&s->cb);

	s->busy = 0;
	x->inflight--;
	record(x, s, err, ret);
	if (*x->o->stop)
		return;
	if (err == 0 && ret > 0 && (size_t)ret < s->cb.aio_nbytes) {
		advance(x, s, (uint64_t)ret);
		s->cb.aio_buf = (char *)s->cb.aio_buf + ret;
		s->cb.aio_offset += ret;
		s->cb.aio_nbytes -= (size_t)ret;
	} else if (!next_run(x, s)) {
		return;
	}
	s->req = ++x->nreq;
	if (submit(x, s) < 0) {	/* no room now: fill_queue tries again */
		s->retry = 1;
		x->retrying++;
	}
}

static void wait_and_collect(struct aio_run *x)
{
	unsigned n = 0;

	for (unsigned i = 0; i < x->nslot; i++)
		if (x->slot[i].busy)
			x->wait[n++] = &x->slot[i].cb;
	if (aio_suspend(x->wait, (int)n, NULL) < 0 && errno != EINTR && errno != EAGAIN)
		return;
	for (unsigned i = 0; i < x->nslot; i++)
		if (x->slot[i].busy && aio_error(&x->slot[i].cb) != EINPROGRESS)
			complete(x, &x->slot[i]);
}

/* An aio_fsync(3) of the target, waited for. */
static int sync_target(struct aio_run *x)
{
	struct aiocb cb = { .aio_fildes = x->fd[0] };
	const struct aiocb *list[1] = { &cb };

	cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	if (aio_fsync(x->o->sync == SYNC_DATA ? O_DSYNC : O_SYNC, &cb) < 0)
		return errno;
	while (aio_error(&cb) == EINPROGRESS)
		aio_suspend(list, 1, NULL);
	if (aio_return(&cb) == 0)
		return 0;
	return aio_error(&cb) ? aio_error(&cb) : EIO;
}

static void finish_target(struct aio_run *x)
{
	struct engine_result *r = x->r;

	/* After a failed write the length stays as the writes left it, so a
	 * broken image does not pass for a complete one by its size. */
	if (x->t->final_len >= 0 && !*x->o->stop && r->failed == 0) {
		r->truncate.done = 1;
		if (ftruncate(x->fd[0], x->t->final_len) < 0)
			r->truncate.err = errno;
	}
	if (x->o->sync != SYNC_NONE && !*x->o->stop) {
		r->sync.done = 1;
		r->sync.err = sync_target(x);
		if (r->sync.err == EINVAL)	/* /dev/null: nothing to synchronise */
			r->sync.err = 0;
	}
}

static int setup(struct aio_run *x)
{
	struct aioinit init = { .aio_threads = MAX_TARGET_FDS, .aio_num = 64, .aio_idle_time = 1 };

	x->nslot = x->o->queue_depth;
	x->slot = calloc(x->nslot, sizeof(*x->slot));
	x->wait = calloc(x->nslot, sizeof(*x->wait));
	x->zeros = x->t->direct ? direct_zeros(x->o->request_size) : calloc(1, x->o->request_size);
	x->group = calloc(x->nslot, sizeof(*x->group));
	gather_init(&x->g);
	if (!x->slot || !x->wait || !x->zeros || !x->group)
		return -1;
	aio_init(&init);
	if (x->t->holes) {
		struct stat st;

		x->zblock = fstat(x->t->fd, &st) == 0 && st.st_blksize > 0 ? (uint64_t)st.st_blksize
									   : 4096;
		/* --direct: cut requests only where O_DIRECT takes them. */
		if (x->t->direct && x->zblock % x->t->dio_align)
			x->zblock = 0;
	}
	clone_start(&x->clone, x->t, x->o->clone);
	x->fd[0] = x->t->fd;
	x->nfd = 1;
	while (x->nfd < MAX_TARGET_FDS && x->nfd < x->nslot) {
		int fd = fcntl(x->t->fd, F_DUPFD_CLOEXEC, 3);

		if (fd < 0)
			break;
		x->fd[x->nfd++] = fd;
	}
	return 0;
}

static void teardown(struct aio_run *x)
{
	for (unsigned i = 1; i < x->nfd; i++)
		close(x->fd[i]);
	big_buf_free(&x->bufs);
	free(x->slot);
	free(x->wait);
	free(x->zeros);
	free(x->group);
	tag_list_release(&x->tags);
	gather_release(&x->g);
}

static int aio_run(io_batch *b, const struct target *t, const struct engine_opts *o,
		   struct engine_result *r)
{
	struct engine_opts od = *o;
	io_batch *runs = NULL;	/* --direct: b as runs of whole blocks */
	struct aio_run x = { .b = b, .t = t, .o = o, .r = r, .entry = b->next };
	int rc = 0;

	if (t->direct) {
		od.request_size = direct_request_size(t, o->request_size);
		x.o = &od;
		x.b = runs = direct_batch(b, t);
		x.entry = 0;
	}
	if ((t->direct && !runs) || setup(&x) < 0) {
		rc = -1;
	} else {
		do {
			fill_queue(&x);
			if (o->progress)
				o->progress(o->progress_ctx, r->bytes_written + x.skipped,
					    x.inflight);
			if (x.inflight)
				wait_and_collect(&x);
		} while (x.inflight || x.retrying || (!*o->stop && next_entry(&x)));
		finish_target(&x);
	}
	teardown(&x);
	iob_free(runs);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

/* Zero ranges stay holes where the target's final ftruncate supplies them. */
static int aio_makes_holes(const struct target *t, const struct stage *filters)
{
	(void)filters;
	return t->holes;
}

const struct engine_ops engine_aio = {
	.name = "aio",
	.sync_call = { "none", "aio_fsync(O_DSYNC)", "aio_fsync(O_SYNC)" },
	.makes_holes = aio_makes_holes,
	.run = aio_run,
};

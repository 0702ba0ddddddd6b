/*
 * zstd.c -- zstd[:LEVEL]: one zstd frame (RFC 8878) at level 1..19
 * (default 3) with a content checksum, compressed by libzstd's workers.
 *
 * The same bytes for every -T.  libzstd has two compressors.  Without
 * workers (ZSTD_c_nbWorkers 0) it compresses in the caller's thread; with
 * N >= 1 workers it cuts the input by position into sections ("jobs") of a
 * size that depends on the level alone (2 MiB at level 1, 8 MiB at level
 * 3), compresses each in a worker with the end of the section before as
 * its prefix, and joins their output in order.  The two compressors write
 * different bytes; the second writes the same bytes for every N.  So this
 * filter always has at least one worker: -T N is N workers, -T 1 one.
 *
 * Two more things could make the bytes depend on timing or on how the
 * input was cut, and the filter rules both out:
 *   - A full section waits in libzstd's input buffer while all its job
 *     slots are busy.  If ZSTD_e_end came with no more input then, that
 *     section would end the frame (its last block marked last); had a slot
 *     been free, it would have been a job of its own, followed by a job of
 *     one empty last block.  How fast the workers are would decide.  So
 *     the filter holds back the last byte it has taken (hold) and gives
 *     it to libzstd with ZSTD_e_end: the end never comes without input,
 *     and the section that ends the input always ends the frame.
 *   - A first call with ZSTD_e_end tells libzstd the whole size, and a
 *     small input is then compressed in one go, without workers, with its
 *     size in the frame header.  Thanks to the held byte that first call
 *     happens for inputs of 0 and 1 byte only, however they were cut: the
 *     bytes still depend on the input alone.
 *
 * Stage semantics.  Pending output is the outbuf o: libzstd writes into
 * it only when it is empty, and whatever the next stage does not take
 * stays there and is offered first on the next call.  write() takes input
 * once libzstd has it (or it is the held byte); when the next stage takes
 * nothing (EAGAIN or an error) the call ends, returning the input taken so
 * far, or -1 with that errno when none.  finish() passes on what is
 * pending, then calls ZSTD_e_end (with the held byte) until libzstd says
 * the frame is complete, passing every piece on; an EAGAIN anywhere leaves
 * the rest where it is for the next call.  A libzstd error is latched and
 * returned by every later call.
 */
#include "filter/filters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#define LEVEL_MIN 1
#define LEVEL_MAX 19
#define LEVEL_DEFAULT 3

struct zstd_filter {
	struct stage st;	/* first: a stage pointer is a filter pointer */
	struct outbuf o;	/* libzstd's output, not yet passed on */
	ZSTD_CCtx *cc;
	unsigned char hold;	/* the last byte taken, not yet given to libzstd */
	int held;		/* ... if there is one */
	int ending;		/* ZSTD_e_end was called: no more input */
	int ended;		/* libzstd has written the whole frame into o */
	int err;		/* a latched libzstd error (errno), or 0 */
};

static int zstd_errno(size_t code)
{
	return ZSTD_getErrorCode(code) == ZSTD_error_memory_allocation ? ENOMEM : EIO;
}

/* Give libzstd in[0..n) with ZSTD_e_continue, passing its output on as it
 * comes: the count it took (its output passed on or pending in o), or -1
 * with errno when it took none. */
static int64_t zstd_feed(struct zstd_filter *f, const unsigned char *in, size_t n)
{
	ZSTD_inBuffer zin = { in, n, 0 };
	int e = 0;

	if (f->err) {
		errno = f->err;
		return -1;
	}
	while (zin.pos < zin.size) {
		ZSTD_outBuffer zout = { f->o.buf, f->o.cap, 0 };
		size_t r;

		if (outbuf_flush(&f->st, &f->o) < 0) {
			e = errno;
			break;
		}
		/* With continue, libzstd returns once it took input or gave
		 * output; with every job busy it waits for the oldest. */
		r = ZSTD_compressStream2(f->cc, &zout, &zin, ZSTD_e_continue);
		if (ZSTD_isError(r)) {
			e = f->err = zstd_errno(r);
			break;
		}
		f->o.tail = zout.pos;
	}
	if (zin.pos == 0) {
		errno = e;
		return -1;
	}
	return (int64_t)zin.pos;
}

static int64_t zstd_write(struct stage *st, const void *buf, uint64_t n)
{
	struct zstd_filter *f = (struct zstd_filter *)st;
	const unsigned char *in = buf;
	int64_t r;

	if (f->err || f->ending) {
		errno = f->err ? f->err : EINVAL; /* no input after finish */
		return -1;
	}
	if (f->held) {
		if (zstd_feed(f, &f->hold, 1) < 0)
			return -1;
		f->held = 0;
	}
	/* All but the last byte, which is held (see the top). */
	if (n > 1 && (r = zstd_feed(f, in, (size_t)n - 1)) < (int64_t)n - 1)
		return r;
	f->hold = in[n - 1];
	f->held = 1;
	/* The input is taken: output the next stage does not take now waits
	 * in o, and its EAGAIN or error comes back from the next call. */
	(void)outbuf_flush(st, &f->o);
	return (int64_t)n;
}

static int zstd_finish(struct stage *st)
{
	struct zstd_filter *f = (struct zstd_filter *)st;

	if (f->err) {
		errno = f->err;
		return -1;
	}
	for (;;) {
		ZSTD_inBuffer zin = { &f->hold, f->held ? 1 : 0, 0 };
		ZSTD_outBuffer zout = { f->o.buf, f->o.cap, 0 };
		size_t left;

		if (outbuf_flush(st, &f->o) < 0)
			return -1;
		if (f->ended)
			return 0;
		f->ending = 1;
		left = ZSTD_compressStream2(f->cc, &zout, &zin, ZSTD_e_end);
		if (ZSTD_isError(left)) {
			errno = f->err = zstd_errno(left);
			return -1;
		}
		if (zin.pos == 1)
			f->held = 0;
		f->o.tail = zout.pos;
		f->ended = left == 0;
	}
}

static void zstd_destroy(struct stage *st)
{
	struct zstd_filter *f = (struct zstd_filter *)st;

	/* Waits for the workers and ends them. */
	ZSTD_freeCCtx(f->cc);
	outbuf_release(&f->o);
	free(f);
}

static const struct stage_ops zstd_ops = {
	.name = "zstd",
	.write = zstd_write,
	.finish = zstd_finish,
	.destroy = zstd_destroy,
};

/* The parameters of f->cc: 0, or a libzstd error code. */
static size_t zstd_params(struct zstd_filter *f, int level, int threads)
{
	ZSTD_bounds wb = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
	size_t r;

	r = ZSTD_CCtx_setParameter(f->cc, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(f->cc, ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(r))
		return r;
	/* A libzstd built without threads has no workers to give (an upper
	 * bound of 0): it compresses in this thread, with the same bytes for
	 * every -T too -- its own, not those of a libzstd with threads. */
	if (ZSTD_isError(wb.error) || wb.upperBound < 1)
		return 0;
	if (threads > wb.upperBound)
		threads = wb.upperBound;
	return ZSTD_CCtx_setParameter(f->cc, ZSTD_c_nbWorkers, threads < 1 ? 1 : threads);
}

struct stage *zstd_create(const char *spec, const char *arg, int threads, struct errors *err)
{
	int level = filter_level(spec, arg, LEVEL_MIN, LEVEL_MAX, LEVEL_DEFAULT, err);
	struct zstd_filter *f;
	size_t r;

	if (level < 0)
		return NULL;
	f = calloc(1, sizeof *f);
	if (!f)
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	f->st.ops = &zstd_ops;
	if (outbuf_init(&f->o, ZSTD_CStreamOutSize()) < 0 || !(f->cc = ZSTD_createCCtx())) {
		zstd_destroy(&f->st);
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	}
	r = zstd_params(f, level, threads);
	if (ZSTD_isError(r)) {
		zstd_destroy(&f->st);
		return filter_error(err, spec, "cannot set up libzstd %s: %s", ZSTD_versionString(),
				    ZSTD_getErrorName(r));
	}
	return &f->st;
}

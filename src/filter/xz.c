/*
 * xz.c -- xz[:LEVEL]: one .xz stream at preset 0..9 (default 6) with a
 * CRC64 check, compressed in blocks by liblzma's threads.
 *
 * The same bytes for every -T.  liblzma's multithreaded encoder
 * (lzma_stream_encoder_mt) cuts the input by position into blocks of
 * block_size bytes (the last one shorter), compresses each block on its own
 * in a worker thread, with its compressed and uncompressed sizes in its
 * header, and writes them in order, then the index.  The block size is set
 * here from the preset alone -- 3 times the dictionary, at least 1 MiB, as
 * liblzma's own default, written out so that no future default can tie it
 * to anything else -- and never from the thread count.  -T 1 uses that same
 * encoder with one thread (not lzma_easy_encoder, whose one block would be
 * other bytes), so every count writes the same blocks.  LZMA_RUN never cuts
 * a block early, so neither does the way the input was cut, and with no
 * timeout lzma_code() returns only when it has taken all the input or filled
 * the output buffer: the bytes depend on the input and the preset alone.
 *
 * Memory.  Each thread holds a block of input, its output and an encoder
 * (about 165 MiB at preset 6, 1.2 GiB at 9), and liblzma starts threads
 * only as blocks need them.  A count that would need more than a quarter of
 * the RAM (xz's own default limit for threads) is lowered to fit: the bytes
 * do not depend on it.
 *
 * Stage semantics.  Pending output is the outbuf o: lzma_code() writes into
 * it only when it is empty, and whatever the next stage does not take stays
 * there and is offered first on the next call.  write() takes input once
 * lzma_code() has it; when the next stage takes nothing (EAGAIN or an
 * error) the call ends, returning the input taken so far, or -1 with that
 * errno when none.  finish() passes on what is pending, then runs
 * LZMA_FINISH until LZMA_STREAM_END, passing every piece on; an EAGAIN
 * anywhere leaves the rest where it is for the next call.  A liblzma error
 * is latched and returned by every later call.
 */
#include "filter/filters.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>

#define LEVEL_MIN 0
#define LEVEL_MAX 9
#define LEVEL_DEFAULT 6
#define OUT_CAP ((size_t)128 * 1024)	/* pending output */
#define BLOCK_MIN ((uint64_t)1 << 20)	/* the smallest block */

struct xz_filter {
	struct stage st;	/* first: a stage pointer is a filter pointer */
	struct outbuf o;	/* liblzma's output, not yet passed on */
	lzma_stream z;
	int z_ready;		/* the encoder was set up: lzma_end is due */
	int ending;		/* LZMA_FINISH was given: no more input */
	int ended;		/* liblzma has written the whole stream into o */
	int err;		/* a latched liblzma error (errno), or 0 */
};

static int xz_errno(lzma_ret r)
{
	return r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR ? ENOMEM : EIO;
}

/* One lzma_code() into the empty o: 0, or -1 with the error latched. */
static int xz_code(struct xz_filter *f, lzma_action action)
{
	lzma_ret r;

	f->z.next_out = f->o.buf;
	f->z.avail_out = f->o.cap;
	r = lzma_code(&f->z, action);
	f->o.tail = f->o.cap - f->z.avail_out;
	if (r == LZMA_STREAM_END && action == LZMA_FINISH) {
		f->ended = 1;
		return 0;
	}
	if (r != LZMA_OK) {
		errno = f->err = xz_errno(r);
		return -1;
	}
	return 0;
}

static int64_t xz_write(struct stage *st, const void *buf, uint64_t n)
{
	struct xz_filter *f = (struct xz_filter *)st;
	int e = 0;

	if (f->err || f->ending) {
		errno = f->err ? f->err : EINVAL; /* no input after finish */
		return -1;
	}
	f->z.next_in = buf;
	f->z.avail_in = (size_t)n;
	while (f->z.avail_in > 0) {
		if (outbuf_flush(st, &f->o) < 0 || xz_code(f, LZMA_RUN) < 0) {
			e = errno;
			break;
		}
	}
	if (f->z.avail_in == n) {
		errno = e;
		return -1;
	}
	/* The input is taken: output the next stage does not take now waits
	 * in o, and its EAGAIN or error comes back from the next call. */
	(void)outbuf_flush(st, &f->o);
	return (int64_t)(n - f->z.avail_in);
}

static int xz_finish(struct stage *st)
{
	struct xz_filter *f = (struct xz_filter *)st;

	if (f->err) {
		errno = f->err;
		return -1;
	}
	for (;;) {
		if (outbuf_flush(st, &f->o) < 0)
			return -1;
		if (f->ended)
			return 0;
		f->ending = 1;
		f->z.next_in = NULL;
		f->z.avail_in = 0;
		if (xz_code(f, LZMA_FINISH) < 0)
			return -1;
	}
}

static void xz_destroy(struct stage *st)
{
	struct xz_filter *f = (struct xz_filter *)st;

	/* Stops and joins the threads. */
	if (f->z_ready)
		lzma_end(&f->z);
	outbuf_release(&f->o);
	free(f);
}

static const struct stage_ops xz_ops = {
	.name = "xz",
	.write = xz_write,
	.finish = xz_finish,
	.destroy = xz_destroy,
};

/* The encoder's options for the level and threads (see the top); the
 * threads lowered to fit a quarter of the RAM.  0, or -1 for a bad preset. */
static int xz_options(lzma_mt *mt, int level, int threads)
{
	lzma_options_lzma lz;
	uint64_t limit = lzma_physmem() / 4, one;

	if (lzma_lzma_preset(&lz, (uint32_t)level))
		return -1;
	memset(mt, 0, sizeof *mt);
	mt->preset = (uint32_t)level;
	mt->check = LZMA_CHECK_CRC64;
	mt->timeout = 0;
	mt->block_size = 3 * (uint64_t)lz.dict_size;
	if (mt->block_size < BLOCK_MIN)
		mt->block_size = BLOCK_MIN;
	mt->threads = 1;
	one = lzma_stream_encoder_mt_memusage(mt);
	if (one == UINT64_MAX)
		return -1;
	if (limit > 0 && (uint64_t)threads > limit / one)
		threads = limit / one > 1 ? (int)(limit / one) : 1;
	mt->threads = (uint32_t)(threads < 1 ? 1 : threads);
	return 0;
}

struct stage *xz_create(const char *spec, const char *arg, int threads, struct errors *err)
{
	int level = filter_level(spec, arg, LEVEL_MIN, LEVEL_MAX, LEVEL_DEFAULT, err);
	struct xz_filter *f;
	lzma_stream init = LZMA_STREAM_INIT;
	lzma_mt mt;
	lzma_ret r;

	if (level < 0)
		return NULL;
	if (xz_options(&mt, level, threads) < 0)
		return filter_error(err, spec, "liblzma %s has no preset %d", lzma_version_string(),
				    level);
	f = calloc(1, sizeof *f);
	if (!f || outbuf_init(&f->o, OUT_CAP) < 0) {
		if (f)
			xz_destroy(&f->st);
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	}
	f->st.ops = &xz_ops;
	f->z = init;
	r = lzma_stream_encoder_mt(&f->z, &mt);
	if (r != LZMA_OK) {
		xz_destroy(&f->st);
		return filter_error(err, spec, "cannot start liblzma %s's encoder: %s",
				    lzma_version_string(),
				    r == LZMA_MEM_ERROR ? strerror(ENOMEM) : "unsupported options");
	}
	f->z_ready = 1;
	return &f->st;
}

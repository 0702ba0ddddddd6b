/*
 * gzip.c -- gzip[:LEVEL]: one gzip member (RFC 1952), compressed in
 * parallel blocks by zlib's deflate, as pigz does.
 *
 * Blocks.  The input is cut into blocks of a fixed size by position alone
 * (block i is input bytes [i*size, (i+1)*size)); only the last block, cut
 * at finish(), may be shorter, or empty.  The size is BLOCK (128 KiB, as
 * pigz), or BLOCK_FAST at levels 0..3, where deflate is quick and priming
 * each block with its dictionary would cost more in proportion.  Each
 * block is compressed on its own, by a raw deflate stream reset for it and
 * primed (deflateSetDictionary) with the DICT input bytes before the block,
 * in ONE deflate call that gets the whole block and more output room than
 * deflateBound().  A block other than the last ends with Z_SYNC_FLUSH: its
 * deflate data then stops on a byte boundary, after an empty stored block
 * (00 00 ff ff), with no final-block bit, so the next block's deflate data,
 * which starts at bit 0 of its first byte, may follow directly.
 * (Z_FULL_FLUSH would write the same bytes: what it adds, forgetting the
 * history, does not matter to a stream that is thrown away.  pigz saves
 * most of the 4-5 bytes a block with empty fixed blocks via deflatePrime()
 * when the bit count allows: 0.004 %, not worth the code.)  The last block
 * ends with Z_FINISH.  The member is a 10-byte header, the blocks' deflate
 * data in order -- one deflate stream -- and the trailer: the CRC-32 of
 * the input, combined by crc32_combine() from the blocks' CRCs (each
 * computed with its block, in parallel), and its length.
 * A block's output depends on its bytes, its dictionary and the level only:
 * the output is the same however the input is cut, whatever the next stage
 * takes, and whichever thread compresses which block when.
 *
 * Ownership.  Blocks are numbered in input order; block s lives in slot
 * s % nblk of a fixed ring of nblk = 2 * threads + 1 slots, so at most
 * nblk blocks are in flight and memory stays bounded.  Three counters,
 * emitted <= next_job <= submitted, tell who owns a block:
 *   - s == submitted: being filled by the producer (the thread calling
 *     write() and finish()), once its slot is free;
 *   - next_job <= s < submitted: queued, taken by the next idle worker;
 *   - emitted <= s < next_job: owned by a worker until it sets done, then
 *     by the producer, which passes its output on;
 *   - s < emitted: passed on, the slot is free.
 * When the producer starts filling block s, it copies the last DICT bytes
 * of block s - 1 into the slot as the dictionary (a worker may be reading
 * them too; nobody writes them).  Reading them in place later would not
 * do: the slot of block s - 1 is refilled as soon as that block is passed
 * on, which may be before block s is compressed.  The counters and the
 * done flags change under the lock only; block data is written by the
 * producer before the hand-over (under the lock) and read by a worker after
 * it, the worker's results the other way round.  With no worker thread
 * (none could be started, or before the first full block) the producer
 * compresses each block itself when it submits it.
 *
 * Ordering and EAGAIN.  Output is passed on strictly in block order: the
 * header (pending in o from the start), each block's output once it is
 * done, then the trailer (into o after the last block).  Every write() and
 * finish() first passes on what is ready; a next stage that takes nothing
 * (-1/EAGAIN or an error) leaves the rest pending where it is (o or the
 * block's out) and the call returns at once: -1 with that errno, or the
 * count of input bytes taken earlier in the call.  write() takes input only
 * into the slot of the block being filled; when the ring is full it waits
 * for the oldest block to be compressed (CPU work, not I/O), passes it on,
 * and so frees its slot.  finish() is a state machine that any EAGAIN may
 * interrupt: pass on what is pending, submit the last block (finishing),
 * then wait for and pass on every block and the trailer (finished).
 *
 * Threads are started at the first full block (small inputs never start
 * any) with every signal blocked, so signals reach the caller's thread;
 * destroy() stops and joins them.  A failed pthread_create leaves fewer
 * workers, or none: the output is the same.
 */
#include "filter/filters.h"
#include "filter/gzip_internal.h"
#include "util/thread.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BLOCK ((size_t)128 * 1024)	/* input bytes per block, levels 4..9 */
#define BLOCK_FAST ((size_t)256 * 1024)	/* ... levels 0..3 */
#define DICT ((size_t)32 * 1024)	/* dictionary: the input before a block */
#define OUT_SLACK 1024			/* output room beyond deflateBound() */
#define LEVEL_DEFAULT 6
#define HEADER_LEN 10
#define TRAILER_LEN 8

struct gzip_filter;

struct gz_block {
	unsigned char *in;	/* DICT bytes of room for the dictionary, then the data */
	size_t dict;		/* dictionary: in[DICT - dict .. DICT) */
	size_t len;		/* data: in[DICT .. DICT + len) */
	int last;		/* the last block: Z_FINISH */
	int done;		/* compressed (changes under the lock) */
	int err;		/* errno of a failed compression, or 0 */
	uint32_t crc;		/* CRC-32 of the data */
	struct outbuf out;	/* the deflate data; pending in buf[head..tail) */
};

struct gz_worker {
	struct gzip_filter *f;
	pthread_t tid;
	z_stream z;
	int z_ready;		/* deflateInit2 succeeded: deflateEnd is due */
};

struct gzip_filter {
	struct stage st;	/* first: a stage pointer is a filter pointer */
	struct outbuf o;	/* the header, later the trailer */
	int level;
	size_t block;		/* input bytes per block: BLOCK or BLOCK_FAST */
	struct gz_block *blk;	/* the ring of slots */
	size_t nblk;
	struct gz_worker *wk;	/* a deflate stream per worker, at least one */
	int nz;			/* deflate streams */
	int nwk;		/* worker threads to start, 0 for none */
	int nrun;		/* worker threads running */
	int started;		/* the workers have been started (or tried) */
	pthread_mutex_t lock;
	pthread_cond_t work;	/* workers: a block was queued, or quit */
	pthread_cond_t done;	/* the producer: a block was compressed */
	int quit;		/* workers: stop */
	uint64_t submitted;	/* blocks handed over; the one being filled */
	uint64_t next_job;	/* the next block a worker takes */
	uint64_t emitted;	/* blocks passed on; the oldest in flight */
	size_t fill;		/* data bytes in block `submitted` */
	uint32_t crc;		/* CRC-32 of the blocks passed on */
	uint32_t isize;		/* their length, mod 2^32 */
	int finishing;		/* the last block is submitted */
	int finished;		/* ... and everything is passed on */
	int err;		/* a latched permanent error (errno), or 0 */
};

enum { NO_WAIT, WAIT_ONE, WAIT_ALL };

static struct gz_block *slot(struct gzip_filter *f, uint64_t seq)
{
	return &f->blk[seq % f->nblk];
}

/* ---- compression (a worker, or the producer without workers) ---------- */

/* Compress block b with stream z: data, dictionary and level decide the
 * output, and nothing else. */
static void gz_compress(z_stream *z, struct gz_block *b)
{
	unsigned char *data = b->in + DICT;
	int r, ok;

	b->crc = (uint32_t)crc32_z(0, data, b->len);
	b->out.head = b->out.tail = 0;
	if (deflateReset(z) != Z_OK ||
	    (b->dict && deflateSetDictionary(z, data - b->dict, (uInt)b->dict) != Z_OK)) {
		b->err = EIO;
		return;
	}
	z->next_in = data;
	z->avail_in = (uInt)b->len;
	z->next_out = b->out.buf;
	z->avail_out = (uInt)b->out.cap;
	r = deflate(z, b->last ? Z_FINISH : Z_SYNC_FLUSH);
	/* The output room is more than deflate can need: one call finishes. */
	ok = b->last ? r == Z_STREAM_END : r == Z_OK && z->avail_in == 0 && z->avail_out > 0;
	b->out.tail = b->out.cap - z->avail_out;
	b->err = ok ? 0 : EIO;
}

static void *gz_worker_main(void *arg)
{
	struct gz_worker *w = arg;
	struct gzip_filter *f = w->f;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct gz_block *b;

		while (!f->quit && f->next_job == f->submitted)
			pthread_cond_wait(&f->work, &f->lock);
		if (f->quit)
			break;
		b = slot(f, f->next_job++);
		pthread_mutex_unlock(&f->lock);
		gz_compress(&w->z, b);
		pthread_mutex_lock(&f->lock);
		b->done = 1;
		pthread_cond_signal(&f->done);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* Start the workers, with every signal blocked in them. */
static void gz_start(struct gzip_filter *f)
{
	int i;

	f->started = 1;
	for (i = 0; i < f->nwk; i++)
		if (thread_start(&f->wk[i].tid, gz_worker_main, &f->wk[i]) != 0)
			break;
	f->nrun = i;
}

/* ---- the producer ------------------------------------------------------ */

static int gz_slot_free(const struct gzip_filter *f)
{
	return f->submitted - f->emitted < f->nblk;
}

/* Start filling block `submitted`, whose slot is free: copy its dictionary,
 * the end of the block before (a full one).  Level 0 has no use for one. */
static void gz_begin_block(struct gzip_filter *f)
{
	struct gz_block *b = slot(f, f->submitted);

	b->dict = 0;
	if (f->submitted > 0 && f->level > 0) {
		memcpy(b->in, slot(f, f->submitted - 1)->in + f->block, DICT);
		b->dict = DICT;
	}
}

/* Hand block `submitted` over to the workers (or compress it here). */
static void gz_submit(struct gzip_filter *f, int last)
{
	struct gz_block *b = slot(f, f->submitted);

	b->len = f->fill;
	b->last = last;
	f->fill = 0;
	if (!f->started && !last)
		gz_start(f);
	if (f->nrun == 0) {
		gz_compress(&f->wk[0].z, b);
		b->done = 1;
		f->submitted++;
		f->next_job++;
		return;
	}
	pthread_mutex_lock(&f->lock);
	b->done = 0;
	f->submitted++;
	pthread_cond_signal(&f->work);
	pthread_mutex_unlock(&f->lock);
}

/* Is block b compressed?  With wait, once it is. */
static int gz_ready(struct gzip_filter *f, struct gz_block *b, int wait)
{
	int done;

	if (f->nrun == 0)
		return 1;
	pthread_mutex_lock(&f->lock);
	while (wait && !b->done)
		pthread_cond_wait(&f->done, &f->lock);
	done = b->done;
	pthread_mutex_unlock(&f->lock);
	return done;
}

static void put_le32(unsigned char *p, uint32_t x)
{
	p[0] = (unsigned char)x;
	p[1] = (unsigned char)(x >> 8);
	p[2] = (unsigned char)(x >> 16);
	p[3] = (unsigned char)(x >> 24);
}

/* Pass on, in order, what is ready: o, then each compressed block (the
 * oldest first; WAIT_ONE waits for the oldest, WAIT_ALL for every one),
 * then the trailer after the last.  0 when nothing ready is left pending;
 * -1 with errno when the next stage took nothing more, or for an error. */
static int gz_emit(struct gzip_filter *f, int wait)
{
	for (;;) {
		struct gz_block *b;

		if (outbuf_flush(&f->st, &f->o) < 0)
			return -1;
		if (f->emitted == f->submitted)
			return 0;
		b = slot(f, f->emitted);
		if (!gz_ready(f, b, wait != NO_WAIT))
			return 0;
		if (b->err) {
			errno = f->err = b->err;
			return -1;
		}
		if (outbuf_flush(&f->st, &b->out) < 0)
			return -1;
		f->crc = (uint32_t)crc32_combine(f->crc, b->crc, (z_off_t)b->len);
		f->isize += (uint32_t)b->len;
		f->emitted++;
		if (b->last) {
			put_le32(f->o.buf, f->crc);
			put_le32(f->o.buf + 4, f->isize);
			f->o.tail = TRAILER_LEN;
		}
		if (wait == WAIT_ONE)
			wait = NO_WAIT;
	}
}

static int64_t gzip_write(struct stage *st, const void *buf, uint64_t n)
{
	struct gzip_filter *f = (struct gzip_filter *)st;
	const unsigned char *in = buf;
	uint64_t taken = 0;

	if (f->err || f->finishing) {
		errno = f->err ? f->err : EINVAL; /* no input after finish */
		return -1;
	}
	if (gz_emit(f, NO_WAIT) < 0)
		return -1;
	/* Input is taken once it is in a block; passing output on that stops
	 * after that only ends this call (an error repeats on the next one). */
	while (taken < n) {
		size_t k = f->block - f->fill;

		if (f->fill == 0) {
			if (!gz_slot_free(f)) {
				if (gz_emit(f, WAIT_ONE) < 0)
					break;
				continue;
			}
			gz_begin_block(f);
		}
		if (k > n - taken)
			k = (size_t)(n - taken);
		memcpy(slot(f, f->submitted)->in + DICT + f->fill, in + taken, k);
		f->fill += k;
		taken += k;
		if (f->fill == f->block) {
			gz_submit(f, 0);
			if (gz_emit(f, NO_WAIT) < 0)
				break;
		}
	}
	return taken ? (int64_t)taken : -1;
}

static int gzip_finish(struct stage *st)
{
	struct gzip_filter *f = (struct gzip_filter *)st;

	if (f->finished)
		return 0;
	if (f->err) {
		errno = f->err;
		return -1;
	}
	if (!f->finishing) {
		/* What is pending goes first: a next stage that is full or
		 * broken stops finish() before the last block is cut. */
		if (gz_emit(f, NO_WAIT) < 0)
			return -1;
		if (f->fill == 0) {
			if (!gz_slot_free(f) && gz_emit(f, WAIT_ONE) < 0)
				return -1;
			gz_begin_block(f);
		}
		gz_submit(f, 1);
		f->finishing = 1;
	}
	if (gz_emit(f, WAIT_ALL) < 0)
		return -1;
	f->finished = 1;
	return 0;
}

static void gzip_destroy(struct stage *st)
{
	struct gzip_filter *f = (struct gzip_filter *)st;
	size_t i;
	int w;

	if (f->nrun > 0) {
		pthread_mutex_lock(&f->lock);
		f->quit = 1;
		pthread_cond_broadcast(&f->work);
		pthread_mutex_unlock(&f->lock);
		for (w = 0; w < f->nrun; w++)
			pthread_join(f->wk[w].tid, NULL);
	}
	if (f->wk) {
		pthread_cond_destroy(&f->done);
		pthread_cond_destroy(&f->work);
		pthread_mutex_destroy(&f->lock);
		for (w = 0; w < f->nz; w++)
			if (f->wk[w].z_ready)
				deflateEnd(&f->wk[w].z);
		free(f->wk);
	}
	for (i = 0; f->blk && i < f->nblk; i++) {
		free(f->blk[i].in);
		outbuf_release(&f->blk[i].out);
	}
	free(f->blk);
	outbuf_release(&f->o);
	free(f);
}

static const struct stage_ops gzip_ops = {
	.name = "gzip",
	.write = gzip_write,
	.finish = gzip_finish,
	.destroy = gzip_destroy,
};

/* ---- construction ------------------------------------------------------ */

/* The CPUs this process may run on, 1..GZIP_THREADS_MAX. */
static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < n)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return n > GZIP_THREADS_MAX ? GZIP_THREADS_MAX : (int)n;
}

/* The header zlib writes for a gzip stream: no name, mtime 0, XFL by the
 * level, OS 3 (Unix), as gzip -n does. */
static void put_header(struct gzip_filter *f)
{
	unsigned char *h = f->o.buf;

	memset(h, 0, HEADER_LEN);
	h[0] = 0x1f;
	h[1] = 0x8b;
	h[2] = Z_DEFLATED;
	h[8] = f->level == 9 ? 2 : f->level < 2 ? 4 : 0;
	h[9] = 3;
	f->o.tail = HEADER_LEN;
}

/* The lock and conditions of f; 0, or -1 with nothing to destroy. */
static int gz_sync_init(struct gzip_filter *f)
{
	if (pthread_mutex_init(&f->lock, NULL) != 0)
		return -1;
	if (pthread_cond_init(&f->work, NULL) != 0) {
		pthread_mutex_destroy(&f->lock);
		return -1;
	}
	if (pthread_cond_init(&f->done, NULL) != 0) {
		pthread_cond_destroy(&f->work);
		pthread_mutex_destroy(&f->lock);
		return -1;
	}
	return 0;
}

/* The streams, slots and lock of f; 0, or a zlib code (Z_MEM_ERROR). */
static int gz_alloc(struct gzip_filter *f, int streams)
{
	size_t cap, i;
	int w, r;

	if (!(f->wk = calloc((size_t)streams, sizeof *f->wk)))
		return Z_MEM_ERROR;
	f->nz = streams;
	if (gz_sync_init(f) != 0) {
		free(f->wk);
		f->wk = NULL;
		return Z_MEM_ERROR;
	}
	for (w = 0; w < streams; w++) {
		f->wk[w].f = f;
		r = deflateInit2(&f->wk[w].z, f->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
		if (r != Z_OK)
			return r;
		f->wk[w].z_ready = 1;
	}
	cap = (size_t)deflateBound(&f->wk[0].z, (uLong)f->block) + OUT_SLACK;
	if (!(f->blk = calloc(f->nblk, sizeof *f->blk)))
		return Z_MEM_ERROR;
	for (i = 0; i < f->nblk; i++)
		if (!(f->blk[i].in = malloc(DICT + f->block)) ||
		    outbuf_init(&f->blk[i].out, cap) < 0)
			return Z_MEM_ERROR;
	return Z_OK;
}

struct stage *gzip_create_threads(const char *spec, const char *arg, int threads, struct errors *err)
{
	struct gzip_filter *f;
	int level = LEVEL_DEFAULT, r;

	if (arg) {
		if (arg[0] < '0' || arg[0] > '9' || arg[1] != '\0')
			return filter_error(err, spec, "level must be 0..9");
		level = arg[0] - '0';
	}
	/* As pigz: a zlib of another major version than the header's. */
	if (zlibVersion()[0] != ZLIB_VERSION[0])
		return filter_error(err, spec, "zlib version %s, built with %s", zlibVersion(),
				    ZLIB_VERSION);
	if (threads < 0)
		threads = default_threads();
	if (threads > GZIP_THREADS_MAX)
		threads = GZIP_THREADS_MAX;
	f = calloc(1, sizeof *f);
	if (!f)
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	f->st.ops = &gzip_ops;
	f->level = level;
	f->block = level >= 4 ? BLOCK : BLOCK_FAST;
	f->nwk = threads;
	f->nblk = 2 * (size_t)(threads ? threads : 1) + 1;
	if (outbuf_init(&f->o, HEADER_LEN > TRAILER_LEN ? HEADER_LEN : TRAILER_LEN) < 0)
		r = Z_MEM_ERROR;
	else
		r = gz_alloc(f, threads ? threads : 1);
	if (r != Z_OK) {
		gzip_destroy(&f->st);
		return filter_error(err, spec, "cannot start deflate: %s",
				    r == Z_MEM_ERROR ? strerror(ENOMEM) : zError(r));
	}
	put_header(f);
	return &f->st;
}

struct stage *gzip_create(const char *spec, const char *arg, struct errors *err)
{
	return gzip_create_threads(spec, arg, -1, err);
}

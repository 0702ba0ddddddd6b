/*
 * gzip.c -- gzip[:LEVEL]: one gzip member (RFC 1952) by zlib's deflate.
 *
 * Model.  Input is taken by copying it into a block of BLOCK bytes; only a
 * full block is handed to deflate (Z_NO_FLUSH), and the last partial block
 * goes with Z_FINISH at finish().  Every deflate call also gets the whole,
 * empty outbuf.  So deflate sees the same calls whatever the chunking of
 * the input and whatever the next stage takes: the output is reproducible
 * by construction.  (zlib alone does not promise that: at level 0 its
 * stored blocks follow avail_in and avail_out.)
 *
 * Pending output is what deflate wrote into the outbuf and the next stage
 * has not taken yet; more may wait inside zlib, and comes out on the next
 * deflate call.  While a full block is being deflated (z.avail_in > 0) no
 * input is taken: that block goes first.  write() goes on while the next
 * stage takes everything, up to FILTER_CALL_MAX a call.
 *
 * finish() is a state machine that any EAGAIN may interrupt and a new call
 * resumes: deflate the rest of a full block with Z_NO_FLUSH, then the last
 * partial block with Z_FINISH (finishing), as often as the outbuf fills,
 * until Z_STREAM_END (done) and an empty outbuf.
 *
 * The header is zlib's default (windowBits 15 + 16): no name, mtime 0.
 */
#include "filter/filters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BLOCK (128 * 1024)	/* input per deflate hand-over */
#define OUT_CAP (128 * 1024)
#define LEVEL_DEFAULT 6

struct gzip_filter {
	struct stage st;	/* first: a stage pointer is a filter pointer */
	struct outbuf o;
	z_stream z;
	int z_ready;		/* deflateInit2 succeeded: deflateEnd is due */
	unsigned char *block;	/* input gathered, block[0..fill) */
	size_t fill;		/* not yet handed to deflate */
	int finishing;		/* Z_FINISH has been called */
	int done;		/* deflate returned Z_STREAM_END */
	int err;		/* a latched permanent error (errno), or 0 */
};

/* One deflate call into the empty outbuf; -1 with errno (latched). */
static int gzip_deflate(struct gzip_filter *f, int flush)
{
	int r;

	f->z.next_out = f->o.buf;
	f->z.avail_out = (uInt)f->o.cap;
	r = deflate(&f->z, flush);
	f->o.head = 0;
	f->o.tail = f->o.cap - f->z.avail_out;
	if (r == Z_STREAM_END) {
		f->done = 1;
		return 0;
	}
	/* With input or Z_FINISH pending and an empty outbuf, deflate always
	 * makes progress; anything but Z_OK is a bug or a broken zlib. */
	if (r == Z_OK)
		return 0;
	f->err = r == Z_MEM_ERROR ? ENOMEM : EIO;
	errno = f->err;
	return -1;
}

static int64_t gzip_write(struct stage *st, const void *buf, uint64_t n)
{
	struct gzip_filter *f = (struct gzip_filter *)st;
	const unsigned char *in = buf;
	uint64_t taken = 0;

	if (n == 0)
		return 0;
	if (n > FILTER_CALL_MAX)
		n = FILTER_CALL_MAX;
	if (f->err || f->finishing) {
		errno = f->err ? f->err : EINVAL; /* no input after finish */
		return -1;
	}
	if (outbuf_flush(st, &f->o) < 0)
		return -1;
	/* Input is taken once it is in the block; a flush or deflate that
	 * stops after that only ends this call (an error repeats on the next
	 * one). */
	for (;;) {
		if (f->z.avail_in > 0) {
			if (gzip_deflate(f, Z_NO_FLUSH) < 0)
				break;
		} else if (taken < n) {
			size_t k = BLOCK - f->fill;

			if (k > n - taken)
				k = (size_t)(n - taken);
			memcpy(f->block + f->fill, in + taken, k);
			f->fill += k;
			taken += k;
			if (f->fill < BLOCK)
				break;	/* all of the input is taken */
			f->z.next_in = f->block;
			f->z.avail_in = BLOCK;
			f->fill = 0;
			continue;
		} else {
			break;
		}
		if (outbuf_flush(st, &f->o) < 0)
			break;
	}
	return taken ? (int64_t)taken : -1;
}

static int gzip_finish(struct stage *st)
{
	struct gzip_filter *f = (struct gzip_filter *)st;

	for (;;) {
		if (f->err) {
			errno = f->err;
			return -1;
		}
		if (outbuf_flush(st, &f->o) < 0)
			return -1;
		if (f->done)
			return 0;
		if (f->finishing) {
			gzip_deflate(f, Z_FINISH);
		} else if (f->z.avail_in > 0) {
			gzip_deflate(f, Z_NO_FLUSH);
		} else {
			f->z.next_in = f->block;
			f->z.avail_in = (uInt)f->fill;
			f->fill = 0;
			f->finishing = 1;
		}
	}
}

static void gzip_destroy(struct stage *st)
{
	struct gzip_filter *f = (struct gzip_filter *)st;

	if (f->z_ready)
		deflateEnd(&f->z);
	outbuf_release(&f->o);
	free(f->block);
	free(f);
}

static const struct stage_ops gzip_ops = {
	.name = "gzip",
	.write = gzip_write,
	.finish = gzip_finish,
	.destroy = gzip_destroy,
};

struct stage *gzip_create(const char *spec, const char *arg, char **err)
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
	f = calloc(1, sizeof *f);
	if (!f)
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	f->st.ops = &gzip_ops;
	if (!(f->block = malloc(BLOCK)) || outbuf_init(&f->o, OUT_CAP) < 0) {
		gzip_destroy(&f->st);
		return filter_error(err, spec, "%s", strerror(ENOMEM));
	}
	r = deflateInit2(&f->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (r != Z_OK) {
		gzip_destroy(&f->st);
		return filter_error(err, spec, "cannot start deflate: %s",
				    r == Z_MEM_ERROR ? strerror(ENOMEM) : zError(r));
	}
	f->z_ready = 1;
	return &f->st;
}

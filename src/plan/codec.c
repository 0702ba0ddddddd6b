/*
 * codec.c -- a regular file's compressed bytes, decoded piece by piece
 * (decode.h).  Three back ends behind one read call, as the filters are:
 * gzip (zlib, one member after another), xz (liblzma's stream decoder,
 * concatenated streams, multithreaded where the blocks record their sizes)
 * and zstd (libzstd's streaming decoder, frame after frame; skippable
 * frames are skipped).
 *
 * Model.  The file is read with pread from offset 0 into one input buffer
 * of IN_SIZE bytes, refilled when the decoder has taken all of it, so a
 * descriptor shared with other readers is never moved.  A call decodes
 * into the caller's buffer until it holds something, or the data ends.
 * "Truncated" is decided the same way for every format: the file has no
 * more input, and a call of the decoder with none produced nothing and did
 * not end the member, stream or frame (a decoder may still hold output
 * when its input is gone, so that is tried first).  Every fault of the
 * data is EBADMSG with a reason in codec_why; the first one is latched.
 */
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "manifest/manifest.h"
#include "plan/decode.h"

#define IN_SIZE ((size_t)256 << 10)

struct codec {
	int fd, fmt;
	int64_t in_off;		/* the next compressed byte to read */
	unsigned char *in;	/* IN_SIZE bytes; in[in_pos..in_len) not yet taken */
	size_t in_len, in_pos;
	int in_eof;		/* the file has no more */
	int ended;		/* gzip: a member ended; xz: the data ended;
				 * zstd: no frame is open */
	int err;		/* latched: an errno */
	const char *why;	/* EBADMSG: what is wrong */
	union {
		z_stream z;
		lzma_stream x;
		ZSTD_DStream *zs;
	} u;
};

const char *codec_name(int fmt)
{
	return fmt == DECODE_GZIP ? "gzip" : fmt == DECODE_XZ ? "xz" : "zstd";
}

static ssize_t fault(struct codec *c, int err, const char *why)
{
	c->err = err;
	c->why = why;
	errno = err;
	return -1;
}

static ssize_t corrupt(struct codec *c, const char *why)
{
	return fault(c, EBADMSG, why);
}

/* Refill the input when it is all taken: 0, or -1 with errno. */
static int fill(struct codec *c)
{
	ssize_t r;

	if (c->in_pos < c->in_len || c->in_eof)
		return 0;
	do {
		r = pread(c->fd, c->in, IN_SIZE, (off_t)c->in_off);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return (int)fault(c, errno, NULL);
	c->in_pos = 0;
	c->in_len = (size_t)r;
	c->in_off += r;
	c->in_eof = r == 0;
	return 0;
}

static ssize_t gzip_read(struct codec *c, unsigned char *out, size_t n)
{
	z_stream *z = &c->u.z;

	z->next_out = out;
	z->avail_out = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	n = z->avail_out;
	while (z->avail_out == n) {
		if (fill(c) < 0)
			return -1;
		int dry = c->in_pos == c->in_len;	/* only at the end of the file */

		if (c->ended && dry)
			return 0;
		if (c->ended && inflateReset(z) != Z_OK)	/* the next member */
			return corrupt(c, "cannot start the next gzip member");
		c->ended = 0;
		z->next_in = c->in + c->in_pos;
		z->avail_in = (uInt)(c->in_len - c->in_pos);
		int rc = inflate(z, Z_NO_FLUSH);

		c->in_pos = c->in_len - z->avail_in;
		if (rc == Z_STREAM_END)
			c->ended = 1;
		else if (rc == Z_MEM_ERROR)
			return fault(c, ENOMEM, NULL);
		else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR)
			return corrupt(c, z->msg ? z->msg : "corrupt gzip data");
		else if (dry && z->avail_out == n)
			return corrupt(c, "truncated: the file ends inside a gzip member");
	}
	return (ssize_t)(n - z->avail_out);
}

static const char *xz_message(lzma_ret rc)
{
	switch (rc) {
	case LZMA_FORMAT_ERROR: return "not xz data";
	case LZMA_OPTIONS_ERROR: return "xz options this liblzma does not support";
	case LZMA_BUF_ERROR: return "truncated: the file ends inside an xz stream";
	default: return "corrupt xz data";
	}
}

static ssize_t xz_read(struct codec *c, unsigned char *out, size_t n)
{
	lzma_stream *x = &c->u.x;

	x->next_out = out;
	x->avail_out = n;
	while (x->avail_out == n && !c->ended) {
		if (fill(c) < 0)
			return -1;
		x->next_in = c->in + c->in_pos;
		x->avail_in = c->in_len - c->in_pos;
		lzma_ret rc = lzma_code(x, c->in_eof ? LZMA_FINISH : LZMA_RUN);

		c->in_pos = c->in_len - x->avail_in;
		if (rc == LZMA_STREAM_END)
			c->ended = 1;
		else if (rc == LZMA_MEM_ERROR || rc == LZMA_MEMLIMIT_ERROR)
			return fault(c, ENOMEM, NULL);
		else if (rc != LZMA_OK)
			return corrupt(c, xz_message(rc));
	}
	return (ssize_t)(n - x->avail_out);
}

static ssize_t zstd_read(struct codec *c, unsigned char *out, size_t n)
{
	ZSTD_outBuffer o = { out, n, 0 };

	while (o.pos == 0) {
		if (fill(c) < 0)
			return -1;
		int dry = c->in_pos == c->in_len;

		if (dry && c->ended)
			return 0;
		ZSTD_inBuffer i = { c->in, c->in_len, c->in_pos };
		size_t rc = ZSTD_decompressStream(c->u.zs, &o, &i);

		c->in_pos = i.pos;
		if (ZSTD_isError(rc))
			return ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation
				       ? fault(c, ENOMEM, NULL)
				       : corrupt(c, ZSTD_getErrorName(rc));
		c->ended = rc == 0;
		if (dry && o.pos == 0 && !c->ended)
			return corrupt(c, "truncated: the file ends inside a zstd frame");
	}
	return (ssize_t)o.pos;
}

/* xz: as many threads as online CPUs while a quarter of the RAM holds
 * them (xz's own default), one beyond that; the bytes are the same. */
static int xz_start(lzma_stream *x)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	lzma_mt mt = {
		.flags = LZMA_CONCATENATED, .threads = cpus > 1 ? (uint32_t)cpus : 1,
		.memlimit_threading = lzma_physmem() / 4, .memlimit_stop = UINT64_MAX,
	};

	*x = (lzma_stream)LZMA_STREAM_INIT;
	if (mt.threads > 16)
		mt.threads = 16;
	if (mt.memlimit_threading == 0)
		mt.memlimit_threading = (uint64_t)256 << 20;
	return lzma_stream_decoder_mt(x, &mt) == LZMA_OK ? 0 : -1;
}

static int start(struct codec *c)
{
	switch (c->fmt) {
	case DECODE_GZIP:
		c->ended = 0;	/* at least one member */
		return inflateInit2(&c->u.z, 15 + 16) == Z_OK ? 0 : -1;
	case DECODE_XZ:
		return xz_start(&c->u.x);
	default:
		c->ended = 0;	/* at least one frame */
		c->u.zs = ZSTD_createDStream();
		return c->u.zs ? 0 : -1;
	}
}

struct codec *codec_open(int fd, int fmt)
{
	struct codec *c = calloc(1, sizeof(*c));

	if (!c || !(c->in = malloc(IN_SIZE))) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->fmt = fmt;
	if (start(c) < 0) {
		free(c->in);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

ssize_t codec_read(struct codec *c, void *buf, size_t n)
{
	if (c->err) {
		errno = c->err;
		return -1;
	}
	if (n == 0)
		return 0;
	switch (c->fmt) {
	case DECODE_GZIP: return gzip_read(c, buf, n);
	case DECODE_XZ: return xz_read(c, buf, n);
	default: return zstd_read(c, buf, n);
	}
}

int64_t codec_skip(struct codec *c, int64_t n, void *scratch, size_t size)
{
	int64_t done = 0;

	while (done < n) {
		ssize_t r = codec_read(c, scratch, n - done < (int64_t)size ? (size_t)(n - done) : size);

		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

const char *codec_why(const struct codec *c)
{
	return c->why ? c->why : strerror(c->err);
}

int64_t codec_in_offset(const struct codec *c)
{
	return c->in_off - (int64_t)(c->in_len - c->in_pos);
}

void codec_close(struct codec *c)
{
	if (!c)
		return;
	if (c->fmt == DECODE_GZIP)
		inflateEnd(&c->u.z);
	else if (c->fmt == DECODE_XZ)
		lzma_end(&c->u.x);
	else
		ZSTD_freeDStream(c->u.zs);
	free(c->in);
	free(c);
}

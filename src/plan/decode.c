/*
 * decode.c -- compressed sources at plan time (SPEC §9.3): which format,
 * how long decoded, and which decoded range each fragment takes.
 *
 * Design.  A decoded source is never spooled: its bytes are decoded again
 * wherever they are needed.  Here, before anything is written, the length
 * comes from what the format records where it does -- the frame headers
 * of zstd (each frame's content size, summed; the blocks are walked by
 * their 3-byte headers, so a truncated file is found without decoding) and
 * the index of xz (liblzma's file-info decoder, which reads the stream
 * headers, footers and indexes from the end) -- and otherwise (gzip, or a
 * zstd frame without a content size) from decoding the whole source once,
 * which also finds a corrupt stream before anything is written.  `len=`
 * spares that pass: the range is then checked as it is decoded, at write
 * time.  At write time each batch entry of a decoded fragment gets a
 * thread that decodes into a pipe (decode_job.c), read by the engines as
 * a stream; digests, fields and expect= read decoded bytes here, through
 * one decoder per fragment that goes on from where it stopped.
 *
 * Cost: every batch entry decodes its source from the start, so N
 * fragments over one compressed file (or a fragment that later lines split
 * under --allow-overlap) decode it up to N times, and --verify once more.
 */
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/decode_internal.h"
#include "plan/plan_internal.h"
#include "util/io.h"

#define PIECE ((size_t)256 << 10)
#define ZSTD_MAGIC 0xFD2FB528u
#define ZSTD_SKIPPABLE 0x184D2A50u	/* ... to 0x184D2A5F */

/* What a look at a source found: the decoded length, or the fault. */
struct probe {
	int fd, fmt;
	int64_t size;		/* the compressed file's */
	int64_t total;		/* decoded bytes, or -1: not recorded */
	const char *why;	/* EBADMSG: what is wrong */
};

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int bad(struct probe *q, const char *why)
{
	q->why = why;
	return EBADMSG;
}

/* The format by the first bytes: gzip, xz, zstd (a frame or a skippable
 * frame), or DECODE_NONE.  0 or an errno. */
static int sniff(int fd, int *fmt)
{
	unsigned char b[6];
	ssize_t r;

	do {
		r = pread(fd, b, sizeof b, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno;
	*fmt = DECODE_NONE;
	if (r >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		*fmt = DECODE_GZIP;
	else if (r >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0)
		*fmt = DECODE_XZ;
	else if (r >= 4 && (le32(b) == ZSTD_MAGIC || (le32(b) & ~0xFu) == ZSTD_SKIPPABLE))
		*fmt = DECODE_ZSTD;
	return 0;
}

/* A zstd frame header at h[0..n) (magic included, RFC 8878 §3.1.1.1):
 * its size into *hsize, its content size (or -1) into *content. */
static int zstd_header(struct probe *q, const unsigned char *h, size_t n, size_t *hsize,
		       int64_t *content, int *checksum)
{
	static const unsigned char dict_bytes[] = { 0, 1, 2, 4 };
	unsigned d = n > 4 ? h[4] : 0, single = d >> 5 & 1, fcs_flag = d >> 6;
	size_t fcs = fcs_flag ? (size_t)1 << fcs_flag : single, size;
	uint64_t v = 0;

	if (n < 5)
		return bad(q, "truncated: the file ends inside a zstd frame header");
	if (d & 0x08)
		return bad(q, "a zstd frame header with its reserved bit set");
	size = 5 + !single + dict_bytes[d & 3] + fcs;
	if (n < size)
		return bad(q, "truncated: the file ends inside a zstd frame header");
	for (size_t i = fcs; i-- > 0;)
		v = v << 8 | h[size - fcs + i];
	if (fcs == 2)
		v += 256;
	if (v > INT64_MAX)
		return bad(q, "a zstd frame larger than the largest file offset");
	*hsize = size;
	*content = fcs ? (int64_t)v : -1;
	*checksum = d >> 2 & 1;
	return 0;
}

/* The blocks of a frame, by their headers, from *off to past the last. */
static int zstd_blocks(struct probe *q, int64_t *off)
{
	unsigned char b[3];

	for (;;) {
		uint32_t bh, type;
		int err;

		if (*off > q->size - 3)
			return bad(q, "truncated: the file ends inside a zstd frame");
		if ((err = pread_full(q->fd, b, 3, *off)) != 0)
			return err;
		bh = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
		type = bh >> 1 & 3;
		if (type == 3)
			return bad(q, "a zstd block of the reserved type");
		*off += 3 + (type == 1 ? 1 : (int64_t)(bh >> 3));
		if (bh & 1)
			return 0;
	}
}

/* One frame (or skippable frame) at *off: its content size added to *sum,
 * or *unknown set. */
static int zstd_frame(struct probe *q, int64_t *off, int64_t *sum, int *unknown)
{
	unsigned char h[18];
	size_t n = q->size - *off < (int64_t)sizeof h ? (size_t)(q->size - *off) : sizeof h, hsize;
	int64_t content;
	int err, checksum;

	if ((err = pread_full(q->fd, h, n, *off)) != 0)
		return err;
	if (n >= 8 && (le32(h) & ~0xFu) == ZSTD_SKIPPABLE) {
		*off += 8 + (int64_t)le32(h + 4);
		return 0;
	}
	if (n < 4 || le32(h) != ZSTD_MAGIC)
		return bad(q, *off ? "bytes after the last zstd frame that are no frame"
				   : "not zstd data");
	if ((err = zstd_header(q, h, n, &hsize, &content, &checksum)) != 0)
		return err;
	*off += (int64_t)hsize;
	if ((err = zstd_blocks(q, off)) != 0)
		return err;
	*off += checksum ? 4 : 0;
	if (content < 0)
		*unknown = 1;
	else if (content > INT64_MAX - *sum)
		return bad(q, "decoded, larger than the largest file offset");
	else
		*sum += content;
	return 0;
}

static int zstd_total(struct probe *q)
{
	int64_t off = 0, sum = 0;
	int unknown = 0, err;

	if (q->size == 0)
		return bad(q, "an empty file: no zstd frame");
	while (off < q->size)
		if ((err = zstd_frame(q, &off, &sum, &unknown)) != 0)
			return err;
	if (off > q->size)
		return bad(q, "truncated: the file ends inside a zstd frame");
	q->total = unknown ? -1 : sum;
	return 0;
}

/* The xz index, read by liblzma's file-info decoder (it asks to seek). */
static int xz_index(struct probe *q, lzma_stream *x, lzma_index **idx, unsigned char *buf)
{
	int64_t pos = 0;

	if (lzma_file_info_decoder(x, idx, UINT64_MAX, (uint64_t)q->size) != LZMA_OK)
		return ENOMEM;
	for (;;) {
		lzma_ret rc;

		if (x->avail_in == 0) {
			size_t want = q->size - pos < (int64_t)PIECE ? (size_t)(q->size - pos) : PIECE;
			int err = pread_full(q->fd, buf, want, pos);

			if (err)
				return err;
			pos += (int64_t)want;
			x->next_in = buf;
			x->avail_in = want;
		}
		rc = lzma_code(x, pos >= q->size ? LZMA_FINISH : LZMA_RUN);
		if (rc == LZMA_SEEK_NEEDED) {
			pos = (int64_t)x->seek_pos;
			x->avail_in = 0;
		} else if (rc == LZMA_STREAM_END) {
			return 0;
		} else if (rc == LZMA_MEM_ERROR || rc == LZMA_MEMLIMIT_ERROR) {
			return ENOMEM;
		} else if (rc != LZMA_OK) {
			return bad(q, rc == LZMA_FORMAT_ERROR ? "not xz data"
				   : rc == LZMA_BUF_ERROR ? "truncated: the file ends inside an xz stream"
				   : "a corrupt xz stream header, index or footer");
		}
	}
}

static int xz_total(struct probe *q)
{
	lzma_stream x = LZMA_STREAM_INIT;
	lzma_index *idx = NULL;
	unsigned char *buf = malloc(PIECE);
	int err = buf ? xz_index(q, &x, &idx, buf) : ENOMEM;

	if (!err) {
		lzma_vli n = lzma_index_uncompressed_size(idx);

		if (n > INT64_MAX)
			err = bad(q, "decoded, larger than the largest file offset");
		q->total = (int64_t)n;
	}
	lzma_index_end(idx, NULL);
	lzma_end(&x);
	free(buf);
	return err;
}

/* Decode it all once, counting: the length, and every fault found now. */
static int full_pass(struct probe *q)
{
	unsigned char *buf = malloc(PIECE);
	struct codec *c = buf ? codec_open(q->fd, q->fmt) : NULL;
	int64_t sum = 0;
	ssize_t r = -1;
	int err = ENOMEM;

	while (c && (r = codec_read(c, buf, PIECE)) > 0 && sum <= INT64_MAX - r)
		sum += r;
	if (c && r == 0) {
		err = 0;
		q->total = sum;
	} else if (c && r > 0) {
		err = bad(q, "decoded, larger than the largest file offset");
	} else if (c) {
		err = errno;
		q->why = errno == EBADMSG ? codec_why(c) : NULL;
	}
	codec_close(c);
	free(buf);
	return err;
}

/* The decoded length where the format records it; otherwise, when it is
 * needed (no len=), by decoding once.  gzip without len= is at least
 * checked to be gzip. */
static int learn_length(struct probe *q, int need)
{
	int err = 0, fmt;

	q->total = -1;
	if (q->fmt == DECODE_ZSTD)
		err = zstd_total(q);
	else if (q->fmt == DECODE_XZ)
		err = xz_total(q);
	else if (!need && (err = sniff(q->fd, &fmt)) == 0 && fmt != DECODE_GZIP)
		err = bad(q, "not gzip data");
	if (err == 0 && q->total < 0 && need)
		err = full_pass(q);
	return err;
}

struct decode_rec *decode_find(const struct plan *p, size_t i)
{
	const struct decode_set *d = p->dec;
	size_t lo = 0, hi = d ? d->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->rec[mid].frag == i)
			return &d->rec[mid];
		if (d->rec[mid].frag < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A record for fragment i (fragments come in order): 0 or ENOMEM. */
static int add_rec(struct plan *p, size_t i, int fmt, int64_t total)
{
	struct decode_set *d = p->dec;

	if (!d) {
		if (!(d = p->dec = calloc(1, sizeof(*d))))
			return ENOMEM;
		pthread_mutex_init(&d->lock, NULL);
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 8;
		struct decode_rec *r = realloc(d->rec, cap * sizeof(*r));

		if (!r)
			return ENOMEM;
		d->rec = r;
		d->cap = cap;
	}
	d->rec[d->n++] = (struct decode_rec){ .frag = i, .fmt = fmt, .total = total };
	return 0;
}

static int probe_failed(const struct probe *q, int e, const struct manifest *m,
			const struct fragment *f, struct errors *err)
{
	const char *path = (const char *)f->bytes;

	if (e == EBADMSG)
		return plan_fail(err, m, f, "'%s' is not valid %s data: %s", path,
				 codec_name(q->fmt), q->why);
	if (e == EIO)
		return plan_fail(err, m, f, "cannot read '%s': it is shorter than it was", path);
	return plan_fail(err, m, f, "cannot decode '%s': %s", path, strerror(e));
}

int plan_decode(struct plan *p, size_t i, int32_t s, const struct manifest *m,
		const struct fragment *f, struct errors *err)
{
	const struct frag_ext *x = frag_ext(m, f);
	const struct source *src = &p->src[s];
	struct probe q = { .fd = src->fd, .size = src->size, .fmt = x ? x->decode : 0 };
	int e;

	if (q.fmt == DECODE_NONE)
		return 0;
	if (src->stream)
		return plan_fail(err, m, f, "decode= needs a file that can be read from its "
				 "start; '%s' is a stream", (const char *)f->bytes);
	if (q.fmt == DECODE_AUTO && (e = sniff(q.fd, &q.fmt)) != 0)
		return probe_failed(&q, e, m, f, err);
	if (q.fmt == DECODE_NONE)
		return 0;	/* auto: no known magic, the file as it is */
	if ((e = learn_length(&q, !x->len.set)) != 0)
		return probe_failed(&q, e, m, f, err);
	if (add_rec(p, i, q.fmt, q.total) != 0)
		return error_nomem(err);
	p->pf[i].decoded = 1;
	p->pf[i].src = s;
	if (x->skip.expr || x->len.expr)
		return 1;	/* plan_file_range, after placement */
	return decode_range(p, i, m, f, f->skip, f->len, err) < 0 ? -1 : 1;
}

int decode_range(struct plan *p, size_t i, const struct manifest *m, const struct fragment *f,
		 int64_t skip, int64_t len, struct errors *err)
{
	const struct decode_rec *r = decode_find(p, i);
	int64_t total = r ? r->total : -1;

	if (total >= 0 && skip > total)
		return plan_short_source(err, m, f, skip, len, total);
	if (total >= 0 && len >= 0 && len > total - skip)
		return plan_short_source(err, m, f, skip, len, total);
	p->pf[i].src_off = skip;
	p->pf[i].len = len >= 0 ? len : total - skip;
	return 0;
}

/* Make r's reader stand at decoded offset want: 0 or an errno. */
static int seek_cursor(const struct plan *p, struct decode_rec *r, int64_t want, unsigned char *buf,
		       size_t size)
{
	int64_t got;

	if (r->cur && r->pos > want) {
		codec_close(r->cur);
		r->cur = NULL;
	}
	if (!r->cur) {
		if (!(r->cur = codec_open(p->src[p->pf[r->frag].src].fd, r->fmt)))
			return errno;
		r->pos = 0;
	}
	got = codec_skip(r->cur, want - r->pos, buf, size);
	if (got < 0)
		return errno;
	r->pos += got;
	return r->pos < want ? EIO : 0;
}

int decode_fragment_bytes(const struct plan *p, size_t i, int64_t off, size_t n,
			  unsigned char *buf)
{
	struct decode_rec *r = decode_find(p, i);
	int err;

	if (!r)
		return EINVAL;
	if (n == 0)
		return 0;
	if ((err = seek_cursor(p, r, p->pf[i].src_off + off, buf, n)) != 0)
		return err;
	for (size_t done = 0; done < n;) {
		ssize_t got = codec_read(r->cur, buf + done, n - done);

		if (got < 0)
			return errno;
		if (got == 0)
			return EIO;
		done += (size_t)got;
		r->pos += got;
	}
	return 0;
}

void decode_release(struct plan *p)
{
	struct decode_set *d = p->dec;

	if (!d)
		return;
	plan_decode_stop(p);
	for (size_t i = 0; i < d->n; i++)
		codec_close(d->rec[i].cur);
	free(d->rec);
	free(d->job);
	pthread_mutex_destroy(&d->lock);
	free(d);
	p->dec = NULL;
}

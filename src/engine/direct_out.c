/*
 * direct_out.c -- --direct in stream mode: the sink's bytes, in order,
 * written to an O_DIRECT target as whole aligned blocks.
 *
 * Model.  The stream is written from target offset 0 on.  What the sink
 * takes is copied into one aligned buffer; whenever the buffer is full,
 * and whenever the engine drains the sink (after every call), its whole
 * blocks are written with pwrite(2) and the partial last block is kept at
 * the buffer's start, so the progress the engine shows is what the device
 * has taken, less than one block.  The kernel's copy paths (sendfile,
 * splice, copy_file_range) are never used: they move source-aligned pieces
 * that an O_DIRECT target may refuse.  At the end the partial block is
 * completed -- with the device's old bytes on a block device, with zeros in
 * a regular file, whose length is then set to the stream's end -- and
 * written.  A failed write is kept and returned by every later call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_internal.h"

/* Large enough that a write costs little per byte; a multiple of every
 * alignment direct_start accepts. */
#define DIRECT_OUT_BUF ((size_t)1 << 20)

struct direct_out {
	int fd;
	const struct target *t;
	size_t blk;
	unsigned char *buf;	/* DIRECT_OUT_BUF bytes at dio_mem_align */
	size_t fill;		/* bytes in buf */
	int64_t at;		/* target offset of buf[0] */
	uint64_t *out;		/* bytes the target has taken */
	int err;
};

struct direct_out *direct_out_new(const struct target *t, uint64_t *out)
{
	struct direct_out *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->buf = direct_zeros(DIRECT_OUT_BUF);
	if (!d->buf) {
		free(d);
		return NULL;
	}
	d->fd = t->fd;
	d->t = t;
	d->blk = t->dio_align;
	d->out = out;
	return d;
}

/* pwrite all n bytes of buf at d->at; 0 or an errno. */
static int put(struct direct_out *d, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = pwrite(d->fd, d->buf + done, n - done, d->at + (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		done += (size_t)w;
	}
	return 0;
}

/* Write the buffer's whole blocks; keep its partial last block. */
int direct_out_flush(struct direct_out *d)
{
	size_t whole = d->fill / d->blk * d->blk;

	if (d->err || whole == 0)
		return d->err;
	if ((d->err = put(d, whole)) != 0)
		return d->err;
	memmove(d->buf, d->buf + whole, d->fill - whole);
	d->fill -= whole;
	d->at += (int64_t)whole;
	*d->out += whole;
	return 0;
}

int64_t direct_out_write(struct direct_out *d, const void *buf, uint64_t n)
{
	size_t k = DIRECT_OUT_BUF - d->fill;

	if (!d->err && k == 0)
		direct_out_flush(d);
	if (d->err) {
		errno = d->err;
		return -1;
	}
	k = DIRECT_OUT_BUF - d->fill;
	if (k > n)
		k = (size_t)n;
	memcpy(d->buf + d->fill, buf, k);
	d->fill += k;
	return (int64_t)k;
}

/* The rest of the last block: the device's old bytes, or zeros. */
static int complete_block(struct direct_out *d, size_t part)
{
	size_t rest = d->blk - part;

	memset(d->buf + part, 0, rest);
	if (d->t->type != TARGET_DEVICE || d->t->dio_rfd < 0)
		return 0;
	return pread_full(d->t->dio_rfd, d->buf + part, rest, d->at + (int64_t)part);
}

int direct_out_finish(struct direct_out *d)
{
	size_t part;
	int64_t end;

	if (direct_out_flush(d) != 0 || d->fill == 0)
		return d->err;
	part = d->fill;
	end = d->at + (int64_t)part;
	if ((d->err = complete_block(d, part)) != 0 || (d->err = put(d, d->blk)) != 0)
		return d->err;
	d->fill = 0;
	*d->out += part;
	if (d->t->type == TARGET_REGULAR && ftruncate(d->fd, end) < 0)
		d->err = errno;
	return d->err;
}

void direct_out_free(struct direct_out *d)
{
	if (!d)
		return;
	free(d->buf);
	free(d);
}

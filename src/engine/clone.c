/*
 * clone.c -- shared extents (SPEC §9.2): file ranges cloned into the
 * target with FICLONERANGE instead of copied.
 *
 * Model.  On a file system that shares extents (XFS with reflink, btrfs)
 * the target can be given the source's blocks themselves: no data moves,
 * the blocks are copied only when one side is written later.  The kernel
 * clones whole blocks of the target's file system only (XFS: its block
 * size; btrfs: its sector size; statfs's f_bsize on both), so of a file
 * entry only the span where the source offset, the target offset and the
 * length are multiples of that size is cloned; the engines copy the head
 * before it and the tail after it as they copy anything else.  A source
 * offset and a target offset that differ by other than a multiple of the
 * block size can never line up: such an entry is copied whole.
 *
 * Failures.  Any failed clone -- EXDEV (another file system), EOPNOTSUPP
 * (ext4, tmpfs), EINVAL (a device, a realtime file), ETXTBSY, and also
 * ENOSPC or EIO -- turns cloning off for the rest of the run and the bytes
 * are copied instead: "cannot clone here" should cost one system call,
 * not one per fragment, and a real error of the target shows again in the
 * copy's own requests, which report it.
 *
 * Counting.  Cloned bytes count as written (the engines add them); per
 * fragment they are also in r->cloned, an array made on the first clone,
 * so that runs without clones, and struct frag_outcome, pay nothing.
 */
#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"

/* At most this much per FICLONERANGE, so that the engines see a signal or
 * draw progress between calls even for a huge fragment. */
#define CLONE_CHUNK ((uint64_t)1 << 30)

void clone_start(struct cloner *c, const struct target *t, int wanted)
{
	struct stat st;
	struct statfs sf;

	c->fd = -1;
	c->block = 0;
	c->delta = 0;
	/* O_APPEND: FICLONERANGE refuses it (EBADF), and offsets are moot. */
	if (!wanted || t->fd < 0 || t->append)
		return;
	if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (fstatfs(t->fd, &sf) < 0 || sf.f_bsize <= 0)
		return;
	c->block = (uint64_t)sf.f_bsize;
	c->fd = t->fd;
}

uint64_t clone_span(const struct cloner *c, const iob_entry *e, uint64_t done, uint64_t *head)
{
	uint64_t bs = c->block, src, dst, len, h, n, chunk;

	*head = 0;
	if (c->fd < 0 || e->kind != IOB_FILE || (e->flags & IOB_STREAM) || done >= e->n)
		return 0;
	if (e->at + (int64_t)done + c->delta < 0)
		return 0;
	src = e->off + done;
	dst = (uint64_t)(e->at + (int64_t)done + c->delta);
	len = e->n - done;
	if (src % bs != dst % bs)
		return 0;
	h = (bs - dst % bs) % bs;
	if (h >= len)
		return 0;
	n = (len - h) / bs * bs;
	chunk = CLONE_CHUNK >= bs ? CLONE_CHUNK / bs * bs : bs;
	*head = h;
	return n < chunk ? n : chunk;
}

/* The per-fragment counters exist before the first clone is made, so that
 * a clone never goes uncounted: 0, or -1 when out of memory. */
static int counters(struct engine_result *r)
{
	if (!r->cloned)
		r->cloned = calloc(r->nfrag ? r->nfrag : 1, sizeof(*r->cloned));
	return r->cloned ? 0 : -1;
}

/* A first attempt failed: no counters, as when none was made. */
static void no_counters(struct engine_result *r)
{
	if (r->cloned_total)
		return;
	free(r->cloned);
	r->cloned = NULL;
}

static void count(struct engine_result *r, uint32_t tag, uint64_t n)
{
	if (tag < r->nfrag)
		r->cloned[tag] += n;
	r->cloned_total += n;
}

/* The system call: 0, or -1 with cloning turned off. */
static int ficlonerange(struct cloner *c, const iob_entry *e, uint64_t done, uint64_t n)
{
	struct file_clone_range a = {
		.src_fd = e->fd, .src_offset = e->off + done, .src_length = n,
		.dest_offset = (uint64_t)(e->at + (int64_t)done + c->delta),
	};
	int rc;

	do {
		rc = ioctl(c->fd, FICLONERANGE, &a);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		c->fd = -1;
	return rc < 0 ? -1 : 0;
}

int clone_range(struct cloner *c, const iob_entry *e, uint64_t done, uint64_t n,
		struct engine_result *r)
{
	if (counters(r) < 0) {
		c->fd = -1;
		return -1;
	}
	if (ficlonerange(c, e, done, n) < 0) {
		no_counters(r);
		return -1;
	}
	count(r, e->tag, n);
	return 0;
}


/* Clone n bytes of entry i at the target's offset pos, then move the
 * offset past them; when the offset cannot move, the bytes are left to
 * iob_send, which writes the same bytes over the clone. */
static uint64_t stream_clone(struct cloner *c, io_batch *b, size_t i, off_t pos, uint64_t n,
			     struct engine_result *r)
{
	if (counters(r) < 0) {
		c->fd = -1;
		return 0;
	}
	if (ficlonerange(c, &b->e[i], 0, n) < 0 || lseek(c->fd, pos + (off_t)n, SEEK_SET) < 0) {
		c->fd = -1;
		no_counters(r);
		return 0;
	}
	count(r, b->e[i].tag, n);
	batch_consume(b, i, n);
	return n;
}

uint64_t clone_stream_step(struct cloner *c, io_batch *b, struct engine_result *r,
			   uint64_t *most)
{
	uint64_t dist = 0, head, n;
	size_t i = b->next;
	off_t pos;

	while (i < b->used && b->e[i].n == 0)
		i++;
	if (c->fd < 0 || i == b->used)
		return 0;
	/* Where the next byte goes: standard output may start anywhere. */
	if ((pos = lseek(c->fd, 0, SEEK_CUR)) < 0) {
		c->fd = -1;
		return 0;
	}
	c->delta = (int64_t)pos - b->e[i].at;
	for (; i < b->used && dist < *most; i++) {
		if (b->e[i].n == 0)
			continue;
		n = clone_span(c, &b->e[i], 0, &head);
		if (n && dist == 0 && head == 0)
			return stream_clone(c, b, i, pos, n, r);
		if (n) {
			if (dist + head < *most)
				*most = dist + head;
			return 0;
		}
		dist += b->e[i].n;
	}
	return 0;
}

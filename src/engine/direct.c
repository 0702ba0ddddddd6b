/*
 * direct.c -- --direct: the target opened with O_DIRECT, and every write
 * made of whole blocks at aligned offsets from aligned memory.
 *
 * Model.  O_DIRECT takes a write only when its offset and length are
 * multiples of the target's offset alignment (a block device's logical
 * block size, BLKSSZGET; a file's stx_dio_offset_align, kernel 6.1+) and
 * its buffer is aligned to the memory alignment (stx_dio_mem_align).  The
 * aio engine gets its batch rewritten here into runs: each run covers
 * whole blocks and holds, in target order, the original entries and
 * "fillers" for the bytes of its edge blocks that no entry gives -- the
 * target's old bytes where they count (--patch, a block device; read
 * through a separate buffered descriptor), zeros in a new file or past the
 * old end.  Two runs never share a block, so a filler's read never meets
 * another request's write.  A zero range keeps its whole blocks as a zero
 * entry (a hole, a punch, or zeros) and gives its edges to the runs.
 * Fillers carry the tag DIRECT_FILLER: their bytes reach the target
 * (bytes_out) but are not image bytes (bytes_written).
 *
 * Opening.  The file system may refuse O_DIRECT (ramfs, some FUSE file
 * systems: EINVAL from open(2), after the file was created): a new target
 * is created with O_EXCL so that what the refused open created is ours to
 * remove; an existing one is refused before O_TRUNC takes effect (the
 * kernel checks O_DIRECT first), so it is left as it was.
 *
 * A regular file whose image does not end on a block boundary gets its
 * last block whole and its length set after the writes: final_len is
 * always set under --direct.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "util/io.h"

#define PAGE ((uint32_t)4096)

int direct_open_flags(const struct target *t)
{
	return O_DIRECT | (t->type == TARGET_NONE ? O_EXCL : 0);
}

int direct_refused(const struct target *t, struct errors *err)
{
	int e = errno;

	/* EINVAL comes after O_CREAT|O_EXCL made the file: ours to remove. */
	if (e == EINVAL && t->type == TARGET_NONE)
		unlink(t->path);
	if (e == EINVAL)
		return error_add(err, "cannot open target '%s' with --direct: %s does not take "
				 "O_DIRECT (%s)", t->path,
				 t->type == TARGET_DEVICE ? "the device" : "its file system",
				 strerror(e));
	return error_add(err, "cannot open target '%s' with --direct: %s", t->path, strerror(e));
}

static int power_of_two(uint32_t v)
{
	return v && (v & (v - 1)) == 0;
}

/* The offset and memory alignment O_DIRECT needs on fd.  statx first; a
 * block device's logical block size; else the file's block size or 4096
 * (larger than needed is always right). */
static void learn_alignment(struct target *t)
{
	struct statx sx;
	int lbs = 0;

	t->dio_align = t->dio_mem_align = 0;
	if (statx(t->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN | STATX_BASIC_STATS, &sx) == 0) {
		if ((sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align) {
			t->dio_align = sx.stx_dio_offset_align;
			t->dio_mem_align = sx.stx_dio_mem_align;
		}
		if (!t->dio_align && S_ISBLK(sx.stx_mode) && ioctl(t->fd, BLKSSZGET, &lbs) == 0 &&
		    lbs > 0)
			t->dio_align = (uint32_t)lbs;
		if (!t->dio_align && power_of_two(sx.stx_blksize))
			t->dio_align = sx.stx_blksize;
	}
	if (!t->dio_align)
		t->dio_align = PAGE;
	if (!t->dio_mem_align)
		t->dio_mem_align = t->dio_align;
}

int direct_start(struct target *t, struct errors *err)
{
	int fl = fcntl(t->fd, F_GETFL);
	const char *name = t->tmp_path ? t->tmp_path : t->path;

	/* --atomic copies the old target into its temporary file first. */
	if (fl < 0 || (!(fl & O_DIRECT) && fcntl(t->fd, F_SETFL, fl | O_DIRECT) < 0))
		return error_add(err, "cannot use --direct on '%s': %s%s", name, strerror(errno),
				 errno == EINVAL ? " (its file system does not take O_DIRECT)" : "");
	learn_alignment(t);
	if (!power_of_two(t->dio_align) || !power_of_two(t->dio_mem_align) ||
	    t->dio_mem_align > PAGE || t->dio_align > DIRECT_ALIGN_MAX)
		return error_add(err, "cannot use --direct on '%s': unsupported alignment "
				 "(offsets %u, memory %u)", name, t->dio_align, t->dio_mem_align);
	/* Where the old bytes count, edge blocks are read and merged. */
	if (t->patch && (t->dio_rfd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return error_add(err, "cannot read '%s' for --direct: %s", name, strerror(errno));
	if (t->type == TARGET_REGULAR && t->final_len < 0)
		t->final_len = t->old_size;	/* the last block was written whole */
	return 0;
}

uint64_t direct_request_size(const struct target *t, uint64_t size)
{
	uint64_t blk = t->dio_align;

	return size < blk ? blk : size / blk * blk;
}

int direct_mem_ok(const struct target *t, const void *p)
{
	return ((uintptr_t)p & (t->dio_mem_align - 1)) == 0;
}

void *direct_zeros(size_t n)
{
	size_t size = (n + PAGE - 1) / PAGE * PAGE;
	void *p = aligned_alloc(PAGE, size ? size : PAGE);

	if (p)
		memset(p, 0, size);
	return p;
}

/* The batch being rewritten: the open run ends at end (-1: none open). */
struct aligner {
	io_batch *nb;
	const struct target *t;
	int64_t blk;
	int64_t end;
};

static int64_t down(const struct aligner *a, int64_t v)
{
	return v / a->blk * a->blk;
}

static int64_t up(const struct aligner *a, int64_t v)
{
	return (v + a->blk - 1) / a->blk * a->blk;
}

/* Entry e's n bytes from done on, at target offset at; 1 or 0 (errno). */
static int copy_piece(io_batch *nb, const iob_entry *e, uint64_t done, uint64_t n,
		      unsigned char kind)
{
	iob_place(nb, e->at + (int64_t)done, e->tag);
	switch (kind) {
	case IOB_BUF:
		return iob_addbuf(nb, e->buf + done, n);
	case IOB_FILE:
		/* a stream (a decoded source) is read on from where it is */
		if (e->flags & IOB_STREAM)
			return iob_addstream(nb, e->fd, n);
		return iob_addfile(nb, e->fd, e->off + done, n);
	case IOB_ZERO:
		return iob_addzero(nb, n);
	default:
		return iob_addfill(nb, e->byte, n);
	}
}

/* The bytes [from, to) that no entry gives: the target's old bytes where
 * they count and exist, zeros elsewhere. */
static int filler(struct aligner *a, int64_t from, int64_t to)
{
	const struct target *t = a->t;
	int64_t old = t->patch ? t->old_size : 0;

	if (from < to && from < old) {
		int64_t end = to < old ? to : old;

		iob_place(a->nb, from, DIRECT_FILLER);
		if (!iob_addfile(a->nb, t->dio_rfd, (uint64_t)from, (uint64_t)(end - from)))
			return 0;
		from = end;
	}
	if (from >= to)
		return 1;
	iob_place(a->nb, from, DIRECT_FILLER);
	return iob_addfill(a->nb, 0, (uint64_t)(to - from));
}

/* Close the open run at its block boundary. */
static int run_close(struct aligner *a)
{
	int ok = a->end < 0 || filler(a, a->end, up(a, a->end));

	a->end = -1;
	return ok;
}

/* Make the open run reach at: joined across a partial gap, or a new run
 * from at's block when whole blocks lie between. */
static int run_reach(struct aligner *a, int64_t at)
{
	if (a->end >= 0 && down(a, at) <= up(a, a->end))
		return filler(a, a->end, at);
	if (!run_close(a))
		return 0;
	return filler(a, down(a, at), at);
}

/* A zero range: its whole blocks stay a zero entry of their own (a hole,
 * a punch or zeros, as the engine decides); its edges are zeros in runs. */
static int add_zero(struct aligner *a, const iob_entry *e)
{
	int64_t lo = up(a, e->at), hi = down(a, e->at + (int64_t)e->n);

	if (lo >= hi) {		/* no whole block: bytes like any other */
		if (!run_reach(a, e->at) || !copy_piece(a->nb, e, 0, e->n, IOB_FILL))
			return 0;
		a->end = e->at + (int64_t)e->n;
		return 1;
	}
	if (lo > e->at && (!run_reach(a, e->at) ||
			   !copy_piece(a->nb, e, 0, (uint64_t)(lo - e->at), IOB_FILL)))
		return 0;
	a->end = lo > e->at ? lo : a->end;
	if (!run_close(a) || !copy_piece(a->nb, e, (uint64_t)(lo - e->at), (uint64_t)(hi - lo),
					 IOB_ZERO))
		return 0;
	if (hi == e->at + (int64_t)e->n)
		return 1;
	a->end = e->at + (int64_t)e->n;
	return copy_piece(a->nb, e, (uint64_t)(hi - e->at), (uint64_t)(a->end - hi), IOB_FILL);
}

/* A stream (a decoded source) that starts inside a block: its first bytes,
 * to the block's end, are read now -- its first read, so in order -- to
 * join the run before it in one write, as a buffer; *head gets how many.
 * A stream that ends early gives zeros here and fails in its own reads
 * (or its decoder says why). */
static int add_stream_head(struct aligner *a, const iob_entry *e, uint64_t *head)
{
	uint64_t k = (uint64_t)(up(a, e->at) - e->at), got = 0;
	unsigned char *buf;

	*head = 0;
	if (k == 0)
		return 1;
	if (k > e->n)
		k = e->n;
	if (!(buf = calloc(1, k)))
		return 0;
	while (got < k) {
		ssize_t r = read_wait(e->fd, buf + got, k - got);

		if (r <= 0)
			break;
		got += (uint64_t)r;
	}
	iob_place(a->nb, e->at, e->tag);
	if (!iob_addbuf_free(a->nb, buf, k)) {
		free(buf);
		return 0;
	}
	*head = k;
	return 1;
}

static int add_entry(struct aligner *a, const iob_entry *e)
{
	uint64_t head = 0;

	/* holes=skip: the target keeps its bytes there, as in a gap. */
	if (e->n == 0 || (e->kind == IOB_ZERO && (e->flags & IOB_KEEP)))
		return 1;
	if (e->kind == IOB_ZERO)
		return add_zero(a, e);
	if (!run_reach(a, e->at) ||
	    (e->kind == IOB_FILE && (e->flags & IOB_STREAM) && !add_stream_head(a, e, &head)) ||
	    (head < e->n && !copy_piece(a->nb, e, head, e->n - head, e->kind)))
		return 0;
	a->end = e->at + (int64_t)e->n;
	return 1;
}

io_batch *direct_batch(const io_batch *b, const struct target *t)
{
	struct aligner a = { .t = t, .blk = t->dio_align, .end = -1 };
	size_t hint = 2 * (b->used - b->next) + 1;

	if (!(a.nb = iob_new(hint < 1 << 30 ? (int)hint : 1 << 30)))
		return NULL;
	for (size_t i = b->next; i < b->used; i++)
		if (!add_entry(&a, &b->e[i])) {
			iob_free(a.nb);
			return NULL;
		}
	if (!run_close(&a)) {
		iob_free(a.nb);
		return NULL;
	}
	return a.nb;
}

/*
 * iob_send.c -- write the rest of a batch to a descriptor, cheapest path first.
 *
 * The model: bytes go to s at its current file position, as write(2) would
 * put them; s is never seeked.  Runs of memory and fill entries leave in one
 * writev (fills as repeated iovecs over the scratch buffer).  File ranges go
 * kernel-side: copy_file_range to a regular file, splice to a pipe, sendfile
 * otherwise or when those refuse, and pread+write through the scratch buffer
 * when the kernel refuses all of them.  A stream source (iob_addstream)
 * is spliced from a blocking pipe, else read and written.  Source offsets are always passed
 * explicitly, so several entries may share one source fd and its file
 * position never moves.  No mmap: a truncated source is an error (EIO), not
 * a SIGBUS.
 *
 * With b->seek_zeros, a zero entry is not written: s's offset moves past it
 * (lseek SEEK_CUR), leaving a hole that reads as zeros; so do whole blocks
 * of zeros that a stream source's bytes (read and written, not spliced)
 * would put into a regular file.  A caller that asks for this sets the
 * file's length afterwards if the batch ends in one.
 *
 * Whatever the kernel accepted is consumed at once.  The call goes on until
 * the batch is empty, s would block, or an error: with bytes already out in
 * this call it returns their count, and the next call reports the stop.  A
 * permanent error is latched in b->err; EAGAIN is not.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "iob_internal.h"

#ifdef IOV_MAX
#define IOB_IOV_MAX	IOV_MAX
#else
#define IOB_IOV_MAX	1024
#endif

/* A kernel path said "not for these descriptors": try the next one. */
#define IOB_REFUSED	INT64_MIN

enum dest_kind { DEST_REG, DEST_PIPE, DEST_OTHER };

/* What one iob_send call learnt about s; found once, on the first file entry. */
struct send_dest {
	int fd;
	int probed;
	int kind;	/* enum dest_kind */
	int nonblock;
	uint64_t blksize;	/* a regular file's block size (st_blksize) */
	/* per path: 0 not tried yet, 1 has worked, -1 refused */
	int cfr, splice, sendfile;
	volatile sig_atomic_t *stop;	/* b->stop */
};

/* Whether a call that failed with errno is tried again: EINTR is, unless
 * the caller's stop flag is up (a blocked pipe must not outlive Ctrl-C). */
static int again(const struct send_dest *k)
{
	return errno == EINTR && !(k->stop && *k->stop);
}

static int dest_probe(struct send_dest *k)
{
	struct stat st;
	int fl;

	if (fstat(k->fd, &st) < 0)
		return -errno;
	fl = fcntl(k->fd, F_GETFL);
	if (fl < 0)
		return -errno;
	k->kind = S_ISREG(st.st_mode) ? DEST_REG :
		  S_ISFIFO(st.st_mode) ? DEST_PIPE : DEST_OTHER;
	k->nonblock = !!(fl & O_NONBLOCK);
	k->blksize = st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
	k->probed = 1;
	return 0;
}

static int refusal(int err)
{
	return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP ||
	       err == ENOTSUP || err == EXDEV;
}

/*
 * A kernel path moved nothing although bytes are due.  Usually the source
 * ended early; but some files (procfs, sysfs) look empty to these paths and
 * still read fine.  One byte of pread tells which.
 */
static int64_t zero_moved(const iob_entry *e)
{
	unsigned char c;
	ssize_t r;

	do {
		r = pread(e->fd, &c, 1, (off_t)e->off);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -EIO : IOB_REFUSED;
}

/*
 * Turn a kernel path's result into bytes moved, -errno, or IOB_REFUSED,
 * keeping *state (see struct send_dest) up to date.
 */
static int64_t path_result(ssize_t r, int err, int *state, int badf_refuses,
			   const iob_entry *e)
{
	if (r > 0) {
		*state = 1;
		return r;
	}
	if (r == 0)
		r = zero_moved(e);
	else if (refusal(err) || (badf_refuses && err == EBADF && *state == 0))
		r = IOB_REFUSED;
	else
		r = -err;
	if (r == IOB_REFUSED)
		*state = -1;
	return r;
}

static int64_t try_copy_file_range(struct send_dest *k, const iob_entry *e, size_t len)
{
	loff_t off = (loff_t)e->off;
	ssize_t r;

	do {
		r = copy_file_range(e->fd, &off, k->fd, NULL, len, 0);
	} while (r < 0 && again(k));
	/* EBADF before it ever worked: e.g. s is O_APPEND, which it refuses. */
	return path_result(r, errno, &k->cfr, 1, e);
}

static int64_t try_splice(struct send_dest *k, const iob_entry *e, size_t len)
{
	unsigned int fl = SPLICE_F_MOVE | (k->nonblock ? SPLICE_F_NONBLOCK : 0);
	loff_t off = (loff_t)e->off;
	ssize_t r;

	do {
		r = splice(e->fd, &off, k->fd, NULL, len, fl);
	} while (r < 0 && again(k));
	return path_result(r, errno, &k->splice, 0, e);
}

static int64_t try_sendfile(struct send_dest *k, const iob_entry *e, size_t len)
{
	off_t off = (off_t)e->off;
	ssize_t r;

	do {
		r = sendfile(k->fd, e->fd, &off, len);
	} while (r < 0 && again(k));
	return path_result(r, errno, &k->sendfile, 0, e);
}

static int block_is_zero(const unsigned char *p, uint64_t n)
{
	return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/*
 * With b->seek_zeros, staged bytes that would fill whole blocks of the
 * file with zeros are not written (SPEC §9.1): the offset moves over
 * them.  Returns how many of the len bytes at p to handle now -- a run of
 * zero blocks, skipped here (*skipped set), or the bytes before the next
 * one, for the caller to write -- or -errno.
 */
static int64_t skip_zero_blocks(struct send_dest *k, io_batch *b, const iob_entry *e,
				const unsigned char *p, int64_t len, int *skipped)
{
	uint64_t bs = k->blksize, n = (uint64_t)len, i, z = 0, first;
	off_t pos;

	*skipped = 0;
	if (!b->seek_zeros || k->kind != DEST_REG || (pos = lseek(k->fd, 0, SEEK_CUR)) < 0)
		return len;
	first = i = (bs - (uint64_t)pos % bs) % bs;
	if (i == 0)
		while (z + bs <= n && block_is_zero(p + z, bs))
			z += bs;
	if (z) {
		if (lseek(k->fd, (off_t)z, SEEK_CUR) < 0)
			return -errno;
		b->stats.seek += z;
		*skipped = 1;
		return (int64_t)z;
	}
	for (; i + bs <= n; i += bs)
		if (block_is_zero(p + i, bs))
			return i ? (int64_t)i : len;
	/* A part of a block at the end waits for the rest of it (topped up
	 * by stage_blocks), when more is due: it may be zeros. */
	if (e->n > n && i > first)
		return (int64_t)i;
	return len;
}

/* The next staged bytes of a stream for the zero-block test: fewer than a
 * block left in the scratch buffer, while more is due, are moved to its
 * start and topped up from the stream. */
static int64_t stage_blocks(struct send_dest *k, io_batch *b, iob_entry *e,
			    const unsigned char **p)
{
	int64_t len = iob_stage_file(b, e, p);
	ssize_t r;

	if (len <= 0 || !b->seek_zeros || k->kind != DEST_REG || !(e->flags & IOB_STREAM) ||
	    (uint64_t)len >= k->blksize || (uint64_t)len >= e->n || b->scratch_size < 2 * k->blksize)
		return len;
	memmove(b->scratch, *p, (size_t)len);
	b->scratch_off = e->off;
	b->scratch_len = (uint64_t)len;
	*p = b->scratch;
	r = read_wait(e->fd, b->scratch + len,
		      (size_t)iob_min(e->n - (uint64_t)len, b->scratch_size - (uint64_t)len));
	if (r < 0)
		return -errno;
	b->scratch_len += (uint64_t)r;
	return len + r;
}

/* The path that always works: stage in the scratch buffer, then write. */
static int64_t send_readwrite(struct send_dest *k, io_batch *b, iob_entry *e)
{
	const unsigned char *p;
	int64_t len;
	ssize_t w;
	int skipped;

	len = stage_blocks(k, b, e, &p);
	if (len < 0)
		return len;
	len = skip_zero_blocks(k, b, e, p, len, &skipped);
	if (len < 0)
		return len;
	if (skipped) {
		iob_consume(b, e, (uint64_t)len);
		return len;
	}
	do {
		w = write(k->fd, p, (size_t)len);
	} while (w < 0 && again(k));
	if (w < 0)
		return -errno;
	if (w == 0)
		return -EIO;
	b->stats.readwrite += (uint64_t)w;
	iob_consume(b, e, (uint64_t)w);
	return w;
}

/*
 * A stream source (IOB_STREAM) from its current position: splice when the
 * source is a blocking pipe (then EAGAIN can only be the sink's), else
 * read and write through the scratch buffer.  It has no offsets, so it
 * cannot take the other paths, and 0 bytes moved means it ended.
 */
static int64_t send_stream(struct send_dest *k, io_batch *b, iob_entry *e, size_t len)
{
	unsigned int fl = SPLICE_F_MOVE | (k->nonblock ? SPLICE_F_NONBLOCK : 0);
	struct stat st;
	int sfl = fcntl(e->fd, F_GETFL);
	ssize_t r;

	int staged = b->scratch_fd == e->fd && e->off >= b->scratch_off &&
		     e->off - b->scratch_off < b->scratch_len;

	/* Bytes already read into the scratch buffer go first, from there;
	 * into a file that keeps holes, bytes are looked at for zero blocks. */
	if (staged || (b->seek_zeros && k->kind == DEST_REG) || k->splice < 0 || sfl < 0 ||
	    (sfl & O_NONBLOCK) ||
	    fstat(e->fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return send_readwrite(k, b, e);
	do {
		r = splice(e->fd, NULL, k->fd, NULL, len, fl);
	} while (r < 0 && again(k));
	if (r == 0)
		return -EIO;
	if (r < 0 && refusal(errno)) {
		k->splice = -1;
		return send_readwrite(k, b, e);
	}
	if (r < 0)
		return -errno;
	b->stats.splice += (uint64_t)r;
	iob_consume(b, e, (uint64_t)r);
	return r;
}

/* Send from file entry e (the current one), at most `most` bytes; bytes
 * moved or -errno. */
static int64_t send_file(struct send_dest *k, io_batch *b, iob_entry *e, uint64_t most)
{
	size_t len = (size_t)iob_min(e->n, most);
	uint64_t *counter = NULL;
	int64_t r = IOB_REFUSED;

	if (!k->probed && (r = dest_probe(k)) < 0)
		return r;
	if (e->flags & IOB_STREAM)
		return send_stream(k, b, e, len);
	r = IOB_REFUSED;
	if (k->kind == DEST_REG && k->cfr >= 0 && !b->copy_only) {
		r = try_copy_file_range(k, e, len);
		counter = &b->stats.copy_file_range;
	}
	if (r == IOB_REFUSED && k->kind == DEST_PIPE && k->splice >= 0) {
		r = try_splice(k, e, len);
		counter = &b->stats.splice;
	}
	if (r == IOB_REFUSED && k->sendfile >= 0) {
		r = try_sendfile(k, e, len);
		counter = &b->stats.sendfile;
	}
	if (r == IOB_REFUSED)
		return send_readwrite(k, b, e);
	if (r > 0) {
		*counter += (uint64_t)r;
		iob_consume(b, e, (uint64_t)r);
	}
	return r;
}

/*
 * Gather the run of memory and fill entries from e[next] on into iovecs and
 * writev them.  Fills point at the scratch buffer, which holds one byte
 * value at a time: a fill of another byte ends the run.
 */
static int64_t send_vec(struct send_dest *k, io_batch *b, uint64_t most)
{
	struct iovec iov[IOB_IOV_MAX];
	uint64_t sum = 0, left, piece;
	int cnt = 0, fill = -1;
	size_t i;
	ssize_t w;

	for (i = b->next; i < b->used && cnt < IOB_IOV_MAX && sum < most; i++) {
		const iob_entry *e = &b->e[i];

		if (e->n == 0)
			continue;
		if (e->kind == IOB_FILE || (e->kind == IOB_ZERO && b->seek_zeros))
			break;
		if (e->kind == IOB_BUF) {
			piece = iob_min(e->n, most - sum);
			iov[cnt].iov_base = (void *)e->buf;
			iov[cnt++].iov_len = (size_t)piece;
			sum += piece;
			continue;
		}
		if (fill >= 0 && fill != e->byte)
			break;
		if (fill < 0 && !iob_scratch_fill(b, e->byte)) {
			if (cnt)
				break;
			return -ENOMEM;
		}
		fill = e->byte;
		for (left = e->n; left && cnt < IOB_IOV_MAX && sum < most; left -= piece) {
			piece = iob_min(iob_min(left, b->scratch_size), most - sum);
			iov[cnt].iov_base = b->scratch;
			iov[cnt++].iov_len = (size_t)piece;
			sum += piece;
		}
	}
	do {
		w = writev(k->fd, iov, cnt);
	} while (w < 0 && again(k));
	if (w < 0)
		return -errno;
	if (w == 0)
		return -EIO;
	b->stats.writev += (uint64_t)w;
	iob_advance(b, (uint64_t)w);
	return w;
}

/* Leave zero entry e (the current one) as a hole; bytes skipped or -errno.
 * A descriptor that cannot seek after all gets the zeros written. */
static int64_t send_hole(struct send_dest *k, io_batch *b, iob_entry *e)
{
	uint64_t n = iob_min(e->n, (uint64_t)INT64_MAX);

	if (lseek(k->fd, (off_t)n, SEEK_CUR) < 0) {
		if (errno != ESPIPE)
			return -errno;
		b->seek_zeros = 0;
		return 0;
	}
	b->stats.seek += n;
	iob_consume(b, e, n);
	return (int64_t)n;
}

int64_t iob_send(int64_t s, io_batch *b)
{
	struct send_dest k = { .fd = (int)s, .stop = b->stop };
	int64_t total = 0, r;

	if (b->err) {
		errno = b->err;
		return -3;
	}
	if (s < 0 || s > INT_MAX)
		return iob_fail(b, 0, EBADF);
	for (;;) {
		uint64_t most = IOB_MAX_IO;

		/* b->call_max bounds one call, so the caller can act between calls. */
		if (b->call_max) {
			if ((uint64_t)total >= b->call_max)
				return total;
			most = iob_min(most, b->call_max - (uint64_t)total);
		}
		iob_skip_empty(b);
		if (b->next == b->used)
			return total;
		if (b->e[b->next].kind == IOB_FILE)
			r = send_file(&k, b, &b->e[b->next], most);
		else if (b->e[b->next].kind == IOB_ZERO && b->seek_zeros &&
			 (r = send_hole(&k, b, &b->e[b->next])) != 0)
			;
		else
			r = send_vec(&k, b, most);
		if (r > 0) {
			total += r;
			continue;
		}
		if (iob_is_again((int)-r))
			return total ? total : -1;
		return iob_fail(b, total, (int)-r);
	}
}

/*
 * verify.c -- --verify (SPEC §3 invariant 6): after the writes and the
 * sync, read every fragment's range back from the target and compare it
 * with the bytes it should hold.
 *
 * The batch it walks is a fresh one from the plan (an engine consumes its
 * own), so every entry still says what it wrote: a buffer, a source range
 * (read again), or a run of one byte.  Cached pages are dropped first, so
 * the bytes come from the file system and not from our own writes in the
 * page cache.  A difference is a failure of the fragment, reported with the
 * offset of its first differing byte; a read error is a failure with its
 * errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"

#define PIECE ((size_t)256 * 1024)

static size_t first_difference(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Compare one entry; a difference or a read error marks its fragment. */
static void verify_entry(const iob_entry *e, int fd, unsigned char *got, unsigned char *want,
			 struct frag_outcome *f)
{
	for (uint64_t done = 0; done < e->n && !f->err; ) {
		size_t len = e->n - done < PIECE ? (size_t)(e->n - done) : PIECE, at;
		int err = pread_full(fd, got, len, e->at + (int64_t)done);

		if (!err)
			err = entry_bytes(e, done, want, len);
		if (err) {
			f->err = err;
			f->verify_failed = 1;
			f->mismatch_at = -1;
			return;
		}
		at = first_difference(got, want, len);
		if (at < len) {
			f->err = EIO;
			f->mismatch_at = e->at + (int64_t)(done + at);
			f->verify_failed = 1;
			return;
		}
		done += len;
	}
}

int engine_verify(io_batch *b, int fd, struct engine_result *r)
{
	unsigned char *got = malloc(PIECE), *want = malloc(PIECE);

	r->verify.done = 1;
	if (!got || !want) {
		free(got);
		free(want);
		return -1;
	}
	/* Read what the file system holds, not what we left in the cache.  A
	 * flush that fails means the device lost data: a failure in itself,
	 * and the cache is dropped all the same so the reads show the loss. */
	if (fdatasync(fd) < 0)
		r->verify.err = errno;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	for (size_t i = 0; i < b->used; i++) {
		const iob_entry *e = &b->e[i];
		struct frag_outcome *f;

		/* holes=skip: the target keeps what it had there. */
		if (e->tag >= r->nfrag || e->n == 0 || (e->flags & IOB_KEEP))
			continue;
		f = &r->frag[e->tag];
		if (f->err)
			continue;	/* already failed: nothing to prove */
		verify_entry(e, fd, got, want, f);
		if (f->err && !r->verify.err)
			r->verify.err = f->err;
	}
	free(got);
	free(want);
	return 0;
}

/*
 * test_direct.c -- --direct's rewriting of a batch into runs of whole
 * blocks (direct_batch), over random layouts of buffers, fills and zero
 * ranges at unaligned offsets, with 512- and 4096-byte blocks, into a new
 * file (edges are zeros) and in place (edges are the old bytes, zeros past
 * the old end).
 *
 * The expectation is built here from the original entries alone: the old
 * bytes (or zeros), each entry's bytes put over them.  Then every entry of
 * the rewritten batch must give exactly those bytes at its offset, runs
 * must start and end on block boundaries, zero entries must be whole
 * blocks, nothing may overlap, every original byte must be covered, and
 * no block without an original byte may be written.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "unit.h"

#define IMAGE_MAX 65536

static unsigned rnd_state = 12345;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static unsigned char src[IMAGE_MAX], old[IMAGE_MAX], want[IMAGE_MAX], got[IMAGE_MAX];
static unsigned char covered[IMAGE_MAX], original[IMAGE_MAX];

/* A random batch in target order; want[] and original[] from it. */
static io_batch *random_batch(int64_t *end)
{
	io_batch *b = iob_new(16);
	int64_t at = rnd(3000);

	for (uint32_t tag = 0; b && at < IMAGE_MAX - 16384; tag++) {
		uint64_t n = 1 + rnd(rnd(4) ? 700 : 9000);
		unsigned kind = rnd(3);

		iob_place(b, at, tag);
		if (kind == 0)
			CHECK(iob_addbuf(b, src + at, n));
		else if (kind == 1)
			CHECK(iob_addfill(b, (unsigned char)(tag + 1), n));
		else
			CHECK(iob_addzero(b, n));
		for (uint64_t i = 0; i < n; i++) {
			want[at + (int64_t)i] = kind == 0 ? src[at + (int64_t)i] :
						kind == 1 ? (unsigned char)(tag + 1) : 0;
			original[at + (int64_t)i] = 1;
		}
		at += (int64_t)n + (rnd(2) ? 0 : rnd(rnd(2) ? 100 : 6000));
		*end = at;
	}
	return b;
}

/* One entry of the rewritten batch: its bytes into got[], checked. */
static void check_entry(const iob_entry *e, const struct target *t)
{
	CHECK(e->at >= 0 && e->at + (int64_t)e->n <= IMAGE_MAX);
	if (e->kind == IOB_ZERO)
		CHECK(e->at % t->dio_align == 0 && e->n % t->dio_align == 0);
	if (e->kind == IOB_FILE)
		CHECK_INT(pread(e->fd, got + e->at, e->n, (off_t)e->off), (int64_t)e->n);
	for (uint64_t i = 0; i < e->n; i++) {
		int64_t at = e->at + (int64_t)i;

		if (e->kind == IOB_BUF)
			got[at] = e->buf[i];
		else if (e->kind != IOB_FILE)
			got[at] = e->byte;
		CHECK(!covered[at]);
		covered[at] = 1;
		if (e->tag == DIRECT_FILLER)
			CHECK(!original[at]);
	}
}

/* Runs: an entry that does not continue the one before starts on a block
 * boundary, and the one before ended on one. */
static void check_runs(const io_batch *nb, uint32_t blk)
{
	int64_t end = -1;

	for (size_t i = 0; i < nb->used; i++) {
		const iob_entry *e = &nb->e[i];

		if (e->at != end || e->kind == IOB_ZERO) {
			CHECK(end < 0 || end % blk == 0);
			CHECK(e->at % blk == 0);
		}
		end = e->at + (int64_t)e->n;
	}
	CHECK(end < 0 || end % blk == 0);
}

static void one_layout(uint32_t blk, int patch, int oldfd, int64_t old_size)
{
	struct target t = { .dio_align = blk, .dio_mem_align = blk, .patch = patch,
			    .old_size = old_size, .dio_rfd = oldfd, .type = TARGET_REGULAR };
	int64_t end = 0;
	io_batch *b, *nb;

	memset(want, 0, sizeof(want));
	memset(covered, 0, sizeof(covered));
	memset(original, 0, sizeof(original));
	if (patch)
		memcpy(want, old, (size_t)old_size);
	b = random_batch(&end);
	if (!CHECK(b != NULL) || !CHECK((nb = direct_batch(b, &t)) != NULL)) {
		iob_free(b);
		return;
	}
	for (size_t i = 0; i < nb->used; i++)
		check_entry(&nb->e[i], &t);
	check_runs(nb, blk);
	for (int64_t at = 0; at < IMAGE_MAX; at++) {
		if (original[at] && !CHECK(covered[at]))
			break;
		if (covered[at] && !CHECK_INT(got[at], want[at]))
			break;
		/* A written block holds at least one byte of a fragment. */
		if (covered[at] && at % blk == 0) {
			int any = 0;

			for (int64_t k = at; k < at + blk; k++)
				any |= original[k];
			CHECK(any);
		}
	}
	iob_free(nb);
	iob_free(b);
}

int main(void)
{
	char path[] = "/tmp/test_direct.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	unlink(path);
	for (size_t i = 0; i < IMAGE_MAX; i++) {
		src[i] = (unsigned char)rnd(256);
		old[i] = (unsigned char)rnd(256);
	}
	CHECK_INT(pwrite(fd, old, IMAGE_MAX, 0), IMAGE_MAX);
	for (int round = 0; round < 200; round++) {
		uint32_t blk = round % 2 ? 4096 : 512;
		int64_t old_size = rnd(IMAGE_MAX);

		one_layout(blk, 0, -1, 0);
		one_layout(blk, 1, fd, old_size);
	}
	close(fd);
	return unit_done("test_direct");
}

/*
 * test_clone.c -- which part of a file entry clone.c clones: the span where
 * source offset, target offset and length are multiples of the block size,
 * with the head before it left to be copied; and that a file system that
 * cannot clone turns cloning off after one attempt, counting nothing.
 *
 * The expected spans are worked out by hand for 4 KiB blocks.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "unit.h"

#define BS 4096u

static iob_entry file_entry(uint64_t off, int64_t at, uint64_t n)
{
	iob_entry e = { .off = off, .at = at, .n = n, .kind = IOB_FILE };

	e.fd = 0;
	return e;
}

/* clone_span's length and head for entry e from byte done. */
static void check_span(const struct cloner *c, iob_entry e, uint64_t done, uint64_t want_n,
		       uint64_t want_head, int line)
{
	uint64_t head = 99, n = clone_span(c, &e, done, &head);

	if (!unit_check(n == want_n && (!n || head == want_head), "span", __FILE__, line))
		fprintf(stderr, "  off %llu at %lld n %llu done %llu: span %llu head %llu, "
			"expected %llu head %llu\n", (unsigned long long)e.off, (long long)e.at, (unsigned long long)e.n,
			(unsigned long long)done, (unsigned long long)n, (unsigned long long)head,
			(unsigned long long)want_n, (unsigned long long)want_head);
}

#define SPAN(c, e, done, n, head) check_span((c), (e), (done), (n), (head), __LINE__)

static void spans(void)
{
	struct cloner c = { .fd = 0, .block = BS, .delta = 0 };
	iob_entry e;

	SPAN(&c, file_entry(0, 0, 2 * BS), 0, 2 * BS, 0);		/* all of it */
	SPAN(&c, file_entry(0, 0, 2 * BS + 1), 0, 2 * BS, 0);		/* a tail of 1 */
	SPAN(&c, file_entry(100, 100, 10000), 0, BS, BS - 100);	/* head 3996, 1 block, tail 1908 */
	SPAN(&c, file_entry(100, 0, 100000), 0, 0, 0);		/* offsets 100 apart: never */
	SPAN(&c, file_entry(BS, 3 * BS, BS - 1), 0, 0, 0);		/* less than a block */
	SPAN(&c, file_entry(1, 1, 2 * BS - 2), 0, 0, 0);		/* head and tail, no block */
	SPAN(&c, file_entry(0, 0, 10000), BS, BS, 0);			/* from byte 4096 on */
	SPAN(&c, file_entry(0, 0, 10000), 100, BS, BS - 100);
	SPAN(&c, file_entry(0, 0, 10000), 10000, 0, 0);			/* nothing left */
	SPAN(&c, file_entry(0, 0, (uint64_t)3 << 30), 0, (uint64_t)1 << 30, 0); /* one chunk */
	c.delta = 3;		/* standard output that starts 3 bytes in */
	SPAN(&c, file_entry(0, BS - 3, 2 * BS), 0, 2 * BS, 0);
	SPAN(&c, file_entry(0, 0, 2 * BS), 0, 0, 0);
	c.delta = 0;
	e = file_entry(0, 0, 2 * BS);
	e.kind = IOB_FILL;
	SPAN(&c, e, 0, 0, 0);						/* not a file */
	e = file_entry(0, 0, 2 * BS);
	e.flags = IOB_STREAM;
	SPAN(&c, e, 0, 0, 0);						/* a pipe */
	c.fd = -1;
	SPAN(&c, file_entry(0, 0, 2 * BS), 0, 0, 0);			/* off */
}

/* On a file system that cannot clone (the test directory's, unless it is
 * XFS or btrfs): the first attempt fails, cloning is off, nothing counted. */
static void fallback(void)
{
	char dir[] = "/tmp/test_clone.XXXXXX", src[64], dst[64];
	static unsigned char block[2 * BS];
	struct frag_outcome frag[1];
	struct engine_result r = { .frag = frag, .nfrag = 1 };
	struct target t = { .fd = -1 };
	struct cloner c;
	struct statfs sf;
	iob_entry e;

	if (!mkdtemp(dir) || statfs(dir, &sf) < 0) {
		perror(dir);
		exit(1);
	}
	if (sf.f_type == 0x58465342 || sf.f_type == 0x9123683e) {	/* XFS, btrfs */
		fprintf(stderr, "  %s can clone: the fallback is tested by clone-reflink.sh\n", dir);
		rmdir(dir);
		return;
	}
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	unit_write_file(src, block, sizeof(block));
	t.fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	e = file_entry(0, 0, sizeof(block));
	e.fd = open(src, O_RDONLY);
	CHECK(t.fd >= 0 && e.fd >= 0);
	clone_start(&c, &t, 0);
	CHECK_INT(c.fd, -1);					/* not wanted */
	clone_start(&c, &t, 1);
	CHECK_INT(c.fd, t.fd);
	CHECK_INT(c.block, sf.f_bsize);
	c.block = BS;
	CHECK_INT(clone_range(&c, &e, 0, 2 * BS, &r), -1);
	CHECK_INT(c.fd, -1);					/* off for the run */
	CHECK(r.cloned == NULL);
	CHECK_INT(r.cloned_total, 0);
	close(e.fd);
	close(t.fd);
	unlink(src);
	unlink(dst);
	rmdir(dir);
}

int main(void)
{
	spans();
	fallback();
	return unit_done("test_clone");
}

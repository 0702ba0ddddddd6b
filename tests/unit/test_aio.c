/*
 * test_aio.c -- the aio engine and its gathered source reads.
 *
 * The expected image is built here from the sources with plain pread, one
 * fragment at a time, and compared with what the engine wrote; the engine's
 * packing and gathering are what is under test, so nothing of them is used
 * to build the expectation.
 */
#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/gather.h"
#include "unit.h"

static char dir[] = "/tmp/test_aio.XXXXXX";

/* Fault injection around glibc's aio (these definitions take the place of
 * libc's for the engine linked into this program): when `inject` is set,
 * every 3rd completion reports half of what was written (a short write,
 * which the engine continues), and the aio_write of that continuation is
 * refused once with EAGAIN, as when glibc has no room for more requests. */
static int inject, refuse_next, outstanding;
static unsigned completions, shorts, refusals;

int aio_write(struct aiocb *cb)
{
	static int (*real)(struct aiocb *);

	if (!real)
		real = (int (*)(struct aiocb *))dlsym(RTLD_NEXT, "aio_write");
	/* Like glibc, refuse only while other requests are in flight. */
	if (inject && refuse_next && outstanding > 0) {
		refuse_next = 0;
		refusals++;
		errno = EAGAIN;
		return -1;
	}
	refuse_next = 0;
	if (real(cb) < 0)
		return -1;
	outstanding++;
	return 0;
}

ssize_t aio_return(struct aiocb *cb)
{
	static ssize_t (*real)(struct aiocb *);
	ssize_t r;

	if (!real)
		real = (ssize_t (*)(struct aiocb *))dlsym(RTLD_NEXT, "aio_return");
	r = real(cb);
	outstanding--;
	if (inject && r > 1 && ++completions % 3 == 0) {
		shorts++;
		refuse_next = 1;
		return r / 2;	/* the rest is written again: same bytes */
	}
	return r;
}
static volatile sig_atomic_t no_stop;

/* A file of n pseudo-random bytes; its descriptor, open for reading. */
static int random_file(const char *name, size_t n, unsigned seed)
{
	char path[256];
	unsigned char *data = malloc(n ? n : 1);
	int fd;

	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)rand_r(&seed);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, data, n) == (ssize_t)n);
	free(data);
	return fd;
}

static void test_gather_matches_pread(void)
{
	enum { NSRC = 3, SIZE = 1 << 20, NREAD = 12000 };	/* past GATHER_SHARE_MIN */
	int fd[NSRC];
	unsigned seed = 99;
	struct gather g;
	unsigned char *got = malloc((size_t)NREAD * 600), *want = malloc((size_t)NREAD * 600);
	size_t pos = 0;

	for (int i = 0; i < NSRC; i++) {
		char name[16];

		snprintf(name, sizeof(name), "g%d", i);
		fd[i] = random_file(name, SIZE, 7u + (unsigned)i);
	}
	gather_init(&g);
	/* Reads of all sizes and spacings: dense runs, far apart ones, some
	 * larger than the scratch buffer's share, repeats of one range. */
	for (int k = 0; k < NREAD; k++) {
		int s = rand_r(&seed) % NSRC;
		uint32_t n = 1 + (uint32_t)(rand_r(&seed) % (k % 50 == 0 ? 600 : 80));
		uint64_t off = k % 3 ? (uint64_t)(rand_r(&seed) % (SIZE - 600))
				     : (uint64_t)(rand_r(&seed) % 4096);

		CHECK_INT(pread(fd[s], want + pos, n, (off_t)off), n);
		CHECK_INT(gather_add(&g, fd[s], off, n, got + pos), 0);
		pos += n;
	}
	CHECK_INT(gather_run(&g), 0);
	CHECK_INT(g.n, 0);
	CHECK_MEM(got, want, pos);

	/* A read past a source's end fails the run with EIO. */
	CHECK_INT(gather_add(&g, fd[0], 10, 10, got), 0);
	CHECK_INT(gather_add(&g, fd[0], SIZE - 5, 10, got + 10), 0);
	CHECK_INT(gather_run(&g), EIO);
	CHECK_INT(g.n, 0);

	gather_release(&g);
	for (int i = 0; i < NSRC; i++)
		close(fd[i]);
	free(got);
	free(want);
}

/* Run the aio engine over b into a new file; its bytes, len in *len. */
static unsigned char *run_aio(io_batch *b, struct engine_result *r, size_t nfrag, uint64_t req,
			      unsigned depth, int64_t image_len, size_t *len)
{
	char path[256];
	struct target t = { .type = TARGET_REGULAR, .holes = 1, .final_len = image_len };
	struct engine_opts o = { .queue_depth = depth, .request_size = req,
				 .stop = &no_stop };
	struct stat st;
	unsigned char *data;

	snprintf(path, sizeof(path), "%s/out", dir);
	t.path = path;
	t.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(r, 0, sizeof(*r));
	r->nfrag = nfrag;
	r->frag = calloc(nfrag, sizeof(*r->frag));
	CHECK_INT(engine_aio.run(b, &t, &o, r), 0);
	CHECK(fstat(t.fd, &st) == 0);
	*len = (size_t)st.st_size;
	data = malloc(*len + 1);
	CHECK_INT(pread(t.fd, data, *len, 0), *len);
	close(t.fd);
	return data;
}

/* Many small file fragments, with buffers and fills among them, packed and
 * gathered: the image equals one pread per fragment; then one fragment's
 * range passes its source's end: only it fails, with EIO, and every other
 * fragment is written in full. */
static void test_engine_small_fragments(void)
{
	enum { N = 20000, SIZE = 200000 };
	int fd[2] = { random_file("a", SIZE, 1), random_file("b", SIZE, 2) };
	unsigned char *want = malloc((size_t)N * 64), *got;
	unsigned seed = 5;
	struct engine_result r;
	io_batch *b = iob_new(N);
	size_t pos = 0, len;
	int bad = N / 2 + 17;

	for (int k = 0; k < N; k++) {
		uint32_t n = 1 + (uint32_t)(rand_r(&seed) % 63);
		int s = rand_r(&seed) % 2;
		uint64_t off = (uint64_t)(rand_r(&seed) % (SIZE - 64));

		iob_place(b, (int64_t)pos, (uint32_t)k);
		if (k % 97 == 0) {
			memset(want + pos, 0xa5, n);
			CHECK_INT(iob_addfill(b, 0xa5, n), 1);
		} else if (k == bad) {
			n++;		/* at least 2 bytes from the last one */
			memset(want + pos, 0, n);	/* never written */
			CHECK_INT(iob_addfile(b, fd[s], SIZE - 1, n), 1);
		} else {
			CHECK_INT(pread(fd[s], want + pos, n, (off_t)off), n);
			CHECK_INT(iob_addfile(b, fd[s], off, n), 1);
		}
		pos += n;
	}

	/* First without the bad fragment's failure: cut the batch before it. */
	{
		io_batch *good = iob_new(N);

		for (int k = 0; k < bad; k++) {
			iob_place(good, b->e[k].at, b->e[k].tag);
			CHECK_INT(b->e[k].kind == IOB_FILL ? iob_addfill(good, b->e[k].byte, b->e[k].n)
							   : iob_addfile(good, b->e[k].fd, b->e[k].off,
									 b->e[k].n), 1);
		}
		got = run_aio(good, &r, N, 1 << 16, 8, good->e[bad - 1].at + (int64_t)good->e[bad - 1].n,
			      &len);
		CHECK_INT(len, b->e[bad].at);
		CHECK_MEM(got, want, len);
		CHECK_INT(r.failed, 0);
		CHECK(r.requests < (uint64_t)bad / 100);	/* packed */
		free(got);
		free(r.frag);
		iob_free(good);
	}

	got = run_aio(b, &r, N, 1 << 16, 8, (int64_t)pos, &len);
	CHECK(r.failed >= 1);
	CHECK_INT(r.frag[bad].err, EIO);
	CHECK(r.frag[bad].source_short);
	for (int k = 0, wrong = 0; k < N && !wrong; k++)
		if (k != bad && !CHECK(r.frag[k].err == 0 && r.frag[k].written == b->e[k].n))
			wrong = fprintf(stderr, "fragment %d: err %d, %llu of %llu written\n", k,
					r.frag[k].err, (unsigned long long)r.frag[k].written,
					(unsigned long long)b->e[k].n);
	/* After a failure the length stays as the writes left it: compare
	 * what is there, up to the bad fragment and after it. */
	CHECK(len <= pos);
	CHECK_MEM(got, want, (size_t)b->e[bad].at);
	if (len > (size_t)(b->e[bad].at + (int64_t)b->e[bad].n))
		CHECK_MEM(got + b->e[bad + 1].at, want + b->e[bad + 1].at,
			  len - (size_t)b->e[bad + 1].at);
	free(got);
	free(r.frag);
	iob_free(b);
	free(want);
	close(fd[0]);
	close(fd[1]);
}

/* Short writes whose continuations find aio_write out of room: they wait
 * in their slots and go later; nothing is lost or left unreported. */
static void test_engine_short_writes_retried(void)
{
	enum { N = 64, LEN = 100000 };
	int fd = random_file("r", (size_t)N * LEN, 9);
	unsigned char *want = malloc((size_t)N * LEN), *got;
	struct engine_result r;
	io_batch *b = iob_new(N);
	size_t len;

	CHECK_INT(pread(fd, want, (size_t)N * LEN, 0), (size_t)N * LEN);
	for (int k = 0; k < N; k++) {
		iob_place(b, (int64_t)k * LEN, (uint32_t)k);
		CHECK_INT(iob_addfile(b, fd, (uint64_t)k * LEN, LEN), 1);
	}
	inject = 1;
	got = run_aio(b, &r, N, 1 << 16, 8, (int64_t)N * LEN, &len);
	inject = 0;
	CHECK(shorts > 0 && refusals > 0);
	CHECK_INT(r.failed, 0);
	CHECK_INT(r.bytes_written, (int64_t)N * LEN);
	CHECK_INT(len, (size_t)N * LEN);
	CHECK_MEM(got, want, (size_t)N * LEN);
	for (int k = 0; k < N; k++)
		CHECK(r.frag[k].err == 0 && r.frag[k].written == LEN);
	free(got);
	free(r.frag);
	iob_free(b);
	free(want);
	close(fd);
}

int main(void)
{
	char path[256];

	if (!mkdtemp(dir))
		return 1;
	test_gather_matches_pread();
	test_engine_small_fragments();
	test_engine_short_writes_retried();
	for (const char *const *n = (const char *const[]){ "g0", "g1", "g2", "a", "b", "r", "out", NULL };
	     *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	rmdir(dir);
	return unit_done("test_aio");
}

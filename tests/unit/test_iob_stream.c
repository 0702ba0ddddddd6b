/*
 * test_iob_stream.c -- iob_addstream: entries read from a pipe at its
 * current position, through iob_write (1 byte at a time too) and iob_send
 * (to a file and to a pipe), successive entries taking successive bytes,
 * a non-blocking source waited for, and a source that ends early (-3/EIO).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iob.h"
#include "unit.h"

#define N 300000

static unsigned char src[N];

/* A pipe whose writer (a child) sends n bytes of src, slowly if asked. */
static int feeder(size_t n, int slow, int nonblock)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	if (fork() == 0) {
		close(p[0]);
		for (size_t done = 0; done < n;) {
			size_t k = n - done < 4099 ? n - done : 4099;
			ssize_t w = write(p[1], src + done, k);

			if (w <= 0)
				_exit(1);
			done += (size_t)w;
			if (slow)
				usleep(200);
		}
		_exit(0);
	}
	close(p[1]);
	if (nonblock)
		fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	return p[0];
}

static unsigned char out[N + 16];
static size_t outn;
static int64_t one_byte(int64_t s, const void *buf, uint64_t n)
{
	(void)s;
	(void)n;
	out[outn++] = *(const unsigned char *)buf;
	return 1;
}

static int64_t take_all(int64_t s, const void *buf, uint64_t n)
{
	(void)s;
	memcpy(out + outn, buf, n);
	outn += n;
	return (int64_t)n;
}

static int64_t drain(io_batch *b, io_write_callback cb)
{
	int64_t r;

	while ((r = iob_write(0, b, cb)) > 0)
		;
	return r;
}

static void test_write(int nonblock, io_write_callback cb)
{
	int fd = feeder(N, nonblock, nonblock);
	io_batch *b = iob_new(4);

	outn = 0;
	CHECK(iob_addstream(b, fd, 1000) && iob_adds(b, "|") && iob_addstream(b, fd, N - 1000));
	CHECK_INT(iob_bytesleft(b), N + 1);
	CHECK_INT(drain(b, cb), 0);
	CHECK_INT(outn, N + 1);
	CHECK_MEM(out, src, 1000);
	CHECK(out[1000] == '|');
	CHECK_MEM(out + 1001, src + 1000, N - 1000);
	iob_free(b);
	close(fd);
	wait(NULL);
}

static void test_short_source(void)
{
	int fd = feeder(500, 0, 0);
	io_batch *b = iob_new(1);
	int64_t r;

	outn = 0;
	CHECK(iob_addstream(b, fd, 1000));
	r = drain(b, take_all);
	CHECK_INT(r, -3);
	CHECK_INT(errno, EIO);
	CHECK_INT(outn, 500);
	iob_free(b);
	close(fd);
	wait(NULL);
}

/* iob_send to a descriptor; returns the bytes that arrived in *got. */
static int64_t send_all(io_batch *b, int to)
{
	struct pollfd pfd = { .fd = to, .events = POLLOUT };
	int64_t r;

	while ((r = iob_send(to, b)) != 0) {
		if (r == -1)
			poll(&pfd, 1, -1);
		else if (r < 0)
			return r;
	}
	return 0;
}

static void test_send_file(int nonblock)
{
	char path[] = "/tmp/test_iob_stream.XXXXXX";
	int to = mkstemp(path), fd = feeder(N, 0, nonblock);
	io_batch *b = iob_new(2);
	unsigned char *back = malloc(N + 1);

	unlink(path);
	CHECK(iob_addstream(b, fd, N) && iob_adds(b, "!"));
	CHECK_INT(send_all(b, to), 0);
	CHECK_INT(pread(to, back, N + 1, 0), N + 1);
	CHECK_MEM(back, src, N);
	CHECK(back[N] == '!');
	free(back);
	iob_free(b);
	close(to);
	close(fd);
	wait(NULL);
}

static void test_send_pipe(void)
{
	int fd = feeder(N, 0, 0), p[2];
	io_batch *b = iob_new(1);
	size_t got = 0;

	CHECK(pipe(p) == 0);
	if (fork() == 0) {	/* the reader */
		unsigned char *back = malloc(N);
		ssize_t r;

		close(p[1]);
		while (got < N && (r = read(p[0], back + got, N - got)) > 0)
			got += (size_t)r;
		_exit(got == N && memcmp(back, src, N) == 0 ? 0 : 1);
	}
	close(p[0]);
	CHECK(iob_addstream(b, fd, N));
	CHECK_INT(send_all(b, p[1]), 0);
	CHECK(b->stats.splice == N);	/* a blocking pipe into a pipe: spliced */
	close(p[1]);
	int status = 0;
	wait(&status);		/* either child */
	wait(&status);
	iob_free(b);
	close(fd);
	CHECK(WIFEXITED(status));
}

int main(void)
{
	for (size_t i = 0; i < N; i++)
		src[i] = (unsigned char)(i * 7 + i / 251);
	test_write(0, take_all);
	test_write(1, take_all);	/* non-blocking, slow source: polled */
	test_write(0, one_byte);
	test_short_source();
	test_send_file(0);
	test_send_file(1);
	test_send_pipe();
	return unit_done("test_iob_stream");
}

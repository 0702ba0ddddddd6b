/*
 * test_iob.c -- the io_batch library against independently computed bytes.
 *
 * Every scenario describes a batch as a recipe, builds it afresh for each
 * way of draining it (callbacks of every temper, iob_send to a file, a
 * pipe, a non-blocking pipe, a socket), and compares the bytes that came
 * out with the recipe's concatenation computed here, never by the library.
 * Temp files are unlinked as soon as they are open, so nothing is left
 * behind whatever fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iob.h"
#include "unit.h"

#define KiB ((uint64_t)1024)
#define MiB (KiB * KiB)
#define GiB (KiB * MiB)

/* ---- small utilities ---------------------------------------------------- */

static uint32_t rng_state = 2463534242u;

/* A number in [0, n). */
static uint64_t rnd(uint64_t n)
{
	return n ? unit_rnd32(&rng_state) % n : 0;
}

/* An anonymous temp file (already unlinked) holding n bytes of data. */
static int temp_file(const void *data, size_t n)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/test_iob.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("test_iob: mkstemp");
		exit(1);
	}
	unlink(path);
	if (n && pwrite(fd, data, n, 0) != (ssize_t)n) {
		perror("test_iob: pwrite");
		exit(1);
	}
	return fd;
}

/* The whole of a file, read with plain pread. */
static unsigned char *slurp(int fd, size_t *len)
{
	struct stat st;
	unsigned char *p;
	size_t got = 0;
	ssize_t r;

	if (fstat(fd, &st) < 0) {
		perror("test_iob: fstat");
		exit(1);
	}
	p = unit_xmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		r = pread(fd, p + got, (size_t)st.st_size - got, (off_t)got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*len = got;
	return p;
}

static void pattern(unsigned char *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)unit_rnd32(&seed);
}

static int check_bytes(const unsigned char *got, size_t gotlen,
		       const unsigned char *want, size_t wantlen, const char *what)
{
	size_t i;

	if (!CHECK_INT(gotlen, wantlen)) {
		fprintf(stderr, "  (%s)\n", what);
		return 0;
	}
	if (wantlen == 0 || memcmp(got, want, wantlen) == 0)
		return CHECK(1);
	for (i = 0; got[i] == want[i]; i++)
		;
	fprintf(stderr, "  (%s: first difference at byte %zu: 0x%02x, expected 0x%02x)\n",
		what, i, got[i], want[i]);
	return CHECK_MEM(got, want, wantlen);
}

/* ---- recipes: a batch described independently of the library ------------ */

enum item_kind { IT_BUF, IT_BUF_FREE, IT_STR, IT_FILE, IT_FILE_CLOSE, IT_FILL, IT_ZERO };

struct item {
	enum item_kind kind;
	const unsigned char *p;	/* IT_BUF*, IT_STR: the bytes */
	int fd;			/* IT_FILE*: the source */
	const unsigned char *src; /* IT_FILE*: the test's copy of the source */
	uint64_t srclen;	/* IT_FILE*: how long the source really is */
	uint64_t off, n;
	unsigned char c;	/* IT_FILL */
};

static void build(io_batch *b, const struct item *it, size_t count)
{
	size_t i;
	void *copy;

	for (i = 0; i < count; i++) {
		switch (it[i].kind) {
		case IT_BUF:
			CHECK_INT(iob_addbuf(b, it[i].p, it[i].n), 1);
			break;
		case IT_BUF_FREE:
			copy = unit_xmalloc(it[i].n);
			memcpy(copy, it[i].p, it[i].n);
			if (!CHECK_INT(iob_addbuf_free(b, copy, it[i].n), 1))
				free(copy);
			break;
		case IT_STR:
			CHECK_INT(iob_adds(b, (const char *)it[i].p), 1);
			break;
		case IT_FILE:
			CHECK_INT(iob_addfile(b, it[i].fd, it[i].off, it[i].n), 1);
			break;
		case IT_FILE_CLOSE:
			CHECK_INT(iob_addfile_close(b, dup(it[i].fd), it[i].off, it[i].n), 1);
			break;
		case IT_FILL:
			CHECK_INT(iob_addfill(b, it[i].c, it[i].n), 1);
			break;
		case IT_ZERO:
			CHECK_INT(iob_addzero(b, it[i].n), 1);
			break;
		}
	}
}

/*
 * The bytes the recipe stands for, up to the first source that ends early
 * (what a correct writer can deliver before it must report EIO).
 */
static unsigned char *expect(const struct item *it, size_t count, size_t *len, int *short_src)
{
	size_t i, total = 0, at = 0;
	unsigned char *p;
	uint64_t have;

	for (i = 0; i < count; i++)
		total += it[i].kind == IT_STR ? strlen((const char *)it[i].p) : it[i].n;
	p = unit_xmalloc(total);
	*short_src = 0;
	for (i = 0; i < count; i++) {
		switch (it[i].kind) {
		case IT_BUF:
		case IT_BUF_FREE:
			memcpy(p + at, it[i].p, it[i].n);
			at += it[i].n;
			break;
		case IT_STR:
			memcpy(p + at, it[i].p, strlen((const char *)it[i].p));
			at += strlen((const char *)it[i].p);
			break;
		case IT_FILE:
		case IT_FILE_CLOSE:
			have = it[i].off >= it[i].srclen ? 0 : it[i].srclen - it[i].off;
			memcpy(p + at, it[i].src + it[i].off, have < it[i].n ? have : it[i].n);
			if (have < it[i].n) {
				*len = at + have;
				*short_src = 1;
				return p;
			}
			at += it[i].n;
			break;
		case IT_FILL:
		case IT_ZERO:
			memset(p + at, it[i].kind == IT_FILL ? it[i].c : 0, it[i].n);
			at += it[i].n;
			break;
		}
	}
	*len = at;
	return p;
}

/* ---- a callback sink of many tempers ------------------------------------ */

enum cb_mode {
	CB_ALL,		/* take min(n, slice) */
	CB_AGAIN3,	/* every 3rd call: -1/EAGAIN, else as CB_ALL */
	CB_FAIL_AFTER,	/* take up to stop_at bytes in all, then -1/EIO */
	CB_ZERO_AFTER,	/* take up to stop_at bytes in all, then return 0 */
	CB_TOO_MUCH,	/* claim one byte more than offered */
	CB_RANDOM,	/* random slices up to slice, 1 in 8 calls EAGAIN */
	CB_AGAIN_AFTER	/* take everything for stop_at calls, then EAGAIN */
};

struct sink {
	unsigned char *data;
	size_t len, cap;
	enum cb_mode mode;
	uint64_t slice, stop_at;
	long calls;
	uint64_t max_offered;
	uint32_t rng;
	int keep;		/* store the bytes (off for huge fills) */
	int poke_fd;		/* > 0: after the first call, pwrite poke at 0 */
	const void *poke;
	size_t poke_len;
};

static void sink_init(struct sink *k, enum cb_mode mode, uint64_t slice)
{
	memset(k, 0, sizeof(*k));
	k->mode = mode;
	k->slice = slice ? slice : UINT64_MAX;
	k->rng = 88172645u;
	k->keep = 1;
}

static void sink_put(struct sink *k, const void *buf, size_t n)
{
	if (!k->keep)
		return;
	if (k->len + n > k->cap) {
		k->cap = (k->len + n) * 2;
		k->data = realloc(k->data, k->cap);
		if (!k->data) {
			fprintf(stderr, "test_iob: out of memory\n");
			exit(1);
		}
	}
	memcpy(k->data + k->len, buf, n);
	k->len += n;
}

static int64_t sink_cb(int64_t s, const void *buf, uint64_t n)
{
	struct sink *k = (struct sink *)(intptr_t)s;
	uint64_t take = n < k->slice ? n : k->slice;

	k->calls++;
	if (n > k->max_offered)
		k->max_offered = n;
	switch (k->mode) {
	case CB_ALL:
		break;
	case CB_AGAIN3:
		if (k->calls % 3 == 0) {
			errno = EAGAIN;
			return -1;
		}
		break;
	case CB_FAIL_AFTER:
	case CB_ZERO_AFTER:
		if (k->len == k->stop_at) {
			errno = EIO;
			return k->mode == CB_FAIL_AFTER ? -1 : 0;
		}
		if (take > k->stop_at - k->len)
			take = k->stop_at - k->len;
		break;
	case CB_TOO_MUCH:
		return (int64_t)n + 1;
	case CB_RANDOM:
		if (unit_rnd32(&k->rng) % 8 == 0) {
			errno = EAGAIN;
			return -1;
		}
		take = 1 + unit_rnd32(&k->rng) % k->slice;
		if (take > n)
			take = n;
		break;
	case CB_AGAIN_AFTER:
		if ((uint64_t)k->calls > k->stop_at) {
			errno = EAGAIN;
			return -1;
		}
		break;
	}
	sink_put(k, buf, (size_t)take);
	if (k->poke_fd > 0 && k->calls == 1 &&
	    pwrite(k->poke_fd, k->poke, k->poke_len, 0) != (ssize_t)k->poke_len)
		CHECK(!"pwrite in the callback");
	return (int64_t)take;
}

struct drain {
	int64_t last;		/* 0 or -3 */
	int err;		/* errno with -3 */
	long agains;		/* -1 returns */
	long positives;		/* > 0 returns */
};

/*
 * Call iob_write until it returns 0 or -3, checking every return against
 * what the callback took in that call.
 */
static struct drain drain_write(io_batch *b, struct sink *k)
{
	struct drain d = { 0 };
	long guard;

	for (guard = 0; guard < 100000000; guard++) {
		size_t before = k->len;
		uint64_t left = iob_bytesleft(b);
		int64_t r = iob_write((int64_t)(intptr_t)k, b, sink_cb);

		if (r > 0) {
			d.positives++;
			if (k->keep)
				CHECK_INT(r, k->len - before);
			CHECK_INT(left - iob_bytesleft(b), r);
			continue;
		}
		if (r == -1) {
			d.agains++;
			CHECK_INT(k->len, before);
			CHECK_INT(iob_bytesleft(b), left);
			continue;
		}
		d.last = r;
		if (r == -3) {
			d.err = errno;
		} else {
			CHECK_INT(r, 0);
			CHECK_INT(iob_bytesleft(b), 0);
			CHECK_INT(b->next, b->used);
		}
		return d;
	}
	CHECK(!"iob_write never finished");
	d.last = -99;
	return d;
}

/* ---- the standard mixed batch ------------------------------------------ */

#define SRC_LEN 600001
static unsigned char src_data[SRC_LEN];
static unsigned char pool[300000];
static int src_fd = -1;

static size_t std_recipe(struct item *it)
{
	static const unsigned char one[1] = { 0x5a };
	size_t n = 0;

	it[n++] = (struct item){ .kind = IT_BUF, .p = pool, .n = 0 };
	it[n++] = (struct item){ .kind = IT_FILE, .fd = src_fd, .src = src_data,
				 .srclen = SRC_LEN, .off = 5, .n = 0 };
	it[n++] = (struct item){ .kind = IT_FILL, .c = 0x11, .n = 0 };
	it[n++] = (struct item){ .kind = IT_BUF, .p = one, .n = 1 };
	it[n++] = (struct item){ .kind = IT_STR, .p = (const unsigned char *)"hello, batch\n" };
	it[n++] = (struct item){ .kind = IT_BUF_FREE, .p = pool + 3, .n = 5000 };
	it[n++] = (struct item){ .kind = IT_FILL, .c = 0xA5, .n = MiB + 3 };
	it[n++] = (struct item){ .kind = IT_FILE, .fd = src_fd, .src = src_data,
				 .srclen = SRC_LEN, .off = 1, .n = 4097 };
	it[n++] = (struct item){ .kind = IT_ZERO, .n = 300000 };
	it[n++] = (struct item){ .kind = IT_FILE, .fd = src_fd, .src = src_data,
				 .srclen = SRC_LEN, .off = 333333, .n = 262145 };
	it[n++] = (struct item){ .kind = IT_FILL, .c = 0x3c, .n = 7 };
	it[n++] = (struct item){ .kind = IT_FILE, .fd = src_fd, .src = src_data,
				 .srclen = SRC_LEN, .off = SRC_LEN - 1, .n = 1 };
	it[n++] = (struct item){ .kind = IT_BUF_FREE, .p = pool, .n = 0 };
	it[n++] = (struct item){ .kind = IT_BUF, .p = pool + 1000, .n = 70000 };
	it[n++] = (struct item){ .kind = IT_STR, .p = (const unsigned char *)"" };
	it[n++] = (struct item){ .kind = IT_ZERO, .n = 0 };
	return n;
}

/*
 * Build the recipe and drain it through a callback; compare the bytes, all
 * of them or the first cap when the sink is to stop early.
 */
static struct drain write_recipe_cap(const struct item *it, size_t count, struct sink *k,
				     size_t cap, const char *what)
{
	io_batch *b = iob_new(4);
	unsigned char *want;
	size_t wantlen;
	int short_src;
	struct drain d;

	want = expect(it, count, &wantlen, &short_src);
	build(b, it, count);
	d = drain_write(b, k);
	check_bytes(k->data, k->len, want, wantlen < cap ? wantlen : cap, what);
	if (short_src) {
		CHECK_INT(d.last, -3);
		CHECK_INT(d.err, EIO);
	}
	iob_free(b);
	free(want);
	return d;
}

static struct drain write_recipe(const struct item *it, size_t count, struct sink *k,
				 const char *what)
{
	return write_recipe_cap(it, count, k, SIZE_MAX, what);
}

/* 1. iob_write and every temper of callback. */
static void test_write_callbacks(void)
{
	struct item it[32];
	size_t count = std_recipe(it);
	struct sink k;
	struct drain d;
	static const uint64_t slices[] = { 7, 4099 };
	size_t i;

	sink_init(&k, CB_ALL, 0);
	d = write_recipe(it, count, &k, "take everything");
	CHECK_INT(d.last, 0);
	CHECK_INT(d.agains, 0);
	/* Everything in one call: nothing ever pushes back. */
	CHECK_INT(d.positives, 1);
	/* Fills and file ranges come in pieces of at most 256 KiB. */
	CHECK(k.max_offered <= 256 * KiB);
	free(k.data);

	sink_init(&k, CB_ALL, 1);
	d = write_recipe(it, count, &k, "one byte at a time");
	CHECK_INT(d.last, 0);
	CHECK_INT(k.calls, (long)k.len);
	free(k.data);

	for (i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
		sink_init(&k, CB_ALL, slices[i]);
		d = write_recipe(it, count, &k, "prime slices");
		CHECK_INT(d.last, 0);
		free(k.data);
	}

	sink_init(&k, CB_AGAIN3, 4099);
	d = write_recipe(it, count, &k, "EAGAIN every third call");
	CHECK_INT(d.last, 0);
	CHECK(d.agains > 0);
	free(k.data);

	/* Full entries then EAGAIN within one call: a count, then the callback again. */
	sink_init(&k, CB_AGAIN3, 0);
	d = write_recipe(it, count, &k, "EAGAIN after whole entries");
	CHECK_INT(d.last, 0);
	free(k.data);

	sink_init(&k, CB_FAIL_AFTER, 0);
	k.stop_at = 100;
	d = write_recipe_cap(it, count, &k, 100, "EIO after 100 bytes");
	CHECK_INT(d.last, -3);
	CHECK_INT(d.err, EIO);
	free(k.data);

	sink_init(&k, CB_ZERO_AFTER, 0);
	k.stop_at = 0;
	d = write_recipe_cap(it, count, &k, 0, "0 at once");
	CHECK_INT(d.last, -3);
	CHECK_INT(d.err, EIO);
	CHECK_INT(d.positives, 0);
	free(k.data);
}

/*
 * The callback stops after bytes went through in the same call: that call
 * returns the count, the next returns -3 without calling the callback, and
 * so does every later one.
 */
static void test_write_stop_latched(void)
{
	static const char ten[] = "0123456789";
	io_batch *b = iob_new(0);
	struct sink k;
	long calls;
	int64_t r;
	int i;

	for (i = 0; i < 20; i++)
		CHECK_INT(iob_addbuf(b, ten, 10), 1);
	sink_init(&k, CB_FAIL_AFTER, 0);
	k.stop_at = 100;
	r = iob_write((int64_t)(intptr_t)&k, b, sink_cb);
	CHECK_INT(r, 100);
	CHECK_INT(k.calls, 11);
	CHECK_INT(iob_bytesleft(b), 100);
	calls = k.calls;
	errno = 0;
	r = iob_write((int64_t)(intptr_t)&k, b, sink_cb);
	CHECK_INT(r, -3);
	CHECK_INT(errno, EIO);
	CHECK_INT(k.calls, calls);
	errno = 0;
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), -3);
	CHECK_INT(errno, EIO);
	CHECK_INT(k.calls, calls);
	CHECK_INT(iob_bytesleft(b), 100);
	/* iob_send on the same batch reports the same latched error. */
	errno = 0;
	CHECK_INT(iob_send(1, b), -3);
	CHECK_INT(errno, EIO);
	free(k.data);

	/* The same with a callback that returns 0 after some bytes. */
	iob_reset(b);
	CHECK_INT(b->err, 0);
	for (i = 0; i < 20; i++)
		CHECK_INT(iob_addbuf(b, ten, 10), 1);
	sink_init(&k, CB_ZERO_AFTER, 0);
	k.stop_at = 30;
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 30);
	calls = k.calls;
	errno = 0;
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), -3);
	CHECK_INT(errno, EIO);
	CHECK_INT(k.calls, calls);
	free(k.data);

	/* More than offered is a broken sink, at once. */
	iob_reset(b);
	for (i = 0; i < 20; i++)
		CHECK_INT(iob_addbuf(b, ten, 10), 1);
	sink_init(&k, CB_TOO_MUCH, 0);
	errno = 0;
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), -3);
	CHECK_INT(errno, EIO);
	CHECK_INT(iob_bytesleft(b), 200);
	free(k.data);

	/* EAGAIN is not latched: the next call tries again. */
	iob_reset(b);
	for (i = 0; i < 3; i++)
		CHECK_INT(iob_addbuf(b, ten, 10), 1);
	sink_init(&k, CB_AGAIN_AFTER, 0);
	k.stop_at = 2;
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 20);
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), -1);
	CHECK_INT(k.calls, 4);
	k.stop_at = 100;
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 10);
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 0);
	check_bytes(k.data, k.len, (const unsigned char *)"012345678901234567890123456789",
		    30, "EAGAIN not latched");
	free(k.data);
	iob_free(b);
}

/* Bytes staged for a file entry are served again, not read again. */
static void test_write_staging(void)
{
	unsigned char a[1000], z[1000];
	io_batch *b = iob_new(1);
	struct sink k;
	int fd;

	pattern(a, sizeof(a), 7);
	memset(z, 0xee, sizeof(z));
	fd = temp_file(a, sizeof(a));
	CHECK_INT(iob_addfile(b, fd, 0, sizeof(a)), 1);
	sink_init(&k, CB_ALL, 1);
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 1);
	/* Had the library read again, these bytes would show. */
	CHECK_INT(pwrite(fd, z, sizeof(z), 0), (int64_t)sizeof(z));
	CHECK_INT(drain_write(b, &k).last, 0);
	check_bytes(k.data, k.len, a, sizeof(a), "staged bytes");
	free(k.data);

	/*
	 * But what was staged for one entry is not served to the next, even
	 * from the same range: the sink may have written into the source.
	 */
	iob_reset(b);
	CHECK_INT(pwrite(fd, a, sizeof(a), 0), (int64_t)sizeof(a));
	CHECK_INT(iob_addfile(b, fd, 0, 100), 1);
	CHECK_INT(iob_addfile(b, fd, 0, 100), 1);
	sink_init(&k, CB_ALL, 0);
	k.poke_fd = fd;
	k.poke = z;
	k.poke_len = sizeof(z);
	CHECK_INT(drain_write(b, &k).last, 0);
	CHECK_INT(k.len, 200);
	if (k.len == 200) {
		CHECK_MEM(k.data, a, 100);
		CHECK_MEM(k.data + 100, z, 100);
	}
	free(k.data);
	iob_free(b);
	close(fd);
}

/* A fill of 1 TiB streams in scratch-sized pieces. */
static void test_write_huge_fill(void)
{
	io_batch *b = iob_new(0);
	struct sink k;

	CHECK_INT(iob_addfill(b, 0x77, 1024 * GiB), 1);
	CHECK_INT(iob_addzero(b, 1024 * GiB), 1);
	sink_init(&k, CB_AGAIN_AFTER, 0);
	k.stop_at = 3;
	k.keep = 0;
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 3 * 256 * KiB);
	CHECK_INT(k.max_offered, 256 * KiB);
	CHECK_INT(iob_bytesleft(b), 2048 * GiB - 3 * 256 * KiB);
	CHECK_INT(b->e[0].at, 3 * 256 * KiB);
	iob_free(b);
}

/* ---- 2. add calls, reset, ownership ------------------------------------- */

static void test_adds_and_overflow(void)
{
	io_batch *b = iob_new(-5);
	void *p;
	int fd;

	CHECK(b != NULL);
	CHECK_INT(b->at, 0);
	CHECK_INT(b->tag, 0);
	CHECK_INT(b->scratch_fd, -1);
	CHECK_INT(iob_adds(b, "abc"), 1);
	CHECK_INT(b->e[0].n, 3);
	CHECK_INT(iob_bytesleft(b), 3);

	errno = 0;
	CHECK_INT(iob_addfill(b, 1, (uint64_t)INT64_MAX), 0);
	CHECK_INT(errno, EOVERFLOW);
	CHECK_INT(iob_addfill(b, 1, (uint64_t)INT64_MAX - 3), 1);
	errno = 0;
	CHECK_INT(iob_addzero(b, 1), 0);
	CHECK_INT(errno, EOVERFLOW);
	CHECK_INT(iob_bytesleft(b), INT64_MAX);
	CHECK_INT(iob_addzero(b, 0), 1);
	iob_reset(b);

	iob_place(b, INT64_MAX - 5, 1);
	CHECK_INT(iob_addzero(b, 5), 1);
	errno = 0;
	CHECK_INT(iob_addbuf(b, "xy", 2), 0);
	CHECK_INT(errno, EOVERFLOW);
	CHECK_INT(iob_addzero(b, 0), 1);
	CHECK_INT(b->used, 2);

	/* A failed _free add leaves the buffer with the caller. */
	p = unit_xmalloc(10);
	errno = 0;
	CHECK_INT(iob_addbuf_free(b, p, 10), 0);
	CHECK_INT(errno, EOVERFLOW);
	free(p);

	/* A failed _close add leaves the fd with the caller. */
	fd = temp_file("x", 1);
	errno = 0;
	CHECK_INT(iob_addfile_close(b, fd, (uint64_t)INT64_MAX, 2), 0);
	CHECK_INT(errno, EOVERFLOW);
	iob_reset(b);
	CHECK_INT(fcntl(fd, F_GETFD) >= 0, 1);
	errno = 0;
	CHECK_INT(iob_addfile(b, -1, 0, 1), 0);
	CHECK_INT(errno, EBADF);
	close(fd);
	iob_free(b);
	iob_free(NULL);
}

/* 6. iob_addfile_close closes at reset, iob_addfile does not. */
static void test_close_at_reset(void)
{
	io_batch *b = iob_new(2);
	int keep = temp_file("0123456789", 10);
	int give = dup(keep), give2 = dup(keep);
	struct sink k;

	CHECK_INT(iob_addfile(b, keep, 0, 10), 1);
	CHECK_INT(iob_addfile_close(b, give, 2, 3), 1);
	CHECK_INT(iob_addfile_close(b, give2, 2, 0), 1);
	CHECK_INT(iob_addbuf_free(b, unit_xmalloc(1), 0), 1);
	sink_init(&k, CB_ALL, 0);
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 13);
	check_bytes(k.data, k.len, (const unsigned char *)"0123456789234", 13, "close");
	CHECK_INT(fcntl(give, F_GETFD) >= 0, 1);
	iob_reset(b);
	errno = 0;
	CHECK_INT(fcntl(give, F_GETFD), -1);
	CHECK_INT(errno, EBADF);
	errno = 0;
	CHECK_INT(fcntl(give2, F_GETFD), -1);
	CHECK_INT(errno, EBADF);
	CHECK(fcntl(keep, F_GETFD) >= 0);

	/* Not written at all: still closed. */
	give = dup(keep);
	CHECK_INT(iob_addfile_close(b, give, 0, 10), 1);
	iob_free(b);
	errno = 0;
	CHECK_INT(fcntl(give, F_GETFD), -1);
	CHECK_INT(errno, EBADF);
	CHECK(fcntl(keep, F_GETFD) >= 0);
	close(keep);
	free(k.data);
}

/* 7. bytesleft after partial consumption; reset makes a batch reusable. */
static void test_bytesleft_reset(void)
{
	io_batch *b = iob_new(1);
	struct sink k;
	int round;

	for (round = 0; round < 2; round++) {
		CHECK_INT(iob_addbuf(b, pool, 60), 1);
		CHECK_INT(iob_addfill(b, 'f', 40), 1);
		CHECK_INT(iob_bytesleft(b), 100);
		sink_init(&k, CB_ALL, 30);
		/* A short take ends the call: the sink is full. */
		CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 30);
		CHECK_INT(iob_bytesleft(b), 70);
		CHECK_INT(b->e[0].n, 30);
		/* The rest of the buffer, then 30 of the fill. */
		CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 60);
		CHECK_INT(iob_bytesleft(b), 10);
		CHECK_INT(b->next, 1);
		CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 10);
		CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 0);
		CHECK_INT(iob_bytesleft(b), 0);
		CHECK_INT(k.len, 100);
		CHECK_MEM(k.data, pool, 60);
		CHECK(k.data[60] == 'f' && k.data[99] == 'f');
		free(k.data);
		iob_place(b, 77, 3);
		iob_reset(b);
		CHECK_INT(b->used, 0);
		CHECK_INT(b->next, 0);
		CHECK_INT(b->at, 0);
		CHECK_INT(b->tag, 0);
		CHECK_INT(b->err, 0);
		CHECK_INT(iob_bytesleft(b), 0);
	}
	sink_init(&k, CB_ALL, 0);
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 0);
	CHECK_INT(k.calls, 0);
	iob_free(b);
}

/* 8. iob_place: offsets and tags of entries; contiguous after a place. */
static void test_place(void)
{
	io_batch *b = iob_new(0);
	struct sink k;

	CHECK_INT(iob_addbuf(b, "ab", 2), 1);
	iob_place(b, 1000, 7);
	CHECK_INT(iob_addbuf(b, "0123456789", 10), 1);
	CHECK_INT(iob_addfill(b, 'x', 5), 1);
	CHECK_INT(iob_addzero(b, 0), 1);
	iob_place(b, 5000, 9);
	CHECK_INT(iob_addzero(b, 3), 1);
	CHECK_INT(iob_adds(b, "end"), 1);
	CHECK_INT(b->used, 6);
	CHECK_INT(b->e[0].at, 0);
	CHECK_INT(b->e[0].tag, 0);
	CHECK_INT(b->e[1].at, 1000);
	CHECK_INT(b->e[1].tag, 7);
	CHECK_INT(b->e[2].at, 1010);
	CHECK_INT(b->e[2].tag, 7);
	CHECK_INT(b->e[3].at, 1015);
	CHECK_INT(b->e[4].at, 5000);
	CHECK_INT(b->e[4].tag, 9);
	CHECK_INT(b->e[5].at, 5003);
	CHECK_INT(b->e[5].tag, 9);
	CHECK_INT(b->at, 5006);
	CHECK_INT(b->e[1].kind, IOB_BUF);
	CHECK_INT(b->e[2].kind, IOB_FILL);
	CHECK_INT(b->e[4].kind, IOB_ZERO);

	/* at is informational: the output is the plain concatenation. */
	sink_init(&k, CB_ALL, 6);
	CHECK_INT(iob_write((int64_t)(intptr_t)&k, b, sink_cb), 8);
	CHECK_INT(b->e[0].at, 2);
	CHECK_INT(b->e[1].at, 1006);
	CHECK_INT(b->e[1].n, 4);
	CHECK_INT(drain_write(b, &k).last, 0);
	check_bytes(k.data, k.len, (const unsigned char *)"ab0123456789xxxxx\0\0\0end", 23,
		    "place");
	free(k.data);
	iob_free(b);
}

/* ---- 3 and 4: far offsets, short sources -------------------------------- */

static int64_t send_all_to_file(io_batch *b, int fd, int *err)
{
	int64_t r, total = 0;
	int guard;

	for (guard = 0; guard < 1000000; guard++) {
		r = iob_send(fd, b);
		if (r > 0) {
			total += r;
			continue;
		}
		*err = r == -3 ? errno : 0;
		CHECK(r != -1);
		return r == 0 ? total : r;
	}
	CHECK(!"iob_send never finished");
	return -99;
}

static void test_past_4gib(void)
{
	uint64_t base = 4 * GiB + 12000, len = 70000;
	unsigned char pat[1000], *want, *got;
	size_t gotlen;
	struct sink k;
	io_batch *b;
	int fd, out, err = 0;

	fd = temp_file(NULL, 0);
	pattern(pat, sizeof(pat), 99);
	if (ftruncate(fd, (off_t)(5 * GiB + 100)) < 0 ||
	    pwrite(fd, pat, sizeof(pat), (off_t)(4 * GiB + 12345)) != (ssize_t)sizeof(pat)) {
		perror("test_iob: sparse file");
		CHECK(0);
		close(fd);
		return;
	}
	want = calloc(1, len);
	memcpy(want + 345, pat, sizeof(pat));

	b = iob_new(1);
	CHECK_INT(iob_addfile(b, fd, base, len), 1);
	sink_init(&k, CB_ALL, 4099);
	CHECK_INT(drain_write(b, &k).last, 0);
	check_bytes(k.data, k.len, want, len, "past 4 GiB, iob_write");
	free(k.data);

	iob_reset(b);
	CHECK_INT(iob_addfile(b, fd, base, len), 1);
	out = temp_file(NULL, 0);
	CHECK_INT(send_all_to_file(b, out, &err), (int64_t)len);
	got = slurp(out, &gotlen);
	check_bytes(got, gotlen, want, len, "past 4 GiB, iob_send");
	free(got);
	close(out);
	iob_free(b);
	free(want);
	close(fd);
}

/* A source shorter than its entry: the bytes there are, then -3/EIO. */
static void test_short_source(void)
{
	unsigned char data[1000];
	struct item it[3];
	size_t count = 0;
	struct sink k;
	struct drain d;
	int fd;

	pattern(data, sizeof(data), 3);
	fd = temp_file(data, sizeof(data));
	it[count++] = (struct item){ .kind = IT_STR, .p = (const unsigned char *)"head" };
	it[count++] = (struct item){ .kind = IT_FILE, .fd = fd, .src = data,
				     .srclen = sizeof(data), .off = 500, .n = 2000 };
	it[count++] = (struct item){ .kind = IT_STR, .p = (const unsigned char *)"tail" };

	sink_init(&k, CB_ALL, 0);
	d = write_recipe(it, count, &k, "short source, everything");
	CHECK_INT(d.positives, 1);
	free(k.data);
	sink_init(&k, CB_ALL, 1);
	d = write_recipe(it, count, &k, "short source, one byte");
	CHECK_INT(d.agains, 0);
	free(k.data);
	close(fd);
}

/* ---- 5. iob_send to files, pipes, sockets -------------------------------- */

struct reader {
	int fd;
	int slow;
	unsigned char *data;
	size_t len, cap;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	ssize_t r;

	for (;;) {
		if (rd->cap - rd->len < 65536) {
			rd->cap = rd->cap * 2 + 65536;
			rd->data = realloc(rd->data, rd->cap);
			if (!rd->data)
				return NULL;
		}
		r = read(rd->fd, rd->data + rd->len, rd->slow ? 16384 : rd->cap - rd->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		rd->len += (size_t)r;
		if (rd->slow)
			usleep(300);
	}
}

static void test_send_file(void)
{
	struct item it[32];
	size_t count = std_recipe(it), wantlen, gotlen;
	unsigned char *want, *got;
	io_batch *b;
	int out, short_src, err = 0;
	off_t srcpos;

	want = expect(it, count, &wantlen, &short_src);

	/* Plain regular file, written from its current position. */
	out = temp_file(NULL, 0);
	CHECK_INT(write(out, want, 10), 10);
	CHECK_INT(lseek(src_fd, 17, SEEK_SET), 17);
	b = iob_new(0);
	build(b, it, count);
	CHECK_INT(send_all_to_file(b, out, &err), (int64_t)wantlen);
	CHECK_INT(lseek(out, 0, SEEK_CUR), (int64_t)(wantlen + 10));
	srcpos = lseek(src_fd, 0, SEEK_CUR);
	CHECK_INT(srcpos, 17);
	CHECK_INT(iob_send(out, b), 0);
	CHECK(b->stats.copy_file_range > 0 || b->stats.sendfile > 0);
	CHECK(b->stats.writev > 0);
	CHECK_INT(b->stats.copy_file_range + b->stats.sendfile + b->stats.splice +
		  b->stats.writev + b->stats.readwrite, wantlen);
	fprintf(stderr, "send to file: cfr %" PRIu64 " sendfile %" PRIu64 " writev %" PRIu64
		" readwrite %" PRIu64 "\n", b->stats.copy_file_range, b->stats.sendfile,
		b->stats.writev, b->stats.readwrite);
	got = slurp(out, &gotlen);
	CHECK_INT(gotlen, wantlen + 10);
	if (gotlen == wantlen + 10)
		check_bytes(got + 10, wantlen, want, wantlen, "iob_send to a file");
	free(got);
	close(out);
	iob_free(b);

	/* O_APPEND: copy_file_range and sendfile refuse, read+write does it. */
	out = temp_file(NULL, 0);
	CHECK_INT(fcntl(out, F_SETFL, O_APPEND), 0);
	b = iob_new(0);
	build(b, it, count);
	CHECK_INT(send_all_to_file(b, out, &err), (int64_t)wantlen);
	CHECK(b->stats.readwrite > 0 || b->stats.sendfile > 0);
	fprintf(stderr, "send to O_APPEND file: cfr %" PRIu64 " sendfile %" PRIu64
		" writev %" PRIu64 " readwrite %" PRIu64 "\n", b->stats.copy_file_range,
		b->stats.sendfile, b->stats.writev, b->stats.readwrite);
	got = slurp(out, &gotlen);
	check_bytes(got, gotlen, want, wantlen, "iob_send to an O_APPEND file");
	free(got);
	close(out);
	iob_free(b);
	free(want);
}

/* Send to a pipe or socket drained by a thread; the writer end may be non-blocking. */
static void send_to_reader(const struct item *it, size_t count, int sock, int nonblock,
			   int slow, const char *what)
{
	unsigned char *want;
	size_t wantlen;
	int fds[2], short_src, err = 0;
	struct reader rd = { 0 };
	struct pollfd pfd;
	pthread_t th;
	long again = 0, guard;
	int64_t r = 0;
	io_batch *b;

	want = expect(it, count, &wantlen, &short_src);
	if (sock ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds) : pipe(fds)) {
		perror("test_iob: pipe");
		CHECK(0);
		free(want);
		return;
	}
	if (nonblock)
		CHECK_INT(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	rd.fd = fds[0];
	rd.slow = slow;
	if (pthread_create(&th, NULL, reader_main, &rd)) {
		CHECK(0);
		close(fds[0]);
		close(fds[1]);
		free(want);
		return;
	}
	b = iob_new(0);
	build(b, it, count);
	for (guard = 0; guard < 10000000; guard++) {
		uint64_t left = iob_bytesleft(b);

		r = iob_send(fds[1], b);
		if (r > 0) {
			CHECK_INT(left - iob_bytesleft(b), r);
			continue;
		}
		if (r != -1)
			break;
		CHECK_INT(iob_bytesleft(b), left);
		again++;
		pfd.fd = fds[1];
		pfd.events = POLLOUT;
		CHECK_INT(poll(&pfd, 1, 10000), 1);
	}
	err = errno;
	if (short_src) {
		CHECK_INT(r, -3);
		CHECK_INT(err, EIO);
	} else {
		CHECK_INT(r, 0);
	}
	close(fds[1]);
	pthread_join(th, NULL);
	close(fds[0]);
	check_bytes(rd.data, rd.len, want, wantlen, what);
	/* More than a pipe or socket buffer holds: the writer must have waited. */
	if (nonblock && slow && wantlen > MiB)
		CHECK(again > 0);
	fprintf(stderr, "%s: splice %" PRIu64 " sendfile %" PRIu64 " writev %" PRIu64
		" readwrite %" PRIu64 ", %ld EAGAIN\n", what, b->stats.splice,
		b->stats.sendfile, b->stats.writev, b->stats.readwrite, again);
	if (sock)
		CHECK(b->stats.sendfile > 0 || b->stats.readwrite > 0);
	else
		CHECK(b->stats.splice > 0 || b->stats.sendfile > 0);
	free(rd.data);
	free(want);
	iob_free(b);
}

static void test_send_pipes(void)
{
	struct item it[32];
	size_t count = std_recipe(it);

	send_to_reader(it, count, 0, 0, 0, "pipe");
	send_to_reader(it, count, 0, 1, 1, "non-blocking pipe, slow reader");
	send_to_reader(it, count, 1, 1, 1, "non-blocking socket, slow reader");
}

static void test_send_short_source(void)
{
	unsigned char data[1000], *got;
	struct item it[3];
	size_t count = 0, gotlen;
	io_batch *b;
	int fd, out, err = 0;

	pattern(data, sizeof(data), 4);
	fd = temp_file(data, sizeof(data));
	it[count++] = (struct item){ .kind = IT_STR, .p = (const unsigned char *)"head" };
	it[count++] = (struct item){ .kind = IT_FILE, .fd = fd, .src = data,
				     .srclen = sizeof(data), .off = 500, .n = 2000 };
	it[count++] = (struct item){ .kind = IT_STR, .p = (const unsigned char *)"tail" };

	b = iob_new(0);
	build(b, it, count);
	out = temp_file(NULL, 0);
	CHECK_INT(iob_send(out, b), 504);
	errno = 0;
	CHECK_INT(iob_send(out, b), -3);
	CHECK_INT(errno, EIO);
	CHECK_INT(iob_send(out, b), -3);
	CHECK_INT(send_all_to_file(b, out, &err), -3);
	CHECK_INT(err, EIO);
	got = slurp(out, &gotlen);
	CHECK_INT(gotlen, 504);
	if (gotlen == 504) {
		CHECK_MEM(got, "head", 4);
		CHECK_MEM(got + 4, data + 500, 500);
	}
	free(got);
	close(out);
	iob_free(b);

	send_to_reader(it, count, 0, 0, 0, "pipe, short source");
	send_to_reader(it, count, 0, 1, 1, "non-blocking pipe, short source");
	close(fd);
}

/* ---- 9. random batches --------------------------------------------------- */

static const char *const strs[] = { "", "a", "bc", "def\n", "a longer string, to be sure" };

static void test_random(void)
{
	static const uint64_t slices[] = { 7, 4099, 300000 };
	struct item it[24];
	unsigned char *want, *got;
	size_t count, i, wantlen, gotlen;
	int short_src, iter, out, err;
	struct sink k;
	io_batch *b;

	for (iter = 0; iter < 200; iter++) {
		count = (size_t)rnd(21);
		for (i = 0; i < count; i++) {
			uint64_t n = rnd(4) == 0 ? rnd(4) : rnd(70001);
			struct item *t = &it[i];

			memset(t, 0, sizeof(*t));
			t->n = n;
			switch (rnd(7)) {
			case 0:
				t->kind = IT_BUF;
				t->p = pool + rnd(sizeof(pool) - n + 1);
				break;
			case 1:
				t->kind = IT_BUF_FREE;
				t->p = pool + rnd(sizeof(pool) - n + 1);
				break;
			case 2:
				t->kind = IT_STR;
				t->p = (const unsigned char *)strs[rnd(5)];
				t->n = 0;
				break;
			case 3:
			case 4:
				t->kind = rnd(2) ? IT_FILE : IT_FILE_CLOSE;
				t->fd = src_fd;
				t->src = src_data;
				t->srclen = SRC_LEN;
				t->off = rnd(SRC_LEN - n + 1);
				break;
			case 5:
				t->kind = IT_FILL;
				t->c = (unsigned char)rnd(256);
				break;
			default:
				t->kind = IT_ZERO;
				break;
			}
		}
		sink_init(&k, CB_RANDOM, slices[rnd(3)]);
		k.rng = (uint32_t)iter * 2654435761u + 1;
		write_recipe(it, count, &k, "random batch, iob_write");
		free(k.data);

		if (iter % 4)
			continue;
		want = expect(it, count, &wantlen, &short_src);
		b = iob_new((int)count);
		build(b, it, count);
		out = temp_file(NULL, 0);
		err = 0;
		CHECK_INT(send_all_to_file(b, out, &err), (int64_t)wantlen);
		got = slurp(out, &gotlen);
		check_bytes(got, gotlen, want, wantlen, "random batch, iob_send");
		free(got);
		free(want);
		close(out);
		iob_free(b);
	}
}

/* b->seek_zeros: zero entries become holes in a file (the offset moves over
 * them; a trailing one is the caller's to make by setting the length), and
 * are written after all where the descriptor cannot seek. */
static void test_send_seek_zeros(void)
{
	static const unsigned char zeros[4096];
	unsigned char got[8];
	io_batch *b = iob_new(0);
	int out = temp_file(NULL, 0), p[2];
	struct stat st;
	int64_t r, total = 0;

	CHECK_INT(iob_adds(b, "ab"), 1);
	CHECK_INT(iob_addzero(b, 8 << 20), 1);
	CHECK_INT(iob_adds(b, "cd"), 1);
	CHECK_INT(iob_addzero(b, 4096), 1);
	b->seek_zeros = 1;
	while ((r = iob_send(out, b)) > 0)
		total += r;
	CHECK_INT(r, 0);
	CHECK_INT(total, 4 + (8 << 20) + 4096);
	CHECK_INT(b->stats.seek, (8 << 20) + 4096);
	CHECK_INT(b->stats.writev, 4);
	CHECK_INT(lseek(out, 0, SEEK_CUR), total);
	CHECK(fstat(out, &st) == 0 && st.st_size == 4 + (8 << 20));
	CHECK((int64_t)st.st_blocks * 512 < (1 << 20));	/* a hole, not 8 MiB */
	CHECK_INT(pread(out, got, 2, 0), 2);
	CHECK_INT(pread(out, got + 2, 2, 2 + (8 << 20)), 2);
	CHECK_MEM(got, "abcd", 4);
	CHECK_INT(pread(out, got, 8, 4096), 8);
	CHECK_MEM(got, zeros, 8);
	close(out);
	iob_free(b);

	/* A pipe cannot seek: the zeros are written, and the flag drops. */
	b = iob_new(0);
	CHECK_INT(iob_adds(b, "x"), 1);
	CHECK_INT(iob_addzero(b, 100), 1);
	b->seek_zeros = 1;
	CHECK(pipe(p) == 0);
	CHECK_INT(iob_send(p[1], b), 101);
	CHECK_INT(b->seek_zeros, 0);
	CHECK_INT(b->stats.seek, 0);
	{
		unsigned char buf[101];

		CHECK_INT(read(p[0], buf, sizeof(buf)), 101);
		CHECK(buf[0] == 'x' && memcmp(buf + 1, zeros, 100) == 0);
	}
	close(p[0]);
	close(p[1]);
	iob_free(b);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	pattern(src_data, sizeof(src_data), 1);
	pattern(pool, sizeof(pool), 2);
	src_fd = temp_file(src_data, sizeof(src_data));

	test_write_callbacks();
	test_write_stop_latched();
	test_write_staging();
	test_write_huge_fill();
	test_adds_and_overflow();
	test_close_at_reset();
	test_bytesleft_reset();
	test_place();
	test_past_4gib();
	test_short_source();
	test_send_file();
	test_send_pipes();
	test_send_seek_zeros();
	test_send_short_source();
	test_random();

	close(src_fd);
	return unit_done("test_iob");
}

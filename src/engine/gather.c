/*
 * gather.c -- many small source reads done as a few large ones.
 *
 * When the aio engine packs thousands of small file fragments into its
 * requests, reading each with its own pread costs a system call per
 * fragment, which is most of the run.  Instead the engine notes every read
 * here and does them together: grouped by source, then sorted by offset,
 * neighbouring reads of one source (less than GATHER_GAP bytes apart)
 * become one pread into a scratch buffer, whose pieces are then copied to
 * where they belong.  A read that stands alone goes straight to its
 * destination.
 *
 * Reading the bytes between two fragments is cheaper than another system
 * call up to a few pages; beyond that it is not.  The scratch buffer bounds
 * how much one pread brings in.  With many reads, a second thread serves
 * about half of the sources (each source is read by one thread only), as
 * copying out of the page cache is most of the cost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "engine/gather.h"
#include "util/mem.h"
#include "util/thread.h"

#define GATHER_GAP ((uint64_t)16 << 10)
#define GATHER_SCRATCH ((size_t)256 << 10)
/* Fewer reads than this are done by the calling thread alone. */
#define GATHER_SHARE_MIN 8192

void gather_init(struct gather *g)
{
	memset(g, 0, sizeof(*g));
}

int gather_add(struct gather *g, int fd, uint64_t off, uint32_t n, unsigned char *dst)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 1024;
		struct gread *r = mem_realloc(g->r, cap * sizeof(*r));

		if (!r)
			return ENOMEM;
		g->r = r;
		g->cap = cap;
	}
	g->r[g->n++] = (struct gread){ .dst = dst, .off = off, .fd = fd, .n = n };
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct gread *x = a, *y = b;

	return (x->off > y->off) - (x->off < y->off);
}

/* Group the reads by descriptor in place (an American flag sort: a
 * counting sort that swaps each read into its bucket), so that no
 * comparison sort runs over all of them.  *bound gets each bucket's end,
 * indexed by fd - lo. */
static int bucket_by_fd(struct gread *r, size_t n, int lo, int hi, size_t **bound)
{
	size_t nb = (size_t)(hi - lo) + 1;
	size_t *next = calloc(nb, sizeof(*next)), *end = calloc(nb, sizeof(*end));

	if (!next || !end) {
		free(next);
		free(end);
		return ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		end[r[i].fd - lo]++;
	for (size_t k = 0, at = 0; k < nb; k++) {
		next[k] = at;
		at += end[k];
		end[k] = at;
	}
	for (size_t k = 0; k < nb; k++) {
		while (next[k] < end[k]) {
			size_t t = (size_t)(r[next[k]].fd - lo);
			struct gread tmp;

			if (t == k) {
				next[k]++;
				continue;
			}
			tmp = r[next[t]];
			r[next[t]++] = r[next[k]];
			r[next[k]] = tmp;
		}
	}
	free(next);
	*bound = end;
	return 0;
}

/* How many reads from r[i] on one pread can serve, and the span it covers
 * (r sorted by offset). */
static size_t span_of(const struct gread *r, size_t i, size_t n, uint64_t *len)
{
	uint64_t start = r[i].off, end = r[i].off + r[i].n;
	size_t j = i + 1;

	for (; j < n && r[j].off <= end + GATHER_GAP; j++) {
		uint64_t e = r[j].off + r[j].n > end ? r[j].off + r[j].n : end;

		if (e - start > GATHER_SCRATCH)
			break;
		end = e;
	}
	*len = end - start;
	return j - i;
}

/* One pread of len bytes at off into the scratch buffer, then each of the
 * k reads copied out of it. */
static int read_span(unsigned char **scratch, const struct gread *r, size_t k, uint64_t off,
		     uint64_t len)
{
	int err;

	if (k == 1)
		return pread_full(r->fd, r->dst, r->n, (int64_t)r->off);
	if (!*scratch && !(*scratch = malloc(GATHER_SCRATCH)))
		return ENOMEM;
	if ((err = pread_full(r->fd, *scratch, len, (int64_t)off)) != 0)
		return err;
	for (size_t j = 0; j < k; j++)
		memcpy(r[j].dst, *scratch + (r[j].off - off), r[j].n);
	return 0;
}

/* The reads of one descriptor: when they are dense in a span that fits
 * the scratch buffer, one pread serves them all, unsorted; otherwise they
 * are sorted by offset and served span by span. */
static int read_source(unsigned char **scratch, struct gread *r, size_t n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		lo = r[i].off < lo ? r[i].off : lo;
		hi = r[i].off + r[i].n > hi ? r[i].off + r[i].n : hi;
	}
	if (hi - lo <= GATHER_SCRATCH && hi - lo <= n * GATHER_GAP)
		return read_span(scratch, r, n, lo, hi - lo);
	qsort(r, n, sizeof(*r), by_offset);
	for (size_t i = 0; i < n && !err;) {
		uint64_t len;
		size_t k = span_of(r, i, n, &len);

		err = read_span(scratch, &r[i], k, r[i].off, len);
		i += k;
	}
	return err;
}

/* The sources of buckets [k0, k1), bound[k] being bucket k's end. */
struct share {
	struct gread *r;
	const size_t *bound;
	size_t k0, k1;
	unsigned char **scratch;
	int err;
};

static void *read_share(void *arg)
{
	struct share *s = arg;

	for (size_t k = s->k0; k < s->k1 && !s->err; k++) {
		size_t at = k ? s->bound[k - 1] : 0;

		if (s->bound[k] > at)
			s->err = read_source(s->scratch, &s->r[at], s->bound[k] - at);
	}
	return NULL;
}

int gather_run(struct gather *g)
{
	int lo = INT32_MAX, hi = -1, err = 0;
	size_t *bound = NULL, nb = 0, mid = 0;
	struct share a = { 0 }, b = { 0 };
	pthread_t helper;
	int helped = 0;

	for (size_t i = 0; i < g->n; i++) {
		lo = g->r[i].fd < lo ? g->r[i].fd : lo;
		hi = g->r[i].fd > hi ? g->r[i].fd : hi;
	}
	if (g->n && !(err = bucket_by_fd(g->r, g->n, lo, hi, &bound))) {
		nb = (size_t)(hi - lo) + 1;
		/* Many reads from several sources: two cores read, each about
		 * half of them. */
		if (g->n >= GATHER_SHARE_MIN && nb > 1)
			while (mid < nb - 1 && bound[mid] < g->n / 2)
				mid++;
		a = (struct share){ g->r, bound, 0, mid ? mid : nb, &g->scratch, 0 };
		b = (struct share){ g->r, bound, mid, nb, &g->scratch2, 0 };
		if (mid)
			helped = thread_start(&helper, read_share, &b) == 0;
		if (mid && !helped)
			a.k1 = nb;
		read_share(&a);
		if (helped)
			pthread_join(helper, NULL);
		err = a.err ? a.err : b.err;
	}
	free(bound);
	g->n = 0;
	return err;
}

void gather_release(struct gather *g)
{
	mem_free(g->r);
	free(g->scratch);
	free(g->scratch2);
	gather_init(g);
}

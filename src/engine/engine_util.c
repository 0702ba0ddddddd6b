/* engine_util.c -- small helpers of the engine's files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_internal.h"

/* The next n bytes of a stream entry (its reads are in order, so done is
 * where it stands): 0, or an errno (EIO: it ended first). */
static int stream_bytes(int fd, unsigned char *buf, uint64_t n)
{
	while (n > 0) {
		ssize_t got = read_wait(fd, buf, n);

		if (got < 0)
			return errno;
		if (got == 0)
			return EIO;
		buf += got;
		n -= (uint64_t)got;
	}
	return 0;
}

int entry_bytes(const iob_entry *e, uint64_t done, unsigned char *buf, uint64_t n)
{
	switch (e->kind) {
	case IOB_BUF:
		memcpy(buf, e->buf + done, n);
		return 0;
	case IOB_FILE:
		if (e->flags & IOB_STREAM)
			return stream_bytes(e->fd, buf, n);
		return pread_full(e->fd, buf, n, (int64_t)(e->off + done));
	default:
		memset(buf, e->byte, n);
		return 0;
	}
}

void tag_list_start(struct tag_list *t, uint64_t req, size_t nfrag)
{
	t->n = 0;
	t->max = 0;
	t->req = (uint32_t)req;
	t->nfrag = nfrag;
}

/* Whether tag is in the request already (it is below the request's
 * highest tag, so it may be). */
static int seen(struct tag_list *t, uint32_t tag)
{
	if (!t->last && (t->last = calloc(t->nfrag ? t->nfrag : 1, sizeof(*t->last))) != NULL)
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i] < t->nfrag)
				t->last[t->v[i]] = t->req;
	if (t->last)
		return tag < t->nfrag && t->last[tag] == t->req;
	for (size_t i = 0; i < t->n; i++)	/* no memory for the table */
		if (t->v[i] == tag)
			return 1;
	return 0;
}

int tag_list_add(struct tag_list *t, uint32_t tag)
{
	if (t->n && (t->v[t->n - 1] == tag || (tag < t->max && seen(t, tag))))
		return 0;
	if (t->last && tag < t->nfrag)
		t->last[tag] = t->req;
	if (!t->n || tag > t->max)
		t->max = tag;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		uint32_t *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return 1;	/* counted, not listed */
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = tag;
	return 1;
}

void tag_list_release(struct tag_list *t)
{
	free(t->v);
	free(t->last);
	memset(t, 0, sizeof(*t));
}

void count_holes(struct engine_result *r, uint32_t tag, uint64_t n)
{
	if (tag >= r->nfrag || n == 0)
		return;
	if (!r->holes)
		r->holes = calloc(r->nfrag, sizeof(*r->holes));
	if (!r->holes) {
		r->frag[tag].written += n;
		return;
	}
	r->holes[tag] += n;
	r->holes_total += n;
}

/* The first byte zero and every byte equal to the one before it: memcmp
 * of the buffer against itself one byte on, at memcmp's speed. */
int all_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

void batch_consume(io_batch *b, size_t i, uint64_t n)
{
	iob_entry *e = &b->e[i];

	e->n -= n;
	e->at += (int64_t)n;
	e->off += n;
	b->bytesleft -= n;
	b->next = e->n ? i : i + 1;
}

/*
 * extents.c -- fragments -> sorted, disjoint extents.
 *
 * Without --allow-overlap every fragment is one piece and any overlap is an
 * error naming both lines; the plan keeps only the order of the fragments
 * (none at all when the manifest already lists them by offset).  With it,
 * a sweep over the sorted starts keeps the live fragments in a max-heap by
 * manifest index: at each boundary the latest line is the one whose bytes
 * land, so "later wins" costs O(n log n) and at most 2n extents, whatever
 * the layout.  Empty fragments take no room
 * and never overlap anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

static const struct placed *sort_pf;

static int by_offset(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (sort_pf[x].at != sort_pf[y].at)
		return sort_pf[x].at < sort_pf[y].at ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Whether the fragments, as listed, are already the pieces in target order:
 * none empty, none starting before the previous one. */
static int listed_in_order(const struct plan *p)
{
	for (size_t i = 0; i < p->npf; i++)
		if (p->pf[i].len == 0 || (i && p->pf[i - 1].at > p->pf[i].at))
			return 0;
	return 1;
}

/* Indexes of the non-empty fragments, sorted by offset then line. */
static uint32_t *sorted_fragments(const struct plan *p, size_t *n)
{
	uint32_t *order = malloc((p->npf ? p->npf : 1) * sizeof(*order));
	int sorted = 1;

	*n = 0;
	if (!order)
		return NULL;
	for (size_t i = 0; i < p->npf; i++) {
		if (p->pf[i].len == 0)
			continue;
		if (*n && p->pf[order[*n - 1]].at > p->pf[i].at)
			sorted = 0;
		order[(*n)++] = (uint32_t)i;
	}
	if (!sorted) {
		sort_pf = p->pf;
		qsort(order, *n, sizeof(*order), by_offset);
	}
	return order;
}

static int overlap_error(const struct manifest *m, const struct plan *p, uint32_t a, uint32_t b,
			 struct errors *err)
{
	uint32_t early = a < b ? a : b, late = a < b ? b : a;
	const struct placed *pe = &p->pf[early], *pl = &p->pf[late];

	return error_kind_at(err, ERR_OVERLAP, frag_place(m, &m->frag[late]),
			 "'%s' at 0x%llx..0x%llx overlaps line %u ('%s' at 0x%llx..0x%llx)",
			 frag_kind_name(m->frag[late].kind), (unsigned long long)pl->at,
			 (unsigned long long)(pl->at + pl->len - 1), m->frag[early].line,
			 frag_kind_name(m->frag[early].kind), (unsigned long long)pe->at,
			 (unsigned long long)(pe->at + pe->len - 1));
}

/* The pieces as plan_piece gives them must not overlap. */
static int check_disjoint(const struct plan *p, const struct manifest *m, struct errors *err)
{
	int64_t max_end = 0;
	uint32_t owner = 0;

	for (size_t k = 0; k < p->npieces; k++) {
		const struct extent x = plan_piece(p, k);

		if (k && x.at < max_end)
			return overlap_error(m, p, owner, x.frag, err);
		max_end = x.at + x.len;
		owner = x.frag;
	}
	return 0;
}

/* A max-heap of fragment indexes. */
struct heap {
	uint32_t *v;
	size_t n;
};

static void heap_push(struct heap *h, uint32_t x)
{
	size_t i = h->n++;

	while (i && h->v[(i - 1) / 2] < x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

static void heap_pop(struct heap *h)
{
	uint32_t x = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] > h->v[c])
			c++;
		if (h->v[c] <= x)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = x;
}

static void emit(struct plan *p, uint32_t frag, int64_t from, int64_t to)
{
	struct extent *last = p->npieces ? &p->ext[p->npieces - 1] : NULL;

	p->visible[frag] += to - from;
	if (last && last->frag == frag && last->at + last->len == from) {
		last->len += to - from;
		return;
	}
	p->ext[p->npieces++] = (struct extent){
		.at = from, .len = to - from, .delta = from - p->pf[frag].at, .frag = frag
	};
}

static void later_wins_extents(struct plan *p, const uint32_t *order, size_t n, struct heap *h)
{
	const struct placed *pf = p->pf;
	size_t i = 0;
	int64_t pos = 0;

	while (i < n || h->n) {
		if (!h->n)
			pos = pf[order[i]].at;
		while (i < n && pf[order[i]].at <= pos)
			heap_push(h, order[i++]);
		while (h->n && pf[h->v[0]].at + pf[h->v[0]].len <= pos)
			heap_pop(h);
		if (!h->n)
			continue;
		uint32_t top = h->v[0];
		int64_t next = pf[top].at + pf[top].len;

		if (i < n && pf[order[i]].at < next)
			next = pf[order[i]].at;
		emit(p, top, pos, next);
		pos = next;
	}
}

static int by_at(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->frag < y->frag ? -1 : x->frag > y->frag;
}

/* With HEX sources (format=), a fragment is several pieces -- its records
 * -- with gaps between them: every piece listed, sorted, checked disjoint.
 * Each HEX fragment's visible bytes are its records' (delta indexes its
 * bytes in address order). */
static int hex_extents(struct plan *p, const struct manifest *m, struct errors *err)
{
	size_t n = p->npf;

	for (size_t k = 0; k < p->nhex; k++)
		n += p->hex[k].img.n;
	p->ext = malloc((n ? n : 1) * sizeof(*p->ext));
	p->visible = malloc((p->npf ? p->npf : 1) * sizeof(*p->visible));
	if (!p->ext || !p->visible)
		return error_nomem(err);
	for (size_t i = 0; i < p->npf; i++) {
		p->visible[i] = p->pf[i].len;
		if (p->pf[i].len && !p->pf[i].hex)
			p->ext[p->npieces++] = (struct extent){ p->pf[i].at, p->pf[i].len, 0,
								(uint32_t)i };
	}
	for (size_t k = 0; k < p->nhex; k++) {
		const struct plan_hex *h = &p->hex[k];
		int64_t start = p->pf[h->frag].at;

		p->visible[h->frag] = (int64_t)h->img.size;
		for (size_t r = 0; r < h->img.n; r++)
			p->ext[p->npieces++] = (struct extent){
				start + (int64_t)(h->img.rec[r].addr - h->base),
				(int64_t)h->img.rec[r].len, (int64_t)h->img.rec[r].off,
				(uint32_t)h->frag };
	}
	qsort(p->ext, p->npieces, sizeof(*p->ext), by_at);
	return check_disjoint(p, m, err);
}

int plan_extents(struct plan *p, const struct manifest *m, int allow_overlap, struct errors *err)
{
	struct heap h = { NULL, 0 };
	uint32_t *order = NULL;
	size_t n;

	if (p->nhex && allow_overlap)
		return plan_fail(err, m, &m->frag[p->hex[0].frag], "format= sources and "
				 "--allow-overlap do not combine");
	if (p->nhex)
		return hex_extents(p, m, err);
	if (!allow_overlap && listed_in_order(p)) {
		p->npieces = p->npf;
		return check_disjoint(p, m, err);
	}
	if (!(order = sorted_fragments(p, &n)))
		goto nomem;
	if (!allow_overlap) {
		p->order = order;
		p->npieces = n;
		return check_disjoint(p, m, err);
	}
	p->ext = malloc((2 * n + 1) * sizeof(*p->ext));
	p->visible = calloc(p->npf ? p->npf : 1, sizeof(*p->visible));
	h.v = malloc((n + 1) * sizeof(*h.v));
	if (!p->ext || !p->visible || !h.v)
		goto nomem;
	later_wins_extents(p, order, n, &h);
	free(h.v);
	free(order);
	return 0;
nomem:
	free(h.v);
	free(order);
	return error_nomem(err);
}

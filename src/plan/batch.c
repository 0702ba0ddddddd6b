/*
 * batch.c -- a plan as an io_batch: one entry per extent, in target order,
 * placed at its target offset and tagged with its fragment's index.
 * Buffers point into the manifest text and the plan; the batch owns nothing.
 */
#include "plan/plan.h"

static int add_extent(io_batch *b, const struct plan *p, const struct manifest *m,
		      const struct extent *x)
{
	const struct fragment *f = &m->frag[x->frag];
	const struct placed *pf = &p->pf[x->frag];

	iob_place(b, x->at, x->frag);
	switch (f->kind) {
	case FRAG_FILE:
		if (pf->pass)
			return iob_addstream(b, p->src[pf->src].fd, (uint64_t)x->len);
		if (pf->src < 0)	/* spooled in memory */
			return iob_addbuf(b, pf->bytes + x->delta, (uint64_t)x->len);
		return iob_addfile(b, p->src[pf->src].fd, (uint64_t)(pf->src_off + x->delta),
				   (uint64_t)x->len);
	case FRAG_FILL:
		return iob_addfill(b, f->byte, (uint64_t)x->len);
	case FRAG_ZERO:
		return iob_addzero(b, (uint64_t)x->len);
	default:
		return iob_addbuf(b, pf->bytes + x->delta, (uint64_t)x->len);
	}
}

static int add_gap(io_batch *b, int64_t from, int64_t to)
{
	if (to <= from)
		return 1;
	iob_place(b, from, PLAN_GAP);
	return iob_addzero(b, (uint64_t)(to - from));
}

io_batch *plan_batch(const struct plan *p, const struct manifest *m, int gaps)
{
	io_batch *b = iob_new((int)(p->next < 1 << 30 ? p->next * (gaps ? 2 : 1) + 1 : 1 << 30));
	int64_t end = 0;

	if (!b)
		return NULL;
	for (size_t i = 0; i < p->next; i++) {
		const struct extent *x = &p->ext[i];

		if ((gaps && !add_gap(b, end, x->at)) || !add_extent(b, p, m, x)) {
			iob_free(b);
			return NULL;
		}
		end = x->at + x->len;
	}
	if (gaps && !add_gap(b, end, p->image_len)) {
		iob_free(b);
		return NULL;
	}
	return b;
}

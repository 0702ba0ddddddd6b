/*
 * batch.c -- a plan as an io_batch: one entry per extent, in target order,
 * placed at its target offset and tagged with its fragment's index.
 * Buffers point into the manifest text and the plan; the batch owns nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "plan/decode.h"
#include "plan/plan.h"
#include "util/io.h"

/* A hole of a source: zeros that are never read.  With holes=skip the
 * entry says the target keeps its bytes there (IOB_KEEP). */
static int add_hole(io_batch *b, uint64_t n, int keep)
{
	if (!iob_addzero(b, n))
		return 0;
	if (keep)
		b->e[b->used - 1].flags |= IOB_KEEP;
	return 1;
}

/* A range of a sparse source (SPEC §9.1): its data as file entries, its
 * holes as zero entries, so that no engine reads a hole, and none writes
 * one where the target can hold a hole. */
static int add_sparse_range(io_batch *b, const struct source *src, int keep, int64_t off,
			    int64_t len)
{
	int64_t end = off + len;

	while (off < end) {
		int64_t data = next_data(src->fd, off, end), stop;

		if (data > off && !add_hole(b, (uint64_t)(data - off), keep))
			return 0;
		if (data == end)
			break;
		stop = next_hole(src->fd, data, end);
		if (!iob_addfile(b, src->fd, (uint64_t)data, (uint64_t)(stop - data)))
			return 0;
		off = stop;
	}
	return 1;
}

static int add_extent(io_batch *b, const struct plan *p, const struct extent *x)
{
	const struct placed *pf = &p->pf[x->frag];

	iob_place(b, x->at, x->frag);
	if (pf->unchanged)	/* expect=: the target holds it already */
		return 1;
	switch (pf->kind) {
	case FRAG_FILE:
		if (pf->decoded)	/* a thread decodes it into a pipe */
			return decode_addstream(b, p, x->frag, x->delta, (uint64_t)x->len);
		if (pf->pass)
			return iob_addstream(b, p->src[pf->src].fd, (uint64_t)x->len);
		if (pf->src < 0)	/* spooled in memory */
			return iob_addbuf(b, pf->bytes + x->delta, (uint64_t)x->len);
		if (p->src[pf->src].sparse)
			return add_sparse_range(b, &p->src[pf->src], pf->byte,
						pf->src_off + x->delta, x->len);
		return iob_addfile(b, p->src[pf->src].fd, (uint64_t)(pf->src_off + x->delta),
				   (uint64_t)x->len);
	case FRAG_FILL:
		/* Zero bytes are a zero range: a hole where the target allows. */
		if (pf->byte == 0)
			return iob_addzero(b, (uint64_t)x->len);
		return iob_addfill(b, pf->byte, (uint64_t)x->len);
	case FRAG_ZERO:
		return iob_addzero(b, (uint64_t)x->len);
	default:
		return iob_addbuf(b, pf->bytes + x->delta, (uint64_t)x->len);
	}
}

/* A gap: zeros, or the `pad` byte -- a fill even for pad 0, because pad
 * bytes are written in every mode and are records for -f ihex/srec, where
 * a zero entry of no fragment is a gap to skip. */
static int add_gap(io_batch *b, const struct plan *p, int64_t from, int64_t to)
{
	if (to <= from)
		return 1;
	iob_place(b, from, PLAN_GAP);
	if (p->pad_set)
		return iob_addfill(b, p->pad, (uint64_t)(to - from));
	return iob_addzero(b, (uint64_t)(to - from));
}

/* Entries the batch will hold: a sizing hint, so the array is not regrown. */
static size_t entries_needed(const struct plan *p, int gaps)
{
	size_t n = p->npieces + 1;
	int64_t end = 0;

	for (size_t i = 0; gaps && i < p->npieces; i++) {
		const struct extent x = plan_piece(p, i);

		n += x.at > end;
		end = x.at + x.len;
	}
	return n;
}

io_batch *plan_batch(const struct plan *p, int gaps)
{
	size_t hint = entries_needed(p, gaps);
	io_batch *b = iob_new(hint < 1 << 30 ? (int)hint : 1 << 30);
	int64_t end = 0;

	if (!b)
		return NULL;
	for (size_t i = 0; i < p->npieces; i++) {
		const struct extent x = plan_piece(p, i);

		if ((gaps && !add_gap(b, p, end, x.at)) || !add_extent(b, p, &x)) {
			iob_free(b);
			return NULL;
		}
		end = x.at + x.len;
	}
	if (gaps && !add_gap(b, p, end, p->image_len)) {
		iob_free(b);
		return NULL;
	}
	return b;
}

void plan_drop_pieces(struct plan *p)
{
	free(p->order);
	free(p->ext);
	p->order = NULL;
	p->ext = NULL;
	p->npieces = 0;
}

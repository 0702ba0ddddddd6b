/*
 * place.c -- every fragment's offset and length, and the image length.
 *
 * Offsets follow manifest order: a fragment without at= starts where the
 * previous one ended, at=+N leaves N bytes after it.  Every offset and
 * offset+length must fit in a signed 64-bit file offset; `size` bounds them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "plan/plan_internal.h"

static int64_t fragment_length(const struct placed *pf, const struct fragment *f)
{
	switch (f->kind) {
	case FRAG_FILE:
		return pf->len;
	case FRAG_DATA:
	case FRAG_HEX:
		return (int64_t)f->nbytes;
	case FRAG_FILL:
	case FRAG_ZERO:
		return f->len;
	case FRAG_UUID:
		return f->byte ? 36 : 16;
	}
	return 0;
}

/* A fresh random UUID for each uuid fragment, text or binary. */
static int make_uuids(struct plan *p, const struct manifest *m)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < m->nfrag; i++)
		n += m->frag[i].kind == FRAG_UUID;
	if (!n)
		return 0;
	p->uuids = malloc(n * 37);
	if (!p->uuids)
		return -1;
	for (size_t i = 0; i < m->nfrag; i++) {
		unsigned char *u;
		uuid_t id;

		if (m->frag[i].kind != FRAG_UUID)
			continue;
		u = p->uuids + 37 * k++;
		uuid_generate_random(id);
		if (m->frag[i].byte)
			uuid_unparse_lower(id, (char *)u);
		else
			memcpy(u, id, sizeof(id));
		p->pf[i].bytes = u;
	}
	return 0;
}

int plan_place(struct plan *p, const struct manifest *m, struct errors *err)
{
	int64_t prev_end = 0, image_end = 0;

	if (make_uuids(p, m) < 0) {
		return error_nomem(err);
	}
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct fragment *f = &m->frag[i];
		struct placed *pf = &p->pf[i];
		int64_t start = prev_end;

		if (f->kind == FRAG_DATA || f->kind == FRAG_HEX)
			pf->bytes = f->bytes;
		pf->len = fragment_length(pf, f);
		if (f->at_mode == AT_ABS)
			start = f->at;
		else if (f->at_mode == AT_REL && __builtin_add_overflow(prev_end, f->at, &start))
			return plan_fail(err, m, f, "at=+%lld puts the fragment past the largest "
					 "file offset", (long long)f->at);
		if (start > INT64_MAX - pf->len)
			return plan_fail(err, m, f, "fragment at %lld of %lld bytes ends past the "
					 "largest file offset", (long long)start, (long long)pf->len);
		pf->at = start;
		prev_end = start + pf->len;
		if (m->size >= 0 && prev_end > m->size)
			return plan_fail(err, m, f, "fragment ends at %lld, past 'size %lld' "
					 "(line %u)", (long long)prev_end, (long long)m->size,
					 m->size_at.line);
		if (prev_end > image_end)
			image_end = prev_end;
	}
	p->image_len = m->size >= 0 ? m->size : image_end;
	return 0;
}

/* sums.c -- the checksums fields ask for, each once (sums.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan/sums.h"

static int same(const struct sweep_req *a, const struct sweep_req *b)
{
	return a->lo == b->lo && a->hi == b->hi && a->self == b->self &&
	       a->self_byte == b->self_byte && a->kind == b->kind &&
	       a->model.width == b->model.width && a->model.poly == b->model.poly &&
	       a->model.init == b->model.init && a->model.refin == b->model.refin &&
	       a->model.refout == b->model.refout && a->model.xorout == b->model.xorout;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
	return h;
}

static size_t hash(const struct sweep_req *q)
{
	uint64_t h = mix((uint64_t)q->lo, (uint64_t)q->hi);

	h = mix(h, (uint64_t)q->self << 8 | q->self_byte);
	h = mix(h, (uint64_t)q->kind << 8 | q->model.width);
	h = mix(h, q->model.poly ^ q->model.init ^ q->model.xorout);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	return (size_t)(h ^ (h >> 32));
}

long sums_find(const struct sums *s, const struct sweep_req *key)
{
	if (!s->mask)
		return -1;
	for (size_t i = hash(key) & s->mask; s->slot[i]; i = (i + 1) & s->mask)
		if (same(&s->v[s->slot[i] - 1], key))
			return (long)(s->slot[i] - 1);
	return -1;
}

/* Twice the slots, every entry placed again.  0 or -1. */
static int grow_slots(struct sums *s)
{
	size_t mask = s->mask ? 2 * s->mask + 1 : 63;
	uint32_t *slot = calloc(mask + 1, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t k = 0; k < s->n; k++) {
		size_t i = hash(&s->v[k]) & mask;

		while (slot[i])
			i = (i + 1) & mask;
		slot[i] = (uint32_t)(k + 1);
	}
	free(s->slot);
	s->slot = slot;
	s->mask = mask;
	return 0;
}

long sums_add(struct sums *s, const struct sweep_req *key)
{
	size_t i;

	if (s->n >= UINT32_MAX - 1)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct sweep_req *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	if (2 * (s->n + 1) > s->mask && grow_slots(s) < 0)	/* at most half full */
		return -1;
	s->v[s->n] = *key;
	s->v[s->n].ck = NULL;
	for (i = hash(key) & s->mask; s->slot[i]; i = (i + 1) & s->mask)
		;
	s->slot[i] = (uint32_t)(s->n + 1);
	return (long)s->n++;
}

int sums_run(struct resolver *r, struct sums *s)
{
	size_t n = s->n - s->ran;
	struct sweep_req **q;
	int err;

	if (n == 0)
		return 0;
	if (!(q = malloc(n * sizeof(*q))))
		return ENOMEM;
	for (size_t i = 0; i < n; i++)
		q[i] = &s->v[s->ran + i];
	err = sweep_image(r, q, n);
	free(q);
	if (!err)
		s->ran = s->n;
	return err;
}

void sums_release(struct sums *s)
{
	free(s->v);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

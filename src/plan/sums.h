/*
 * sums.h -- private to src/plan: the checksums and digests that fields ask
 * for, each kept once (the same range, algorithm and self asked twice is
 * one entry), gathered while the fields are evaluated and then computed
 * together in one sweep of the image (sweep.h), so that bytes covered by
 * several of them are read once.
 */
#ifndef PLAN_SUMS_H
#define PLAN_SUMS_H

#include "plan/sweep.h"

struct sums {
	struct sweep_req *v;	/* the entries, in the order asked */
	size_t n, cap;
	size_t ran;		/* v[0..ran) have their results (or err) */
	uint32_t *slot;		/* open addressing: entry index + 1 */
	size_t mask;		/* slots - 1, a power of two less one; 0: none yet */
};

/* The entry equal to key (lo, hi, self, self_byte, kind, model), or -1. */
long sums_find(const struct sums *s, const struct sweep_req *key);
/* key added as an entry waiting for the next sums_run: its index, or -1
 * (out of memory). */
long sums_add(struct sums *s, const struct sweep_req *key);
/* Every waiting entry computed, in one sweep.  0, or ENOMEM. */
int sums_run(struct resolver *r, struct sums *s);
void sums_release(struct sums *s);

#endif

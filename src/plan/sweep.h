/*
 * sweep.h -- private to src/plan: the checksums and digests of ranges of
 * the final image (SPEC §8.4), any number of them in one pass over the
 * image that reads each byte once, however many ranges cover it.
 *
 * A range's bytes are those of the final image: fragment bytes in target
 * order, between them the pad byte (or zero; under --patch without pad, the
 * target's bytes).  A request's own field counts as its self byte.
 */
#ifndef PLAN_SWEEP_H
#define PLAN_SWEEP_H

#include "plan/eval.h"
#include "util/checksum.h"

#define SWEEP_NONE UINT32_MAX	/* a request with no self fragment */

struct sweep_req {
	int64_t lo, hi;		/* the image's bytes [lo, hi) */
	uint32_t self;		/* the field whose own bytes count as self_byte
				 * (zero, or its self=), or SWEEP_NONE */
	uint8_t self_byte;
	enum cksum_kind kind;	/* what to make when ck is NULL */
	struct crc_model model;	/* CKSUM_CRC: the model; else all zero */
	struct cksum *ck;	/* the caller's, fed and left to it; or NULL: the
				 * sweep makes one at lo and ends it at hi, into: */
	unsigned __int128 value;	/* the CRC, Adler-32 or sum */
	unsigned char md[CKSUM_DIGEST_MAX];	/* the digest, mdlen bytes */
	size_t mdlen;
	int err;		/* 0, or the errno that stopped this request */
	/* the sweep's own */
	uint8_t made, lane;
	unsigned weight;
};

/* The first piece of the plan that ends after off (pieces are sorted). */
size_t sweep_first_piece(const struct plan *p, int64_t off);

/* Feed every request the image's bytes in its range; q is reordered (by
 * lo).  A source that fails stops only the requests that cover it (their
 * err).  With two or more CPUs the requests may be shared between this
 * thread and one helper, each request fed by one of them.  0, or ENOMEM
 * when the pass itself could not start (no request was fed). */
int sweep_image(struct resolver *r, struct sweep_req **q, size_t n);

#endif

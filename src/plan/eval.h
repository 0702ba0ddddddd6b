/*
 * eval.h -- private to src/plan: the numbers of the v2 grammar evaluated
 * (SPEC §8.2), with the references they make resolved against the plan.
 *
 * Layout keys (at=, skip=, len=, align=, to=, a fill's byte) are evaluated
 * while the fragments are placed in manifest order, so they may refer only
 * to earlier lines and never to image.size; size, field values and
 * checksum ranges are evaluated once the layout is whole.
 */
#ifndef PLAN_EVAL_H
#define PLAN_EVAL_H

#include "manifest/expr.h"
#include "plan/plan_internal.h"

/* Evaluation has reached this far. */
enum eval_stage {
	EVAL_LAYOUT,		/* placing fragment `cur`: only earlier lines exist */
	EVAL_SIZE,		/* every fragment placed; image.size not yet known */
	EVAL_FIELDS,		/* everything known: fields and digests */
	EVAL_ALONE,		/* the plan stopped at an error: a field's value is
				 * checked only if it needs no name and no checksum */
};

struct resolver {
	struct plan *p;
	const struct manifest *m;
	struct errors *err;
	enum eval_stage stage;
	size_t cur;		/* the fragment whose number is evaluated */
	struct expr_pool pool;	/* reused for every expression */
	const struct plan_opts *o;
	struct field_state *fields; /* fields.c: per fragment, while resolving */
	int target_fd;		/* --patch: the target, read where no fragment writes */
	struct sums *sums;	/* fields.c: checksums are gathered here and
				 * computed together, or NULL: each on its own */
	unsigned char *slab;	/* fields.c: room for fields' values, */
	size_t slab_left;	/* this many bytes of it */
	int deferred;		/* a checksum asked for is not computed yet: the
				 * value evaluated is not the field's (fields.c) */
};

/* v's value into *out, as evaluated for fragment f (its place names the
 * errors); a value used as an offset or length must be 0..INT64_MAX, what
 * says which ("at=", "len=", ...) for the messages.  0, or -1 reported. */
int eval_offset(struct resolver *r, const struct fragment *f, const struct mnum *v,
		const char *what, int64_t *out);
/* A byte value 0..255 (fill, pad=). */
int eval_byte(struct resolver *r, const struct fragment *f, const struct mnum *v,
	      const char *what, uint8_t *out);
/* Any 128-bit value (a field's). */
int eval_value(struct resolver *r, const struct fragment *f, const struct mnum *v,
	       __int128 *out);
/* A RANGE (a digest's) into [*lo, *hi). */
int eval_range(struct resolver *r, const struct fragment *f, const struct mnum *v, int64_t *lo,
	       int64_t *hi);
/* An error at column col of fragment f's line (col 0: the fragment's). */
int eval_fail(struct resolver *r, const struct fragment *f, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* fields.c: the checksum callback of expressions, and the fields and
 * digests, computed in dependency order once the layout is whole. */
int fields_checksum(void *ctx, const struct expr_checksum *c, __int128 *v,
		    struct expr_error *e);
struct cksum;
int plan_fields(struct resolver *r);
/* After an error that stops the plan before its fields: the fields whose
 * values need no name and no checksum are computed all the same, so that
 * their errors (a value too wide, a division by zero) come with it (SPEC
 * §11: all errors at once).  Reported; nothing returned. */
void plan_lone_fields(struct resolver *r);
/* The final image's length: under --patch the target may be longer than
 * the manifest's image (SPEC §3 invariant 3). */
int64_t fields_final_length(struct resolver *r);

#endif

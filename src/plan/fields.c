/*
 * fields.c -- the values of fields (u8 .. u64be) and digests (sha256 ..
 * md5), and the checksums their expressions ask for (SPEC §8.3, §8.4).
 *
 * Once the layout is whole, the fields and digests are computed in rounds.
 * Each round tries every field still to be computed: one whose checksums
 * are all known gets its value; one whose checksum's range covers another
 * field still to be computed waits for a later round, so the bytes each
 * range reads are final; one whose checksum could be computed now asks
 * for it (sums.h) and waits too.  A round ends when trying again would
 * change nothing; then every checksum asked for is computed in one sweep
 * of the image (sweep.h), which reads each byte once however many ranges
 * cover it: `u32le crc32(payload)` and `sha256 payload` read the payload
 * once.  When a round asks for nothing and fields are left, they wait on
 * each other: they are computed once more depth first, one checksum at a
 * time, which names each cycle (two fields whose ranges cover each other)
 * with both its lines.  A field's or digest's own bytes count as zero
 * inside its own ranges, or as its self= byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/decode.h"
#include "plan/eval.h"
#include "plan/sums.h"
#include "util/checksum.h"
#include "util/hex.h"
#include "util/units.h"
#include "util/io.h"

enum { PENDING, BUSY, DONE, FAILED };

#define FIELD_SLAB ((size_t)64 * 1024)	/* the values of 8,192 u64 fields */

struct field_state {
	uint8_t state;
};

int plan_fragment_bytes(const struct plan *p, size_t i, int64_t off, size_t n,
			unsigned char *buf)
{
	const struct placed *pf = &p->pf[i];

	switch (pf->kind) {
	case FRAG_FILL:
	case FRAG_ZERO:
		memset(buf, pf->kind == FRAG_FILL ? pf->byte : 0, n);
		return 0;
	case FRAG_FILE:
		if (pf->decoded)
			return decode_fragment_bytes(p, i, off, n, buf);
		if (pf->src >= 0)
			return pread_full(p->src[pf->src].fd, buf, n, pf->src_off + off);
		break;		/* spooled in memory */
	default:
		break;
	}
	memcpy(buf, plan_memory_bytes(p, pf) + off, n);
	return 0;
}

static int compute(struct resolver *r, size_t i);

/* Every other field or digest in [lo, hi) computed first; -1 reported (a
 * cycle, or its own error).  While checksums are gathered (r->sums) none is
 * computed here: 1 while one inside is still to be computed. */
static int compute_inside(struct resolver *r, int64_t lo, int64_t hi, struct expr_error *e)
{
	const struct plan *p = r->p;

	for (size_t k = sweep_first_piece(p, lo); k < p->npieces; k++) {
		struct extent x = plan_piece(p, k);
		uint8_t kind = p->pf[x.frag].kind;

		if (x.at >= hi)
			break;
		if ((kind != FRAG_FIELD && kind != FRAG_DIGEST) || x.frag == r->cur)
			continue;
		if (r->fields[x.frag].state == BUSY) {
			snprintf(e->msg, sizeof(e->msg), "this range covers line %u, whose value "
				 "depends on this line's (a cycle)", p->pf[x.frag].line);
			return -1;
		}
		if (r->fields[x.frag].state == PENDING && r->sums)
			return 1;
		if (r->fields[x.frag].state == FAILED ||
		    (r->fields[x.frag].state == PENDING && compute(r, x.frag) < 0)) {
			snprintf(e->msg, sizeof(e->msg), "line %u, inside this range, has an error",
				 p->pf[x.frag].line);
			return -1;
		}
	}
	return 0;
}

int64_t fields_final_length(struct resolver *r)
{
	struct stat st;

	if (!r->o->patch || r->m->size_at.set)	/* `size` sets the length outright */
		return r->p->image_len;
	if (r->target_fd < 0)
		r->target_fd = open(r->o->target_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (r->target_fd >= 0 && fstat(r->target_fd, &st) == 0 && st.st_size > r->p->image_len)
		return st.st_size;
	return r->p->image_len;
}

static uint8_t self_byte(const struct resolver *r, size_t i)
{
	const struct frag_ext *e = frag_ext(r->m, &r->m->frag[i]);

	return e && e->has_self ? e->self : 0;
}

/* What field r->cur asks for: kind (m, for a CRC) of the image's [lo, hi).
 * Its own bytes are part of the question only when they are inside. */
static struct sweep_req sum_key(const struct resolver *r, enum cksum_kind kind,
				const struct crc_model *m, int64_t lo, int64_t hi)
{
	struct sweep_req q = { .lo = lo, .hi = hi, .self = SWEEP_NONE, .kind = kind };
	const struct placed *self = &r->p->pf[r->cur];

	if (m)
		q.model = *m;
	if (self->at < hi && self->at + self->len > lo) {
		q.self = (uint32_t)r->cur;
		q.self_byte = self_byte(r, r->cur);
	}
	return q;
}

static int sum_error(struct expr_error *e, const struct sweep_req *q, int err)
{
	if (err == ENOMEM)
		snprintf(e->msg, sizeof(e->msg), "%s", strerror(err));
	else
		snprintf(e->msg, sizeof(e->msg), "cannot read the range %lld..%lld: %s",
			 (long long)q->lo, (long long)q->hi,
			 err == EIO ? "a source ended early" : strerror(err));
	return -1;
}

/* The checksum key asks for: 0 with *out its entry (valid until the next
 * is asked for), 1 when it is not computed yet (r->deferred set), or -1
 * with e.  Gathering (r->sums), it is added to the sums to compute; else
 * computed now, into key itself. */
static int sum_of(struct resolver *r, struct sweep_req *key, const struct sweep_req **out,
		  struct expr_error *e)
{
	int64_t end = fields_final_length(r);
	struct sweep_req *qp = key;
	long i;
	int rc;

	if (key->lo > key->hi || key->hi > end) {
		if (r->deferred)	/* the range may rest on a stand-in value */
			return 1;
		snprintf(e->msg, sizeof(e->msg), "the range %lld..%lld is not inside the image "
			 "(0..%lld)", (long long)key->lo, (long long)key->hi, (long long)end);
		return -1;
	}
	if ((rc = compute_inside(r, key->lo, key->hi, e)) != 0) {
		if (rc < 0 && !r->deferred)
			return -1;
		r->deferred = 1;
		return 1;
	}
	if (!r->sums) {
		if ((rc = sweep_image(r, &qp, 1)) != 0 || key->err)
			return sum_error(e, key, rc ? rc : key->err);
		*out = key;
		return 0;
	}
	if ((i = sums_find(r->sums, key)) < 0 && (i = sums_add(r->sums, key)) < 0)
		return sum_error(e, key, ENOMEM);
	if ((size_t)i >= r->sums->ran) {
		r->deferred = 1;
		return 1;
	}
	*out = &r->sums->v[i];
	return (*out)->err ? sum_error(e, *out, (*out)->err) : 0;
}

int fields_checksum(void *ctx, const struct expr_checksum *c, __int128 *v,
		    struct expr_error *e)
{
	struct resolver *r = ctx;
	const struct expr_crc_model *m = &c->crc;
	struct crc_model model = { m->width, m->poly, m->init, m->refin, m->refout, m->xorout };
	enum cksum_kind kind = c->kind == EXPR_ADLER32 ? CKSUM_ADLER32
			       : c->kind == EXPR_SUM ? CKSUM_SUM : CKSUM_CRC;
	const struct sweep_req *q = NULL;
	struct sweep_req key;
	int rc;

	if (r->stage == EVAL_ALONE) {	/* no image to read: not checked */
		r->deferred = 1;
		*v = 0;
		return 0;
	}
	if (r->stage != EVAL_FIELDS) {
		snprintf(e->msg, sizeof(e->msg), "'%s' reads the image: only field values may "
			 "use it, not layout keys or size", c->fn);
		return -1;
	}
	key = sum_key(r, kind, kind == CKSUM_CRC ? &model : NULL, c->range.start, c->range.end);
	if ((rc = sum_of(r, &key, &q, e)) < 0)
		return -1;
	/* Not computed yet: 0 stands in, and the field waits (r->deferred). */
	*v = rc == 0 ? (__int128)q->value : 0;
	return 0;
}

/* n <= 8 bytes for a field's value, carved from blocks the plan keeps: a
 * malloc per field cost more than the field (100,000 fields, 100,000
 * allocations).  NULL when out of memory. */
static unsigned char *field_space(struct resolver *r, size_t n)
{
	unsigned char *b;

	if (r->slab_left < n) {
		if (!(b = malloc(FIELD_SLAB)) || plan_keep(r->p, b) < 0) {
			free(b);
			return NULL;
		}
		r->slab = b;
		r->slab_left = FIELD_SLAB;
	}
	b = r->slab;
	r->slab += n;
	r->slab_left -= n;
	return b;
}

/* A field's value in its width and byte order. */
static int field_bytes(struct resolver *r, size_t i, __int128 v)
{
	const struct fragment *f = &r->m->frag[i];
	struct field_shape x = frag_field(r->m, f);
	unsigned w = x.width;
	__int128 lo = -((__int128)1 << (8 * w - 1)), hi = ((__int128)1 << (8 * w)) - 1;
	unsigned char *b;
	char d[DEC128_BUF];

	if (v < lo || v > hi)
		return eval_fail(r, f, x.value.col, "the value %s does not fit in %u bits "
				 "(-2^%u .. 2^%u-1); mask it with & to cut it on purpose",
				 dec128(d, v), 8 * w, 8 * w - 1, 8 * w);
	if (!(b = field_space(r, w)))
		return error_nomem(r->err);
	for (unsigned k = 0; k < w; k++)
		b[x.big_endian ? w - 1 - k : k] = (unsigned char)((unsigned __int128)v >> (8 * k));
	r->p->pf[i].bytes = b;
	return 0;
}

static int digest_bytes(struct resolver *r, size_t i)
{
	static const enum cksum_kind kinds[] = {
		[DIGEST_SHA256] = CKSUM_SHA256, [DIGEST_SHA512] = CKSUM_SHA512,
		[DIGEST_SHA1] = CKSUM_SHA1, [DIGEST_MD5] = CKSUM_MD5,
	};
	const struct fragment *f = &r->m->frag[i];
	const struct frag_ext *x = frag_ext(r->m, f);
	const struct sweep_req *q = NULL;
	struct expr_error e = { 0 };
	struct sweep_req key;
	unsigned char *b;
	int64_t lo, hi;
	size_t n;
	int rc;

	if (eval_range(r, f, &x->value, &lo, &hi) < 0)
		return -1;
	key = sum_key(r, kinds[x->algo], NULL, lo, hi);
	if ((rc = sum_of(r, &key, &q, &e)) < 0)
		return eval_fail(r, f, x->value.col, "%s", e.msg);
	if (rc > 0)		/* not computed yet (r->deferred) */
		return 0;
	n = q->mdlen;
	if (!(b = malloc(x->text ? 2 * n : n)) || plan_keep(r->p, b) < 0) {
		free(b);
		return error_nomem(r->err);
	}
	for (size_t k = 0; k < n; k++)
		if (x->text) {
			b[2 * k] = (unsigned char)hex_digits_lower[q->md[k] >> 4];
			b[2 * k + 1] = (unsigned char)hex_digits_lower[q->md[k] & 15];
		} else {
			b[k] = q->md[k];
		}
	r->p->pf[i].bytes = b;
	return 0;
}

/* Field or digest i computed: 0, -1 reported, or 1 when it waits for a
 * checksum (r->sums), still PENDING. */
static int compute(struct resolver *r, size_t i)
{
	const struct fragment *f = &r->m->frag[i];
	size_t outer = r->cur;
	__int128 v;
	int rc;

	r->fields[i].state = BUSY;
	r->cur = i;
	r->deferred = 0;
	if (f->kind == FRAG_FIELD) {
		struct field_shape x = frag_field(r->m, f);

		rc = eval_value(r, f, &x.value, &v) < 0 ? -1 : r->deferred ? 0 : field_bytes(r, i, v);
	} else {
		rc = digest_bytes(r, i);
	}
	r->cur = outer;
	if (r->deferred) {
		r->deferred = 0;
		r->fields[i].state = PENDING;
		return 1;
	}
	r->fields[i].state = rc < 0 ? FAILED : DONE;
	return rc;
}

/* Rounds over the fields in pend[0..*n) until one changes nothing; those
 * still waiting are left in pend.  -1 when any failed (reported). */
static int rounds(struct resolver *r, size_t *pend, size_t *n)
{
	size_t before;
	int rc = 0;

	do {
		size_t k = 0;

		before = *n;
		for (size_t j = 0; j < before; j++) {
			int c = compute(r, pend[j]);

			if (c < 0)
				rc = -1;
			else if (c > 0)
				pend[k++] = pend[j];
		}
		*n = k;
	} while (*n && *n < before);
	return rc;
}

void plan_lone_fields(struct resolver *r)
{
	r->stage = EVAL_ALONE;
	for (size_t i = 0; i < r->m->nfrag; i++) {
		const struct fragment *f = &r->m->frag[i];
		struct field_shape x;
		__int128 v;

		if (f->kind != FRAG_FIELD)
			continue;
		x = frag_field(r->m, f);
		r->deferred = 0;
		if (eval_value(r, f, &x.value, &v) == 0 && !r->deferred)
			(void)field_bytes(r, i, v);	/* reports a value too wide */
	}
	r->deferred = 0;
}

int plan_fields(struct resolver *r)
{
	struct sums sums = { 0 };
	size_t *pend, n = 0;
	int rc = 0, err = 0;

	r->stage = EVAL_FIELDS;
	r->fields = calloc(r->m->nfrag ? r->m->nfrag : 1, sizeof(*r->fields));
	pend = malloc((r->m->nfrag ? r->m->nfrag : 1) * sizeof(*pend));
	if (!r->fields || !pend) {
		free(pend);
		free(r->fields);
		r->fields = NULL;
		return error_nomem(r->err);
	}
	for (size_t i = 0; i < r->m->nfrag; i++)
		if (r->m->frag[i].kind == FRAG_FIELD || r->m->frag[i].kind == FRAG_DIGEST)
			pend[n++] = i;
	r->sums = &sums;
	for (;;) {
		if (rounds(r, pend, &n) < 0)
			rc = -1;
		if (!n || sums.ran == sums.n || (err = sums_run(r, &sums)) != 0)
			break;
	}
	r->sums = NULL;
	if (err)
		rc = error_nomem(r->err);
	else			/* what is left waits on itself: name each cycle */
		for (size_t j = 0; j < n; j++)
			if (r->fields[pend[j]].state == PENDING && compute(r, pend[j]) < 0)
				rc = -1;
	sums_release(&sums);
	free(pend);
	free(r->fields);
	r->fields = NULL;
	return rc;
}

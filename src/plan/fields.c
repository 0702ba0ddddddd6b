/*
 * fields.c -- the values of fields (u8 .. u64be) and digests (sha256 ..
 * md5), and the checksums their expressions ask for (SPEC §8.3, §8.4).
 *
 * Once the layout is whole, each field or digest is computed on demand,
 * depth first: a checksum over a range first computes every other field or
 * digest inside that range, so the bytes it reads are final.  A field met
 * again while it is being computed is a cycle: two fields whose ranges
 * cover each other, named with both lines.  A field's or digest's own
 * bytes count as zero inside its own ranges, or as its self= byte.
 *
 * A range's bytes are those of the final image: fragment bytes in target
 * order, and between them the pad byte (or zero).
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
#include "util/checksum.h"
#include "util/hex.h"
#include "util/io.h"

enum { PENDING, BUSY, DONE, FAILED };

struct field_state {
	uint8_t state;
};

#define PIECE ((size_t)256 * 1024)

/* The first piece that ends after off (the pieces are sorted, disjoint). */
static size_t first_piece(const struct plan *p, int64_t off)
{
	size_t lo = 0, hi = p->npieces;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct extent x = plan_piece(p, mid);

		if (x.at + x.len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* n bytes of piece x (fragment pf) from offset `from` within the piece. */
static int feed_piece(struct resolver *r, struct cksum *ck, const struct extent *x, int64_t from,
		      int64_t n, unsigned char *buf)
{
	const struct placed *pf = &r->p->pf[x->frag];
	int64_t delta = x->delta + from;

	if (x->frag == r->cur) {	/* the field itself: zero, or self= */
		const struct frag_ext *e = frag_ext(r->m, &r->m->frag[x->frag]);

		cksum_update_fill(ck, e && e->has_self ? e->self : 0, (uint64_t)n);
		return 0;
	}
	if (pf->kind == FRAG_FILL || pf->kind == FRAG_ZERO) {
		cksum_update_fill(ck, pf->kind == FRAG_FILL ? pf->byte : 0, (uint64_t)n);
		return 0;
	}
	if (pf->kind != FRAG_FILE || pf->src < 0) {	/* in memory */
		cksum_update(ck, pf->bytes + delta, (size_t)n);
		return 0;
	}
	while (n > 0) {
		size_t k = n < (int64_t)PIECE ? (size_t)n : PIECE;
		int err = plan_fragment_bytes(r->p, x->frag, delta, k, buf);

		if (err)
			return err;
		cksum_update(ck, buf, k);
		delta += (int64_t)k;
		n -= (int64_t)k;
	}
	return 0;
}

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
	memcpy(buf, pf->bytes + off, n);
	return 0;
}

static int compute(struct resolver *r, size_t i);

/* Every other field or digest in [lo, hi) computed first; -1 reported (a
 * cycle, or its own error). */
static int compute_inside(struct resolver *r, int64_t lo, int64_t hi, struct expr_error *e)
{
	const struct plan *p = r->p;

	for (size_t k = first_piece(p, lo); k < p->npieces; k++) {
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
		if (r->fields[x.frag].state == FAILED ||
		    (r->fields[x.frag].state == PENDING && compute(r, x.frag) < 0)) {
			snprintf(e->msg, sizeof(e->msg), "line %u, inside this range, has an error",
				 p->pf[x.frag].line);
			return -1;
		}
	}
	return 0;
}

/* A gap's bytes [lo, hi): the pad byte; under --patch without pad, what
 * the target holds there (zeros past its end).  0 or an errno. */
static int feed_gap(struct resolver *r, struct cksum *ck, int64_t lo, int64_t hi,
		    unsigned char *buf)
{
	const struct plan *p = r->p;

	if (p->pad_set || !r->o->patch) {
		cksum_update_fill(ck, p->pad_set ? p->pad : 0, (uint64_t)(hi - lo));
		return 0;
	}
	if (r->target_fd < 0 &&
	    (r->target_fd = open(r->o->target_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return errno;
	while (lo < hi) {
		size_t k = hi - lo < (int64_t)PIECE ? (size_t)(hi - lo) : PIECE;
		ssize_t got = pread(r->target_fd, buf, k, lo);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno;
		if (got == 0) {		/* past the target's end: it grows with zeros */
			cksum_update_fill(ck, 0, (uint64_t)(hi - lo));
			return 0;
		}
		cksum_update(ck, buf, (size_t)got);
		lo += got;
	}
	return 0;
}

/* Feed the image's bytes in [lo, hi) to ck. 0 or an errno. */
static int feed_range(struct resolver *r, struct cksum *ck, int64_t lo, int64_t hi)
{
	const struct plan *p = r->p;
	unsigned char *buf = malloc(PIECE);
	int64_t pos = lo;
	int err = 0;

	if (!buf)
		return ENOMEM;
	for (size_t k = first_piece(p, lo); k < p->npieces && pos < hi && !err; k++) {
		struct extent x = plan_piece(p, k);
		int64_t end = x.at + x.len < hi ? x.at + x.len : hi;

		if (x.at >= hi)
			break;
		if (x.at > pos && (err = feed_gap(r, ck, pos, x.at, buf)) != 0)
			break;
		pos = x.at > pos ? x.at : pos;
		err = feed_piece(r, ck, &x, pos - x.at, end - pos, buf);
		pos = end;
	}
	if (!err && pos < hi)
		err = feed_gap(r, ck, pos, hi, buf);
	free(buf);
	return err;
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

/* A checksum (or digest) of the image's bytes [lo, hi): *ck made and fed. */
int fields_range(struct resolver *r, struct cksum *ck, int64_t lo, int64_t hi,
		 struct expr_error *e)
{
	int64_t end = fields_final_length(r);
	int err;

	if (lo > hi || hi > end) {
		snprintf(e->msg, sizeof(e->msg), "the range %lld..%lld is not inside the image "
			 "(0..%lld)", (long long)lo, (long long)hi, (long long)end);
		return -1;
	}
	if (compute_inside(r, lo, hi, e) < 0)
		return -1;
	if ((err = feed_range(r, ck, lo, hi)) != 0) {
		snprintf(e->msg, sizeof(e->msg), "cannot read the range %lld..%lld: %s",
			 (long long)lo, (long long)hi, err == EIO ? "a source ended early"
								  : strerror(err));
		return -1;
	}
	return 0;
}

int fields_checksum(void *ctx, const struct expr_checksum *c, __int128 *v,
		    struct expr_error *e)
{
	struct resolver *r = ctx;
	const struct expr_crc_model *m = &c->crc;
	struct crc_model model = { m->width, m->poly, m->init, m->refin, m->refout, m->xorout };
	struct cksum *ck;
	int rc;

	if (r->stage != EVAL_FIELDS) {
		snprintf(e->msg, sizeof(e->msg), "'%s' reads the image: only field values may "
			 "use it, not layout keys or size", c->fn);
		return -1;
	}
	ck = c->kind == EXPR_ADLER32 ? cksum_new(CKSUM_ADLER32, NULL)
	     : c->kind == EXPR_SUM ? cksum_new(CKSUM_SUM, NULL) : cksum_new(CKSUM_CRC, &model);
	if (!ck) {
		snprintf(e->msg, sizeof(e->msg), "%s", strerror(ENOMEM));
		return -1;
	}
	rc = fields_range(r, ck, c->range.start, c->range.end, e);
	if (rc == 0)
		*v = (__int128)cksum_value(ck);
	cksum_free(ck);
	return rc;
}

/* A field's value in its width and byte order. */
static int field_bytes(struct resolver *r, size_t i, __int128 v)
{
	const struct fragment *f = &r->m->frag[i];
	const struct frag_ext *x = frag_ext(r->m, f);
	unsigned w = x->width;
	__int128 lo = -((__int128)1 << (8 * w - 1)), hi = ((__int128)1 << (8 * w)) - 1;
	unsigned char *b;

	if (v < lo || v > hi)
		return eval_fail(r, f, x->value.col, "the value does not fit in %u bits "
				 "(-2^%u .. 2^%u-1); mask it with & to cut it on purpose", 8 * w,
				 8 * w - 1, 8 * w);
	if (!(b = malloc(w)) || plan_keep(r->p, b) < 0) {
		free(b);
		return error_nomem(r->err);
	}
	for (unsigned k = 0; k < w; k++)
		b[x->big_endian ? w - 1 - k : k] = (unsigned char)((unsigned __int128)v >> (8 * k));
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
	unsigned char md[64], *b;
	int64_t lo, hi;
	size_t n;
	struct cksum *ck;

	if (eval_range(r, f, &x->value, &lo, &hi) < 0)
		return -1;
	if (!(ck = cksum_new(kinds[x->algo], NULL)))
		return error_nomem(r->err);
	{
		struct expr_error e = { 0 };

		if (fields_range(r, ck, lo, hi, &e) < 0) {
			cksum_free(ck);
			return eval_fail(r, f, x->value.col, "%s", e.msg);
		}
	}
	n = cksum_digest(ck, md);
	cksum_free(ck);
	if (!(b = malloc(x->text ? 2 * n : n)) || plan_keep(r->p, b) < 0) {
		free(b);
		return error_nomem(r->err);
	}
	for (size_t k = 0; k < n; k++)
		if (x->text) {
			b[2 * k] = (unsigned char)hex_digits_lower[md[k] >> 4];
			b[2 * k + 1] = (unsigned char)hex_digits_lower[md[k] & 15];
		} else {
			b[k] = md[k];
		}
	r->p->pf[i].bytes = b;
	return 0;
}

static int compute(struct resolver *r, size_t i)
{
	const struct fragment *f = &r->m->frag[i];
	size_t outer = r->cur;
	__int128 v;
	int rc;

	r->fields[i].state = BUSY;
	r->cur = i;
	if (f->kind == FRAG_FIELD)
		rc = eval_value(r, f, &frag_ext(r->m, f)->value, &v) < 0 ? -1 : field_bytes(r, i, v);
	else
		rc = digest_bytes(r, i);
	r->cur = outer;
	r->fields[i].state = rc < 0 ? FAILED : DONE;
	return rc;
}

int plan_fields(struct resolver *r)
{
	int rc = 0;

	r->stage = EVAL_FIELDS;
	if (!(r->fields = calloc(r->m->nfrag ? r->m->nfrag : 1, sizeof(*r->fields))))
		return error_nomem(r->err);
	for (size_t i = 0; i < r->m->nfrag; i++) {
		uint8_t kind = r->m->frag[i].kind;

		if ((kind == FRAG_FIELD || kind == FRAG_DIGEST) && r->fields[i].state == PENDING &&
		    compute(r, i) < 0)
			rc = -1;
	}
	free(r->fields);
	r->fields = NULL;
	return rc;
}

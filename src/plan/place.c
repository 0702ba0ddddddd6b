/*
 * place.c -- every fragment's offset and length, and the image length.
 *
 * Offsets follow manifest order: a fragment without at= starts where the
 * previous one ended, at=+N leaves N bytes after it, align=N rounds the
 * start up.  The numbers of the v2 grammar are evaluated here, in that
 * order, so a layout key sees the lines before its own (eval.c).  Every
 * offset and offset+length must fit in a signed 64-bit file offset; `size`
 * bounds them, and is evaluated once every fragment is placed.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "plan/eval.h"

/* A fixed-width data or hex field is built in memory, so it is bounded. */
#define FIXED_WIDTH_MAX ((int64_t)16 << 20)

static const unsigned digest_size[] = {
	[DIGEST_SHA256] = 32, [DIGEST_SHA512] = 64, [DIGEST_SHA1] = 20, [DIGEST_MD5] = 16,
};

/* The RFC 4122 version 5 UUID of name in namespace ns. */
static void uuid_v5(unsigned char out[16], const unsigned char ns[16], const unsigned char *name,
		    size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(md, 0, sizeof(md));
	if (c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) && EVP_DigestUpdate(c, ns, 16) &&
	    EVP_DigestUpdate(c, name, n))
		EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	memcpy(out, md, 16);
	out[6] = (unsigned char)((out[6] & 0x0f) | 0x50);
	out[8] = (unsigned char)((out[8] & 0x3f) | 0x80);
}

/* GPT's and Microsoft's order: the first three fields little-endian. */
static void to_guid(unsigned char u[16])
{
	unsigned char t;

	t = u[0], u[0] = u[3], u[3] = t;
	t = u[1], u[1] = u[2], u[2] = t;
	t = u[4], u[4] = u[5], u[5] = t;
	t = u[6], u[6] = u[7], u[7] = t;
}

/* A UUID for each uuid fragment: random, or v5; text or binary, GUID order. */
static int make_uuids(struct plan *p, const struct manifest *m)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < m->nfrag; i++)
		n += m->frag[i].kind == FRAG_UUID;
	if (!n)
		return 0;
	if (!(p->uuids = malloc(n * 37)))
		return -1;
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct frag_ext *x = frag_ext(m, &m->frag[i]);
		unsigned char *u, id[16];

		if (m->frag[i].kind != FRAG_UUID)
			continue;
		u = p->uuids + 37 * k++;
		if (x && x->v5)
			uuid_v5(id, x->ns, x->v5, x->v5_len);
		else
			uuid_generate_random(id);
		if (x && x->guid && !m->frag[i].byte)
			to_guid(id);
		if (m->frag[i].byte)
			uuid_unparse_lower(id, (char *)u);
		else
			memcpy(u, id, 16);
		p->pf[i].bytes = u;
	}
	return 0;
}

/* data/hex with len=: the bytes, then the pad byte up to the width. */
static int fixed_width(struct resolver *r, size_t i, const struct frag_ext *x, int64_t *len)
{
	const struct fragment *f = &r->m->frag[i];
	struct placed *pf = &r->p->pf[i];
	uint8_t pad = f->byte;
	unsigned char *buf;

	if (x && x->len.expr && eval_offset(r, f, &x->len, "len=", len) < 0)
		return -1;
	if ((uint64_t)*len < f->nbytes)
		return eval_fail(r, f, 0, "'%s' has %llu bytes, more than len=%lld",
				 frag_kind_name(f->kind), (unsigned long long)f->nbytes,
				 (long long)*len);
	if (*len > FIXED_WIDTH_MAX)
		return eval_fail(r, f, 0, "a fixed-width '%s' is at most 16 MiB, not len=%lld",
				 frag_kind_name(f->kind), (long long)*len);
	if (x && x->pad.expr && eval_byte(r, f, &x->pad, "pad=", &pad) < 0)
		return -1;
	if (!(buf = malloc(*len ? (size_t)*len : 1)) || plan_keep(r->p, buf) < 0) {
		free(buf);
		return error_nomem(r->err);
	}
	memcpy(buf, f->bytes, f->nbytes);
	memset(buf + f->nbytes, pad, (size_t)*len - f->nbytes);
	pf->bytes = buf;
	return 0;
}

/* fill and zero: len=, or to= counted from the start. */
static int run_length(struct resolver *r, size_t i, const struct frag_ext *x, int64_t start,
		      int64_t *len)
{
	const struct fragment *f = &r->m->frag[i];
	int64_t to;

	if (f->kind == FRAG_FILL && x && x->value.expr &&
	    eval_byte(r, f, &x->value, "fill byte", &r->p->pf[i].byte) < 0)
		return -1;
	if (!x || (!x->to.set && !x->len.expr))
		return 0;	/* *len is f->len */
	if (x->len.expr)
		return eval_offset(r, f, &x->len, "len=", len);
	if (eval_offset(r, f, &x->to, "to=", &to) < 0)
		return -1;
	if (to < start)
		return eval_fail(r, f, x->to.col, "to=%lld is before the fragment's start %lld",
				 (long long)to, (long long)start);
	*len = to - start;
	return 0;
}

/* The fragment's length, evaluating what it needs; -1 reported. */
static int fragment_length(struct resolver *r, size_t i, int64_t start, int64_t *len)
{
	const struct fragment *f = &r->m->frag[i];
	const struct frag_ext *x = frag_ext(r->m, f);
	struct placed *pf = &r->p->pf[i];

	switch (f->kind) {
	case FRAG_FILE:
		if (x && (x->skip.expr || x->len.expr))
			return plan_file_range(r, i, len);
		*len = pf->len;
		return 0;
	case FRAG_DATA:
	case FRAG_HEX:
		pf->bytes = f->bytes;
		*len = f->len >= 0 ? f->len : (int64_t)f->nbytes;
		return f->len >= 0 || (x && x->len.expr) ? fixed_width(r, i, x, len) : 0;
	case FRAG_FILL:
	case FRAG_ZERO:
		*len = f->len;
		return run_length(r, i, x, start, len);
	case FRAG_UUID:
		*len = f->byte ? 36 : 16;
		return 0;
	case FRAG_FIELD:
		*len = frag_field(r->m, f).width;
		return 0;
	case FRAG_DIGEST:
		*len = digest_size[x->algo] * (x->text ? 2 : 1);
		return 0;
	}
	return 0;
}

/* The start: at= (absolute, or after the previous end), then align=. */
static int fragment_start(struct resolver *r, size_t i, int64_t prev_end, int64_t *start)
{
	const struct fragment *f = &r->m->frag[i];
	const struct frag_ext *x = frag_ext(r->m, f);
	int64_t at = f->at, align;

	*start = prev_end;
	if (f->at_mode != AT_FOLLOW && x && x->at.expr &&
	    eval_offset(r, f, &x->at, f->at_mode == AT_REL ? "at=+" : "at=", &at) < 0)
		return -1;
	if (f->at_mode == AT_ABS)
		*start = at;
	else if (f->at_mode == AT_REL && __builtin_add_overflow(prev_end, at, start))
		return eval_fail(r, f, 0, "at=+%lld puts the fragment past the largest file offset",
				 (long long)at);
	if (!x || !x->align.set)
		return 0;
	if (eval_offset(r, f, &x->align, "align=", &align) < 0)
		return -1;
	if (align == 0)
		return eval_fail(r, f, x->align.col, "align=0: the alignment must be 1 or more");
	if (*start % align == 0)
		return 0;
	if (f->at_mode == AT_ABS)
		return eval_fail(r, f, x->align.col, "at=%lld is not a multiple of align=%lld",
				 (long long)*start, (long long)align);
	if (*start > INT64_MAX - (align - *start % align))
		return eval_fail(r, f, x->align.col, "align=%lld puts the fragment past the largest "
				 "file offset", (long long)align);
	*start += align - *start % align;
	return 0;
}

static int place_one(struct resolver *r, size_t i, int64_t *prev_end)
{
	const struct fragment *f = &r->m->frag[i];
	struct placed *pf = &r->p->pf[i];
	int64_t start, len;

	r->cur = i;
	if (fragment_start(r, i, *prev_end, &start) < 0 || fragment_length(r, i, start, &len) < 0)
		return -1;
	if (start > INT64_MAX - len)
		return eval_fail(r, f, 0, "fragment at %lld of %lld bytes ends past the largest "
				 "file offset", (long long)start, (long long)len);
	pf->at = start;
	pf->len = len;
	*prev_end = start + len;
	return 0;
}

/* `size`, evaluated once every fragment is placed; no fragment ends past it. */
static int image_size(struct resolver *r, int64_t image_end)
{
	const struct manifest *m = r->m;
	struct fragment at = { .line = m->size_at.line, .col = m->size_at.col,
			       .origin = m->size_at.origin };
	int64_t size = m->size;

	r->stage = EVAL_SIZE;
	if (m->size_expr.expr && eval_offset(r, &at, &m->size_expr, "size", &size) < 0)
		return -1;
	r->p->image_len = size >= 0 ? size : image_end;
	if (size < 0)
		return 0;
	for (size_t i = 0; i < m->nfrag; i++)
		if (r->p->pf[i].at + r->p->pf[i].len > size)
			return plan_fail(r->err, m, &m->frag[i], "fragment ends at %lld, past 'size "
					 "%lld' (line %u)", (long long)(r->p->pf[i].at +
					 r->p->pf[i].len), (long long)size, m->size_at.line);
	return 0;
}

/* `pad BYTE`: what gaps and size padding hold. */
static int pad_byte(struct resolver *r)
{
	const struct manifest *m = r->m;
	struct fragment at = { .line = m->pad_at.line, .col = m->pad_at.col,
			       .origin = m->pad_at.origin };

	if (!m->pad_at.set)
		return 0;
	r->p->pad_set = 1;
	return eval_byte(r, &at, &m->pad, "pad byte", &r->p->pad);
}

int plan_place(struct resolver *r)
{
	int64_t prev_end = 0, image_end = 0;
	int rc = 0;

	if (make_uuids(r->p, r->m) < 0)
		return error_nomem(r->err);
	r->stage = EVAL_LAYOUT;
	for (size_t i = 0; i < r->m->nfrag; i++) {
		/* A line that cannot be placed is reported; the next ones are
		 * placed after it as if it were empty. */
		if (place_one(r, i, &prev_end) < 0) {
			rc = -1;
			r->p->pf[i].len = 0;
			continue;
		}
		if (prev_end > image_end)
			image_end = prev_end;
	}
	if (rc < 0 || pad_byte(r) < 0)
		return -1;
	return image_size(r, image_end);
}

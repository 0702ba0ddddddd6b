/*
 * eval.c -- the numbers of the v2 grammar evaluated against the plan
 * (eval.h): the one place that calls the expression module, and that
 * answers its references (NAME.start, NAME.end, NAME.size, image.size).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plan/eval.h"
#include "util/escape.h"
#include "util/suggest.h"
#include "util/units.h"

int eval_fail(struct resolver *r, const struct fragment *f, uint32_t col, const char *fmt, ...)
{
	struct place at = frag_place(r->m, f);
	va_list ap;

	if (col)
		at.col = col;
	va_start(ap, fmt);
	verror(r->err, ERR_PLAIN, &at, fmt, ap);
	va_end(ap);
	return -1;
}

/* The nearest name of the manifest to name[0..n), for a suggestion. */
static const char *nearest_name(const struct resolver *r, const unsigned char *name, size_t n,
				char *buf, size_t size)
{
	const struct manifest *m = r->m;
	size_t best = SUGGEST_FAR;
	char word[64];

	buf[0] = '\0';
	for (size_t i = 0; i < m->next; i++) {
		const struct frag_ext *x = &m->ext[i];
		size_t d;

		if (!x->name || x->name_len >= sizeof(word))
			continue;
		memcpy(word, x->name, x->name_len);
		word[x->name_len] = '\0';
		d = suggest_distance((const char *)name, n, word);
		/* As suggest(): a name that keeps nothing of what was typed is none. */
		if (d < best && d < (n > x->name_len ? n : x->name_len)) {
			best = d;
			snprintf(buf, size, " (did you mean '%s'?)", word);
		}
	}
	return buf;
}

static int ref_error(struct expr_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ref_error(struct expr_error *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* NAME.start, NAME.end, NAME.size, image.size. */
static int resolve_ref(void *ctx, const unsigned char *name, size_t n, int attr, __int128 *v,
		       struct expr_error *e)
{
	struct resolver *r = ctx;
	char q[ESCAPE_BUF], hint[96];
	const struct placed *pf;
	long i;

	if (r->stage == EVAL_ALONE) {	/* not known: the value is not checked */
		r->deferred = 1;
		*v = 0;
		return 0;
	}
	if (n == 5 && memcmp(name, "image", 5) == 0) {
		if (r->stage != EVAL_FIELDS)
			return ref_error(e, r->stage == EVAL_SIZE ? "size cannot refer to image.size"
					 : "layout keys (at=, skip=, len=, align=, to=) cannot "
					   "refer to image.size");
		*v = fields_final_length(r);
		return 0;
	}
	i = manifest_find_name(r->m, name, n);
	if (i < 0)
		return ref_error(e, "unknown name '%s'%s", escape_bytes(q, name, n),
				 nearest_name(r, name, n, hint, sizeof(hint)));
	if (r->stage == EVAL_LAYOUT && (size_t)i >= r->cur)
		return ref_error(e, "layout keys may refer only to earlier lines: '%s' is on "
				 "line %u", escape_bytes(q, name, n), r->m->frag[i].line);
	pf = &r->p->pf[i];
	*v = attr == EXPR_START ? pf->at : attr == EXPR_END ? pf->at + pf->len : pf->len;
	return 0;
}

static int evaluate(struct resolver *r, const struct fragment *f, const struct mnum *v,
		    __int128 *out)
{
	struct expr_env env = { .ctx = r, .ref = resolve_ref, .checksum = fields_checksum };
	struct expr_error e = { 0 };
	size_t mark = r->pool.n;	/* a checksum may evaluate others meanwhile */
	uint32_t root;
	int rc;

	if (!v->expr) {
		*out = v->v;
		return 0;
	}
	rc = expr_parse(&r->pool, v->expr, v->n, v->quoted ? 0 : v->col, &root, &e) < 0 ||
	     expr_eval(&r->pool, root, &env, out, &e) < 0 ? -1 : 0;
	r->pool.n = mark;
	if (rc < 0 && r->deferred)	/* perhaps for want of a checksum: next time */
		return -1;
	if (rc < 0)
		return eval_fail(r, f, e.col ? (uint32_t)e.col : v->col, "%s", e.msg);
	return 0;
}

int eval_value(struct resolver *r, const struct fragment *f, const struct mnum *v,
	       __int128 *out)
{
	return evaluate(r, f, v, out);
}

int eval_range(struct resolver *r, const struct fragment *f, const struct mnum *v, int64_t *lo,
	       int64_t *hi)
{
	struct expr_env env = { .ctx = r, .ref = resolve_ref, .checksum = fields_checksum };
	struct expr_error e = { 0 };
	struct expr_range range;
	size_t mark = r->pool.n;
	uint32_t root;
	int rc;

	rc = expr_parse_range(&r->pool, v->expr, v->n, v->quoted ? 0 : v->col, &root, &e) < 0 ||
	     expr_eval_range(&r->pool, root, &env, &range, &e) < 0 ? -1 : 0;
	r->pool.n = mark;
	if (rc < 0 && r->deferred)	/* perhaps for want of a checksum: next time */
		return -1;
	if (rc < 0)
		return eval_fail(r, f, e.col ? (uint32_t)e.col : v->col, "%s", e.msg);
	*lo = range.start;
	*hi = range.end;
	return 0;
}

int eval_offset(struct resolver *r, const struct fragment *f, const struct mnum *v,
		const char *what, int64_t *out)
{
	__int128 x;
	char num[DEC128_BUF];

	if (evaluate(r, f, v, &x) < 0)
		return -1;
	if (x < 0 || x > INT64_MAX)
		return eval_fail(r, f, v->col, "%s%s is %s: an offset or length must be 0 .. "
				 "2^63-1", what, v->expr ? " (an expression)" : "",
				 dec128(num, x));
	*out = (int64_t)x;
	return 0;
}

int eval_byte(struct resolver *r, const struct fragment *f, const struct mnum *v,
	      const char *what, uint8_t *out)
{
	__int128 x;
	char num[DEC128_BUF];

	if (evaluate(r, f, v, &x) < 0)
		return -1;
	if (x < 0 || x > 255)
		return eval_fail(r, f, v->col, "%s out of range 0..255: %s", what,
				 dec128(num, x));
	*out = (uint8_t)x;
	return 0;
}

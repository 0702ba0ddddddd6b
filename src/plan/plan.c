/*
 * plan.c -- the planner's table of contents: sources, placement, extents.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/decode.h"
#include "plan/eval.h"
#include "util/mem.h"

int plan_fail(struct errors *err, const struct manifest *m, const struct fragment *f,
	      const char *fmt, ...)
{
	struct place at = frag_place(m, f);
	va_list ap;

	va_start(ap, fmt);
	verror(err, ERR_PLAIN, &at, fmt, ap);
	va_end(ap);
	return -1;
}

int plan_short_source(struct errors *err, const struct manifest *m, const struct fragment *f,
		      int64_t skip, int64_t len, int64_t have)
{
	const char *path = (const char *)f->bytes;

	if (have < skip)
		return plan_fail(err, m, f, "skip=%lld is past the end of '%s' (%lld bytes)",
				 (long long)skip, path, (long long)have);
	return plan_fail(err, m, f, "'%s' is too short: skip=%lld len=%lld needs %llu bytes, "
			 "it has %lld", path, (long long)skip, (long long)len,
			 (unsigned long long)skip + (unsigned long long)len, (long long)have);
}

int plan_keep(struct plan *p, void *buf)
{
	if (p->nkept == p->kept_alloc) {
		size_t n = p->kept_alloc ? 2 * p->kept_alloc : 16;
		void **v = realloc(p->kept, n * sizeof(*v));

		if (!v)
			return -1;
		p->kept = v;
		p->kept_alloc = n;
	}
	p->kept[p->nkept++] = buf;
	return 0;
}

/* Whether any source is a pipe, FIFO, socket or character device: only
 * then is there anything to spool or pass through. */
static int has_streams(const struct plan *p)
{
	for (size_t i = 0; i < p->nsrc; i++)
		if (p->src[i].stream)
			return 1;
	return 0;
}

/* Whether a digest or a checksum may read the image's bytes: a digest, or
 * a field whose value calls a function (any '(' counts).  Then no stream
 * may pass through unread: its bytes are needed before the writes. */
static int reads_image(const struct manifest *m)
{
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct fragment *f = &m->frag[i];
		struct mnum v;

		if (f->kind == FRAG_DIGEST)
			return 1;
		if (f->kind != FRAG_FIELD)
			continue;
		v = frag_field(m, f).value;
		if (v.expr && memchr(v.expr, '(', v.n))
			return 1;
	}
	return 0;
}

/* The layout, then the fields and digests that read it (eval.c). */
static int resolve(struct plan *p, const struct manifest *m, const struct plan_opts *o,
		   struct errors *err)
{
	struct resolver r = { .p = p, .m = m, .err = err, .o = o, .target_fd = -1 };
	int rc = plan_place(&r);

	if (rc < 0)
		plan_lone_fields(&r);
	if (rc == 0 && (rc = plan_extents(p, m, o->allow_overlap, err)) == 0 &&
	    (rc = plan_fields(&r)) == 0)
		rc = plan_expect(&r);
	expr_pool_release(&r.pool);
	if (r.target_fd >= 0)
		close(r.target_fd);
	return rc;
}

int plan_build(struct plan *p, const struct manifest *m, const struct plan_opts *o,
	       struct errors *err)
{
	int streams;

	memset(p, 0, sizeof(*p));
	p->npf = m->nfrag;
	p->pf = mem_calloc(m->nfrag ? m->nfrag : 1, sizeof(*p->pf));
	if (!p->pf)
		goto nomem;
	p->spooler_fd = -1;
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct fragment *f = &m->frag[i];

		p->pf[i] = (struct placed){ .line = f->line, .col = f->col, .origin = f->origin,
					    .kind = f->kind, .byte = frag_shape(m, f), .src = -1 };
	}
	if (plan_open_sources(p, m, o, err) < 0 || o->check_only) {
		struct resolver r = { .p = p, .m = m, .err = err, .o = o, .target_fd = -1 };

		plan_lone_fields(&r);	/* their errors too */
		expr_pool_release(&r.pool);
		goto fail;
	}
	streams = has_streams(p);
	if ((streams &&
	     plan_spool(p, m, !reads_image(m) && (o->dry_run || (o->pass_through && !o->allow_overlap)),
			o->dry_run, err) < 0) ||
	    resolve(p, m, o, err) < 0 ||
	    (streams && plan_pass_streams(p, m, o->dry_run, err) < 0) ||
	    plan_check_digests(p, m, err) < 0)
		goto fail;
	return 0;
nomem:
	error_nomem(err);
fail:
	plan_release(p);
	return -1;
}

void plan_release(struct plan *p)
{
	decode_release(p);	/* first: its threads read the sources */
	for (size_t i = 0; i < p->nsrc; i++)
		if (p->src[i].fd > STDERR_FILENO)
			close(p->src[i].fd);
	free(p->src);
	mem_free(p->pf);
	free(p->ext);
	free(p->order);
	free(p->visible);
	free(p->uuids);
	free(p->spool);
	for (size_t i = 0; i < p->nkept; i++)
		free(p->kept[i]);
	for (size_t i = 0; i < p->nhex; i++)
		hex_release(&p->hex[i].img);
	free(p->hex);
	free(p->kept);
	memset(p, 0, sizeof(*p));
}

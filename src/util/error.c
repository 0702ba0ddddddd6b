/*
 * error.c -- errors as values (error.h).
 *
 * Once ERRORS_MAX errors are kept, a new one replaces the last kept by
 * place when it comes before it, so what is kept is always the first
 * ERRORS_MAX by place, whatever order the layers found them in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Whether a comes before b: no place first, then by place (es->order, else
 * rank and line), column, and the order of adding. */
static int before(const struct errors *es, const struct error *a, const struct error *b)
{
	if (!a->file != !b->file)
		return !a->file;
	if (a->file && (a->rank != b->rank || a->line != b->line || a->col != b->col)) {
		int c = a->rank != b->rank && es->order
			? es->order(es->order_ctx, a->rank, a->line, b->rank, b->line) : 0;

		if (c)
			return c < 0;
		if (a->rank != b->rank)
			return a->rank < b->rank;
		if (a->line != b->line)
			return a->line < b->line;
		return a->col < b->col;
	}
	return a->seq < b->seq;
}

static void error_free(struct error *e)
{
	free(e->file);
	free(e->msg);
}

/* The slot for a new error that sorts as e, or NULL when the first
 * ERRORS_MAX by place are all before it. */
static struct error *slot_for(struct errors *es, const struct error *e)
{
	struct error *last;

	if (es->n < ERRORS_MAX)
		return &es->v[es->n++];
	last = &es->v[0];
	for (size_t i = 1; i < es->n; i++)
		if (before(es, last, &es->v[i]))
			last = &es->v[i];
	if (!before(es, e, last))
		return NULL;
	error_free(last);
	return last;
}

/* Keep an error whose message msg (malloc'd, or NULL) is already made. */
static int add(struct errors *es, enum error_kind kind, const struct place *at, char *msg)
{
	struct error e = { .kind = (uint8_t)kind, .seq = (uint32_t)es->total, .msg = msg };
	struct error *slot;

	es->total++;
	if (at && at->file) {
		e.rank = at->rank;
		e.line = at->line;
		e.col = at->col;
		e.file = strdup(at->file);
		if (!e.file)
			es->nomem = 1;
	}
	if (!e.file && at && at->file) {
		free(msg);
		return -1;
	}
	if (!(slot = slot_for(es, &e))) {
		error_free(&e);
		return -1;
	}
	*slot = e;
	return -1;
}

int verror(struct errors *es, enum error_kind kind, const struct place *at, const char *fmt,
	   va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	return add(es, kind, at, msg);
}

int error_add(struct errors *es, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(es, ERR_PLAIN, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int error_at(struct errors *es, struct place at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(es, ERR_PLAIN, &at, fmt, ap);
	va_end(ap);
	return -1;
}

int error_kind(struct errors *es, enum error_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(es, kind, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int error_kind_at(struct errors *es, enum error_kind kind, struct place at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(es, kind, &at, fmt, ap);
	va_end(ap);
	return -1;
}

int error_nomem(struct errors *es)
{
	return add(es, ERR_PLAIN, NULL, NULL);
}

static int compare(const void *a, const void *b, void *es)
{
	return before(es, a, b) ? -1 : before(es, b, a) ? 1 : 0;
}

void errors_sort(struct errors *es)
{
	qsort_r(es->v, es->n, sizeof(es->v[0]), compare, es);
}

char *error_text(const struct error *e)
{
	const char *msg = e->msg ? e->msg : strerror(ENOMEM);
	char *s;
	int r;

	if (e->file)
		r = asprintf(&s, "%s:%llu:%u: %s", e->file, (unsigned long long)e->line, e->col, msg);
	else
		r = asprintf(&s, "%s", msg);
	return r < 0 ? NULL : s;
}

void errors_release(struct errors *es)
{
	for (size_t i = 0; i < es->n; i++)
		error_free(&es->v[i]);
	memset(es, 0, sizeof(*es));
}

/*
 * message.c -- errors into words (message.h).
 *
 * Layers below cli/ say what went wrong; an error's kind lets this file add
 * the advice that names an option, which only cli/ knows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/message.h"
#include "util/escape.h"

static const struct {
	const char *before, *after;
} advice[] = {
	[ERR_PLAIN] = { "", "" },
	[ERR_TARGET_NOT_EMPTY] = { "", "; --force replaces it, --patch writes into it" },
	[ERR_OVERLAP] = { "", "; --allow-overlap lets the later line win" },
	[ERR_ATOMIC_TARGET] = { "--atomic needs a regular file as the target, named with -o or "
				"an output line: ", "" },
	[ERR_CONFINE_DIR] = { "--confine: ", "" },
};

static void print_error(const struct error *e)
{
	const char *msg = e->msg ? e->msg : strerror(ENOMEM);

	if (e->file) {
		escape_fputs(e->file, stderr);
		fprintf(stderr, ":%llu:%u: ", (unsigned long long)e->line, e->col);
	} else {
		fputs(PROGRAM ": ", stderr);
	}
	fputs(advice[e->kind].before, stderr);
	escape_fputs(msg, stderr);
	fputs(advice[e->kind].after, stderr);
	putc('\n', stderr);
}

int complain(struct errors *es)
{
	errors_sort(es);
	for (size_t i = 0; i < es->n; i++)
		print_error(&es->v[i]);
	if (es->total > es->n)
		fprintf(stderr, PROGRAM ": %llu more error%s not shown\n",
			(unsigned long long)(es->total - es->n), es->total - es->n == 1 ? "" : "s");
	else if (es->nomem && !es->n)
		fprintf(stderr, PROGRAM ": %s\n", strerror(ENOMEM));
	errors_release(es);
	return EXIT_USAGE;
}

void warn(const char *fmt, ...)
{
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fputs(PROGRAM ": ", stderr);
	escape_fputs(msg ? msg : strerror(ENOMEM), stderr);
	putc('\n', stderr);
	free(msg);
}

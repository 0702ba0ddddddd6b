/*
 * filter.c -- a filter spec ("NAME" or "NAME:ARG") to a stage.
 *
 * The name picks a constructor from a sorted table; the constructor parses
 * its own argument and names the whole spec in its errors.  A name that is
 * not in the table gets the nearest one as a suggestion, as the manifest
 * parser does for its keywords.  The compression filters (gzip, zstd, xz)
 * also get the -T thread count, made concrete here (0: the online CPUs), so
 * each of them sees a count it can use as it is.
 */
#include "filter/filters.h"
#include "filter/gzip_internal.h"
#include "util/escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A filter that compresses in threads has create_mt, the others create. */
static const struct {
	const char *name;
	struct stage *(*create)(const char *spec, const char *arg, struct errors *err);
	struct stage *(*create_mt)(const char *spec, const char *arg, int threads,
				   struct errors *err);
} filters[] = {
	{ "gzip", NULL, gzip_create_threads },
	{ "hex", hex_create, NULL },
	{ "ihex", ihex_create, NULL },
	{ "srec", srec_create, NULL },
	{ "xor", xor_create, NULL },
	{ "xz", NULL, xz_create },
	{ "zstd", NULL, zstd_create },
};

#define NFILTERS (sizeof filters / sizeof filters[0])

void *filter_error(struct errors *err, const char *spec, const char *fmt, ...)
{
	char q[ESCAPE_BUF], *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		error_nomem(err);
	else
		error_add(err, "filter '%s': %s", escape_bytes(q, spec, strlen(spec)), msg);
	free(msg);
	return NULL;
}

int filter_level(const char *spec, const char *arg, int lo, int hi, int dflt, struct errors *err)
{
	int level = 0;
	size_t i;

	if (!arg)
		return dflt;
	/* Plain decimal digits, at most 3 of them: no sign, no spaces. */
	for (i = 0; arg[i] >= '0' && arg[i] <= '9' && i < 3; i++)
		level = level * 10 + (arg[i] - '0');
	if (i == 0 || arg[i] != '\0' || level < lo || level > hi) {
		filter_error(err, spec, "level must be %d..%d", lo, hi);
		return -1;
	}
	return level;
}

/* The thread count of -T: 0 is the online CPUs; at most FILTER_THREADS_MAX. */
static int thread_count(int threads)
{
	long n = threads;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > FILTER_THREADS_MAX ? FILTER_THREADS_MAX : (int)n;
}

struct stage *filter_create_threads(const char *spec, int threads, struct errors *err)
{
	const char *colon = strchr(spec, ':'), *arg = colon ? colon + 1 : NULL;
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec), i;
	const char *names[NFILTERS];
	char q[ESCAPE_BUF], hint[64];

	for (i = 0; i < NFILTERS; i++) {
		if (strlen(filters[i].name) == n && memcmp(filters[i].name, spec, n) == 0)
			return filters[i].create ? filters[i].create(spec, arg, err)
						 : filters[i].create_mt(spec, arg,
									thread_count(threads), err);
		names[i] = filters[i].name;
	}
	if (n == 0) {
		char list[128];
		size_t k = 0;

		/* The names, from the table: "gzip, hex, ...". */
		for (i = 0; i < NFILTERS && k < sizeof list; i++) {
			int w = snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
					 filters[i].name);

			if (w < 0)
				break;
			k += (size_t)w;
		}
		return filter_error(err, spec, "no filter name (one of %s)", k ? list : "?");
	}
	error_add(err, "unknown filter '%s'%s", escape_bytes(q, spec, n),
		  suggest(hint, sizeof hint, spec, n, names, NFILTERS, ~0u));
	return NULL;
}

struct stage *filter_create(const char *spec, struct errors *err)
{
	return filter_create_threads(spec, FILTER_THREADS_DEFAULT, err);
}

/*
 * filter.c -- a filter spec ("NAME" or "NAME:ARG") to a stage.
 *
 * The name picks a constructor from a sorted table; the constructor parses
 * its own argument and names the whole spec in its errors.  A name that is
 * not in the table gets the nearest one as a suggestion, as the manifest
 * parser does for its keywords.
 */
#include "filter/filters.h"
#include "util/escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	struct stage *(*create)(const char *spec, const char *arg, struct errors *err);
} filters[] = {
	{ "gzip", gzip_create },
	{ "hex", hex_create },
	{ "ihex", ihex_create },
	{ "srec", srec_create },
	{ "xor", xor_create },
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

struct stage *filter_create(const char *spec, struct errors *err)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec), i;
	const char *names[NFILTERS];
	char q[ESCAPE_BUF], hint[64];

	for (i = 0; i < NFILTERS; i++) {
		if (strlen(filters[i].name) == n && memcmp(filters[i].name, spec, n) == 0)
			return filters[i].create(spec, colon ? colon + 1 : NULL, err);
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

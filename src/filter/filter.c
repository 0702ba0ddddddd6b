/*
 * filter.c -- a filter spec ("NAME" or "NAME:ARG") to a stage.
 *
 * The name picks a constructor from a sorted table; the constructor parses
 * its own argument and names the whole spec in its errors.  A name that is
 * not in the table gets the nearest one as a suggestion, as the manifest
 * parser does for its keywords.
 */
#include "filter/filters.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	struct stage *(*create)(const char *spec, const char *arg, char **err);
} filters[] = {
	{ "gzip", gzip_create },
	{ "hex", hex_create },
	{ "xor", xor_create },
};

#define NFILTERS (sizeof filters / sizeof filters[0])
#define QUOTE_MAX 64	/* bytes of a spec shown in a message */

/* s for a message: printable ASCII as it is, other bytes as \xHH, cut
 * after QUOTE_MAX bytes with "...".  buf must hold QUOTE_MAX * 4 + 4. */
static const char *quote(char *buf, const char *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = digits[c >> 4];
			buf[o++] = digits[c & 15];
		}
	}
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	return s;
}

void *filter_error(char **err, const char *spec, const char *fmt, ...)
{
	char q[QUOTE_MAX * 4 + 4];
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	*err = msg ? format("filter '%s': %s", quote(q, spec, strlen(spec)), msg) : NULL;
	free(msg);
	return NULL;
}

struct stage *filter_create(const char *spec, char **err)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec), i;
	const char *names[NFILTERS];
	char q[QUOTE_MAX * 4 + 4], hint[64];

	*err = NULL;
	for (i = 0; i < NFILTERS; i++) {
		if (strlen(filters[i].name) == n && memcmp(filters[i].name, spec, n) == 0)
			return filters[i].create(spec, colon ? colon + 1 : NULL, err);
		names[i] = filters[i].name;
	}
	if (n == 0)
		*err = format("filter '%s': no filter name (one of gzip, hex, xor)",
			      quote(q, spec, strlen(spec)));
	else
		*err = format("unknown filter '%s'%s", quote(q, spec, n),
			      suggest(hint, sizeof hint, spec, n, names, NFILTERS, ~0u));
	return NULL;
}

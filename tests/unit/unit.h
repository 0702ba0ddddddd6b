/*
 * unit.h -- the smallest test harness that does the job: CHECK() records a
 * failure with its place and goes on; unit_done() prints a summary line and
 * returns the exit status (0 pass, 1 fail, 77 skip, as automake and liburing).
 */
#ifndef UNIT_H
#define UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static int unit_checks, unit_failures;

#define CHECK(cond) unit_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_INT(a, b) unit_check_int((int64_t)(a), (int64_t)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_STR(a, b) unit_check_str((a), (b), #a, __FILE__, __LINE__)
#define CHECK_MEM(a, b, n) unit_check(memcmp((a), (b), (n)) == 0, "memcmp(" #a ", " #b ")", __FILE__, __LINE__)

static inline int unit_check(int ok, const char *what, const char *file, int line)
{
	unit_checks++;
	if (!ok) {
		unit_failures++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	}
	return ok;
}

static inline int unit_check_int(int64_t a, int64_t b, const char *ea, const char *eb,
				 const char *file, int line)
{
	unit_checks++;
	if (a != b) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %s == %" PRId64 ", expected %s == %" PRId64 "\n",
			file, line, ea, a, eb, b);
		return 0;
	}
	return 1;
}

static inline int unit_check_str(const char *a, const char *b, const char *ea,
				 const char *file, int line)
{
	unit_checks++;
	if (!a || !b || strcmp(a, b) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", file, line, ea,
			a ? a : "(null)", b ? b : "(null)");
		return 0;
	}
	return 1;
}

/* The first error of a list by place, "FILE:LINE:COL: message" (or the
 * message alone), in a buffer that the next call reuses; "" for none. */
static inline const char *first_error(struct errors *es)
{
	static char buf[4096];
	char *t;

	buf[0] = '\0';
	if (!es->n)
		return buf;
	errors_sort(es);
	if ((t = error_text(&es->v[0])) != NULL) {
		snprintf(buf, sizeof buf, "%s", t);
		free(t);
	}
	return buf;
}

/* xorshift32: a repeatable stream of numbers from the state *st (not 0). */
static inline uint32_t unit_rnd32(uint32_t *st)
{
	uint32_t x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/* realloc (malloc when p is NULL) that ends the test (exit 1) when out of
 * memory; 0 bytes are 1. */
static inline void *unit_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static inline void *unit_xmalloc(size_t n)
{
	return unit_xrealloc(NULL, n);
}

/* n bytes at p as the whole file path; a failure ends the test (exit 1). */
static inline void unit_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Whether the program name is on PATH (for checks against outside tools). */
static inline int unit_have_tool(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static inline int unit_done(const char *name)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif

/*
 * error.h -- what went wrong, as a value.
 *
 * Layers below cli/ add errors to a list and return -1; cli/ alone turns the
 * list into words on standard error (cli/message.c).  An error has a place
 * -- a manifest file, line and column -- or none; the place is a field,
 * never part of the text.  A kind tells cli/ that a condition has advice
 * that names an option (layers below cli/ do not know the options).
 *
 * The list keeps the ERRORS_MAX first errors by place (errors without a
 * place come first, in the order they were added) and counts the rest, so
 * a manifest of a million bad lines costs memory for fifty.  Running out of
 * memory is an error like any other: its message is NULL.
 */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ERRORS_MAX 50

/* Conditions whose advice cli/ words (it names the option that helps). */
enum error_kind {
	ERR_PLAIN,
	ERR_TARGET_NOT_EMPTY,	/* --force replaces it, --patch writes into it */
	ERR_OVERLAP,		/* --allow-overlap lets the later line win */
	ERR_ATOMIC_TARGET,	/* --atomic needs a regular file */
	ERR_CONFINE_DIR,	/* --confine DIR cannot be used */
};

struct place {
	const char *file;	/* NULL: the error has no place */
	uint32_t rank;		/* the file's rank in sorting (its origin) */
	uint32_t col;
	uint64_t line;		/* 2^32 is a line too: the one refused as too many */
};

struct error {
	char *file;		/* the place, copied; NULL for none */
	uint32_t rank, col;
	uint64_t line;
	uint8_t kind;		/* enum error_kind */
	uint32_t seq;		/* order of adding, for a stable sort */
	char *msg;		/* NULL: out of memory */
};

/* Whether the place (rank a, line a) comes before (rank b, line b) (< 0)
 * or after (> 0), when ranks alone do not say it; 0: they do. */
typedef int (*place_order)(const void *ctx, uint32_t rank_a, uint64_t line_a, uint32_t rank_b,
			   uint64_t line_b);

struct errors {
	struct error v[ERRORS_MAX];
	size_t n;		/* kept, at most ERRORS_MAX */
	uint64_t total;		/* added, kept or not */
	int nomem;		/* an error could not even be recorded */
	place_order order;	/* or NULL: places of different ranks sort by rank */
	const void *order_ctx;
};

/* Add an error (with a place, or none); each returns -1. */
int error_add(struct errors *es, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int error_at(struct errors *es, struct place at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int error_kind(struct errors *es, enum error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int error_kind_at(struct errors *es, enum error_kind kind, struct place at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* What the four above share: at may be NULL. */
int verror(struct errors *es, enum error_kind kind, const struct place *at, const char *fmt,
	   va_list ap) __attribute__((format(printf, 4, 0)));
/* Out of memory (errno ENOMEM from a call). */
int error_nomem(struct errors *es);

/* The kept errors, sorted: no place first, then by place (es->order, else
 * file rank, line), column, and the order of adding. */
void errors_sort(struct errors *es);
/* "FILE:LINE:COL: message", or "message" without a place; malloc'd (NULL
 * when memory is short).  For tests and tools. */
char *error_text(const struct error *e);
void errors_release(struct errors *es);

#endif

/*
 * filters.h -- private to src/filter: the filter constructors that
 * filter_create() dispatches to, and its error message helper.
 *
 * A constructor gets the whole spec (for messages) and its argument, the
 * text after the first ':' (NULL when there is none).  It returns a stage
 * with next == NULL, or NULL with an error added by filter_error().
 */
#ifndef FILTER_FILTERS_H
#define FILTER_FILTERS_H

#include "filter/filter.h"
#include "util/suggest.h"

/* The most input a stage's write() is given in one call (stage_write cuts
 * longer ones), so one call on a huge memory entry stays short; a filter
 * takes it in batches of its outbuf while the next stage takes everything. */
#define FILTER_CALL_MAX ((uint64_t)1 << 20)

struct stage *xor_create(const char *spec, const char *arg, struct errors *err);
struct stage *hex_create(const char *spec, const char *arg, struct errors *err);
struct stage *gzip_create(const char *spec, const char *arg, struct errors *err);
struct stage *ihex_create(const char *spec, const char *arg, struct errors *err);
struct stage *srec_create(const char *spec, const char *arg, struct errors *err);
/* The compression filters also get the thread count, 1..FILTER_THREADS_MAX. */
struct stage *zstd_create(const char *spec, const char *arg, int threads, struct errors *err);
struct stage *xz_create(const char *spec, const char *arg, int threads, struct errors *err);

/* Add the error "filter 'SPEC': " followed by the formatted message.
 * Returns NULL, so a constructor can end with
 * `return filter_error(err, spec, ...);`. */
void *filter_error(struct errors *err, const char *spec, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The level of "NAME:LEVEL", lo..hi, or dflt without an argument; -1 with
 * the error "level must be LO..HI" added. */
int filter_level(const char *spec, const char *arg, int lo, int hi, int dflt, struct errors *err);


/* Turns n input bytes into output at out; returns the output length. */
typedef size_t (*transform_fn)(struct stage *st, unsigned char *out, const unsigned char *in,
			       size_t n);
/* The write() of a filter that maps input to output batch by batch (xor,
 * hex): flush what is pending, then encode at most `batch` input bytes at a
 * time into o (which must hold the output of a batch) and pass it on, while
 * the next stage takes everything; returns the input taken or -1. */
int64_t transform_write(struct stage *st, struct outbuf *o, const void *buf, uint64_t n,
			size_t batch, transform_fn encode);

#endif

/*
 * filter.h -- stream stages: the filters (xor, hex, gzip, zstd, xz, ...)
 * and the sink.
 *
 * A stream is a chain of stages ending in a sink.  Every stage takes bytes
 * with io_write_callback semantics (iob_write(3)): write() returns how many
 * bytes it took (> 0), or -1 with errno -- EAGAIN when the stage downstream
 * is full (the caller polls the sink and calls again), anything else for a
 * permanent error.  Bytes a stage took are its own: their output is passed
 * on or kept in the stage's pending buffer, never lost, never repeated.
 * The output must not depend on how the input was cut, nor on how much the
 * next stage takes at a time.
 *
 * When the input has ended, finish() is called on each stage in chain order
 * until it returns 0: it pushes out what is pending plus any trailer (the
 * gzip trailer, the last hex newline) into the next stage.  -1 with EAGAIN
 * means "call finish again after polling the sink".
 *
 * Gaps (SPEC §10).  The image's gaps -- bytes no fragment gives -- reach a
 * chain as zeros, except where its first stage has a skip() op: then the
 * stream engine calls stage_skip() for each gap instead of writing its
 * zeros.  skip(st, n) says "the next n bytes of input are a gap" and
 * returns like write(): the count it took (> 0, normally n at once), or -1
 * with errno (EAGAIN when output it must first pass on is not taken).
 * ihex and srec have one: a gap ends the current record and moves the
 * address, so gaps become address jumps.  A stage with a skip() op passes
 * a gap on with stage_skip(st->next, ...) if its output has gaps too, or
 * ends it there (ihex, srec: text has none).  A gap that reaches a stage
 * without a skip() op becomes zeros at that stage: stage_skip() writes n
 * zero bytes into it, so it and every stage after it see zeros, as SPEC §10
 * wants of every filter but ihex and srec.  So `-f xor:K -f ihex` gets
 * records for the gaps (the key's bytes), `-f ihex -f gzip` none.
 */
#ifndef FILTER_H
#define FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct stage;

struct stage_ops {
	const char *name;
	int text;		/* its output is text (fit for a terminal) */
	int64_t (*write)(struct stage *st, const void *buf, uint64_t n);
	int (*finish)(struct stage *st);
	void (*destroy)(struct stage *st);
	int64_t (*skip)(struct stage *st, uint64_t n);	/* NULL: gaps are zeros */
};

struct stage {
	const struct stage_ops *ops;
	struct stage *next;	/* NULL for the sink */
	uint64_t in;		/* bytes taken, gap bytes too */
	uint64_t out;		/* bytes passed on (for the sink: written) */
};

/* Pending output of a filter: bytes produced but not yet taken downstream. */
struct outbuf {
	unsigned char *buf;
	size_t cap, head, tail;	/* pending bytes are buf[head..tail) */
};

/* Build a filter from its spec ("xor:5a", "xor:@key.bin", "hex",
 * "hex:width=16", "hex:upper", "gzip", "gzip:9"); NULL with an error added
 * to err (naming the spec, with a suggestion for a misspelt name).  Relative @FILE paths resolve against the current directory. */
struct stage *filter_create(const char *spec, struct errors *err);

/* -T: the threads a compression filter (gzip, zstd, xz) may use, 1 to
 * FILTER_THREADS_MAX, or 0 for the online CPUs.  The output is the same
 * bytes for every count. */
#define FILTER_THREADS_MAX 256
#define FILTER_THREADS_DEFAULT 0

/* filter_create() with that many threads (filter_create() itself: the
 * default). */
struct stage *filter_create_threads(const char *spec, int threads, struct errors *err);

/* The write of stage st (st->ops->write), at most FILTER_CALL_MAX bytes a
 * call, counting st->in. */
int64_t stage_write(struct stage *st, const void *buf, uint64_t n);
/* n bytes of gap into stage st: its skip(), or else zeros through its
 * write() (up to 64 KiB a call).  Returns the gap bytes taken (> 0) or -1
 * with errno, as stage_write; counts them in st->in. */
int64_t stage_skip(struct stage *st, uint64_t n);
/* The finish of one stage. */
int stage_finish(struct stage *st);
/* Destroy a chain from st to its end. */
void stage_destroy_chain(struct stage *st);

/* For filters: allocate an outbuf of cap bytes (0 or -1). */
int outbuf_init(struct outbuf *o, size_t cap);
void outbuf_release(struct outbuf *o);
/* Pass pending bytes to st->next: 0 when none is left pending, -1 with
 * errno when the next stage took nothing more (EAGAIN or an error). */
int outbuf_flush(struct stage *st, struct outbuf *o);

#endif

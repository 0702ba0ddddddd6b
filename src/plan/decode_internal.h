/* decode_internal.h -- what decode.c and decode_job.c share (decode.h). */
#ifndef PLAN_DECODE_INTERNAL_H
#define PLAN_DECODE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/decode.h"

/* One decoded fragment. */
struct decode_rec {
	size_t frag;
	int fmt;		/* enum file_decode: GZIP, XZ or ZSTD */
	int err;		/* the first error of a decoding thread, or 0 */
	int64_t total;		/* the decoded length, or -1 when not learned */
	struct codec *cur;	/* decode_fragment_bytes: where it read last, */
	int64_t pos;		/* at this decoded offset */
};

struct decode_job;

struct decode_set {
	struct decode_rec *rec;	/* in fragment order */
	size_t n, cap;
	struct decode_job **job; /* the jobs of the batches, in batch order */
	size_t njob, jobcap;
	pthread_mutex_t lock;	/* the four below */
	size_t next;		/* the first job not started yet */
	unsigned running;	/* jobs whose thread has not finished */
	int stopping;		/* plan_decode_stop has begun: start no more */
};

/* The record of decoded fragment i, or NULL. */
struct decode_rec *decode_find(const struct plan *p, size_t i);

#endif

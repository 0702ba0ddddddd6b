/*
 * progress.h -- a one-line progress display on standard error.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct progress {
	FILE *out;
	uint64_t total;
	struct timespec start, last;
	int shown;		/* a line is on the screen */
};

/* Jobs at least this large get progress by default on a terminal. */
#define PROGRESS_LARGE ((uint64_t)64 << 20)

/* Whether to show progress: --progress (1), --no-progress (0), or by
 * default (-1) when standard error is a terminal and the job is large. */
int progress_wanted(int option, uint64_t total);
void progress_start(struct progress *p, FILE *out, uint64_t total);
/* The engines' progress hook; redraws at most ten times a second. */
void progress_update(void *p, uint64_t done, unsigned inflight);
/* Erase the line. */
void progress_end(struct progress *p);

#endif

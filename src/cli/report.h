/*
 * report.h -- results into words: text or JSON Lines (SPEC §6).
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

#include "cli/options.h"
#include "engine/engine.h"
#include "manifest/manifest.h"
#include "plan/plan.h"

struct report {
	FILE *out;
	int own;		/* out was opened for --report-file */
	const char *path;
	int format;		/* enum report_format */
	int verbose, quiet;
	int colour;		/* SGR colours: a terminal, and NO_COLOR unset */
	const struct manifest *m; /* its fragments, for report_plan (a dry run) */
	const struct plan *p;
};

struct summary {
	const char *batch;	/* the batch id */
	const char *target;
	const struct engine_ops *engine;
	size_t fragments;
	uint64_t requests, failed, bytes_written, bytes_out;
	uint64_t mismatches;	/* --verify: fragments that read back otherwise */
	double seconds;
	int exit;
	int signal;		/* the signal that interrupted the run, or 0 */
	int dry_run;
	int sync;		/* enum sync_mode */
	int64_t image_len;
	const struct engine_result *r; /* NULL for a dry run */
};

/* Choose where the report goes; a --report-file is refused when it is the
 * target or a source, and opened without being truncated. */
int report_open(struct report *rp, const struct options *o, const struct target *t,
		const struct manifest *m, const struct plan *p, struct errors *err);
/* Once the target is open (or for a dry run): empty the report file. */
int report_begin(struct report *rp, const struct target *t, struct errors *err);
/* The request_hook for -v: one record per request as it completes. */
void report_request(void *rp, const struct request_outcome *q);
void report_fragments(struct report *rp, const struct plan *p, const struct engine_result *r);
/* A dry run's plan, one record per fragment; returns the requests planned. */
uint64_t report_plan(struct report *rp, const struct plan *p, uint64_t request_size);
void report_summary(struct report *rp, const struct summary *s);
/* 0, or an errno when the report could not be written. */
int report_close(struct report *rp);

/* "ENOSPC" for ENOSPC. */
const char *errno_name(int err);

#endif

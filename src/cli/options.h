/*
 * options.h -- the command line, as one struct.  Only cli/ sees argv.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum mode { MODE_AUTO, MODE_AIO, MODE_STREAM };
enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_NONE };

struct options {
	const char *manifest;	/* MANIFEST operand, "-" for stdin, or NULL */
	char **line;		/* -e lines, in order */
	size_t nline;
	char **define;		/* -D NAME=VALUE, in order */
	size_t ndefine;
	char **filter;		/* -f specs, in order */
	size_t nfilter;
	int threads;		/* -T: for compression filters; 0: the online CPUs */
	char *output;		/* -o, or NULL */
	int mode;		/* enum mode */
	int force, patch, atomic, allow_overlap, verify, dry_run;
	int no_clone;		/* --no-clone: copy file ranges, never share extents */
	int direct;		/* --direct: O_DIRECT, aligned requests */
	int sync;		/* enum sync_mode */
	unsigned queue_depth;
	uint64_t request_size;
	int report;		/* enum report_format */
	char *report_file;
	int verbose, quiet;
	char *confine;
	int progress;		/* -1: decide; 0: --no-progress; 1: --progress */
	void *ctx;		/* popt's context: owns the operands */
};

/* 0: run; 1: done (--help, --version printed); -1: usage error, in err.
 * The checks that take more than one option are run's (check_options). */
int options_parse(struct options *o, int argc, const char **argv, struct errors *err);
void options_release(struct options *o);

#endif

/*
 * run.h -- one run of the tool, from parsed options to an exit status.
 */
#ifndef RUN_H
#define RUN_H

#include <signal.h>

#include "cli/options.h"
#include "cli/report.h"
#include "engine/engine.h"
#include "filter/filter.h"
#include "manifest/manifest.h"
#include "plan/plan.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct run {
	struct options o;
	volatile sig_atomic_t *stop;	/* the signal that asks the run to stop */
	struct manifest m;
	struct target t;
	struct plan p;
	struct report rp;
	struct engine_result r;
	const struct engine_ops *engine;
	struct stage *filters;
	io_batch *b;
	char batch_id[37];
};

/* Everything after the options; the exit status (SPEC §5). */
int run(struct run *x);
void run_release(struct run *x);
/* Print an error on standard error (messages with FILE:LINE:COL stand
 * alone, others get the program's name); returns EXIT_USAGE. */
int complain(const char *msg, int located);

#endif

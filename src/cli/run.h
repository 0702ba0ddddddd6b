/*
 * run.h -- one run of the tool, from parsed options to an exit status.
 */
#ifndef RUN_H
#define RUN_H

#include <signal.h>

#include "cli/message.h"
#include "cli/options.h"
#include "cli/report.h"
#include "engine/engine.h"
#include "filter/filter.h"
#include "manifest/manifest.h"
#include "plan/plan.h"

struct run {
	struct options o;
	volatile sig_atomic_t *stop;	/* the signal that asks the run to stop */
	void (*catch_stop)(void);	/* have SIGINT and SIGTERM set *stop, once
					 * writing begins (before: they kill) */
	struct errors errs;		/* what went wrong before the writes */
	struct manifest m;
	struct target t;
	struct plan p;
	struct report rp;
	struct engine_result r;
	struct summary s;
	const struct engine_ops *engine;
	struct stage *filters;
	io_batch *b;
	char batch_id[37];
	char *confine_real;		/* --confine's real path, or NULL */
};

/* Everything after the options; the exit status (SPEC §5). */
int run(struct run *x);
void run_release(struct run *x);

#endif

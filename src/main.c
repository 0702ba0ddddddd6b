/*
 * aiowrite-cli -- assemble a file from a manifest of fragments.
 *
 * main is the table of contents: options, signals, the run (cli/run.c:
 * manifest -> plan -> batch -> engine -> report), its exit status.
 */
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/run.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Until the target is opened, SIGINT and SIGTERM kill as they always do:
 * nothing is written yet, and a wait for a FIFO's writer or a long
 * checksum must not outlive a Ctrl-C.  From then on they ask the run to
 * stop, so that every request in flight is waited for and reported. */
static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void install_signals(void)
{
	/* A file size limit and a closed pipe must be a reported EFBIG or
	 * EPIPE, not a kill. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

/* Every distinct source stays open for the run and each decoded fragment
 * reads a pipe, so a manifest can need more descriptors than the usual
 * soft limit of 1,024; the hard limit is there to be taken (descriptors
 * are waited on with poll(2), which has no ceiling of its own). */
static void raise_open_file_limit(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max)
		return;
	r.rlim_cur = r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r) != 0) {	/* above fs.nr_open */
		r.rlim_cur = (rlim_t)1 << 20;
		(void)setrlimit(RLIMIT_NOFILE, &r);	/* else the old limit stays */
	}
}

int main(int argc, char **argv)
{
	struct run x = { .stop = &stop_signal, .catch_stop = catch_stop_signals };
	int rc;

	rc = options_parse(&x.o, argc, (const char **)argv, &x.errs);
	if (rc != 0) {
		if (rc < 0) {
			complain(&x.errs);
			fputs("Try '" PROGRAM " --help' for more information.\n", stderr);
		}
		options_release(&x.o);
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	install_signals();
	raise_open_file_limit();
	rc = run(&x);
	run_release(&x);
	return rc;
}

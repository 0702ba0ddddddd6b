/*
 * progress.c -- bytes done of total, rate, ETA and requests in flight, on
 * one line of standard error that is redrawn at most ten times a second and
 * erased at the end.  The engines call progress_update on every completion;
 * all it costs between redraws is a coarse clock read.
 */
#include <unistd.h>

#include "cli/progress.h"
#include "util/units.h"

#define REDRAW_NS 100000000L	/* 10 times a second */

int progress_wanted(int option, uint64_t total)
{
	if (option >= 0)
		return option;
	return isatty(STDERR_FILENO) && total >= PROGRESS_LARGE;
}

void progress_start(struct progress *p, FILE *out, uint64_t total)
{
	p->out = out;
	p->total = total;
	p->shown = 0;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void progress_update(void *ctx, uint64_t done, unsigned inflight)
{
	struct progress *p = ctx;
	struct timespec now;
	char d[32], t[32], rate[32];
	double s, bps;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if ((now.tv_sec - p->last.tv_sec) * 1000000000L + (now.tv_nsec - p->last.tv_nsec) < REDRAW_NS)
		return;
	p->last = now;
	s = seconds(&p->start, &now);
	bps = s > 0 ? (double)done / s : 0;
	human_size(d, sizeof(d), (double)done);
	human_size(t, sizeof(t), (double)p->total);
	human_size(rate, sizeof(rate), bps);
	fprintf(p->out, "\r%s of %s (%u%%)  %s/s", d, t,
		p->total ? (unsigned)(100.0 * (double)done / (double)p->total) : 100, rate);
	if (bps > 0 && done < p->total) {
		long eta = (long)((double)(p->total - done) / bps + 0.5);

		fprintf(p->out, "  ETA %ld:%02ld", eta / 60, eta % 60);
	}
	fprintf(p->out, "  %u in flight\033[K", inflight);
	fflush(p->out);
	p->shown = 1;
}

void progress_end(struct progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
	}
	p->shown = 0;
}

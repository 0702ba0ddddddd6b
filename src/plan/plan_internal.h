/* plan_internal.h -- what the planner's files share. */
#ifndef PLAN_INTERNAL_H
#define PLAN_INTERNAL_H

#include "plan/plan.h"

/* Set *err to "WHERE: message" for fragment f and return -1. */
int plan_fail(char **err, const struct manifest *m, const struct fragment *f,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* --confine=DIR (confine.c): every `file` source opened beneath DIR. */
struct confine {
	int fd;			/* DIR, O_PATH; -1 without --confine */
	const char *name;	/* DIR as given, for messages */
	char *real;		/* DIR's real path */
	char *rel[MANIFEST_MAX_ORIGINS]; /* each origin's directory relative to DIR */
	uint8_t outside[MANIFEST_MAX_ORIGINS]; /* that directory is not inside DIR */
	int walk;		/* no openat2: resolve in user space */
};

/* 0, or -1 with *err a malloc'd message (not located: DIR is an option). */
int confine_init(struct confine *c, const char *dir, char **err);
void confine_release(struct confine *c);
/* Open f's path for reading beneath DIR (origin_fd: its origin's
 * directory); a descriptor, or -1 with *err ("FILE:LINE:COL: ..."). */
int confine_open(struct confine *c, const struct manifest *m, const struct fragment *f,
		 int origin_fd, char **err);

int plan_open_sources(struct plan *p, const struct manifest *m,
		      const struct plan_opts *o, char **err);
int plan_spool(struct plan *p, const struct manifest *m, int pass_through, char **err);
int plan_pass_streams(struct plan *p, const struct manifest *m, int dry_run, char **err);
int plan_place(struct plan *p, const struct manifest *m, char **err);
int plan_extents(struct plan *p, const struct manifest *m, int allow_overlap, char **err);
int plan_check_digests(const struct plan *p, const struct manifest *m, char **err);

#endif

/* plan_internal.h -- what the planner's files share. */
#ifndef PLAN_INTERNAL_H
#define PLAN_INTERNAL_H

#include "plan/plan.h"

/* Set *err to "WHERE: message" for fragment f and return -1. */
int plan_fail(char **err, const struct manifest *m, const struct fragment *f,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

int plan_open_sources(struct plan *p, const struct manifest *m,
		      const struct plan_opts *o, char **err);
int plan_spool(struct plan *p, const struct manifest *m, char **err);
int plan_place(struct plan *p, const struct manifest *m, char **err);
int plan_extents(struct plan *p, const struct manifest *m, int allow_overlap, char **err);
int plan_check_digests(const struct plan *p, const struct manifest *m, char **err);

#endif

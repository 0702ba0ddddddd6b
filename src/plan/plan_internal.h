/* plan_internal.h -- what the planner's files share. */
#ifndef PLAN_INTERNAL_H
#define PLAN_INTERNAL_H

#include "plan/plan.h"

/* Add an error at fragment f's place; returns -1. */
int plan_fail(struct errors *err, const struct manifest *m, const struct fragment *f,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* f's source has only `have` bytes from where f starts reading (its skip=
 * included): too few for its skip= and len=.  Returns -1. */
int plan_short_source(struct errors *err, const struct manifest *m, const struct fragment *f,
		      int64_t skip, int64_t len, int64_t have);
/* Keep a malloc'd buffer until plan_release (computed bytes); 0 or -1. */
int plan_keep(struct plan *p, void *buf);

/* pf->src of a stream fragment spooled to memory, from plan_spool until
 * plan_pass_streams (which may spool more, moving p->spool) gives it its
 * pointer: meanwhile its bytes are at p->spool + pf->src_off. */
#define PF_IN_SPOOL (-2)

/* The bytes in memory of a fragment whose pf->src is negative. */
static inline const unsigned char *plan_memory_bytes(const struct plan *p,
						     const struct placed *pf)
{
	return pf->src == PF_IN_SPOOL ? p->spool + pf->src_off : pf->bytes;
}

struct resolver;
/* n bytes of fragment i from offset off within its bytes (a source read,
 * memory, or a fill): 0, or an errno (EIO: a source ended early). */
int plan_fragment_bytes(const struct plan *p, size_t i, int64_t off, size_t n,
			unsigned char *buf);
/* expect= (expect.c): refuse, or mark unchanged, before anything is written. */
int plan_expect(struct resolver *r);
/* A file fragment's skip= and len= evaluated (eval.c) and checked against
 * its source; *len its length.  -1 reported. */
int plan_file_range(struct resolver *r, size_t i, int64_t *len);

/* --confine=DIR (confine.c): every `file` source opened beneath DIR. */
struct confine {
	int fd;			/* DIR, O_PATH; -1 without --confine */
	const char *name;	/* DIR as given, for messages */
	char *real;		/* DIR's real path */
	char *rel[MANIFEST_MAX_ORIGINS]; /* each origin's directory relative to DIR */
	uint8_t outside[MANIFEST_MAX_ORIGINS]; /* that directory is not inside DIR */
	int walk;		/* no openat2: resolve in user space */
};

/* 0, or -1 with err (kind ERR_CONFINE_DIR: cli/ names the option). */
int confine_init(struct confine *c, const char *dir, struct errors *err);
void confine_release(struct confine *c);
/* Open f's path for reading beneath DIR (origin_fd: its origin's
 * directory); a descriptor, or -1 with err. */
int confine_open(struct confine *c, const struct manifest *m, const struct fragment *f,
		 int origin_fd, struct errors *err);

int plan_open_sources(struct plan *p, const struct manifest *m,
		      const struct plan_opts *o, struct errors *err);
int plan_spool(struct plan *p, const struct manifest *m, int pass_through, int dry_run,
	       struct errors *err);
int plan_pass_streams(struct plan *p, const struct manifest *m, int dry_run, struct errors *err);
int plan_place(struct resolver *r);
int plan_extents(struct plan *p, const struct manifest *m, int allow_overlap, struct errors *err);
int plan_check_digests(const struct plan *p, const struct manifest *m, struct errors *err);

#endif

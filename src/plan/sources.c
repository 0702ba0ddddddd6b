/*
 * sources.c -- open and check every `file` source before anything is
 * written.  Each distinct (origin, path) is opened once and shared, so a
 * manifest of 100,000 fragments from 1,000 files holds 1,000 descriptors.
 *
 * A regular file or a block device is read where it is (seekable, known
 * size): the range skip+len must lie inside it.  A pipe, FIFO, socket or
 * character device is a stream: spool.c reads it once, in manifest order
 * (a character device needs len=, or it might never end).  Every path is
 * opened O_NONBLOCK, so that opening a FIFO never waits for its writer:
 * one writer may fill several FIFOs in turn (SPEC §9.5).  No source may be
 * the target.  `file -` is standard input: when that is a regular file,
 * successive `file -` fragments read successive ranges of it from its
 * current position, as they would from a stream.  With --confine=DIR,
 * confine.c opens every path source beneath DIR instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/decode.h"
#include "plan/eval.h"

/* Distinct paths, by hash: open addressing over a table kept at most half
 * full, sized by the sources seen (not the fragments), so that it stays in
 * cache when 100,000 fragments name 1,000 files. */
struct path_slot {
	uint64_t hash;
	uint32_t src;		/* source index + 1, or 0 when empty */
};

struct source_table {
	struct path_slot *slot;
	size_t mask, used;
	int dirfd[MANIFEST_MAX_ORIGINS];
	struct confine confine;	/* --confine=DIR; confine.fd is -1 without it */
	const struct fragment **first; /* the fragment that opened each source */
};

static uint64_t path_hash(const struct fragment *f)
{
	uint64_t h = 1469598103934665603ull ^ f->origin;

	for (uint64_t i = 0; i < f->nbytes; i++)
		h = (h ^ f->bytes[i]) * 1099511628211ull;
	return h;
}

static int same_path(const struct fragment *a, const struct fragment *b)
{
	return a->origin == b->origin && a->nbytes == b->nbytes &&
	       memcmp(a->bytes, b->bytes, a->nbytes) == 0;
}

/* Double the table; 0 or -1 (ENOMEM). */
static int table_grow(struct source_table *t)
{
	size_t cap = 2 * (t->mask + 1);
	struct path_slot *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t i = 0; i <= t->mask; i++) {
		size_t j = t->slot[i].hash & (cap - 1);

		if (!t->slot[i].src)
			continue;
		while (slot[j].src)
			j = (j + 1) & (cap - 1);
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->mask = cap - 1;
	return 0;
}

static int origin_dirfd(struct source_table *t, const struct manifest *m, const struct fragment *f)
{
	int *fd = &t->dirfd[f->origin];

	if (*fd < 0)
		*fd = open(m->origin[f->origin].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return *fd;
}

/* Fill src from an open descriptor; 0 or -1 with err. */
static int check_source(struct source *src, const struct manifest *m, const struct fragment *f,
			const struct plan_opts *o, struct errors *err)
{
	const char *path = (const char *)f->bytes;
	struct stat st;

	if (fstat(src->fd, &st) < 0)
		return plan_fail(err, m, f, "cannot stat '%s': %s", path, strerror(errno));
	src->dev = st.st_dev;
	src->ino = st.st_ino;
	if (o->target_exists && st.st_dev == o->target_dev && st.st_ino == o->target_ino)
		return plan_fail(err, m, f, "'%s' is the target itself", path);
	if (S_ISREG(st.st_mode)) {
		src->size = st.st_size;
		src->sparse = (int64_t)st.st_blocks * 512 < st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		uint64_t bytes;

		if (ioctl(src->fd, BLKGETSIZE64, &bytes) < 0)
			return plan_fail(err, m, f, "cannot get the size of '%s': %s", path,
					 strerror(errno));
		src->size = (int64_t)bytes;
	} else if (S_ISDIR(st.st_mode)) {
		return plan_fail(err, m, f, "'%s' is a directory", path);
	} else {
		src->stream = 1;
		src->chardev = S_ISCHR(st.st_mode);
		src->size = -1;
		return 0;
	}
	if (f->bytes[0] == '-' && f->bytes[1] == 0) {
		off_t pos = lseek(src->fd, 0, SEEK_CUR);

		src->cursor = pos < 0 ? 0 : pos;
	}
	return 0;
}

static int open_source(struct source *src, struct source_table *t, const struct manifest *m,
		       const struct fragment *f, const struct plan_opts *o, struct errors *err)
{
	const char *path = (const char *)f->bytes;

	if (strcmp(path, "-") == 0) {
		if (m->stdin_used)
			return plan_fail(err, m, f,
					 "'file -' reads standard input, which holds the manifest");
		src->fd = STDIN_FILENO;
	} else {
		int dirfd = origin_dirfd(t, m, f);

		if (dirfd < 0 && path[0] != '/')
			return plan_fail(err, m, f, "cannot open directory '%s': %s",
					 m->origin[f->origin].dir, strerror(errno));
		if (t->confine.fd >= 0) {
			/* --confine: beneath DIR only (confine.c), same flags. */
			src->fd = confine_open(&t->confine, m, f, dirfd, err);
			if (src->fd < 0)
				return -1;
			return check_source(src, m, f, o, err);
		}
		/* Nothing may hang the open: not a device, and not a FIFO
		 * whose writer is still busy with a stream named before it.
		 * A FIFO is waited for when it is read (read_wait), in its
		 * turn (spool.c), and not at all by a run that stops after
		 * the checks. */
		src->fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (src->fd < 0)
			return plan_fail(err, m, f, "cannot open '%s': %s", path, strerror(errno));
	}
	return check_source(src, m, f, o, err);
}

static int is_stdin_path(const struct fragment *f)
{
	return f->bytes[0] == '-' && f->bytes[1] == 0;
}

/* The range skip, len (-1: the rest) of a seekable source; sets
 * pf->src_off and pf->len. */
static int take_range(struct placed *pf, struct source *src, const struct manifest *m,
		      const struct fragment *f, int64_t skip, int64_t len, struct errors *err)
{
	int64_t base = src->cursor, start, avail;

	if (skip > src->size - base)
		return plan_short_source(err, m, f, skip, len, src->size - base);
	start = base + skip;
	avail = src->size - start;
	if (len >= 0 && len > avail)
		return plan_short_source(err, m, f, skip, len, src->size - base);
	pf->src_off = start;
	pf->len = len >= 0 ? len : avail;
	if (is_stdin_path(f))
		src->cursor = start + pf->len;
	return 0;
}

/* format=ihex|srec: the whole file read into the plan (SPEC §9.4); the
 * fragment is its records, from base (default: the lowest address). */
static int read_hex(struct plan *p, size_t i, struct source *src, const struct manifest *m,
		    const struct fragment *f, struct errors *err)
{
	const struct frag_ext *x = frag_ext(m, f);
	struct plan_hex *h;
	struct hex_error e;

	if (src->stream)
		return plan_fail(err, m, f, "format= needs a file that can be read from its start");
	h = realloc(p->hex, (p->nhex + 1) * sizeof(*h));
	if (!h)
		return error_nomem(err);
	p->hex = h;
	h = &p->hex[p->nhex];
	memset(h, 0, sizeof(*h));
	if (lseek(src->fd, 0, SEEK_SET) < 0 ||
	    hex_read(src->fd, x->format == FORMAT_IHEX ? HEX_IHEX : HEX_SREC, &h->img, &e) < 0)
		return plan_fail(err, m, f, "'%s': %s", (const char *)f->bytes,
				 errno == ESPIPE ? strerror(errno) : e.msg);
	p->nhex++;
	h->frag = i;
	h->base = x->base.set ? (uint64_t)x->base.v : h->img.lo;
	if (h->img.n && h->base > h->img.lo)
		return plan_fail(err, m, f, "base=0x%llx is above the lowest address in '%s' "
				 "(0x%llx)", (unsigned long long)h->base, (const char *)f->bytes,
				 (unsigned long long)h->img.lo);
	if (h->img.n && h->img.hi - h->base > INT64_MAX)
		return plan_fail(err, m, f, "'%s' spans more than the largest file offset",
				 (const char *)f->bytes);
	p->pf[i].len = h->img.n ? (int64_t)(h->img.hi - h->base) : 0;
	p->pf[i].bytes = h->img.bytes;
	p->pf[i].src = -1;
	p->pf[i].hex = 1;
	return 0;
}

/* The range one fragment takes from its source, when its numbers are
 * plain; expressions wait for placement (plan_file_range). */
static int check_range(struct placed *pf, struct source *src, const struct manifest *m,
		       const struct fragment *f, struct errors *err)
{
	const struct frag_ext *x = frag_ext(m, f);
	int exprs = x && (x->skip.expr || x->len.expr);

	if (exprs && (src->stream || is_stdin_path(f)))
		return plan_fail(err, m, f, "skip= and len= of a stream or of 'file -' are read "
				 "before placement: give plain numbers");
	if (src->stream) {
		if (src->chardev && f->len < 0)
			return plan_fail(err, m, f, "'%s' is a character device: give len=, it "
					 "may never end", (const char *)f->bytes);
		return 0;	/* spool.c reads it */
	}
	return exprs ? 0 : take_range(pf, src, m, f, f->skip, f->len, err);
}

int plan_file_range(struct resolver *r, size_t i, int64_t *len)
{
	const struct fragment *f = &r->m->frag[i];
	const struct frag_ext *x = frag_ext(r->m, f);
	struct placed *pf = &r->p->pf[i];
	int64_t skip = f->skip, want = f->len;

	if ((x->skip.expr && eval_offset(r, f, &x->skip, "skip=", &skip) < 0) ||
	    (x->len.expr && eval_offset(r, f, &x->len, "len=", &want) < 0))
		return -1;
	if (pf->decoded ? decode_range(r->p, i, r->m, f, skip, want, r->err) < 0
			: take_range(pf, &r->p->src[pf->src], r->m, f, skip, want, r->err) < 0)
		return -1;
	*len = pf->len;
	return 0;
}

static int table_init(struct source_table *t, size_t nfiles)
{
	t->mask = 63;
	t->used = 0;
	t->slot = calloc(t->mask + 1, sizeof(*t->slot));
	t->first = calloc(nfiles ? nfiles : 1, sizeof(*t->first));
	memset(&t->confine, 0, sizeof(t->confine));
	t->confine.fd = -1;
	for (int i = 0; i < MANIFEST_MAX_ORIGINS; i++)
		t->dirfd[i] = -1;
	return t->slot && t->first ? 0 : -1;
}

static void table_release(struct source_table *t)
{
	for (int i = 0; i < MANIFEST_MAX_ORIGINS; i++)
		if (t->dirfd[i] >= 0)
			close(t->dirfd[i]);
	confine_release(&t->confine);
	free(t->slot);
	free(t->first);
}

/* The source index for f, opening it the first time; -1 with err, -2
 * when out of memory. */
static int32_t find_or_open(struct plan *p, struct source_table *t, const struct manifest *m,
			    const struct fragment *f, const struct plan_opts *o, struct errors *err)
{
	uint64_t h = path_hash(f);
	size_t i = h & t->mask;

	for (; t->slot[i].src; i = (i + 1) & t->mask)
		if (t->slot[i].hash == h && same_path(t->first[t->slot[i].src - 1], f))
			return (int32_t)(t->slot[i].src - 1);
	struct source *src = &p->src[p->nsrc];

	src->fd = -1;
	if (open_source(src, t, m, f, o, err) < 0) {
		if (src->fd > STDERR_FILENO)
			close(src->fd);
		return -1;
	}
	t->first[p->nsrc] = f;
	t->slot[i] = (struct path_slot){ .hash = h, .src = (uint32_t)++p->nsrc };
	if (++t->used * 2 > t->mask && table_grow(t) < 0) {
		error_nomem(err);
		return -2;
	}
	return (int32_t)(p->nsrc - 1);
}

int plan_open_sources(struct plan *p, const struct manifest *m, const struct plan_opts *o,
		      struct errors *err)
{
	struct source_table t;
	size_t nfiles = 0;
	int rc = 0;

	for (size_t i = 0; i < m->nfrag; i++)
		nfiles += m->frag[i].kind == FRAG_FILE;
	p->src = calloc(nfiles + 1, sizeof(*p->src));	/* + the spool file */
	if (!p->src || nfiles > UINT32_MAX / 2 || table_init(&t, nfiles) < 0) {
		return error_nomem(err);
	}
	if (o->confine && confine_init(&t.confine, o->confine, err) < 0) {
		table_release(&t);
		return -1;
	}
	/* Every fragment is checked, so that one run reports every bad
	 * source; a path that failed to open fails each fragment naming it. */
	for (size_t i = 0; i < m->nfrag; i++) {
		const struct fragment *f = &m->frag[i];
		int32_t s;
		int decoded;

		p->pf[i].src = -1;
		if (f->kind != FRAG_FILE)
			continue;
		s = find_or_open(p, &t, m, f, o, err);
		if (s == -2)
			break;		/* out of memory */
		decoded = s >= 0 ? plan_decode(p, i, s, m, f, err) : 0;	/* decode= */
		if (decoded) {
			rc = decoded < 0 ? -1 : rc;
		} else if (s >= 0 && frag_ext(m, f) && frag_ext(m, f)->format) {
			if (read_hex(p, i, &p->src[s], m, f, err) < 0)
				rc = -1;
		} else if (s < 0 || check_range(&p->pf[i], &p->src[s], m, f, err) < 0) {
			rc = -1;
		} else {
			p->pf[i].src = s;
		}
	}
	table_release(&t);
	return rc;
}

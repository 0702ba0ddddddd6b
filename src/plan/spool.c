/*
 * spool.c -- stream sources (pipes, FIFOs, sockets, character devices,
 * standard input from a pipe) are read once, in manifest order, before
 * anything is written, so that planning knows every length and a source
 * that ends early is refused with its line.
 *
 * In stream mode a stream can instead pass through, read while the image
 * is written, when every fragment of it has len= (so placement needs no
 * reading), none wants a digest, a skip= only on its first fragment, and
 * its fragments come in the target in manifest order (checked after
 * placement; otherwise it is spooled after all) -- and only when no
 * checksum or digest line may read the image first (plan.c reads_image).
 *
 * Streams are read one after another, each whole (all its fragments, in
 * manifest order) before the next, in the order the manifest first names
 * them -- their rank (SPEC §9.5): one writer may fill several FIFOs in
 * turn, and the FIFO it is not writing yet must not be waited for.  Spooled
 * streams are read before the writes, passing ones during them, so the
 * streams that pass are the last ranks, from the first rank k on: every
 * stream that is spooled, and every stream before it, is below k; so is a
 * stream before one whose first skip= is dropped at plan time; and from k
 * on, the passing fragments must come in the target in rank order (in
 * manifest order within a stream).
 *
 * Bytes go to memory up to PLAN_SPOOL_MEM in all; from the fragment that
 * would pass that bound on, everything goes to one unlinked temporary file,
 * which then serves as an ordinary seekable source.  Memory fragments are
 * addressed by offset while the buffer may still move, and get pointers
 * once spooling is over.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/plan_internal.h"
#include "util/io.h"

#define PIECE ((size_t)256 * 1024)
#define IN_MEMORY PF_IN_SPOOL	/* plan_internal.h */

struct spooler {
	struct plan *p;
	unsigned char *piece;	/* PIECE bytes of staging */
	int fd;			/* the spool file, or -1 */
	int64_t flen;
	int32_t fsrc;		/* its index in p->src */
};

static int open_spool_file(struct spooler *s)
{
	const char *dir = getenv("TMPDIR");
	char *path = NULL;

	if (!dir || !*dir)
		dir = "/tmp";
	s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd < 0 && asprintf(&path, "%s/aiowrite-spool.XXXXXX", dir) >= 0) {
		s->fd = mkostemp(path, O_CLOEXEC);
		if (s->fd >= 0)
			unlink(path);
		free(path);
	}
	if (s->fd < 0)
		return -1;
	s->fsrc = (int32_t)s->p->nsrc++;
	s->p->src[s->fsrc] = (struct source){ .fd = s->fd, .size = 0 };
	return 0;
}

static int file_append(struct spooler *s, const void *buf, size_t n)
{
	const unsigned char *b = buf;

	while (n) {
		ssize_t w = pwrite(s->fd, b, n, s->flen);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
		s->flen += w;
	}
	return 0;
}

static int mem_append(struct plan *p, const void *buf, size_t n)
{
	if (p->spool_len + n > p->spool_cap) {
		size_t cap = p->spool_cap ? p->spool_cap : PIECE;
		unsigned char *nb;

		while (cap < p->spool_len + n)
			cap *= 2;
		nb = realloc(p->spool, cap);
		if (!nb)
			return -1;
		p->spool = nb;
		p->spool_cap = cap;
	}
	memcpy(p->spool + p->spool_len, buf, n);
	p->spool_len += n;
	return 0;
}

/* Move this fragment's bytes so far from memory to the spool file. */
static int move_to_file(struct spooler *s, struct placed *pf, size_t mem_start)
{
	struct plan *p = s->p;
	int64_t fstart;

	if (s->fd < 0 && open_spool_file(s) < 0)
		return -1;
	fstart = s->flen;
	if (file_append(s, p->spool + mem_start, p->spool_len - mem_start) < 0)
		return -1;
	p->spool_len = mem_start;
	pf->src = s->fsrc;
	pf->src_off = fstart;
	return 0;
}

/* Read and drop n bytes; the count dropped (less at the end), or -1. */
static int64_t discard(struct spooler *s, int fd, int64_t n)
{
	int64_t done = 0;

	while (done < n) {
		ssize_t got = read_wait(fd, s->piece, n - done < (int64_t)PIECE ? (size_t)(n - done)
										 : PIECE);
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		done += got;
	}
	return done;
}

/* Read and drop f's skip= bytes of the stream fd: 0, or -1 with err. */
static int skip_stream(struct spooler *s, int fd, const struct manifest *m,
		       const struct fragment *f, struct errors *err)
{
	int64_t got = discard(s, fd, f->skip);

	if (got < 0)
		return plan_fail(err, m, f, "cannot read '%s': %s", f->bytes, strerror(errno));
	if (got < f->skip)
		return plan_short_source(err, m, f, f->skip, f->len, got);
	return 0;
}

/* Spool one fragment: skip, then len bytes or up to the end. */
static int spool_fragment(struct spooler *s, const struct manifest *m, size_t i, struct errors *err)
{
	const struct fragment *f = &m->frag[i];
	struct placed *pf = &s->p->pf[i];
	int fd = s->p->src[pf->src].fd;
	size_t mem_start = s->p->spool_len;
	int64_t len = 0, want = f->len;

	pf->spooled = 1;
	if (skip_stream(s, fd, m, f, err) < 0)
		return -1;
	if (s->fd < 0) {
		pf->src = IN_MEMORY;
		pf->src_off = (int64_t)mem_start;
	} else {
		pf->src = s->fsrc;
		pf->src_off = s->flen;
	}
	while (want < 0 || len < want) {
		size_t ask = want < 0 || want - len > (int64_t)PIECE ? PIECE : (size_t)(want - len);
		ssize_t got = read_wait(fd, s->piece, ask);

		if (got < 0)
			goto read_error;
		if (got == 0)
			break;
		if (pf->src == IN_MEMORY && s->p->spool_len + (size_t)got > PLAN_SPOOL_MEM &&
		    move_to_file(s, pf, mem_start) < 0)
			goto spool_error;
		if (pf->src == IN_MEMORY ? mem_append(s->p, s->piece, (size_t)got)
					 : file_append(s, s->piece, (size_t)got))
			goto spool_error;
		len += got;
	}
	if (want >= 0 && len < want)
		return plan_short_source(err, m, f, f->skip, f->len, f->skip + len);
	pf->len = len;
	return 0;
read_error:
	return plan_fail(err, m, f, "cannot read '%s': %s", f->bytes, strerror(errno));
spool_error:
	return plan_fail(err, m, f, "cannot keep the bytes of '%s' (in memory or in $TMPDIR): %s",
			 f->bytes, strerror(errno));
}

/* Whether fragment f of a stream could pass through. */
static int passable(const struct fragment *f, int first)
{
	return f->len >= 0 && !f->sha256 && (first || f->skip == 0);
}

/* Mark the stream sources all of whose fragments could pass through. */
static int mark_pass_candidates(struct plan *p, const struct manifest *m)
{
	uint8_t *seen = calloc(p->nsrc + 1, 1);

	if (!seen)
		return -1;
	for (size_t i = 0; i < p->nsrc; i++)
		p->src[i].pass = p->src[i].stream;
	for (size_t i = 0; i < m->nfrag; i++) {
		int32_t s = p->pf[i].src;

		if (m->frag[i].kind != FRAG_FILE || !p->src[s].stream)
			continue;
		if (!passable(&m->frag[i], !seen[s]))
			p->src[s].pass = 0;
		seen[s] = 1;
	}
	free(seen);
	return 0;
}

/* The stream fragments in reading order, and each source's rank. */
struct stream_order {
	uint32_t *rank;		/* per source; NO_RANK: not a stream */
	uint32_t *frag;		/* stream fragments by (rank, manifest index) */
	size_t nfrag;
	uint32_t nranks;
};

#define NO_RANK UINT32_MAX

static int32_t stream_src(const struct plan *p, const struct manifest *m, size_t i)
{
	int32_t s = p->pf[i].src;

	return m->frag[i].kind == FRAG_FILE && s >= 0 && p->src[s].stream ? s : -1;
}

/* Rank the stream sources by their first fragment, then sort the stream
 * fragments by rank with a counting sort (linear in fragments); 0 or -1. */
static int order_streams(struct stream_order *o, const struct plan *p, const struct manifest *m)
{
	size_t *next;

	memset(o, 0, sizeof(*o));
	o->rank = malloc((p->nsrc + 1) * sizeof(*o->rank));
	next = calloc(p->nsrc + 1, sizeof(*next));
	if (!o->rank || !next)
		goto nomem;
	for (size_t s = 0; s < p->nsrc; s++)
		o->rank[s] = NO_RANK;
	for (size_t i = 0; i < m->nfrag; i++) {
		int32_t s = stream_src(p, m, i);

		if (s < 0)
			continue;
		if (o->rank[s] == NO_RANK)
			o->rank[s] = o->nranks++;
		next[o->rank[s]]++;
		o->nfrag++;
	}
	for (size_t r = 0, at = 0, n; r < o->nranks; r++, at += n) {
		n = next[r];
		next[r] = at;	/* where rank r's fragments start */
	}
	if (!(o->frag = malloc((o->nfrag + 1) * sizeof(*o->frag))))
		goto nomem;
	for (size_t i = 0; i < m->nfrag; i++)
		if (stream_src(p, m, i) >= 0)
			o->frag[next[o->rank[p->pf[i].src]]++] = (uint32_t)i;
	free(next);
	return 0;
nomem:
	free(next);
	free(o->rank);
	o->rank = NULL;
	return -1;
}

static void order_release(struct stream_order *o)
{
	free(o->rank);
	free(o->frag);
}

/* Spool every stream below rank k, in reading order; those pass no more. */
static int spool_below(struct spooler *s, const struct manifest *m, const struct stream_order *o,
		       uint32_t k, struct errors *err)
{
	struct plan *p = s->p;

	for (size_t n = 0; n < o->nfrag; n++) {
		uint32_t i = o->frag[n];
		struct source *src = &p->src[p->pf[i].src];

		if (o->rank[p->pf[i].src] >= k && src->pass)
			continue;
		src->pass = 0;
		if (!s->piece && !(s->piece = malloc(PIECE))) {
			return error_nomem(err);
		}
		if (spool_fragment(s, m, i, err) < 0)
			return -1;
	}
	return 0;
}

/* The first rank that may pass before placement: above every stream that
 * cannot, and not below one whose skip= is read now (a dry run reads no
 * skip=, so that one does not count). */
static uint32_t first_pass_rank(const struct plan *p, const struct manifest *m,
				const struct stream_order *o, int dry_run)
{
	uint32_t k = 0, prev = NO_RANK;

	for (size_t n = 0; n < o->nfrag; n++) {
		uint32_t i = o->frag[n], r = o->rank[p->pf[i].src];

		if (!p->src[p->pf[i].src].pass)
			k = r + 1;
		else if (r != prev && m->frag[i].skip && !dry_run && r > k)
			k = r;
		prev = r;
	}
	return k;
}

static void spool_done(struct spooler *s, const struct manifest *m)
{
	struct plan *p = s->p;

	free(s->piece);
	s->piece = NULL;
	if (s->fd >= 0)
		p->src[s->fsrc].size = s->flen;
	for (size_t i = 0; i < m->nfrag; i++)
		if (p->pf[i].src == IN_MEMORY) {
			p->pf[i].src = -1;
			p->pf[i].bytes = p->spool + p->pf[i].src_off;
		}
}

int plan_spool(struct plan *p, const struct manifest *m, int pass_through, int dry_run,
	       struct errors *err)
{
	struct spooler s = { .p = p, .fd = -1 };
	struct stream_order o;
	int rc;

	if (mark_pass_candidates(p, m) < 0 || order_streams(&o, p, m) < 0) {
		return error_nomem(err);
	}
	for (size_t i = 0; i < p->nsrc; i++)
		p->src[i].pass &= pass_through;
	rc = spool_below(&s, m, &o, first_pass_rank(p, m, &o, dry_run), err);
	for (size_t i = 0; i < m->nfrag; i++)	/* known without reading */
		if (m->frag[i].kind == FRAG_FILE && p->pf[i].src >= 0 && p->src[p->pf[i].src].pass)
			p->pf[i].len = m->frag[i].len;
	order_release(&o);
	/* plan_pass_streams may spool more: the buffer may still move. */
	free(s.piece);
	p->spooler_fd = s.fd;
	p->spooler_src = s.fsrc;
	p->spooler_len = s.flen;
	return rc;
}

/* Whether the passing fragments of rank k and above come in the target in
 * rank order, and in manifest order within a stream. */
static int in_reading_order(const struct plan *p, const struct manifest *m,
			    const struct stream_order *o, uint32_t k)
{
	uint32_t last_rank = 0, last = 0;
	int seen = 0;

	for (size_t n = 0; n < p->npieces; n++) {
		uint32_t i = plan_piece(p, n).frag, r;
		int32_t s = stream_src(p, m, i);

		if (s < 0 || !p->src[s].pass || (r = o->rank[s]) < k)
			continue;
		if (seen && (r < last_rank || (r == last_rank && i < last)))
			return 0;
		seen = 1;
		last_rank = r;
		last = i;
	}
	return 1;
}

/* The first rank from which the streams can pass in the target's order:
 * the property holds for every rank above one where it holds. */
static uint32_t first_ordered_rank(const struct plan *p, const struct manifest *m,
				   const struct stream_order *o)
{
	uint32_t lo = 0, hi = o->nranks;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (in_reading_order(p, m, o, mid))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Drop the first skip= of each stream that passes, in reading order. */
static int skip_passing(struct spooler *s, const struct manifest *m, const struct stream_order *o,
			int dry_run, struct errors *err)
{
	struct plan *p = s->p;

	for (size_t n = 0; n < o->nfrag; n++) {
		uint32_t i = o->frag[n];
		int32_t src = p->pf[i].src;

		if (src < 0 || !p->src[src].stream || !p->src[src].pass)
			continue;
		p->pf[i].pass = 1;
		if (!m->frag[i].skip || dry_run)
			continue;
		if (!s->piece && !(s->piece = malloc(PIECE)))
			return error_nomem(err);
		if (skip_stream(s, p->src[src].fd, m, &m->frag[i], err) < 0)
			return -1;
	}
	return 0;
}

/* After placement: the streams that cannot pass in the target's order are
 * spooled now, with every stream before them; then the first skip= of the
 * first passing one is dropped.  A dry run reads neither: it only shows
 * where the bytes would go. */
int plan_pass_streams(struct plan *p, const struct manifest *m, int dry_run, struct errors *err)
{
	struct spooler s = { .p = p, .fd = p->spooler_fd, .fsrc = p->spooler_src,
			     .flen = p->spooler_len };
	struct stream_order o;
	int rc;

	if (order_streams(&o, p, m) < 0) {
		return error_nomem(err);
	}
	rc = spool_below(&s, m, &o, dry_run ? 0 : first_ordered_rank(p, m, &o), err);
	if (rc == 0)
		rc = skip_passing(&s, m, &o, dry_run, err);
	order_release(&o);
	spool_done(&s, m);
	return rc;
}

/*
 * sweep.c -- many checksums of the image in one pass (sweep.h).
 *
 * The model.  The requests' ends cut the image into spans; within a span
 * the same requests are active.  A span is walked piece by piece: a gap, a
 * fill or bytes in memory are handed to every active request as they are;
 * a source is read once, in PIECE-byte chunks, and each chunk is handed to
 * every active request.  So `u32le crc32(payload)` and `sha256 payload`
 * read the payload once, not twice.
 *
 * Two lanes.  Each active request belongs to one lane for its whole life:
 * lane 0 is fed by this thread, which also reads; lane 1 by a helper
 * thread, started at the first chunk worth it, when there are two CPUs or
 * more.  A request joins the lane with the lighter load (bytes per second
 * it costs, the reading counted in lane 0's), heaviest first, so a SHA-256
 * hashes on the helper while this thread reads and runs the CRC-32.  Jobs
 * queue for the helper in a ring of NBUF slots, each with its chunk's
 * buffer: this thread reads up to NBUF - 1 chunks ahead, so the helper
 * never waits for a read or for this thread to wake (a lock-step hand-over
 * of one chunk at a time cost two wake-ups per chunk on the helper's path),
 * and a slot's buffer is read into again only once the helper is done with
 * the job it held.  Whatever changes the
 * lanes (a request joining or leaving, an error) first waits for the
 * helper to be idle: the lanes are then this thread's alone.  The helper
 * earns its place: resolving the bench's crc32 + sha256 over 256 MiB (-n,
 * run at real-time priority so that other loads do not decide) takes
 * 0.18 s with it (163 % CPU), 0.25-0.28 s without.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "plan/sweep.h"
#include "util/io.h"
#include "util/thread.h"

#define PIECE ((size_t)1 << 20)	/* a chunk read from a source or the target */
#define HELPER_MIN ((uint64_t)64 * 1024) /* smaller jobs: both lanes here */
#define GAP_FRAG (UINT32_MAX - 1)	/* the bytes of a gap: nobody's self */
#define READ_WEIGHT 10		/* reading a chunk, in the units of weight() */
#define NBUF 4			/* chunks read ahead of the helper, at most */

/* n bytes at p, or n copies of byte (p NULL), of fragment frag's. */
struct job {
	const unsigned char *p;
	uint64_t n;
	uint32_t frag;
	unsigned char byte;
};

struct helper {
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, quit;
	struct job ring[NBUF];	/* job k in ring[k % NBUF], its chunk in buf[k % NBUF] */
	uint64_t posted, done;	/* jobs handed to the helper, and finished by it */
	struct sweep_req **act;	/* lane 1 */
	const size_t *nact;
};

struct pass {
	struct resolver *r;
	struct sweep_req **act[2];	/* each lane's active requests */
	size_t nact[2];
	unsigned load[2];
	unsigned char *buf[NBUF];
	int cpus;
	struct helper h;
};

size_t sweep_first_piece(const struct plan *p, int64_t off)
{
	size_t lo = 0, hi = p->npieces;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct extent x = plan_piece(p, mid);

		if (x.at + x.len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Roughly how long each algorithm takes a byte (SHA-256 with SHA-NI about
 * 1.8 GB/s, zlib's CRC-32 about 6 GB/s on the bench machine): only their
 * ratios matter, to balance the lanes. */
static unsigned weight(const struct sweep_req *q)
{
	const struct crc_model *m = &q->model;
	/* CRC-32/ISO-HDLC: zlib's crc32() does it (util/checksum.c).  Field by
	 * field: a model's padding bytes are not zero. */
	int zlib = m->width == 32 && m->poly == 0x04c11db7 && m->init == 0xffffffff &&
		   m->refin && m->refout && m->xorout == 0xffffffff;

	switch (q->kind) {
	case CKSUM_CRC:
		return zlib ? 17 : 60;
	case CKSUM_ADLER32:
	case CKSUM_SUM:
		return 10;
	case CKSUM_MD5:
		return 160;
	case CKSUM_SHA1:
		return 50;
	case CKSUM_SHA256:
		return 57;
	case CKSUM_SHA512:
		return 120;
	}
	return 60;
}

static void feed_lane(struct sweep_req *const *act, size_t n, const struct job *j)
{
	for (size_t i = 0; i < n; i++) {
		struct sweep_req *q = act[i];

		if (q->err)
			continue;
		if (j->frag == q->self)	/* the field itself: zero, or self= */
			cksum_update_fill(q->ck, q->self_byte, j->n);
		else if (j->p)
			cksum_update(q->ck, j->p, (size_t)j->n);
		else
			cksum_update_fill(q->ck, j->byte, j->n);
	}
}

/* ---- the helper thread ---------------------------------------------------- */

static void *helper_main(void *arg)
{
	struct helper *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		struct job j;

		while (h->done == h->posted && !h->quit)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->done == h->posted)
			break;
		j = h->ring[h->done % NBUF];
		pthread_mutex_unlock(&h->mu);
		feed_lane(h->act, *h->nact, &j);
		pthread_mutex_lock(&h->mu);
		h->done++;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Until the helper has no more than `left` jobs. */
static void helper_drain(struct helper *h, uint64_t left)
{
	if (!h->started)
		return;
	pthread_mutex_lock(&h->mu);
	while (h->posted - h->done > left)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

/* Until the helper is idle: the lanes are this thread's alone. */
static void helper_wait(struct helper *h)
{
	helper_drain(h, 0);
}

/* j queued, in the slot whose buffer next_buf handed out (free: see there). */
static void helper_post(struct helper *h, const struct job *j)
{
	pthread_mutex_lock(&h->mu);
	h->ring[h->posted % NBUF] = *j;
	h->posted++;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* Whether the helper runs, started now if it is worth it.  A helper that
 * cannot start costs only speed: lane 1 is then fed here. */
static int helper_ready(struct pass *ps)
{
	struct helper *h = &ps->h;

	if (!h->started && ps->cpus > 1 && thread_start(&h->t, helper_main, h) == 0)
		h->started = 1;
	if (!h->started)
		ps->cpus = 1;	/* not again */
	return h->started;
}

static void helper_stop(struct helper *h)
{
	if (!h->started)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->t, NULL);
	h->started = 0;
}

static int cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < n)
		n = CPU_COUNT(&set);
	return n < 1 ? 1 : (int)(n > 2 ? 2 : n);
}

/* ---- feeding -------------------------------------------------------------- */

static void feed(struct pass *ps, const struct job *j)
{
	if (ps->nact[1] && j->n >= HELPER_MIN && ps->cpus > 1 && helper_ready(ps)) {
		helper_drain(&ps->h, NBUF - 1);	/* a free slot */
		helper_post(&ps->h, j);
		feed_lane(ps->act[0], ps->nact[0], j);
		return;
	}
	helper_wait(&ps->h);	/* lane 1's bytes in order */
	feed_lane(ps->act[0], ps->nact[0], j);
	feed_lane(ps->act[1], ps->nact[1], j);
}

/* The buffer of the next job's slot, once the helper is done with the job
 * that slot held NBUF jobs ago: the helper reads up to NBUF - 1 chunks
 * behind this thread, and never waits for a read. */
static unsigned char *next_buf(struct pass *ps)
{
	helper_drain(&ps->h, NBUF - 1);
	return ps->buf[ps->h.posted % NBUF];
}

/* n bytes of fragment frag's from offset delta within them, read (a
 * source, or decoded): 0 or an errno. */
static int feed_read(struct pass *ps, uint32_t frag, int64_t delta, int64_t n)
{
	struct job j = { .frag = frag };

	while (n > 0) {
		size_t k = n < (int64_t)PIECE ? (size_t)n : PIECE;
		unsigned char *buf = next_buf(ps);
		int err = plan_fragment_bytes(ps->r->p, frag, delta, k, buf);

		if (err)
			return err;
		j.p = buf;
		j.n = k;
		feed(ps, &j);
		delta += (int64_t)k;
		n -= (int64_t)k;
	}
	return 0;
}

/* The target's bytes [lo, hi) as they are (zeros past its end): 0 or an
 * errno.  They count as frag's (GAP_FRAG for a gap). */
static int feed_target(struct pass *ps, uint32_t frag, int64_t lo, int64_t hi)
{
	struct resolver *r = ps->r;
	struct job j = { .frag = frag };

	if (r->target_fd < 0 &&
	    (r->target_fd = open(r->o->target_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return errno;
	while (lo < hi) {
		size_t k = hi - lo < (int64_t)PIECE ? (size_t)(hi - lo) : PIECE;
		unsigned char *buf = next_buf(ps);
		ssize_t got = pread(r->target_fd, buf, k, lo);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno;
		j.p = got ? buf : NULL;	/* past the target's end: it grows with zeros */
		j.n = got ? (uint64_t)got : (uint64_t)(hi - lo);
		j.byte = 0;
		feed(ps, &j);
		lo += got ? got : hi - lo;
	}
	return 0;
}

/* A holes=skip fragment of a sparse source under --patch: its data read,
 * its holes what the target keeps there (SPEC §9.1: a gap).  n bytes of
 * piece x from `from`; 0 or an errno. */
static int feed_kept_holes(struct pass *ps, const struct extent *x, int64_t from, int64_t n)
{
	const struct placed *pf = &ps->r->p->pf[x->frag];
	int fd = ps->r->p->src[pf->src].fd;
	int64_t off = pf->src_off + x->delta + from, end = off + n;
	int64_t to_target = x->at + from - off, to_frag = x->delta + from - off;
	int err = 0;

	while (off < end && !err) {
		int64_t data = next_data(fd, off, end), stop;

		if (data > off && (err = feed_target(ps, x->frag, off + to_target,
						     data + to_target)) != 0)
			break;
		if (data == end)
			break;
		stop = next_hole(fd, data, end);
		err = feed_read(ps, x->frag, data + to_frag, stop - data);
		off = stop;
	}
	return err;
}

/* n bytes of piece x from offset `from` within it.  0 or an errno. */
static int feed_piece(struct pass *ps, const struct extent *x, int64_t from, int64_t n)
{
	const struct plan *p = ps->r->p;
	const struct placed *pf = &p->pf[x->frag];
	int64_t delta = x->delta + from;
	struct job j = { .frag = x->frag, .n = (uint64_t)n };

	if (pf->kind == FRAG_FILL || pf->kind == FRAG_ZERO) {
		j.byte = pf->kind == FRAG_FILL ? pf->byte : 0;
		feed(ps, &j);
		return 0;
	}
	if (pf->kind != FRAG_FILE || pf->src < 0) {	/* in memory */
		j.p = plan_memory_bytes(p, pf) + delta;
		feed(ps, &j);
		return 0;
	}
	if (pf->byte && !pf->decoded && p->src[pf->src].sparse && ps->r->o->patch)
		return feed_kept_holes(ps, x, from, n);
	return feed_read(ps, x->frag, delta, n);
}

/* A gap's bytes [lo, hi): the pad byte; under --patch without pad, what
 * the target holds there (zeros past its end).  0 or an errno. */
static int feed_gap(struct pass *ps, int64_t lo, int64_t hi)
{
	struct resolver *r = ps->r;
	struct job j = { .frag = GAP_FRAG, .n = (uint64_t)(hi - lo) };

	if (r->p->pad_set || !r->o->patch) {
		j.byte = r->p->pad_set ? r->p->pad : 0;
		feed(ps, &j);
		return 0;
	}
	return feed_target(ps, GAP_FRAG, lo, hi);
}

/* Every active request fails with err (the helper idle first). */
static void fail_active(struct pass *ps, int err)
{
	helper_wait(&ps->h);
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < ps->nact[l]; i++)
			if (!ps->act[l][i]->err)
				ps->act[l][i]->err = err;
}

/* The image's bytes [lo, hi) to the active requests. */
static void feed_span(struct pass *ps, int64_t lo, int64_t hi)
{
	const struct plan *p = ps->r->p;
	int64_t pos = lo;
	int err = 0;

	for (size_t k = sweep_first_piece(p, lo); k < p->npieces && pos < hi && !err; k++) {
		struct extent x = plan_piece(p, k);
		int64_t end = x.at + x.len < hi ? x.at + x.len : hi;

		if (x.at >= hi)
			break;
		if (x.at > pos && (err = feed_gap(ps, pos, x.at)) != 0)
			break;
		pos = x.at > pos ? x.at : pos;
		err = feed_piece(ps, &x, pos - x.at, end - pos);
		pos = end;
	}
	if (!err && pos < hi)
		err = feed_gap(ps, pos, hi);
	if (err)
		fail_active(ps, err);
}

/* ---- requests joining and leaving ------------------------------------------ */

/* A request's checksum made (unless given); 0, or its errno. */
static int start(struct sweep_req *q)
{
	q->err = 0;
	q->mdlen = 0;
	q->made = 0;
	q->weight = weight(q);
	if (q->ck)
		return 0;
	if (!(q->ck = cksum_new(q->kind, &q->model)))
		return q->err = errno ? errno : ENOMEM;
	q->made = 1;
	return 0;
}

/* A made checksum's result taken, and the checksum freed. */
static void finish(struct sweep_req *q)
{
	if (!q->made)
		return;
	if (!q->err) {
		q->value = cksum_value(q->ck);
		if (cksum_digest_size(q->kind) && !(q->mdlen = cksum_digest(q->ck, q->md)))
			q->err = ENOTSUP;	/* OpenSSL failed while hashing */
	}
	cksum_free(q->ck);
	q->ck = NULL;
	q->made = 0;
}

static int heavier_first(const void *a, const void *b)
{
	unsigned x = (*(struct sweep_req *const *)a)->weight;
	unsigned y = (*(struct sweep_req *const *)b)->weight;

	return x > y ? -1 : x < y;
}

/* q[0..n) begin here: each to the lighter lane, the heaviest first. */
static void join(struct pass *ps, struct sweep_req **q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		start(q[i]);
	qsort(q, n, sizeof(*q), heavier_first);
	helper_wait(&ps->h);
	for (size_t i = 0; i < n; i++) {
		int l = ps->load[1] < ps->load[0];

		if (q[i]->err || q[i]->lo == q[i]->hi) {	/* nothing to feed it */
			finish(q[i]);
			continue;
		}
		q[i]->lane = (uint8_t)l;
		ps->act[l][ps->nact[l]++] = q[i];
		ps->load[l] += q[i]->weight;
	}
}

/* The active requests that end at or before off leave, finished. */
static void leave(struct pass *ps, int64_t off)
{
	helper_wait(&ps->h);
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < ps->nact[l];) {
			struct sweep_req *q = ps->act[l][i];

			if (q->hi > off) {
				i++;
				continue;
			}
			finish(q);
			ps->load[l] -= q->weight;
			ps->act[l][i] = ps->act[l][--ps->nact[l]];
		}
}

/* ---- the pass --------------------------------------------------------------- */

static int by_lo(const void *a, const void *b)
{
	int64_t x = (*(struct sweep_req *const *)a)->lo, y = (*(struct sweep_req *const *)b)->lo;

	return x < y ? -1 : x > y;
}

static int by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every lo and hi, sorted, each once; *nb of them. */
static int64_t *boundaries(struct sweep_req *const *q, size_t n, size_t *nb)
{
	int64_t *b = malloc(2 * n * sizeof(*b));
	size_t k = 0;

	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		b[2 * i] = q[i]->lo;
		b[2 * i + 1] = q[i]->hi;
	}
	qsort(b, 2 * n, sizeof(*b), by_value);
	for (size_t i = 0; i < 2 * n; i++)
		if (k == 0 || b[k - 1] != b[i])
			b[k++] = b[i];
	*nb = k;
	return b;
}

/* The chunks' buffers: one, until there is a helper to read ahead of. */
static int buffers(struct pass *ps)
{
	for (int k = 0; k < (ps->cpus > 1 ? NBUF : 1); k++)
		if (!(ps->buf[k] = malloc(PIECE)))
			return -1;
	return 0;
}

static void pass_release(struct pass *ps)
{
	helper_stop(&ps->h);
	free(ps->act[0]);
	free(ps->act[1]);
	for (int k = 0; k < NBUF; k++)
		free(ps->buf[k]);
}

int sweep_image(struct resolver *r, struct sweep_req **q, size_t n)
{
	struct pass ps = { .r = r, .load = { READ_WEIGHT, 0 }, .cpus = cpus(),
			   .h = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER } };
	size_t nb = 0, next = 0;
	int64_t *b;

	if (n == 0)
		return 0;
	if (!(b = boundaries(q, n, &nb)) || !(ps.act[0] = malloc(n * sizeof(*q))) ||
	    !(ps.act[1] = malloc(n * sizeof(*q))) || buffers(&ps) < 0) {
		free(b);
		pass_release(&ps);
		return ENOMEM;
	}
	ps.h.act = ps.act[1];
	ps.h.nact = &ps.nact[1];
	qsort(q, n, sizeof(*q), by_lo);
	for (size_t k = 0; k < nb; k++) {
		size_t first = next;

		leave(&ps, b[k]);
		while (next < n && q[next]->lo <= b[k])
			next++;
		join(&ps, q + first, next - first);
		if (k + 1 < nb && ps.nact[0] + ps.nact[1])
			feed_span(&ps, b[k], b[k + 1]);
	}
	leave(&ps, INT64_MAX);
	free(b);
	pass_release(&ps);
	return 0;
}

/*
 * run.c -- the steps of one run, in order: manifest -> target (look only)
 * -> plan -> target (open) -> batch -> engine -> verify -> commit ->
 * report.  Nothing is written before the plan is complete; every error
 * before that point exits 2 with the target untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cli/progress.h"
#include "cli/run.h"

/* Print an error; messages that carry FILE:LINE:COL stand alone.  Control
 * bytes (from a path in a manifest someone else wrote) are shown as \xHH,
 * never sent to the terminal. */
int complain(const char *msg, int located)
{
	const unsigned char *p = (const unsigned char *)(msg ? msg : strerror(ENOMEM));

	fputs(located ? "" : "aiowrite-cli: ", stderr);
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			putc(*p, stderr);
	putc('\n', stderr);
	return EXIT_USAGE;
}

static int load_manifest(struct manifest *m, const struct options *o, char **err)
{
	manifest_init(m);
	if (o->manifest && manifest_add_file(m, o->manifest, err) < 0)
		return -1;
	for (size_t i = 0; i < o->nline; i++)
		if (manifest_add_line(m, o->line[i], err) < 0)
			return -1;
	return 0;
}

/* SPEC §5: auto is aio for a seekable target without filters, else stream.
 * aio needs a target that takes writes at offsets; filters and --patch each
 * tie the run to one mode. */
static int choose_mode(const struct options *o, const struct target *t)
{
	int seekable = t->type != TARGET_STREAM && !t->append;
	const char *why = NULL;
	int mode = o->mode;

	if (mode == MODE_AUTO)
		mode = seekable && !o->nfilter ? MODE_AIO : MODE_STREAM;
	if (mode == MODE_AIO && o->nfilter)
		why = "--mode=aio cannot apply filters: they need stream mode";
	else if (mode == MODE_AIO && !seekable)
		why = t->append ? "--mode=aio needs a target that can seek; this one appends"
				: "--mode=aio needs a target that can seek; this one cannot";
	else if (o->verify && o->nfilter)
		why = "--verify compares the target with the image, but filters change the bytes";
	else if (o->verify && !seekable)
		why = "--verify needs a target that can be read back";
	else if (mode == MODE_STREAM && o->patch)
		why = seekable ? "--patch writes in place, which needs aio mode (no filters)"
			       : "--patch needs a target that can seek";
	if (why) {
		fprintf(stderr, "aiowrite-cli: %s\n", why);
		return -1;
	}
	return mode;
}

/* The -f filters, in command-line order; 0, or -1 with *err. */
static int build_filters(struct stage **head, const struct options *o, char **err)
{
	struct stage **link = head;

	for (size_t i = 0; i < o->nfilter; i++) {
		if (!(*link = filter_create(o->filter[i], err)))
			return -1;
		link = &(*link)->next;
	}
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int exit_status(const struct engine_result *r, uint64_t failed)
{
	if (r->signal)
		return 128 + r->signal;
	return failed ? EXIT_FAILED : EXIT_OK;
}

static int dry_run(struct run *x)
{
	struct summary s = {
		.batch = x->batch_id, .target = x->t.path, .mode = x->engine->name,
		.fragments = x->m.nfrag, .dry_run = 1, .image_len = x->p.image_len,
	};

	for (size_t i = 0; i < x->p.npf; i++)
		if (x->p.pf[i].kind != FRAG_ZERO)
			s.requests += ((uint64_t)x->p.pf[i].len + x->o.request_size - 1) /
				      x->o.request_size;
	report_plan(&x->rp, &x->p, x->o.request_size);
	report_summary(&x->rp, &s);
	return report_close(&x->rp) ? EXIT_FAILED : EXIT_OK;
}

/* A reader that closed the pipe (`| head -c 10`) ends the run quietly: the
 * exit status says it, and the report is kept only for a --report-file. */
static int reader_went_away(const struct run *x)
{
	int epipe = x->r.flush.err == EPIPE;

	for (size_t i = 0; i < x->r.nfrag && !epipe; i++)
		epipe = x->r.frag[i].err == EPIPE;
	return epipe && x->t.type == TARGET_STREAM && !x->rp.own;
}

static int open_target(struct run *x, char **err)
{
	if (x->o.atomic)
		return target_open_atomic(&x->t, x->o.force, x->o.patch, x->p.image_len, x->m.size,
					  err);
	return target_open(&x->t, x->o.force, x->o.patch, x->p.image_len, x->m.size, err);
}

/* --atomic: only a complete, verified result replaces the target. */
static void commit_target(struct run *x)
{
	int ok = !x->r.signal && !x->r.failed && !x->r.truncate.err && !x->r.sync.err &&
		 !x->r.flush.err && !x->r.verify.err;

	if (!x->t.tmp_path)
		return;
	if (!ok) {
		target_abort(&x->t);
		return;
	}
	x->r.commit.done = 1;
	x->r.commit.err = target_commit(&x->t);
}

/* --verify: a fresh batch of the plan, read back through a descriptor of
 * our own (the target's may be write-only). */
static int verify_image(struct run *x)
{
	char path[64];
	const char *name = x->t.tmp_path ? x->t.tmp_path : x->t.path;
	io_batch *b = plan_batch(&x->p, 0);
	int fd, rc;

	if (!b)
		return -1;
	if (x->t.is_stdout) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", x->t.fd);
		name = path;
	}
	fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		x->r.verify.done = 1;
		x->r.verify.err = errno;
		x->r.failed++;
		rc = 0;
	} else {
		rc = engine_verify(b, fd, &x->r);
		close(fd);
	}
	iob_free(b);
	return rc;
}

/* What the engine will write: zero ranges left as holes are not. */
static uint64_t bytes_to_write(const io_batch *b, int holes)
{
	uint64_t n = 0;

	for (size_t i = b->next; i < b->used; i++)
		if (!(holes && b->e[i].kind == IOB_ZERO))
			n += b->e[i].n;
	return n;
}

static int write_image(struct run *x)
{
	int rc;

	struct engine_opts eo = {
		.queue_depth = x->o.queue_depth, .request_size = x->o.request_size,
		.sync = x->o.sync, .pack = !x->o.verbose, .hook = report_request,
		.hook_ctx = &x->rp, .stop = x->stop,
		.filters = x->filters,
	};
	struct summary s = { .batch = x->batch_id, .target = x->t.path, .mode = x->engine->name,
			     .fragments = x->m.nfrag, .sync = x->o.sync, .r = &x->r };
	struct progress pg;
	struct timespec t0;
	uint64_t total;

	/* Memory goes to what is still needed: the plan holds what the rest
	 * of the run needs of each fragment, and the batch the pieces' order
	 * (only --verify asks for them again). */
	manifest_drop_fragments(&x->m);
	x->b = plan_batch(&x->p, x->engine == &engine_stream);
	if (x->b && !x->o.verify)
		plan_drop_pieces(&x->p);
	x->r.nfrag = x->p.npf;
	/* Zeroed by writing: calloc's fresh pages would fault twice, once
	 * mapped as zeros on the engine's first read, again on its write (and
	 * the compiler would turn malloc + memset back into calloc). */
	x->r.frag = malloc((x->p.npf ? x->p.npf : 1) * sizeof(*x->r.frag));
	if (!x->r.frag || !x->b)
		return complain(NULL, 0);
	explicit_bzero(x->r.frag, (x->p.npf ? x->p.npf : 1) * sizeof(*x->r.frag));
	total = bytes_to_write(x->b, x->engine == &engine_aio && x->t.holes);
	if (progress_wanted(x->o.progress, total)) {
		progress_start(&pg, stderr, total);
		eo.progress = progress_update;
		eo.progress_ctx = &pg;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = x->engine->run(x->b, &x->t, &eo, &x->r);
	if (eo.progress)
		progress_end(&pg);
	if (rc < 0)
		return complain(strerror(errno), 0);
	x->r.signal = *x->stop;
	if (x->o.verify && !*x->stop && verify_image(x) < 0)
		return complain(strerror(errno), 0);
	commit_target(x);
	s.seconds = seconds_since(&t0);
	s.requests = x->r.requests;
	s.failed = x->r.failed + (x->r.truncate.err != 0) + (x->r.sync.err != 0) +
		   (x->r.flush.err != 0) + (x->r.commit.err != 0); /* verify's are in r.failed */
	s.bytes_written = x->r.bytes_written;
	s.bytes_out = x->r.bytes_out;
	s.exit = exit_status(&x->r, s.failed);
	if (reader_went_away(x))
		x->rp.format = REPORT_NONE;
	report_fragments(&x->rp, &x->p, &x->r);
	report_summary(&x->rp, &s);
	if (report_close(&x->rp) && s.exit == EXIT_OK)
		s.exit = EXIT_FAILED;
	return s.exit;
}

static int prepare(struct run *x, char **err)
{
	struct plan_opts po = { .allow_overlap = x->o.allow_overlap, .confine = x->o.confine };
	const char *path = x->o.output ? x->o.output : "-";
	uuid_t id;
	int mode;

	if (load_manifest(&x->m, &x->o, err) < 0)
		return complain(*err, strncmp(*err ? *err : "", "cannot ", 7) != 0);
	if (!x->o.output && x->m.output)
		path = x->m.output;
	if (target_probe(&x->t, path, err) < 0)
		return complain(*err, 0);
	if ((mode = choose_mode(&x->o, &x->t)) < 0)
		return EXIT_USAGE;
	x->engine = mode == MODE_AIO ? &engine_aio : &engine_stream;
	if (build_filters(&x->filters, &x->o, err) < 0)
		return complain(*err, 0);
	po.pass_through = mode == MODE_STREAM && !x->o.verify;
	po.dry_run = x->o.dry_run;
	po.target_exists = x->t.type != TARGET_NONE;
	po.target_dev = x->t.dev;
	po.target_ino = x->t.ino;
	if (plan_build(&x->p, &x->m, &po, err) < 0)
		return complain(*err, 1);
	if (target_check(&x->t, x->o.force, x->o.patch, x->p.image_len, err) < 0 ||
	    report_open(&x->rp, &x->o, &x->t, &x->m, &x->p, err) < 0)
		return complain(*err, 0);
	uuid_generate_random(id);
	uuid_unparse_lower(id, x->batch_id);
	return EXIT_OK;
}

int run(struct run *x)
{
	char *err = NULL;
	int rc;

	if ((rc = prepare(x, &err)) != EXIT_OK)
		;
	else if (x->o.dry_run)
		rc = report_begin(&x->rp, &x->t, &err) < 0 ? complain(err, 0) : dry_run(x);
	else if (open_target(x, &err) < 0 || report_begin(&x->rp, &x->t, &err) < 0)
		rc = complain(err, 0);
	else
		rc = write_image(x);
	free(err);
	return rc;
}

void run_release(struct run *x)
{
	report_close(&x->rp);
	iob_free(x->b);
	stage_destroy_chain(x->filters);
	target_close(&x->t);
	plan_release(&x->p);
	free(x->r.frag);
	manifest_release(&x->m);
	options_release(&x->o);
}

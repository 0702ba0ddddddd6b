/*
 * run.c -- the steps of one run, in order (run() is the list): manifest ->
 * target (look only) -> options -> filters -> plan -> report -> target
 * (open) -> batch -> engine -> verify -> commit -> report.  Nothing is
 * written before the plan is complete; every error before that point
 * exits 2 with the target untouched, and all of them are reported at once.
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
#include "plan/decode.h"
#include "util/io.h"
#include "util/mem.h"

/* Every line of the manifest; the lines with errors are reported and left
 * out, so that the plan can still check the sources of the others. */
static void read_manifest(struct run *x)
{
	manifest_init(&x->m);
	/* SPEC §11: errors sorted by place, an include's where it is read. */
	x->errs.order = manifest_place_order;
	x->errs.order_ctx = &x->m;
	x->m.no_env = x->o.confine != NULL;	/* SPEC §8.3: not the environment */
	if (x->o.confine) {	/* "": no such directory, which the plan reports */
		x->confine_real = realpath(x->o.confine, NULL);
		x->m.confine = x->confine_real ? x->confine_real : "";
	}
	for (size_t i = 0; i < x->o.ndefine; i++)
		manifest_define(&x->m, x->o.define[i], &x->errs);
	if (x->o.manifest)
		manifest_add_file(&x->m, x->o.manifest, &x->errs);
	for (size_t i = 0; i < x->o.nline; i++)
		manifest_add_line(&x->m, x->o.line[i], &x->errs);
}

static int probe_target(struct run *x)
{
	const char *path = x->o.output ? x->o.output : x->m.output ? x->m.output : "-";

	/* --confine: a manifest you did not write chooses no target outside
	 * DIR with its `output` line (-o is yours). */
	if (x->o.confine && !x->o.output && x->m.output &&
	    (!x->confine_real || !path_inside(x->confine_real, x->m.output))) {
		const struct directive *d = &x->m.output_at;

		return error_at(&x->errs, (struct place){ .file = x->m.origin[d->origin].name,
							  .rank = d->origin, .line = d->line,
							  .col = d->col },
				"'output' names '%s', outside --confine's directory; give -o",
				x->m.output);
	}
	if (target_probe(&x->t, path, &x->errs) < 0)
		return -1;
	x->t.direct = x->o.direct;
	return 0;
}

/* Whether the output is bytes a terminal should not get: no filter, or a
 * last filter that does not write text. */
static int binary_output(const struct stage *filters)
{
	const struct stage *last = filters;

	while (last && last->next)
		last = last->next;
	return !last || !last->ops->text;
}

/* Every check that takes more than one option, or an option and the
 * target, in one place; then the engine (SPEC §5: auto is aio for a
 * seekable target without filters, else stream).  0 or -1 with errors. */
static int check_options(struct run *x)
{
	const struct options *o = &x->o;
	const struct target *t = &x->t;
	int seekable = t->type != TARGET_STREAM && !t->append;
	int mode = o->mode == MODE_AUTO ? (seekable && !o->nfilter ? MODE_AIO : MODE_STREAM)
					: o->mode;
	size_t before = x->errs.total;
	struct errors *err = &x->errs;

	if (o->force && o->patch)
		error_add(err, "--force and --patch exclude each other");
	if (o->verbose && o->quiet)
		error_add(err, "--verbose and --quiet exclude each other");
	if (mode == MODE_AIO && o->nfilter)
		error_add(err, "--mode=aio cannot apply filters: they need stream mode");
	else if (mode == MODE_AIO && !seekable)
		error_add(err, "--mode=aio needs a target that can seek; this one %s",
			  t->append ? "appends" : "cannot");
	else if (o->verify && o->nfilter)
		error_add(err, "--verify compares the target with the image, but filters change "
			  "the bytes");
	else if (o->verify && !seekable)
		error_add(err, "--verify needs a target that can be read back");
	else if (mode == MODE_STREAM && o->patch)
		error_add(err, seekable ? "--patch writes in place, which needs aio mode (no filters)"
					: "--patch needs a target that can seek");
	if (o->direct && (t->is_stdout || t->type == TARGET_STREAM || t->append))
		error_add(err, "--direct needs a file or a block device as the target, not %s",
			  t->is_stdout ? "standard output" : "a pipe, socket or terminal");
	if (t->is_stdout && !o->output && !o->dry_run && isatty(STDOUT_FILENO) &&
	    binary_output(x->filters))
		error_add(err, "standard output is a terminal: binary output goes there only with "
			  "-o - (or add -f hex)");
	x->engine = mode == MODE_AIO ? &engine_aio : &engine_stream;
	return x->errs.total > before ? -1 : 0;
}

/* The -f filters, in command-line order. */
static int build_filters(struct run *x)
{
	struct stage **link = &x->filters;

	for (size_t i = 0; i < x->o.nfilter; i++) {
		if (!(*link = filter_create_threads(x->o.filter[i], x->o.threads, &x->errs)))
			return -1;
		link = &(*link)->next;
	}
	return 0;
}

/* After errors in the manifest, the plan only checks the sources. */
static int make_plan(struct run *x)
{
	struct plan_opts po = {
		.allow_overlap = x->o.allow_overlap, .confine = x->o.confine,
		.pass_through = x->engine == &engine_stream && !x->o.verify,
		.dry_run = x->o.dry_run, .check_only = x->errs.total != 0,
		.patch = x->o.patch,
		.target_path = x->t.is_stdout ? "/proc/self/fd/1" : x->t.path,
		.target_exists = x->t.type != TARGET_NONE,
		.target_dev = x->t.dev, .target_ino = x->t.ino,
	};

	return plan_build(&x->p, &x->m, &po, &x->errs);
}

/* Everything before anything is written: 0, or -1 with every error found
 * in x->errs. */
static int prepare(struct run *x)
{
	uuid_t id;

	read_manifest(x);
	if (probe_target(x) < 0 || build_filters(x) < 0 || check_options(x) < 0)
		return -1;
	if (make_plan(x) < 0 || x->errs.total)
		return -1;
	if (target_check(&x->t, x->o.force, x->o.patch, x->p.image_len, &x->errs) < 0 ||
	    report_open(&x->rp, &x->o, &x->t, &x->m, &x->p, &x->errs) < 0)
		return -1;
	uuid_generate_random(id);
	uuid_unparse_lower(id, x->batch_id);
	x->s = (struct summary){ .batch = x->batch_id, .target = x->t.path, .engine = x->engine,
				 .fragments = x->m.nfrag, .sync = x->o.sync,
				 .image_len = x->p.image_len };
	return 0;
}

static int dry_run(struct run *x)
{
	if (report_begin(&x->rp, &x->t, &x->errs) < 0)
		return complain(&x->errs);
	x->s.dry_run = 1;
	x->s.requests = report_plan(&x->rp, &x->p, x->o.request_size);
	report_summary(&x->rp, &x->s);
	return report_close(&x->rp) ? EXIT_FAILED : EXIT_OK;
}

static int open_target(struct run *x)
{
	int rc;
	int64_t size = x->m.size_at.set ? x->p.image_len : -1;

	if (x->o.atomic)
		rc = target_open_atomic(&x->t, x->o.force, x->o.patch, x->p.image_len, size,
					&x->errs);
	else
		rc = target_open(&x->t, x->o.force, x->o.patch, x->p.image_len, size, &x->errs);
	if (rc < 0 || report_begin(&x->rp, &x->t, &x->errs) < 0)
		return -1;
	return 0;
}

/* The batch, and the outcomes it will fill; made before the target is
 * opened, so that a batch that cannot be made (no pipe or thread left for a
 * decoded fragment) leaves no target behind.  Memory goes to what is still
 * needed: the plan holds what the rest of the run needs of each fragment,
 * and the batch the pieces' order (only --verify asks for them again). */
static int make_batch(struct run *x)
{
	size_t n = x->p.npf ? x->p.npf : 1;

	manifest_drop_fragments(&x->m);
	/* `pad` gaps are written in every mode (SPEC §8.3). */
	x->b = plan_batch(&x->p, x->engine->whole_image || x->p.pad_set);
	if (x->b && !x->o.verify)
		plan_drop_pieces(&x->p);
	x->r.nfrag = x->p.npf;
	/* Zeroed by writing: calloc's fresh pages would fault twice, once
	 * mapped as zeros on the engine's first read, again on its write (and
	 * the compiler would turn malloc + memset back into calloc). */
	if (!x->b)	/* a pipe or a thread for a decoded fragment, or memory */
		return error_add(&x->errs, "cannot set up the writes: %s", strerror(errno));
	x->r.frag = mem_realloc(NULL, n * sizeof(*x->r.frag));
	if (!x->r.frag)
		return error_nomem(&x->errs);
	explicit_bzero(x->r.frag, n * sizeof(*x->r.frag));
	return 0;
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

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int write_image(struct run *x)
{
	struct engine_opts eo = {
		.queue_depth = x->o.queue_depth, .request_size = x->o.request_size,
		.sync = x->o.sync, .hook = report_request, .hook_ctx = &x->rp, .stop = x->stop,
		.filters = x->filters, .clone = !x->o.no_clone,
	};
	struct progress pg;
	struct timespec t0;
	uint64_t total = bytes_to_write(x->b, x->engine->makes_holes(&x->t, x->filters));
	int rc;

	if (progress_wanted(x->o.progress, total)) {
		progress_start(&pg, stderr, total);
		eo.progress = progress_update;
		eo.progress_ctx = &pg;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = x->engine->run(x->b, &x->t, &eo, &x->r);
	if (eo.progress)
		progress_end(&pg);
	x->r.signal = *x->stop;
	x->s.seconds = seconds_since(&t0);
	return rc < 0 ? error_nomem(&x->errs) : 0;
}

/* SPEC §11: after a signal, every fragment not fully written failed with
 * EINTR. */
static void mark_interrupted(struct run *x)
{
	if (!x->r.signal)
		return;
	for (size_t i = 0; i < x->r.nfrag; i++) {
		struct frag_outcome *f = &x->r.frag[i];

		if (!f->err && (int64_t)frag_done(&x->r, i) < plan_visible(&x->p, i)) {
			f->err = EINTR;
			f->interrupted = 1;
		}
	}
}

/* Decoded sources (SPEC §9.3): stop their threads once the batch is read.
 * A fragment whose decoder found the data corrupt or truncated failed with
 * that (EBADMSG): its stream came up short (not a short source, then), or
 * a checksum at the end of the data showed the damage after its bytes went
 * through (a failure of its own, then). */
static void end_decoding(struct run *x)
{
	plan_decode_stop(&x->p);
	for (size_t i = 0; i < x->r.nfrag; i++) {
		struct frag_outcome *f = &x->r.frag[i];
		int err = plan_decode_error(&x->p, i);

		if (!err || (f->err && !(f->err == EIO && f->source_short)))
			continue;
		x->r.failed += f->err == 0;
		f->err = (int16_t)err;
		f->source_short = 0;
	}
}

/* --verify: a fresh batch of the plan, read back through a descriptor of
 * our own (the target's may be write-only). */
static int verify_image(struct run *x)
{
	char path[64];
	const char *name = x->t.tmp_path ? x->t.tmp_path : x->t.path;
	io_batch *b;
	int fd, rc = 0;

	if (!x->o.verify || x->r.signal)
		return 0;
	if (!(b = plan_batch(&x->p, 0)))
		return error_nomem(&x->errs);
	if (x->t.is_stdout) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", x->t.fd);
		name = path;
	}
	fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		x->r.verify.done = 1;
		x->r.verify.err = errno;
	} else {
		if (engine_verify(b, fd, &x->r) < 0)
			rc = error_nomem(&x->errs);
		close(fd);
	}
	iob_free(b);
	plan_decode_stop(&x->p);
	return rc;
}

/* The failures of the run, counted in one place: failed requests, steps
 * after the writes, and fragments that failed without a request of their
 * own (--verify differences, an interruption). */
static void count_failures(struct run *x)
{
	const struct engine_result *r = &x->r;

	x->s.failed = r->failed + (r->truncate.err != 0) + (r->sync.err != 0) +
		      (r->flush.err != 0);
	x->s.mismatches = 0;
	for (size_t i = 0; i < r->nfrag; i++) {
		x->s.mismatches += r->frag[i].verify_failed;
		x->s.failed += r->frag[i].verify_failed || r->frag[i].interrupted;
	}
	/* --verify that failed before any fragment could be compared. */
	x->s.failed += r->verify.err && !x->s.mismatches;
}

/* --atomic: only a complete, verified result replaces the target. */
static void commit_target(struct run *x)
{
	if (!x->t.tmp_path)
		return;
	if (x->r.signal || x->s.failed) {
		target_abort(&x->t);
		return;
	}
	x->r.commit.done = 1;
	x->r.commit.err = target_commit(&x->t);
	x->s.failed += x->r.commit.err != 0;
}

/* SPEC §11: a replaced target that did not get its new content whole has
 * lost its old one; say so, and what would have kept it. */
static void say_what_was_lost(const struct run *x)
{
	if (x->s.failed && x->o.force && !x->o.atomic && x->t.type == TARGET_REGULAR &&
	    x->t.replaced)
		warn("'%s' is incomplete and its old content is gone: --force replaced it before "
		     "the writes; --atomic keeps the old content until the new one is whole",
		     x->t.path);
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

static int report_result(struct run *x)
{
	struct summary *s = &x->s;

	s->r = &x->r;
	s->requests = x->r.requests;
	s->bytes_written = x->r.bytes_written;
	s->bytes_out = x->r.bytes_out;
	s->signal = x->r.signal;
	s->exit = s->signal ? 128 + s->signal : s->failed ? EXIT_FAILED : EXIT_OK;
	say_what_was_lost(x);
	if (reader_went_away(x))
		x->rp.format = REPORT_NONE;
	report_fragments(&x->rp, &x->p, &x->r);
	report_summary(&x->rp, s);
	if (report_close(&x->rp) && s->exit == EXIT_OK)
		s->exit = EXIT_FAILED;
	return s->exit;
}

int run(struct run *x)
{
	if (prepare(x) < 0)
		return complain(&x->errs);
	if (x->o.dry_run)
		return dry_run(x);
	if (x->catch_stop)
		x->catch_stop();
	if (make_batch(x) < 0 || open_target(x) < 0 || write_image(x) < 0)
		return complain(&x->errs);
	end_decoding(x);
	mark_interrupted(x);
	if (verify_image(x) < 0)
		return complain(&x->errs);
	count_failures(x);
	commit_target(x);
	return report_result(x);
}

void run_release(struct run *x)
{
	report_close(&x->rp);
	iob_free(x->b);
	stage_destroy_chain(x->filters);
	target_close(&x->t);
	plan_release(&x->p);
	mem_free(x->r.frag);
	free(x->confine_real);
	free(x->r.holes);
	free(x->r.cloned);
	manifest_release(&x->m);
	options_release(&x->o);
	errors_release(&x->errs);
}

/*
 * report.c -- the only place that turns results into text.
 *
 * Text: a table with one row per fragment (a long list is shortened to its
 * failures, never dropping one), then a one-line summary.  JSON Lines: the
 * records of SPEC §6, one object per line, the summary last.  Steps after
 * the writes (setting the length, the sync) get a record of their own and
 * count as failed requests when they fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/report.h"
#include "util/escape.h"
#include "util/units.h"

#define TEXT_LIST_MAX 200	/* beyond this the text list shows failures only */

const char *errno_name(int err)
{
	static char buf[16];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (s[0] >= 0xf8 || len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* A JSON string; bytes that are not UTF-8 come out as \u00XX. */
static void json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	if (!str) {
		fputs("null", out);
		return;
	}
	n = strlen(str);
	putc('"', out);
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (s[i] == '"' || s[i] == '\\')
			fprintf(out, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			fprintf(out, "\\u%04x", s[i]);
		else if (s[i] < 0x80)
			putc(s[i], out);
		else if ((len = utf8_len(s + i, n - i)) != 0) {
			fwrite(s + i, 1, len, out);
			i += len - 1;
		} else
			fprintf(out, "\\u%04x", s[i]);
	}
	putc('"', out);
}

static void json_error(FILE *out, int err, const char *message)
{
	if (!err) {
		fputs("\"error\":null,\"message\":null", out);
		return;
	}
	fprintf(out, "\"error\":\"%s\",\"message\":", errno_name(err));
	json_string(out, message ? message : strerror(err));
}

/* Colour the result column on a terminal only, and never with NO_COLOR. */
static int use_colour(FILE *out)
{
	const char *term = getenv("TERM");

	return isatty(fileno(out)) && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
}

/* The report file must not be the target or a source: opening it for
 * writing would destroy one of them. */
static int check_report_file(const char *path, const struct target *t, const struct plan *p,
			     struct errors *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	if (t->type != TARGET_NONE && st.st_dev == t->dev && st.st_ino == t->ino)
		return error_add(err, "report file '%s' is the target", path);
	for (size_t i = 0; i < p->nsrc; i++)
		if (st.st_dev == p->src[i].dev && st.st_ino == p->src[i].ino)
			return error_add(err, "report file '%s' is one of the sources", path);
	return 0;
}

int report_open(struct report *rp, const struct options *o, const struct target *t,
		const struct manifest *m, const struct plan *p, struct errors *err)
{
	int fd;

	memset(rp, 0, sizeof(*rp));
	rp->format = o->report;
	rp->verbose = o->verbose;
	rp->quiet = o->quiet;
	rp->m = m;
	rp->p = p;
	if (!o->report_file || o->report == REPORT_NONE) {
		rp->out = t->is_stdout ? stderr : stdout;
		rp->colour = rp->format == REPORT_TEXT && use_colour(rp->out);
		return 0;
	}
	if (check_report_file(o->report_file, t, p, err) < 0)
		return -1;
	/* Not truncated yet: that waits for report_begin, after the target opened. */
	fd = open(o->report_file, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0 || !(rp->out = fdopen(fd, "w"))) {
		error_add(err, "cannot open report file '%s': %s", o->report_file,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rp->own = 1;
	rp->path = o->report_file;
	return 0;
}

int report_begin(struct report *rp, const struct target *t, struct errors *err)
{
	struct stat st;

	if (!rp->own)
		return 0;
	if (fstat(fileno(rp->out), &st) < 0)
		return error_add(err, "cannot use report file '%s': %s", rp->path, strerror(errno));
	if (t->fd >= 0 && st.st_dev == t->dev && st.st_ino == t->ino)
		return error_add(err, "report file '%s' is the target", rp->path);
	if (S_ISREG(st.st_mode) && ftruncate(fileno(rp->out), 0) < 0)
		return error_add(err, "cannot truncate report file '%s': %s", rp->path,
			      strerror(errno));
	return 0;
}

/* The manifest line of fragment tag (0 for a gap). */
static unsigned line_of(const struct report *rp, uint32_t tag)
{
	return tag < rp->p->npf ? rp->p->pf[tag].line : 0;
}

/* The lines a request carried: all of them in JSON, the first few in text. */
static void request_lines(struct report *rp, const struct request_outcome *q)
{
	enum { TEXT_LINES = 8 };
	int json = rp->format == REPORT_JSON;

	fputs(json ? "[" : (q->ntags > 1 ? "lines " : "line "), rp->out);
	for (size_t i = 0; i < q->ntags && (json || i < TEXT_LINES); i++)
		fprintf(rp->out, "%s%u", i ? "," : "", line_of(rp, q->tags[i]));
	if (!json && q->ntags > TEXT_LINES)
		fprintf(rp->out, ",... (%zu fragments)", q->ntags);
	if (json)
		putc(']', rp->out);
}

void report_request(void *ctx, const struct request_outcome *q)
{
	struct report *rp = ctx;
	unsigned line = q->ntags ? line_of(rp, q->tags[0]) : 0;

	if (!rp->verbose || rp->format == REPORT_NONE)
		return;
	if (rp->format == REPORT_JSON) {
		fprintf(rp->out, "{\"type\":\"request\",\"req\":%" PRIu64 ",\"line\":%u,\"lines\":",
			q->req, line);
		request_lines(rp, q);
		fprintf(rp->out, ",\"offset\":%" PRId64 ",\"length\":%" PRId64
			",\"aio_error\":%d,\"aio_return\":%" PRId64 "}\n",
			q->at, q->len, q->err, q->ret);
		return;
	}
	fprintf(rp->out, "  request %" PRIu64 ": ", q->req);
	request_lines(rp, q);
	fprintf(rp->out, " at 0x%" PRIx64 "+%" PRId64 ": aio_error %d%s%s%s, aio_return %" PRId64
		"\n", (uint64_t)q->at, q->len, q->err, q->err ? " (" : "",
		q->err ? errno_name(q->err) : "", q->err ? ")" : "", q->ret);
}

static const char *fragment_message(const struct frag_outcome *f)
{
	static char buf[128];

	if (f->err == EIO && f->source_short)
		return "source ended before its length";
	if (f->err == EBADMSG)
		return "the compressed source is corrupt or truncated";
	if (f->verify_failed && f->mismatch_at >= 0) {
		snprintf(buf, sizeof(buf), "verify: the target holds other bytes, first at 0x%llx",
			 (unsigned long long)f->mismatch_at);
		return buf;
	}
	if (f->verify_failed) {
		snprintf(buf, sizeof(buf), "verify: cannot read back: %s", strerror(f->err));
		return buf;
	}
	return strerror(f->err);
}

static const char *fragment_result(const struct engine_result *r, const struct plan *p, size_t i)
{
	const struct frag_outcome *f = &r->frag[i];

	if (f->err)
		return errno_name(f->err);
	if (p->pf[i].unchanged)
		return "unchanged";
	if ((int64_t)frag_done(r, i) < plan_visible(p, i))
		return "not written";
	if (frag_holes(r, i) && f->written == 0)
		return "hole";
	if (plan_visible(p, i) < p->pf[i].len && !p->pf[i].hex)
		return "ok (partly overridden)";
	return "ok";
}

/* "0x1000" */
static const char *hex_offset(char *buf, size_t size, int64_t v)
{
	snprintf(buf, size, "0x%" PRIx64, (uint64_t)v);
	return buf;
}

static const char *result_colour(const struct engine_result *r, const struct plan *p, size_t i)
{
	if (r->frag[i].err)
		return "\033[1;31m";		/* bold red */
	if ((int64_t)frag_done(r, i) < plan_visible(p, i))
		return "\033[33m";		/* yellow */
	return "\033[32m";			/* green */
}

static void text_header(FILE *out)
{
	fprintf(out, "%6s  %-6s  %-26s  %10s  %5s  %10s  %s\n", "line", "kind", "offset", "length",
		"reqs", "written", "result");
}

/* Bytes of fragment i cloned with FICLONERANGE (0 when none were). */
static uint64_t cloned_of(const struct engine_result *r, size_t i)
{
	return r->cloned && i < r->nfrag ? r->cloned[i] : 0;
}

static void text_fragment(struct report *rp, const struct plan *p, size_t i,
			  const struct engine_result *r)
{
	const struct placed *pf = &p->pf[i];
	const struct frag_outcome *f = &r->frag[i];
	char off[48], len[24], done[24], holes[24];

	snprintf(off, sizeof(off), "0x%" PRIx64 " (%" PRId64 ")", (uint64_t)pf->at, pf->at);
	fprintf(rp->out, "%6u  %-6s  %-26s  %10s  %5u  %10s  %s%s", pf->line,
		frag_word(pf->kind, pf->byte), off, human_size(len, sizeof(len), (double)pf->len),
		f->requests, human_size(done, sizeof(done), (double)f->written),
		rp->colour ? result_colour(r, p, i) : "", fragment_result(r, p, i));
	if (frag_holes(r, i) && f->written)
		fprintf(rp->out, ", %s left as holes",
			human_size(holes, sizeof(holes), (double)frag_holes(r, i)));
	if (cloned_of(r, i))
		fprintf(rp->out, ", %s cloned",
			human_size(done, sizeof(done), (double)cloned_of(r, i)));
	if (f->err)
		fprintf(rp->out, ": %s", fragment_message(f));
	fputs(rp->colour ? "\033[0m\n" : "\n", rp->out);
}

static void json_fragment(struct report *rp, const struct placed *pf,
			  const struct engine_result *r, size_t i)
{
	const struct frag_outcome *f = &r->frag[i];

	fprintf(rp->out,
		"{\"type\":\"fragment\",\"line\":%u,\"kind\":\"%s\",\"offset\":%" PRId64
		",\"length\":%" PRId64 ",\"requests\":%u,\"written\":%" PRIu64 ",\"holes\":%" PRIu64
		",\"cloned\":%" PRIu64 ",", pf->line, frag_word(pf->kind, pf->byte), pf->at, pf->len,
		f->requests, f->written, frag_holes(r, i), cloned_of(r, i));
	json_error(rp->out, f->err, f->err ? fragment_message(f) : NULL);
	fputs(pf->unchanged ? ",\"unchanged\":true}\n" : "}\n", rp->out);
}

void report_fragments(struct report *rp, const struct plan *p, const struct engine_result *r)
{
	size_t hidden = 0;
	int shorten = rp->format == REPORT_TEXT && !rp->verbose && p->npf > TEXT_LIST_MAX;

	if (rp->format == REPORT_NONE)
		return;
	if (rp->format == REPORT_TEXT && !rp->quiet && p->npf)
		text_header(rp->out);
	for (size_t i = 0; i < p->npf; i++) {
		const struct frag_outcome *f = &r->frag[i];

		if ((rp->quiet || shorten) && !f->err) {
			hidden += !rp->quiet;
			continue;
		}
		if (rp->format == REPORT_JSON)
			json_fragment(rp, &p->pf[i], r, i);
		else
			text_fragment(rp, p, i, r);
	}
	if (hidden)
		fprintf(rp->out, "  (%zu more fragments without failures; -v lists every one)\n",
			hidden);
}

/* The requests a fragment is planned to take: zero ranges take none. */
static uint64_t planned_requests(const struct placed *pf, uint64_t request_size)
{
	if (pf->kind == FRAG_ZERO)
		return 0;
	return ((uint64_t)pf->len + request_size - 1) / request_size;
}

/* A computed field's or digest's bytes, as hex (at most 64 bytes). */
static void value_hex(FILE *out, const struct placed *pf)
{
	static const char digits[] = "0123456789abcdef";

	for (int64_t k = 0; k < pf->len && k < 64; k++) {
		putc(digits[pf->bytes[k] >> 4], out);
		putc(digits[pf->bytes[k] & 15], out);
	}
}

static int computed(const struct placed *pf)
{
	return (pf->kind == FRAG_FIELD || pf->kind == FRAG_DIGEST) && pf->bytes;
}

/* A computed fragment's value: a field's as the number it holds (read in
 * its byte order, pf->byte from frag_shape; negative ones as their two's
 * complement), then its bytes; a digest's as its hex. */
static void print_value(FILE *out, const struct placed *pf, int json)
{
	uint64_t v = 0;
	int be = (pf->byte & 0x80) != 0;

	if (pf->kind == FRAG_DIGEST) {
		fputs(json ? ",\"value\":\"" : "value ", out);
		if (pf->byte & 0x80)	/* text: hex already (frag_shape) */
			fwrite(pf->bytes, 1, (size_t)pf->len, out);
		else
			value_hex(out, pf);
		fputs(json ? "\"" : "", out);
		return;
	}
	for (int64_t k = 0; k < pf->len && k < 8; k++)
		v |= (uint64_t)pf->bytes[be ? pf->len - 1 - k : k] << (8 * k);
	fprintf(out, json ? ",\"value\":\"0x%" PRIx64 "\",\"bytes\":\"" : "value 0x%" PRIx64 " (bytes ",
		v);
	value_hex(out, pf);
	fputs(json ? "\"" : ")", out);
}

static void json_plan_row(struct report *rp, const struct fragment *f, const struct placed *pf,
			  uint64_t reqs)
{
	fprintf(rp->out,
		"{\"type\":\"plan\",\"line\":%u,\"kind\":\"%s\",\"offset\":%" PRId64
		",\"length\":%" PRId64 ",\"requests\":%" PRIu64,
		f->line, frag_word(pf->kind, pf->byte), pf->at, pf->len, reqs);
	if (f->kind == FRAG_FILE) {
		fputs(",\"source\":", rp->out);
		json_string(rp->out, (const char *)f->bytes);
		if (!pf->spooled && !pf->hex)
			fprintf(rp->out, ",\"skip\":%" PRId64, pf->src_off);
	}
	if (computed(pf))
		print_value(rp->out, pf, 1);
	if (pf->unchanged)
		fputs(",\"unchanged\":true", rp->out);
	fputs("}\n", rp->out);
}

static void text_plan_row(struct report *rp, const struct fragment *f, const struct placed *pf)
{
	char hex[24];

	fprintf(rp->out, "%6u  %-6s  %-18s  %12" PRId64 "  ", f->line, frag_word(pf->kind, pf->byte),
		hex_offset(hex, sizeof(hex), pf->at), pf->len);
	if (f->kind == FRAG_FILE) {
		putc('\'', rp->out);
		escape_fputs((const char *)f->bytes, rp->out);
		if (pf->hex)
			fputs("' (HEX records)", rp->out);
		else if (pf->spooled)
			fputs("' (a stream, read ahead)", rp->out);
		else if (pf->pass)
			fputs("' (a stream: a dry run does not read it)", rp->out);
		else
			fprintf(rp->out, "' from %" PRId64, pf->src_off);
	} else if (f->kind == FRAG_FILL) {
		fprintf(rp->out, "byte 0x%02x", pf->byte);
	} else if (computed(pf)) {
		print_value(rp->out, pf, 0);
	} else {
		fputs(f->kind == FRAG_ZERO ? "zeros" : "bytes", rp->out);
	}
	fputs(pf->unchanged ? " (unchanged)\n" : "\n", rp->out);
}

uint64_t report_plan(struct report *rp, const struct plan *p, uint64_t request_size)
{
	uint64_t total = 0;

	for (size_t i = 0; i < p->npf; i++)
		total += planned_requests(&p->pf[i], request_size);
	if (rp->format == REPORT_NONE)
		return total;
	if (rp->format == REPORT_TEXT)
		fprintf(rp->out, "%6s  %-6s  %-18s  %12s  %s\n", "line", "kind", "offset", "length",
			"source");
	for (size_t i = 0; i < p->npf; i++) {
		if (rp->format == REPORT_JSON)
			json_plan_row(rp, &rp->m->frag[i], &p->pf[i],
				      planned_requests(&p->pf[i], request_size));
		else
			text_plan_row(rp, &rp->m->frag[i], &p->pf[i]);
	}
	return total;
}

static void json_step(FILE *out, const char *type, const char *what, const struct step_outcome *s)
{
	fprintf(out, "{\"type\":\"%s\",\"op\":\"%s\",", type, what);
	json_error(out, s->err, NULL);
	fputs("}\n", out);
}

static void json_steps(struct report *rp, const struct summary *s)
{
	const struct engine_result *r = s->r;

	if (r->flush.err)
		json_step(rp->out, "flush", "finish filters", &r->flush);
	if (r->truncate.err)
		json_step(rp->out, "truncate", "ftruncate", &r->truncate);
	if (r->sync.done)
		json_step(rp->out, "sync", s->engine->sync_call[s->sync], &r->sync);
	if (r->verify.done)
		json_step(rp->out, "verify", "read back", &r->verify);
	if (r->commit.done)
		json_step(rp->out, "commit", "fsync, rename, fsync directory", &r->commit);
}

static void text_step_error(FILE *out, const char *what, int err)
{
	fprintf(out, "%s: %s (%s)\n", what, strerror(err), errno_name(err));
}

static void text_steps(struct report *rp, const struct summary *s)
{
	const struct engine_result *r = s->r;
	const char *sync_call = s->engine->sync_call[s->sync];

	if (r->flush.err)
		text_step_error(rp->out, "cannot finish the filters", r->flush.err);
	if (r->truncate.err)
		text_step_error(rp->out, "cannot set the target's length", r->truncate.err);
	if (r->verify.err && !s->mismatches)
		text_step_error(rp->out, "verify: cannot read back", r->verify.err);
	else if (r->verify.done && (s->mismatches || !rp->quiet))
		fprintf(rp->out, "verify: %s\n", s->mismatches ? "the target differs from the image "
			"(see the fragments above)" : "every fragment reads back as written");
	if (r->commit.err)
		fprintf(rp->out, "cannot put the result in place: %s (%s); the target is as it was\n",
			strerror(r->commit.err), errno_name(r->commit.err));
	if (r->sync.done && (r->sync.err || !rp->quiet))
		fprintf(rp->out, "%s: %s%s%s\n", sync_call, r->sync.err ? errno_name(r->sync.err) : "ok",
			r->sync.err ? ": " : "", r->sync.err ? strerror(r->sync.err) : "");
}

static void json_summary(struct report *rp, const struct summary *s)
{
	fputs("{\"type\":\"summary\",\"batch\":", rp->out);
	json_string(rp->out, s->batch);
	fputs(",\"target\":", rp->out);
	json_string(rp->out, s->target);
	fprintf(rp->out,
		",\"mode\":\"%s\",\"fragments\":%zu,\"requests\":%" PRIu64 ",\"failed\":%" PRIu64
		",\"bytes_written\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\"seconds\":%.6f,\"exit\":%d",
		s->engine->name, s->fragments, s->requests, s->failed, s->bytes_written, s->bytes_out,
		s->seconds, s->exit);
	fprintf(rp->out, ",\"holes\":%" PRIu64, s->r ? s->r->holes_total : 0);
	fprintf(rp->out, ",\"cloned\":%" PRIu64, s->r ? s->r->cloned_total : 0);
	if (s->dry_run)
		fputs(",\"dry_run\":true", rp->out);
	else if (s->engine->zero_copy && s->r)
		fprintf(rp->out, ",\"zero_copy\":%" PRIu64, s->r->zero_copy);
	if (s->signal)
		fprintf(rp->out, ",\"interrupted\":\"SIG%s\"", sigabbrev_np(s->signal) ?
			sigabbrev_np(s->signal) : "?");
	fputs("}\n", rp->out);
}

static void text_summary(struct report *rp, const struct summary *s)
{
	char size[24], rate[24];

	escape_fputs(s->target, rp->out);
	if (s->dry_run) {
		fprintf(rp->out, ": dry run: %zu fragment%s, image %" PRId64 " bytes, %" PRIu64
			" request%s planned; %s mode, nothing written\n",
			s->fragments, s->fragments == 1 ? "" : "s", s->image_len, s->requests,
			s->requests == 1 ? "" : "s", s->engine->name);
		return;
	}
	if (s->signal)
		fprintf(rp->out, ": interrupted (SIG%s)", sigabbrev_np(s->signal) ?
			sigabbrev_np(s->signal) : "?");
	fprintf(rp->out, ": %zu fragment%s, %" PRIu64 " request%s, %" PRIu64 " failed, %" PRIu64
		" bytes (%s) written in %.3f s (%s/s); %s mode",
		s->fragments, s->fragments == 1 ? "" : "s", s->requests, s->requests == 1 ? "" : "s",
		s->failed, s->bytes_written, human_size(size, sizeof(size), (double)s->bytes_written),
		s->seconds, human_size(rate, sizeof(rate), s->seconds > 0 ?
				(double)s->bytes_written / s->seconds : 0.0), s->engine->name);
	if (s->r && s->engine->zero_copy)
		fprintf(rp->out, ", %" PRIu64 " bytes out, %" PRIu64 " zero-copy", s->bytes_out,
			s->r->zero_copy);
	if (s->r && s->r->holes_total)
		fprintf(rp->out, ", %" PRIu64 " bytes (%s) left as holes", s->r->holes_total,
			human_size(size, sizeof(size), (double)s->r->holes_total));
	if (s->r && s->r->cloned_total)
		fprintf(rp->out, ", %" PRIu64 " bytes cloned", s->r->cloned_total);
	fprintf(rp->out, ", batch %s\n", s->batch);
}

void report_summary(struct report *rp, const struct summary *s)
{
	if (rp->format == REPORT_NONE)
		return;
	if (s->r && rp->format == REPORT_JSON)
		json_steps(rp, s);
	else if (s->r)
		text_steps(rp, s);
	if (rp->format == REPORT_JSON)
		json_summary(rp, s);
	else
		text_summary(rp, s);
}

int report_close(struct report *rp)
{
	int err = 0;

	if (!rp->out)
		return 0;
	if (fflush(rp->out) != 0 || ferror(rp->out))
		err = errno ? errno : EIO;
	if (rp->own && fclose(rp->out) != 0 && !err)
		err = errno;
	rp->out = NULL;
	return err;
}

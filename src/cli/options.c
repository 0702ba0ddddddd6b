/*
 * options.c -- popt tables, one per group, filling one struct options.
 * Values that take words (--mode, --sync, --report) or sizes (-j, -b) are
 * checked here so that a mistake is a usage error (exit 2) naming the
 * option, before anything else happens; checks that take more than one
 * option (or the target) are in one place, run.c's check_options.
 */
#include <errno.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "engine/engine.h"
#include "filter/filter.h"
#include "manifest/manifest.h"
#include "cli/progress.h"
#include "util/suggest.h"
#include "util/units.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif

enum {
	OPT_DEFINE = 1, OPT_LINE, OPT_FILTER, OPT_MODE, OPT_SYNC, OPT_DEPTH, OPT_REQSIZE, OPT_REPORT,
	OPT_PROGRESS, OPT_NO_PROGRESS, OPT_VERSION, OPT_THREADS
};

static struct poptOption target_table[] = {
	{ "force", '\0', POPT_ARG_NONE, NULL, 'F', "replace an existing non-empty target", NULL },
	{ "output", 'o', POPT_ARG_STRING, NULL, 'o',
	  "the target; - is standard output (default: the manifest's output line, "
	  "else standard output)", "PATH" },
	{ "patch", '\0', POPT_ARG_NONE, NULL, 'P', "write into an existing target in place", NULL },
	POPT_TABLEEND
};

static struct poptOption engine_table[] = {
	{ "direct", '\0', POPT_ARG_NONE, NULL, 'I',
	  "open the target with O_DIRECT: requests of whole aligned blocks, unaligned "
	  "edges read, merged and written (a file or a block device)", NULL },
	{ "mode", 'm', POPT_ARG_STRING, NULL, OPT_MODE,
	  "auto (aio for a seekable target without filters, else stream), aio or stream",
	  "auto|aio|stream" },
	{ "no-clone", '\0', POPT_ARG_NONE, NULL, 'K',
	  "copy file ranges; never share their extents with FICLONERANGE (XFS, btrfs)", NULL },
	{ "queue-depth", 'j', POPT_ARG_STRING, NULL, OPT_DEPTH, NULL, "N" },	/* help_defaults */
	{ "request-size", 'b', POPT_ARG_STRING, NULL, OPT_REQSIZE, NULL, "SIZE" },
	{ "sync", '\0', POPT_ARG_STRING, NULL, OPT_SYNC,
	  "after the writes, aio_fsync with O_DSYNC (data) or O_SYNC (full)", "none|data|full" },
	POPT_TABLEEND
};

static struct poptOption filter_table[] = {
	{ "filter", 'f', POPT_ARG_STRING, NULL, OPT_FILTER,
	  "add a filter: xor:HEX, xor:@FILE, hex[:width=N][:upper], gzip[:LEVEL], "
	  "zstd[:LEVEL], xz[:LEVEL], ihex[:width=N][:base=ADDR], srec[:width=N][:base=ADDR] "
	  "(stream mode)", "SPEC" },
	{ "threads", 'T', POPT_ARG_STRING, NULL, OPT_THREADS, NULL, "N" },	/* help_defaults */
	POPT_TABLEEND
};

static struct poptOption report_table[] = {
	{ "no-progress", '\0', POPT_ARG_NONE, NULL, OPT_NO_PROGRESS, "never show progress", NULL },
	{ "progress", '\0', POPT_ARG_NONE, NULL, OPT_PROGRESS, NULL, NULL },	/* help_defaults */
	{ "quiet", 'q', POPT_ARG_NONE, NULL, 'q', "report only failed fragments and the summary",
	  NULL },
	{ "report", '\0', POPT_ARG_STRING, NULL, OPT_REPORT,
	  "report format (json: JSON Lines)", "text|json|none" },
	{ "report-file", '\0', POPT_ARG_STRING, NULL, 'R',
	  "write the report to PATH (default: standard output, or standard error when "
	  "standard output is the target)", "PATH" },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, 'v',
	  "also report every request (its aio_error and aio_return)", NULL },
	POPT_TABLEEND
};

static struct poptOption safety_table[] = {
	{ "allow-overlap", '\0', POPT_ARG_NONE, NULL, 'O',
	  "let later fragments win over earlier ones", NULL },
	{ "atomic", '\0', POPT_ARG_NONE, NULL, 'A',
	  "build in a temporary file beside the target, then rename it over the target",
	  NULL },
	{ "confine", '\0', POPT_ARG_STRING, NULL, 'C',
	  "every source must resolve inside DIR", "DIR" },
	{ "dry-run", 'n', POPT_ARG_NONE, NULL, 'n',
	  "parse, check every source, print the plan; write nothing", NULL },
	{ "verify", '\0', POPT_ARG_NONE, NULL, 'V', "read every written range back and compare", NULL },
	POPT_TABLEEND
};

/* No options: its title is the examples at the end of --help. */
static struct poptOption examples_table[] = {
	POPT_TABLEEND
};

#define EXAMPLES \
	"Examples:\n" \
	"  aiowrite-cli fw.manifest -o fw.bin            build an image from a manifest\n" \
	"  aiowrite-cli --patch -o disk.img -e 'uuid at=0x1b8'   stamp a UUID in place\n" \
	"  aiowrite-cli fw.manifest -f gzip > fw.bin.gz  a stream through a filter\n" \
	"  aiowrite-cli --atomic --verify --force fw.manifest -o fw.bin\n" \
	"  aiowrite-cli -n fw.manifest                   show the plan, write nothing\n" \
	"The manifest format: aiowrite-manifest(5).  Everything else: aiowrite-cli(1)."

static struct poptOption table[] = {
	{ "define", 'D', POPT_ARG_STRING, NULL, OPT_DEFINE,
	  "define NAME for ${NAME} in the manifest (repeatable; wins over define lines)",
	  "NAME=VALUE" },
	{ "line", 'e', POPT_ARG_STRING, NULL, OPT_LINE,
	  "a manifest line given on the command line (repeatable)", "LINE" },
	{ "version", '\0', POPT_ARG_NONE, NULL, OPT_VERSION, "print the version", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, target_table, 0, "Target:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, engine_table, 0, "Engine:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, filter_table, 0, "Filters:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, report_table, 0, "Report:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, safety_table, 0, "Safety:", NULL },
	POPT_AUTOALIAS
	POPT_AUTOHELP
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, examples_table, 0, EXAMPLES, NULL },
	POPT_TABLEEND
};

static void set_help(struct poptOption *t, const char *name, const char *text)
{
	for (; t->longName || t->argInfo; t++)
		if (t->longName && strcmp(t->longName, name) == 0)
			t->descrip = text;
}

/* The help texts that name a default: made from the constants, so that
 * --help cannot say one thing and the code do another. */
static void help_defaults(void)
{
	static char depth[64], size[64], progress[128], threads[128];
	char h[24];

	snprintf(depth, sizeof(depth), "aio requests in flight (default %u)",
		 ENGINE_DEFAULT_QUEUE_DEPTH);
	snprintf(size, sizeof(size), "largest single request (default %s)",
		 short_size(h, sizeof(h), ENGINE_DEFAULT_REQUEST_SIZE));
	snprintf(progress, sizeof(progress), "show progress on standard error (default: when it "
		 "is a terminal and the job is %s or more)",
		 short_size(h, sizeof(h), PROGRESS_LARGE));
	set_help(engine_table, "queue-depth", depth);
	set_help(engine_table, "request-size", size);
	snprintf(threads, sizeof(threads), "threads for the compression filters: 1..%d, 0 for the "
		 "online CPUs (default %d); every count writes the same bytes", FILTER_THREADS_MAX,
		 FILTER_THREADS_DEFAULT);
	set_help(report_table, "progress", progress);
	set_help(filter_table, "threads", threads);
}

/* Index of word in words[], or -1. */
static int pick(const char *word, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (strcmp(word, words[i]) == 0)
			return i;
	return -1;
}

static int push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv) {
		free(s);
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int size_arg(const char *name, const char *arg, int64_t lo, int64_t hi, int64_t *out,
		    struct errors *err)
{
	const char *why = parse_number(arg, strlen(arg), out);

	if (why)
		return error_add(err, "%s: %s", name, why);
	if (*out < lo || *out > hi)
		return error_add(err, "%s: '%s' is out of range", name, arg);
	return 0;
}

/* One option with a value; 0 or -1 with *err. */
static int take(struct options *o, int val, char *arg, struct errors *err)
{
	static const char *const modes[] = { "auto", "aio", "stream", NULL };
	static const char *const syncs[] = { "none", "data", "full", NULL };
	static const char *const reports[] = { "text", "json", "none", NULL };
	int64_t n;
	int rc = 0;

	switch (val) {
	case OPT_LINE:
		return push(&o->line, &o->nline, arg);
	case OPT_DEFINE:
		return push(&o->define, &o->ndefine, arg);
	case OPT_FILTER:
		return push(&o->filter, &o->nfilter, arg);
	case 'o':
		free(o->output);
		o->output = arg;
		return 0;
	case 'R':
		free(o->report_file);
		o->report_file = arg;
		return 0;
	case 'C':
		free(o->confine);
		o->confine = arg;
		return 0;
	case OPT_MODE:
		if ((o->mode = pick(arg, modes)) < 0)
			rc = error_add(err, "--mode: '%s' is not one of auto, aio, stream", arg);
		break;
	case OPT_SYNC:
		if ((o->sync = pick(arg, syncs)) < 0)
			rc = error_add(err, "--sync: '%s' is not one of none, data, full", arg);
		break;
	case OPT_REPORT:
		if ((o->report = pick(arg, reports)) < 0)
			rc = error_add(err, "--report: '%s' is not one of text, json, none", arg);
		break;
	case OPT_DEPTH:
		if ((rc = size_arg("--queue-depth", arg, 1, 1024, &n, err)) == 0)
			o->queue_depth = (unsigned)n;
		break;
	case OPT_REQSIZE:
		if ((rc = size_arg("--request-size", arg, 1, 1 << 30, &n, err)) == 0)
			o->request_size = (uint64_t)n;
		break;
	case OPT_THREADS:
		if ((rc = size_arg("--threads", arg, 0, FILTER_THREADS_MAX, &n, err)) == 0)
			o->threads = (int)n;
		break;
	}
	free(arg);
	return rc;
}

static void flag(struct options *o, int val)
{
	switch (val) {
	case 'F': o->force = 1; break;
	case 'P': o->patch = 1; break;
	case 'O': o->allow_overlap = 1; break;
	case 'A': o->atomic = 1; break;
	case 'K': o->no_clone = 1; break;
	case 'I': o->direct = 1; break;
	case 'n': o->dry_run = 1; break;
	case 'V': o->verify = 1; break;
	case 'v': o->verbose = 1; break;
	case 'q': o->quiet = 1; break;
	case OPT_PROGRESS: o->progress = 1; break;
	case OPT_NO_PROGRESS: o->progress = 0; break;
	}
}

/* The long names of every table, for suggestions. */
static size_t long_names(const char **names, size_t max)
{
	static const struct poptOption *const tables[] = {
		table, target_table, engine_table, filter_table, report_table, safety_table,
	};
	size_t n = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct poptOption *p = tables[t]; p->longName || p->argInfo; p++)
			if (p->longName && n < max)
				names[n++] = p->longName;
	if (n + 2 <= max) {
		names[n++] = "help";
		names[n++] = "usage";
	}
	return n;
}

/* popt's complaint, and for an unknown option what was probably meant. */
static int bad_option(struct errors *err, const char *opt, int code)
{
	const char *names[64], *pick = NULL;
	size_t n = long_names(names, 64);

	if (code == POPT_ERROR_BADOPT && strncmp(opt, "--", 2) == 0)
		pick = nearest_word(opt + 2, strcspn(opt + 2, "="), names, n, ~0u);
	if (pick)
		return error_add(err, "%s: %s (did you mean --%s?)", opt, poptStrerror(code), pick);
	return error_add(err, "%s: %s", opt, poptStrerror(code));
}

static int operands(struct options *o, poptContext pc, struct errors *err)
{
	const char *extra;

	o->manifest = poptGetArg(pc);
	if ((extra = poptGetArg(pc)) != NULL)
		return error_add(err, "one manifest at a time: '%s' follows '%s'", extra, o->manifest);
	if (!o->manifest && !o->nline)
		return error_add(err, "no manifest: give a MANIFEST file, - for standard input, "
			     "or -e LINE");
	return 0;
}

int options_parse(struct options *o, int argc, const char **argv, struct errors *err)
{
	poptContext pc;
	int val;

	memset(o, 0, sizeof(*o));
	o->queue_depth = ENGINE_DEFAULT_QUEUE_DEPTH;
	o->request_size = ENGINE_DEFAULT_REQUEST_SIZE;
	o->threads = FILTER_THREADS_DEFAULT;
	o->progress = -1;
	help_defaults();
	pc = poptGetContext("aiowrite-cli", argc, argv, table, 0);
	if (!pc)
		return error_nomem(err);
	o->ctx = pc;
	poptSetOtherOptionHelp(pc, "[OPTION]... MANIFEST\n   or: aiowrite-cli [OPTION]... "
				   "-e LINE [-e LINE]...");
	poptReadDefaultConfig(pc, 0);
	while ((val = poptGetNextOpt(pc)) > 0) {
		if (val == OPT_VERSION) {
			printf("aiowrite-cli %s\n", VERSION);
			return 1;
		}
		if (val == OPT_LINE || val == OPT_DEFINE || val == OPT_FILTER || val == 'o' ||
		    val == 'R' || val == 'C' || val == OPT_MODE || val == OPT_SYNC ||
		    val == OPT_REPORT || val == OPT_DEPTH || val == OPT_REQSIZE ||
		    val == OPT_THREADS) {
			if (take(o, val, poptGetOptArg(pc), err) < 0)
				return -1;
		} else {
			flag(o, val);
		}
	}
	if (val < -1)
		return bad_option(err, poptBadOption(pc, POPT_BADOPTION_NOALIAS), val);
	return operands(o, pc, err);
}

void options_release(struct options *o)
{
	for (size_t i = 0; i < o->nline; i++)
		free(o->line[i]);
	for (size_t i = 0; i < o->ndefine; i++)
		free(o->define[i]);
	free(o->define);
	for (size_t i = 0; i < o->nfilter; i++)
		free(o->filter[i]);
	free(o->line);
	free(o->filter);
	free(o->output);
	free(o->report_file);
	free(o->confine);
	if (o->ctx)
		poptFreeContext(o->ctx);
	memset(o, 0, sizeof(*o));
}

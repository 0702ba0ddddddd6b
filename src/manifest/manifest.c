/*
 * manifest.c -- the manifest's lifecycle: origins, their text, the result.
 *
 * Ownership.  Every text the parser sees lives in a chunk, never moved once
 * parsed, since fragments point into it.  An origin may hold several
 * chunks (each -e line is its own, appended to the one "<command-line>"
 * origin), chained newest first.  Only manifest_release() frees them.
 */
#include "manifest/parse_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.h"
#include "util/mem.h"

_Static_assert(sizeof(struct fragment) == 64, "struct fragment is 64 bytes");

#define CMDLINE_NAME "<command-line>"
#define STDIN_NAME "<stdin>"

void manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof *m);
	m->size = -1;
}

void manifest_drop_fragments(struct manifest *m)
{
	mem_free(m->frag);
	m->frag = NULL;
	m->alloc = 0;
}

static void defines_free(struct define *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

void manifest_release(struct manifest *m)
{
	for (size_t i = 0; i < m->norigin; i++) {
		struct chunk *c = m->origin[i].chunks, *prev;

		for (; c; c = prev) {
			prev = c->prev;
			mem_free(c->text);
			free(c);
		}
		free(m->origin[i].name);
		free(m->origin[i].dir);
	}
	mem_free(m->frag);
	free(m->output);
	mem_free(m->ext);
	free(m->names);
	defines_free(m->defines, m->ndefines);
	defines_free(m->cmdline, m->ncmdline);
	manifest_init(m);
}

/* The origin called name (lines added under a name seen before continue
 * its numbering, unless fresh: each include starts at line 1), made if
 * new; its index, or -1 with err. */
static int origin_get(struct manifest *m, const char *name, const char *dir, int fresh,
		      struct errors *err)
{
	struct origin *o;
	size_t i;

	for (i = 0; i < m->norigin && !fresh; i++)
		if (strcmp(m->origin[i].name, name) == 0 && strcmp(m->origin[i].dir, dir) == 0)
			return (int)i;
	if (m->norigin == MANIFEST_MAX_ORIGINS)
		return error_add(err, "%s: too many manifest sources (at most %d)", name,
				 MANIFEST_MAX_ORIGINS);
	o = &m->origin[m->norigin];
	o->parent = -1;
	o->name = strdup(name);
	o->dir = strdup(dir);
	if (!o->name || !o->dir) {
		free(o->name);
		free(o->dir);
		o->name = o->dir = NULL;
		return error_nomem(err);
	}
	return (int)m->norigin++;
}

/* Hand text (len bytes in a mem_realloc'd block of len + 1) to origin oi;
 * the text is the origin's from here on, even on failure. */
static int keep_chunk(struct manifest *m, int oi, unsigned char *text, size_t len,
		      struct errors *err)
{
	struct chunk *c = malloc(sizeof *c);

	if (!c) {
		mem_free(text);
		return error_nomem(err);
	}
	c->prev = m->origin[oi].chunks;
	c->text = text;
	c->len = len;
	text[len] = '\0';
	m->origin[oi].chunks = c;
	return 0;
}

/* Keep the text under origin name and parse it as a top-level text. */
static int add_chunk(struct manifest *m, const char *name, const char *dir, unsigned char *text,
		     size_t len, struct errors *err)
{
	int oi = origin_get(m, name, dir, 0, err);
	struct parse P = { .m = m, .err = err };

	if (oi < 0) {
		mem_free(text);
		return -1;
	}
	if (keep_chunk(m, oi, text, len, err) < 0)
		return -1;
	P.oi = (unsigned)oi;
	return parse_text(&P, text, len);
}

int manifest_add_text(struct manifest *m, const char *name, const char *dir, const char *text,
		      size_t len, struct errors *err)
{
	unsigned char *copy;

	if (len > SIZE_MAX - 1 || !(copy = mem_realloc(NULL, len + 1)))
		return error_nomem(err);
	memcpy(copy, text, len);
	return add_chunk(m, name, dir, copy, len, err);
}

int manifest_add_line(struct manifest *m, const char *line, struct errors *err)
{
	size_t len = strlen(line);
	int oi;

	if (manifest_add_text(m, CMDLINE_NAME, ".", line, len, err) < 0)
		return -1;
	/* An empty -e is still a line: the next one is numbered after it. */
	if (len == 0) {
		oi = origin_get(m, CMDLINE_NAME, ".", 0, err);
		if (oi < 0)
			return -1;
		if (m->origin[oi].lines == UINT32_MAX)
			return error_at(err, (struct place){ .file = CMDLINE_NAME, .rank = (uint32_t)oi,
							    .line = (uint64_t)UINT32_MAX + 1, .col = 1 },
					"too many lines");
		m->origin[oi].lines++;
	}
	return 0;
}

char *join_dir(const char *dir, const unsigned char *path, size_t n)
{
	size_t dn = strlen(dir);
	int slash = dn && dir[dn - 1] != '/';
	char *s;

	if (path[0] == '/' || strcmp(dir, ".") == 0)
		dn = 0, slash = 0;
	s = malloc(dn + (size_t)slash + n + 1);
	if (!s)
		return NULL;
	memcpy(s, dir, dn);
	if (slash)
		s[dn] = '/';
	memcpy(s + dn + (size_t)slash, path, n);
	s[dn + (size_t)slash + n] = '\0';
	return s;
}

/* The directory part of path: "." for a bare name, "/" for "/name". */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *d;

	if (!slash)
		return strdup(".");
	n = (size_t)(slash - path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		n = 1;
	if (!(d = malloc(n + 1)))
		return NULL;
	memcpy(d, path, n);
	d[n] = '\0';
	return d;
}

/* The top manifest's identity: including it is a cycle too. */
static void remember_top(struct manifest *m, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		m->top_set = 1;
		m->top_dev = st.st_dev;
		m->top_ino = st.st_ino;
	}
}

int manifest_add_file(struct manifest *m, const char *path, struct errors *err)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? STDIN_NAME : path;
	unsigned char *text;
	size_t len = 0;
	char *dir;
	int e, r;

	e = is_stdin ? read_fd(STDIN_FILENO, SIZE_MAX - 1, &text, &len)
		     : read_file(path, SIZE_MAX - 1, &text, &len);
	if (e)
		return error_add(err, "cannot read '%s': %s", name, strerror(e));
	if (is_stdin)
		m->stdin_used = 1;
	else
		remember_top(m, path);
	dir = is_stdin ? strdup(".") : dir_of(path);
	if (!dir) {
		mem_free(text);
		return error_nomem(err);
	}
	r = add_chunk(m, name, dir, text, len, err);
	free(dir);
	return r;
}

uint8_t frag_shape(const struct manifest *m, const struct fragment *f)
{
	if (f->kind == FRAG_FIELD) {
		struct field_shape s = frag_field(m, f);

		return (uint8_t)(s.width | (s.big_endian ? 0x80 : 0));
	}
	if (f->kind == FRAG_DIGEST && frag_ext(m, f))
		return (uint8_t)(frag_ext(m, f)->algo | (frag_ext(m, f)->text ? 0x80 : 0));
	return f->byte;
}

const char *frag_word(int kind, uint8_t shape)
{
	static const char *const digests[] = { "sha256", "sha512", "sha1", "md5" };

	if (kind == FRAG_DIGEST && (shape & 0x7f) < sizeof digests / sizeof digests[0])
		return digests[shape & 0x7f];
	if (kind != FRAG_FIELD)
		return frag_kind_name(kind);
	switch (shape) {
	case 1: return "u8";
	case 2: return "u16le";
	case 2 | 0x80: return "u16be";
	case 4: return "u32le";
	case 4 | 0x80: return "u32be";
	case 8: return "u64le";
	case 8 | 0x80: return "u64be";
	default: return "field";
	}
}

/* The place (origin r, line) as the path from its top origin: path[0] is
 * the top origin's line that includes the next, ..., path[n-1] the line
 * itself; *top the top origin.  n, at most MANIFEST_MAX_INCLUDE_DEPTH + 1. */
static size_t place_path(const struct manifest *m, uint32_t r, uint64_t line, uint64_t *path,
			 uint32_t *top)
{
	uint64_t rev[MANIFEST_MAX_INCLUDE_DEPTH + 1];
	size_t n = 0;

	for (;;) {
		rev[n++] = line;
		if (m->origin[r].parent < 0 || n == MANIFEST_MAX_INCLUDE_DEPTH + 1)
			break;
		line = m->origin[r].at_line;
		r = (uint32_t)m->origin[r].parent;
	}
	*top = r;
	for (size_t k = 0; k < n; k++)
		path[k] = rev[n - 1 - k];
	return n;
}

int manifest_place_order(const void *ctx, uint32_t rank_a, uint64_t line_a, uint32_t rank_b,
			 uint64_t line_b)
{
	const struct manifest *m = ctx;
	uint64_t pa[MANIFEST_MAX_INCLUDE_DEPTH + 1], pb[MANIFEST_MAX_INCLUDE_DEPTH + 1];
	uint32_t ta, tb;
	size_t na, nb;

	if (rank_a >= m->norigin || rank_b >= m->norigin)
		return 0;
	na = place_path(m, rank_a, line_a, pa, &ta);
	nb = place_path(m, rank_b, line_b, pb, &tb);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	for (size_t k = 0; k < na && k < nb; k++)
		if (pa[k] != pb[k])
			return pa[k] < pb[k] ? -1 : 1;
	/* One includes the other at its last line: the include line first. */
	return na < nb ? -1 : na > nb ? 1 : 0;
}

const char *frag_kind_name(int kind)
{
	static const char *const names[] = { "file", "data", "hex", "fill", "zero", "uuid", "field",
					     "digest" };

	if (kind < 0 || (size_t)kind >= sizeof names / sizeof names[0])
		return "?";
	return names[kind];
}

struct place frag_place(const struct manifest *m, const struct fragment *f)
{
	const char *name = f->origin < m->norigin ? m->origin[f->origin].name : "?";

	return (struct place){ .file = name, .rank = f->origin, .line = f->line, .col = f->col };
}

/* Whether the file (dev, ino) is being included already: a cycle. */
static int including(const struct include_frame *f, uint64_t dev, uint64_t ino)
{
	for (; f; f = f->outer)
		if (f->dev == dev && f->ino == ino)
			return 1;
	return 0;
}

int include_file(struct parse *P, const unsigned char *path, size_t n, size_t col,
		 const struct define *pairs, size_t npairs)
{
	struct manifest *m = P->m;
	char *full = NULL, *dir = NULL;
	unsigned char *text = NULL;
	struct include_frame frame = { P->frame, pairs, npairs, 0, 0 };
	struct parse child = { .m = m, .err = P->err, .depth = P->depth + 1, .frame = &frame };
	struct stat st;
	char q[ESCAPE_BUF];
	size_t len;
	int fd = -1, e, oi, rc = -1;

	if (P->depth + 1 > MANIFEST_MAX_INCLUDE_DEPTH)
		return fail(P, col, "include nested more than %d levels deep",
			    MANIFEST_MAX_INCLUDE_DEPTH);
	if (!(full = join_dir(m->origin[P->oi].dir, path, n)))
		return error_nomem(P->err);
	/* --confine (SPEC §5, for manifests you did not write): an included
	 * manifest is read only from inside DIR, as sources are. */
	if (m->confine && (!*m->confine || !path_inside(m->confine, full))) {
		fail(P, col, "cannot include '%s': it is outside --confine's directory",
		     escape_bytes(q, path, n));
		goto out;
	}
	/* Not blocking on a FIFO, and only a regular file: `include /dev/zero`
	 * must not read forever. */
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	e = fd < 0 || fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL
		: read_fd(fd, SIZE_MAX / 2, &text, &len);
	if (e == EINVAL) {
		fail(P, col, "cannot include '%s': not a regular file", escape_bytes(q, path, n));
		goto out;
	}
	if (e) {
		fail(P, col, "cannot include '%s': %s", escape_bytes(q, path, n), strerror(e));
		goto out;
	}
	frame.dev = st.st_dev;
	frame.ino = st.st_ino;
	if (including(P->frame, frame.dev, frame.ino) ||
	    (m->top_set && m->top_dev == frame.dev && m->top_ino == frame.ino)) {
		fail(P, col, "'%s' includes itself (an include cycle)", escape_bytes(q, path, n));
		goto out;
	}
	if (!(dir = dir_of(full))) {
		error_nomem(P->err);
		goto out;
	}
	if ((oi = origin_get(m, full, dir, 1, P->err)) < 0)
		goto out;
	m->origin[oi].parent = (int)P->oi;
	m->origin[oi].at_line = (uint32_t)P->line;
	if (keep_chunk(m, oi, text, len, P->err) < 0) {
		text = NULL;
		goto out;
	}
	child.oi = (unsigned)oi;
	rc = parse_text(&child, text, len);
	text = NULL;
out:
	if (fd >= 0)
		close(fd);
	mem_free(text);
	free(full);
	free(dir);
	return rc;
}

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
#include <unistd.h>

#include "util/io.h"

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
	free(m->frag);
	m->frag = NULL;
	m->alloc = 0;
}

void manifest_release(struct manifest *m)
{
	for (size_t i = 0; i < m->norigin; i++) {
		struct chunk *c = m->origin[i].chunks, *prev;

		for (; c; c = prev) {
			prev = c->prev;
			free(c->text);
			free(c);
		}
		free(m->origin[i].name);
		free(m->origin[i].dir);
	}
	free(m->frag);
	free(m->output);
	manifest_init(m);
}

/* The origin called name (lines added under a name seen before continue
 * its numbering), made if new; its index, or -1 with err. */
static int origin_get(struct manifest *m, const char *name, const char *dir, struct errors *err)
{
	struct origin *o;
	size_t i;

	for (i = 0; i < m->norigin; i++)
		if (strcmp(m->origin[i].name, name) == 0 && strcmp(m->origin[i].dir, dir) == 0)
			return (int)i;
	if (m->norigin == MANIFEST_MAX_ORIGINS)
		return error_add(err, "%s: too many manifest sources (at most %d)", name,
				 MANIFEST_MAX_ORIGINS);
	o = &m->origin[m->norigin];
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

/* Hand text (len bytes in a malloc'd block of len + 1) to origin name and
 * parse it; the text is the origin's from here on, even on failure. */
static int add_chunk(struct manifest *m, const char *name, const char *dir, unsigned char *text,
		     size_t len, struct errors *err)
{
	int oi = origin_get(m, name, dir, err);
	struct chunk *c = oi < 0 ? NULL : malloc(sizeof *c);

	if (!c) {
		free(text);
		return oi < 0 ? -1 : error_nomem(err);
	}
	c->prev = m->origin[oi].chunks;
	c->text = text;
	c->len = len;
	text[len] = '\0';
	m->origin[oi].chunks = c;
	return parse_text(m, (unsigned)oi, text, len, err);
}

int manifest_add_text(struct manifest *m, const char *name, const char *dir, const char *text,
		      size_t len, struct errors *err)
{
	unsigned char *copy;

	if (len > SIZE_MAX - 1 || !(copy = malloc(len + 1)))
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
		oi = origin_get(m, CMDLINE_NAME, ".", err);
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
	dir = is_stdin ? strdup(".") : dir_of(path);
	if (!dir) {
		free(text);
		return error_nomem(err);
	}
	r = add_chunk(m, name, dir, text, len, err);
	free(dir);
	return r;
}

const char *frag_kind_name(int kind)
{
	static const char *const names[] = { "file", "data", "hex", "fill", "zero", "uuid" };

	if (kind < 0 || (size_t)kind >= sizeof names / sizeof names[0])
		return "?";
	return names[kind];
}

struct place frag_place(const struct manifest *m, const struct fragment *f)
{
	const char *name = f->origin < m->norigin ? m->origin[f->origin].name : "?";

	return (struct place){ .file = name, .rank = f->origin, .line = f->line, .col = f->col };
}

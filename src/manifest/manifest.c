/*
 * manifest.c -- the manifest's lifecycle: origins, their text, the result.
 *
 * Ownership.  Every text the parser sees lives in a chunk: one malloc'd
 * block of a small header and len+1 bytes of text, never moved once parsed,
 * since fragments point into it.  An origin may hold several chunks (each
 * -e line is its own, appended to the one "<command-line>" origin), so the
 * chunks are chained through their headers: origin.text is the newest
 * chunk's text, and each header links to the chunk before.  Only
 * manifest_release() frees them.
 */
#include "manifest/parse_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(struct fragment) == 64, "struct fragment is 64 bytes");

struct chunk {
	struct chunk *prev;	/* the origin's chunk before this one, or NULL */
	char text[];		/* len bytes and a spare one */
};

#define CMDLINE_NAME "<command-line>"
#define STDIN_NAME "<stdin>"

static struct chunk *chunk_of(char *text)
{
	return text ? (struct chunk *)(void *)(text - offsetof(struct chunk, text)) : NULL;
}

char *msg_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

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
	size_t i;

	for (i = 0; i < m->norigin; i++) {
		struct chunk *c = chunk_of(m->origin[i].text), *prev;

		for (; c; c = prev) {
			prev = c->prev;
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
 * its numbering), made if new; its index, or -1 with *err. */
static int origin_get(struct manifest *m, const char *name, const char *dir, char **err)
{
	struct origin *o;
	size_t i;

	for (i = 0; i < m->norigin; i++)
		if (strcmp(m->origin[i].name, name) == 0 && strcmp(m->origin[i].dir, dir) == 0)
			return (int)i;
	if (m->norigin == MANIFEST_MAX_ORIGINS) {
		*err = msg_printf("%s: too many manifest sources (at most %d)", name,
				  MANIFEST_MAX_ORIGINS);
		return -1;
	}
	o = &m->origin[m->norigin];
	o->name = strdup(name);
	o->dir = strdup(dir);
	if (!o->name || !o->dir) {
		free(o->name);
		free(o->dir);
		o->name = o->dir = NULL;
		*err = msg_printf("out of memory");
		return -1;
	}
	return (int)m->norigin++;
}

/* Hand chunk c (len bytes of text) to origin name and parse it. */
static int add_chunk(struct manifest *m, const char *name, const char *dir, struct chunk *c,
		     size_t len, char **err)
{
	int oi = origin_get(m, name, dir, err);

	if (oi < 0) {
		free(c);
		return -1;
	}
	c->prev = chunk_of(m->origin[oi].text);
	c->text[len] = '\0';
	m->origin[oi].text = c->text;
	m->origin[oi].len = len;
	return parse_text(m, (unsigned)oi, (unsigned char *)c->text, len, err);
}

int manifest_add_text(struct manifest *m, const char *name, const char *dir, const char *text,
		      size_t len, char **err)
{
	struct chunk *c;

	if (len > SIZE_MAX - sizeof *c - 1 || !(c = malloc(sizeof *c + len + 1))) {
		*err = msg_printf("%s: out of memory", name);
		return -1;
	}
	memcpy(c->text, text, len);
	return add_chunk(m, name, dir, c, len, err);
}

int manifest_add_line(struct manifest *m, const char *line, char **err)
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
		if (m->origin[oi].lines == UINT32_MAX) {
			*err = msg_printf("%s:%" PRIu64 ":1: too many lines", CMDLINE_NAME,
					  (uint64_t)UINT32_MAX + 1);
			return -1;
		}
		m->origin[oi].lines++;
	}
	return 0;
}

/* All of fd into a new chunk; NULL with errno set. */
static struct chunk *read_all(int fd, size_t *lenp)
{
	size_t cap = 64 * 1024, len = 0;
	struct chunk *c, *bigger;
	struct stat st;
	ssize_t r;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < SIZE_MAX / 2)
		cap = (size_t)st.st_size + 1; /* +1: one read() sees the end */
	if (!(c = malloc(sizeof *c + cap + 1)))
		return NULL;
	for (;;) {
		if (len == cap) {
			if (cap > (SIZE_MAX - sizeof *c - 1) / 2) {
				errno = ENOMEM;
				goto fail;
			}
			cap *= 2;
			if (!(bigger = realloc(c, sizeof *c + cap + 1)))
				goto fail;
			c = bigger;
		}
		r = read(fd, c->text + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*lenp = len;
	return c;
fail:
	free(c);
	return NULL;
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

int manifest_add_file(struct manifest *m, const char *path, char **err)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? STDIN_NAME : path;
	struct chunk *c;
	size_t len = 0;
	char *dir;
	int fd, e, r;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		*err = msg_printf("cannot read '%s': %s", name, strerror(e));
		return -1;
	}
	c = read_all(fd, &len);
	e = errno;
	if (!is_stdin)
		close(fd);
	if (!c) {
		*err = msg_printf("cannot read '%s': %s", name, strerror(e));
		return -1;
	}
	if (is_stdin)
		m->stdin_used = 1;
	dir = is_stdin ? strdup(".") : dir_of(path);
	if (!dir) {
		free(c);
		*err = msg_printf("out of memory");
		return -1;
	}
	r = add_chunk(m, name, dir, c, len, err);
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

char *frag_where(const struct manifest *m, const struct fragment *f, char *buf, size_t size)
{
	const char *name = f->origin < m->norigin ? m->origin[f->origin].name : "?";

	if (size)
		snprintf(buf, size, "%s:%" PRIu32 ":%" PRIu32, name, f->line, f->col);
	return buf;
}

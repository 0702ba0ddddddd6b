/*
 * define.c -- ${NAME} in manifest lines, and where NAME's value comes from
 * (SPEC §8.3): -D first, then the pairs of the enclosing include lines
 * (innermost first), then `define` lines read so far, then the
 * environment -- except under --confine, where the environment is not read.
 *
 * A line is expanded before it is cut into tokens, outside comments only,
 * so a value may add blanks, quotes or whole keys; an expanded line is a
 * new text that the origin keeps (fragments point into it), and its
 * columns are the expansion's.  Values are not expanded again.
 */
#include "manifest/parse_internal.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static int ident_char(unsigned char c, int first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static int is_ident(const unsigned char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!ident_char(s[i], i == 0))
			return 0;
	return 1;
}

static const struct define *find(const struct define *v, size_t n, const unsigned char *name,
				 size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].nlen == len && memcmp(v[i].name, name, len) == 0)
			return &v[i];
	return NULL;
}

/* NAME's value in lookup order; 1 found, 0 not. */
static int lookup(const struct parse *P, const unsigned char *name, size_t len,
		  const char **value, size_t *vlen)
{
	const struct manifest *m = P->m;
	const struct define *d = find(m->cmdline, m->ncmdline, name, len);
	char key[256];

	for (const struct include_frame *f = P->frame; !d && f; f = f->outer)
		d = find(f->pairs, f->npairs, name, len);
	if (!d)
		d = find(m->defines, m->ndefines, name, len);
	if (d) {
		*value = d->value;
		*vlen = d->vlen;
		return 1;
	}
	if (m->no_env || len >= sizeof(key))
		return 0;
	memcpy(key, name, len);
	key[len] = '\0';
	if (!(*value = getenv(key)))
		return 0;
	*vlen = strlen(*value);
	return 1;
}

struct out {
	unsigned char *p;
	size_t n, cap;
};

static int put(struct out *o, const void *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 128;
		unsigned char *p;

		while (cap < o->n + n + 1)
			cap *= 2;
		if (!(p = mem_realloc(o->p, cap)))
			return -1;
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	return 0;
}

/* One ${...} at line[i] (line[i] == '$'); its raw length, or 0 after an
 * error. */
static size_t substitute(struct parse *P, const unsigned char *line, size_t n, size_t i,
			 struct out *o)
{
	const unsigned char *s = line + i + 2, *close = memchr(s, '}', n - i - 2);
	const unsigned char *def = NULL, *name_end;
	const char *value;
	size_t vlen;
	char q[ESCAPE_BUF];

	if (!close) {
		fail(P, i + 1, "'${' without its '}'");
		return 0;
	}
	name_end = s;
	while (name_end < close && ident_char(*name_end, name_end == s))
		name_end++;
	if (close - name_end >= 2 && name_end[0] == ':' && name_end[1] == '-')
		def = name_end + 2;
	else if (name_end != close || name_end == s) {
		fail(P, i + 1, "bad name in '${%s}'", escape_bytes(q, s, (size_t)(close - s)));
		return 0;
	}
	if (!lookup(P, s, (size_t)(name_end - s), &value, &vlen)) {
		if (!def) {
			fail(P, i + 1, "'%s' is not defined (-D, define, an include pair or the "
			     "environment; ${NAME:-DEFAULT} gives a default)",
			     escape_bytes(q, s, (size_t)(name_end - s)));
			return 0;
		}
		value = (const char *)def;
		vlen = (size_t)(close - def);
	}
	if (put(o, value, vlen) < 0) {
		error_nomem(P->err);
		return 0;
	}
	return (size_t)(close - (line + i)) + 1;
}

/* Whether "${" is in line[0..n): memchr for '$' is many times faster than
 * memmem on lines that have none, which is nearly every line. */
static int has_reference(const unsigned char *line, size_t n)
{
	const unsigned char *p = line, *end = line + n;

	while (p < end && (p = memchr(p, '$', (size_t)(end - p))) != NULL) {
		if (p + 1 < end && p[1] == '{')
			return 1;
		p++;
	}
	return 0;
}

unsigned char *expand_line(struct parse *P, const unsigned char *line, size_t n, size_t *len,
			   int *failed)
{
	struct out o = { 0 };
	int quoted = 0;
	size_t i, from = 0;

	if (!has_reference(line, n))
		return NULL;
	if (P->ahead) {		/* the defines are the main thread's */
		*failed = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (quoted && line[i] == '\\') {
			i++;
			continue;
		}
		if (line[i] == '"')
			quoted = !quoted;
		if (line[i] == '#' && !quoted)
			break;
		if (line[i] != '$' || i + 1 >= n || line[i + 1] != '{')
			continue;
		size_t used;

		if (put(&o, line + from, i - from) < 0 || !(used = substitute(P, line, n, i, &o))) {
			mem_free(o.p);
			*failed = 1;
			return NULL;
		}
		i += used - 1;
		from = i + 1;
	}
	if (put(&o, line + from, n - from) < 0) {
		mem_free(o.p);
		*failed = error_nomem(P->err);
		return NULL;
	}
	o.p[o.n] = '\0';
	*len = o.n;
	return o.p;
}

static int push_define(struct define **v, size_t *n, size_t *cap, const unsigned char *name,
		       size_t nlen, const unsigned char *value, size_t vlen)
{
	struct define *d;

	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;

		if (!(d = realloc(*v, c * sizeof(*d))))
			return -1;
		*v = d;
		*cap = c;
	}
	d = &(*v)[*n];
	memset(d, 0, sizeof(*d));
	d->name = strndup((const char *)name, nlen);
	d->value = strndup((const char *)value, vlen);
	if (!d->name || !d->value) {
		free(d->name);
		free(d->value);
		return -1;
	}
	d->nlen = nlen;
	d->vlen = vlen;
	(*n)++;
	return 0;
}

int define_add(struct parse *P, const unsigned char *name, size_t nlen, size_t col,
	       const unsigned char *value, size_t vlen)
{
	struct manifest *m = P->m;
	const struct define *old = find(m->defines, m->ndefines, name, nlen);
	char q[ESCAPE_BUF];

	if (!is_ident(name, nlen))
		return fail(P, col, "a name is letters, digits and '_', not starting with a digit: "
			    "'%s'", escape_bytes(q, name, nlen));
	if (old)
		return fail(P, col, "'%s' is defined twice (first on line %u of '%s')",
			    escape_bytes(q, name, nlen), old->at.line,
			    m->origin[old->at.origin].name);
	if (push_define(&m->defines, &m->ndefines, &m->defines_alloc, name, nlen, value, vlen) < 0)
		return error_nomem(P->err);
	m->defines[m->ndefines - 1].at = (struct directive){
		.set = 1, .origin = (uint8_t)P->oi, .line = (uint32_t)P->line, .col = (uint32_t)col,
	};
	return 0;
}

int manifest_define(struct manifest *m, const char *name_value, struct errors *err)
{
	const char *eq = strchr(name_value, '=');
	size_t nlen = eq ? (size_t)(eq - name_value) : 0, cap = m->ncmdline;
	const struct define *old;
	char q[ESCAPE_BUF];

	if (!eq || !is_ident((const unsigned char *)name_value, nlen))
		return error_add(err, "-D needs NAME=VALUE, NAME letters, digits and '_': '%s'",
				 escape_bytes(q, name_value, strlen(name_value)));
	/* A later -D of the same name wins. */
	old = find(m->cmdline, m->ncmdline, (const unsigned char *)name_value, nlen);
	if (old) {
		char *v = strdup(eq + 1);

		if (!v)
			return error_nomem(err);
		free(((struct define *)old)->value);
		((struct define *)old)->value = v;
		((struct define *)old)->vlen = strlen(v);
		return 0;
	}
	if (push_define(&m->cmdline, &m->ncmdline, &cap, (const unsigned char *)name_value, nlen,
			(const unsigned char *)eq + 1, strlen(eq + 1)) < 0)
		return error_nomem(err);
	return 0;
}

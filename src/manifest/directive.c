/*
 * directive.c -- the lines that are not fragments: output, size, pad
 * (SPEC §2, §8.3), and include and define, which read their own tokens
 * (an include's NAME=VALUE pairs are not keys: NAME may be upper case).
 */
#include "manifest/args.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int one_arg(struct parse *P, const struct line_state *L)
{
	if (L->nargs == 0)
		return fail(P, L->kcol, "'%s' takes one %s", L->row->name, L->row->one);
	return 0;
}

static int output_line(struct parse *P, struct line_state *L)
{
	struct manifest *m = P->m;

	if (L->nargs == 0)
		return fail(P, L->kcol, "'output' takes one path");
	if (L->arg.n == 0)
		return fail(P, L->arg.col, "empty path");
	if (memchr(L->arg.p, '\0', L->arg.n))
		return fail(P, L->arg.col, "NUL byte in path");
	if (!(m->output = join_dir(m->origin[P->oi].dir, L->arg.p, L->arg.n)))
		return error_nomem(P->err);
	directive_set(P, L, &m->output_at);
	return 0;
}

static int size_line(struct parse *P, struct line_state *L)
{
	struct manifest *m = P->m;

	if (one_arg(P, L) < 0 ||
	    number_or_expr(P, L->arg.p, L->arg.n, L->arg.col, L->arg.quoted, &m->size_expr) < 0)
		return -1;
	m->size = m->size_expr.expr ? -1 : m->size_expr.v;
	if (!m->size_expr.expr)
		m->size_expr.set = 0;	/* the plain value is in size */
	directive_set(P, L, &m->size_at);
	return 0;
}

static int pad_line(struct parse *P, struct line_state *L)
{
	struct manifest *m = P->m;
	char q[ESCAPE_BUF];

	if (one_arg(P, L) < 0 ||
	    number_or_expr(P, L->arg.p, L->arg.n, L->arg.col, L->arg.quoted, &m->pad) < 0)
		return -1;
	if (!m->pad.expr && m->pad.v > 255)
		return fail(P, L->arg.col, "pad byte out of range 0..255: '%s'",
			    escape_bytes(q, L->arg.p, L->arg.n));
	directive_set(P, L, &m->pad_at);
	return 0;
}

int finish_directive(struct parse *P, struct line_state *L)
{
	switch (L->kind) {
	case LINE_SIZE: return size_line(P, L);
	case LINE_PAD: return pad_line(P, L);
	default: return output_line(P, L);
	}
}

/* The tokens after `define`: NAME and one VALUE. */
static int define_line(struct parse *P, const struct line_state *L, const struct token *t,
		       size_t n)
{
	if (n < 2)
		return fail(P, L->kcol, "'define' takes a name and a value");
	if (n > 2)
		return fail(P, t[2].col, "'define' takes one value (quote it if it has blanks)");
	return define_add(P, t[0].p, t[0].n, t[0].col, t[1].p, t[1].n);
}

/* `include PATH NAME=VALUE...`: the pairs are defines for the included
 * lines only. */
static int include_line(struct parse *P, const struct line_state *L, const struct token *t,
			size_t n)
{
	struct define *pairs;
	int rc;

	if (n < 1)
		return fail(P, L->kcol, "'include' takes a path, then NAME=VALUE pairs");
	if (t[0].n == 0 || memchr(t[0].p, '\0', t[0].n))
		return fail(P, t[0].col, "'include' needs a path without NUL bytes");
	if (!(pairs = calloc(n, sizeof(*pairs))))
		return error_nomem(P->err);
	for (size_t i = 1; i < n; i++) {
		const unsigned char *eq = memchr(t[i].p, '=', t[i].n);

		if (!eq || eq == t[i].p) {
			free(pairs);
			return fail(P, t[i].col, "'include' takes NAME=VALUE pairs after its path");
		}
		pairs[i - 1] = (struct define){
			.name = (char *)t[i].p, .nlen = (size_t)(eq - t[i].p),
			.value = (char *)eq + 1, .vlen = t[i].n - (size_t)(eq - t[i].p) - 1,
		};
	}
	rc = include_file(P, t[0].p, t[0].n, t[0].col, pairs, n - 1);
	free(pairs);
	return rc;
}

int directive_line(struct parse *P, struct line_state *L, struct lexer *lx)
{
	struct token *t = NULL, *bigger, tok;
	size_t n = 0, cap = 0;
	struct lex_error e;
	int r, rc;

	/* The lexer stands after the kind: the rest are this line's tokens,
	 * keys or not (NAME=VALUE with an upper-case NAME is not a key). */
	while ((r = lex_next(lx, &tok, &e)) > 0) {
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			if (!(bigger = realloc(t, cap * sizeof(*t)))) {
				free(t);
				return error_nomem(P->err);
			}
			t = bigger;
		}
		t[n++] = tok;
	}
	if (r < 0) {
		free(t);
		return fail(P, e.col, e.fault == LEX_UNTERMINATED ? "unterminated string"
								  : "bad escape");
	}
	rc = L->kind == LINE_DEFINE ? define_line(P, L, t, n) : include_line(P, L, t, n);
	free(t);
	return rc;
}

int keep_text(struct parse *P, unsigned char *text, size_t len)
{
	struct origin *o = &P->m->origin[P->oi];
	struct chunk *c = malloc(sizeof(*c));

	if (!c) {
		mem_free(text);
		return error_nomem(P->err);
	}
	c->prev = o->chunks;
	c->text = text;
	c->len = len;
	o->chunks = c;
	return 0;
}

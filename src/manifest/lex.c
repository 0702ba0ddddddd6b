/*
 * lex.c -- a manifest line cut into tokens (SPEC §2).
 *
 * Blanks are space and tab.  A token is a run of non-blank bytes in which
 * double-quoted segments may hold blanks and '#'; segments concatenate, so
 * a"b c"d is "ab cd".  Escapes (\\ \" \n \r \t \0 \xHH) exist inside quotes
 * only: outside them a backslash is an ordinary byte.  '#' outside quotes
 * ends the line, even right after a token.
 *
 * Each token is unescaped in place: the write pointer never passes the read
 * pointer, because no escape is shorter than what it stands for.  So the
 * bytes a fragment needs stay in the manifest's own buffer, and no token
 * costs an allocation.
 */
#include "manifest/parse_internal.h"

/* Byte classes: what ends an unquoted run (C_ENDS), and the bytes of a
 * key's name (a-z, 0-9, _), which are none of those. */
enum { C_BLANK = 1, C_HASH = 2, C_QUOTE = 4, C_ENDS = 7, C_KEY = 8 };

#define KEYS4(c) [c] = C_KEY, [c + 1] = C_KEY, [c + 2] = C_KEY, [c + 3] = C_KEY
static const unsigned char byte_class[256] = {
	[' '] = C_BLANK, ['\t'] = C_BLANK, ['#'] = C_HASH, ['"'] = C_QUOTE, ['_'] = C_KEY,
	KEYS4('a'), KEYS4('e'), KEYS4('i'), KEYS4('m'), KEYS4('q'), KEYS4('u'),
	['y'] = C_KEY, ['z'] = C_KEY, KEYS4('0'), KEYS4('4'), ['8'] = C_KEY, ['9'] = C_KEY,
};
#undef KEYS4

/* The escape at p (p[0] is the backslash, p < end): its byte into *out and
 * its raw length, or 0 with *e set. */
static size_t unescape(const struct lexer *lx, const unsigned char *p, unsigned char *out,
		       struct lex_error *e)
{
	int hi, lo;

	switch (p[1]) {
	case '\\': *out = '\\'; return 2;
	case '"': *out = '"'; return 2;
	case 'n': *out = '\n'; return 2;
	case 'r': *out = '\r'; return 2;
	case 't': *out = '\t'; return 2;
	case '0': *out = '\0'; return 2;
	case 'x':
		if (lx->end - p >= 4 && (hi = hex_value(p[2])) >= 0 && (lo = hex_value(p[3])) >= 0) {
			*out = (unsigned char)(hi << 4 | lo);
			return 4;
		}
		e->fault = LEX_XESCAPE;
		break;
	default:
		e->fault = LEX_ESCAPE;
		e->c = p[1];
		break;
	}
	e->col = (size_t)(p - lx->line) + 1;
	return 0;
}

int lex_next(struct lexer *lx, struct token *t, struct lex_error *e)
{
	unsigned char *p = lx->pos, *end = lx->end, *w, *k;

	while (p < end && byte_class[*p] == C_BLANK)
		p++;
	if (p == end || *p == '#') {
		lx->pos = end;
		return 0;
	}
	t->p = p;
	t->col = (size_t)(p - lx->line) + 1;
	t->quoted = 0;
	t->plain_quote = 0;
	t->keylen = 0;
	for (k = p; k < end && (byte_class[*k] & C_KEY); k++)
		;
	if (k > p && k < end && *k == '=')
		t->keylen = (size_t)(k - p);

	/* Until the first quote, bytes stay where they are.  Key bytes are
	 * none of the classes: the scan goes on from where the key's ended. */
	p = k;
	while (p < end && !(byte_class[*p] & C_ENDS))
		p++;
	w = p;
	while (p < end && !(byte_class[*p] & (C_BLANK | C_HASH))) {
		unsigned char *open;

		if (*p != '"') {
			*w++ = *p++;
			continue;
		}
		open = p++;
		/* Plain so far if this is the first quote: an escape or another
		 * segment (quoted or not) after it make it not. */
		t->plain_quote = !t->quoted;
		t->quote_at = (size_t)(w - t->p);
		t->quoted = 1;
		for (;;) {
			size_t used;

			if (p == end || (*p == '\\' && p + 1 == end)) {
				e->fault = LEX_UNTERMINATED;
				e->col = (size_t)(open - lx->line) + 1;
				return -1;
			}
			if (*p == '"') {
				p++;
				if (p < end && !(byte_class[*p] & (C_BLANK | C_HASH)))
					t->plain_quote = 0;	/* more follows */
				break;
			}
			if (*p != '\\') {
				*w++ = *p++;
				continue;
			}
			used = unescape(lx, p, w, e);
			if (!used)
				return -1;
			t->plain_quote = 0;
			w++;
			p += used;
		}
	}
	t->n = (size_t)(w - t->p);
	lx->pos = p;
	return 1;
}

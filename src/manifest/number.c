/*
 * number.c -- the numbers of SPEC §2: decimal, or 0x/0X and hex digits,
 * then an optional binary suffix K M G T P E or KiB ... EiB (any case).
 *
 * Digits are read greedily, so in hex a suffix letter that is also a digit
 * is a digit: 0x1E is 30, not 1 EiB -- except before "iB", which only a
 * suffix can be followed by: 0x1EiB is 1 EiB.  Anything that is not exactly that
 * shape is refused: no sign, no blanks, nothing after the suffix, and no
 * value past INT64_MAX (every offset and length must fit in an off_t).
 */
#include "manifest/parse_internal.h"

#include <stdio.h>

/* Messages that quote the input are built here; one per thread, valid
 * until that thread's next call. */
static _Thread_local char number_msg[ESCAPE_BUF + 64];

static int digit_value(unsigned char c, unsigned base)
{
	int v = hex_value(c);

	return v >= 0 && (unsigned)v < base ? v : -1;
}

static int upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* The suffix's shift (10 for K ... 60 for E), or -1 with a message. */
static int suffix_shift(const char *s, size_t n, const char **msg)
{
	static const char units[] = "KMGTPE";
	char q[ESCAPE_BUF];
	size_t i;
	int u = n ? upper((unsigned char)s[0]) : 0;

	for (i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '\t') {
			*msg = "blank in number";
			return -1;
		}
	for (i = 0; units[i]; i++)
		if (u == units[i])
			break;
	if (units[i] && (n == 1 || (n == 3 && upper((unsigned char)s[1]) == 'I' &&
				    upper((unsigned char)s[2]) == 'B')))
		return 10 * ((int)i + 1);
	if (units[i])
		snprintf(number_msg, sizeof number_msg, "unknown suffix '%s' (use %c or %ciB)",
			 escape_bytes(q, s, n), units[i], units[i]);
	else
		snprintf(number_msg, sizeof number_msg,
			 "unknown suffix '%s' (use K, M, G, T, P, E or KiB ... EiB)",
			 escape_bytes(q, s, n));
	*msg = number_msg;
	return -1;
}

const char *parse_number(const char *s, size_t n, int64_t *out)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t v = 0;
	unsigned base = 10;
	size_t i = 0, first;
	const char *msg;
	int shift = 0, d;

	if (n == 0)
		return "empty number";
	if (u[0] == '+' || u[0] == '-')
		return "sign not allowed in number";
	if (u[0] == ' ' || u[0] == '\t')
		return "blank in number";
	if (n >= 2 && u[0] == '0' && (u[1] == 'x' || u[1] == 'X')) {
		base = 16;
		i = 2;
	}
	first = i;
	if (base == 10) {	/* the common case, without the hex table */
		/* 18 digits cannot pass INT64_MAX: no test for them. */
		for (; i < n && i < 18 && (unsigned)(u[i] - '0') < 10; i++)
			v = v * 10 + (unsigned)(u[i] - '0');
		for (; i < n && (unsigned)(u[i] - '0') < 10; i++) {
			d = u[i] - '0';
			if (v > ((uint64_t)INT64_MAX - (unsigned)d) / 10)
				return "number too large";
			v = v * 10 + (unsigned)d;
		}
	}
	for (; i < n && (d = digit_value(u[i], base)) >= 0; i++) {
		if (v > ((uint64_t)INT64_MAX - (unsigned)d) / base)
			return "number too large";
		v = v * base + (unsigned)d;
	}
	/* 0x1EiB: the E that the digits took is the suffix's. */
	if (base == 16 && i > first && n - i == 2 && upper(u[i - 1]) == 'E' &&
	    upper(u[i]) == 'I' && upper(u[i + 1]) == 'B') {
		v >>= 4;
		i--;
	}
	if (i == first)
		return base == 16 ? "no hex digits after '0x'" : "not a number";
	if (i < n && (shift = suffix_shift(s + i, n - i, &msg)) < 0)
		return msg;
	if (v > ((uint64_t)INT64_MAX >> shift))
		return "number too large";
	*out = (int64_t)(v << shift);
	return NULL;
}

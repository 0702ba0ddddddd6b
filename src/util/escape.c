/* escape.c -- bytes made fit for a message (escape.h). */
#include "util/escape.h"
#include "util/hex.h"

static int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* c as \xHH into out; returns 4. */
static size_t escape_byte(char *out, unsigned char c)
{
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex_digits_lower[c >> 4];
	out[3] = hex_digits_lower[c & 15];
	return 4;
}

const char *escape_bytes(char *buf, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i, o = 0;

	for (i = 0; i < n && i < ESCAPE_MAX; i++)
		if (plain(s[i]))
			buf[o++] = (char)s[i];
		else
			o += escape_byte(buf + o, s[i]);
	if (i < n)
		for (int k = 0; k < 3; k++)
			buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

void escape_fputs(const char *s, FILE *out)
{
	char esc[4];

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (plain(*p))
			putc(*p, out);
		else
			fwrite(esc, 1, escape_byte(esc, *p), out);
}

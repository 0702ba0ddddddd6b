/*
 * escape.h -- bytes made fit for a message or a terminal.
 *
 * One rule everywhere: printable ASCII as it is, every other byte as \xHH,
 * so a path or token from a manifest someone else wrote never sends a
 * control sequence to the terminal.
 */
#ifndef UTIL_ESCAPE_H
#define UTIL_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

#define ESCAPE_MAX 40			/* bytes shown before "..." */
#define ESCAPE_BUF (ESCAPE_MAX * 4 + 4)	/* what escape_bytes may write */

/* p[0..n) escaped into buf (ESCAPE_BUF bytes), cut after ESCAPE_MAX bytes
 * with "..."; returns buf. */
const char *escape_bytes(char *buf, const void *p, size_t n);
/* The string s escaped, whole, to out. */
void escape_fputs(const char *s, FILE *out);

#endif

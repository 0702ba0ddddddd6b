/*
 * suggest.c -- the nearest known word to a misspelt one, for messages of
 * the manifest parser, the filters and the options alike.
 */
#include <stdio.h>
#include <string.h>

#include "util/suggest.h"

/* SUGGEST_FAR (suggest.h): further than any suggestion */
#define FAR SUGGEST_FAR
#define LONGEST 32	/* longer words are never suggested */

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Levenshtein distance of a[0..n) and b, case folded; FAR when over 2. */
size_t suggest_distance(const char *a, size_t n, const char *b)
{
	size_t m = strlen(b), row[LONGEST + 1], i, j;

	if (n > m + 2 || m > n + 2 || m > LONGEST)
		return FAR;
	for (j = 0; j <= m; j++)
		row[j] = j;
	for (i = 1; i <= n; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= m; j++) {
			size_t up = row[j];
			size_t best = diag + (fold((unsigned char)a[i - 1]) != fold((unsigned char)b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[m] < FAR ? row[m] : FAR;
}

const char *nearest_word(const char *s, size_t n, const char *const *words, size_t nwords,
			 unsigned mask)
{
	size_t best = FAR, d;
	const char *pick = NULL;

	for (size_t i = 0; i < nwords; i++) {
		size_t len = strlen(words[i]);

		if (i < 32 && !(mask & (1u << i)))
			continue;
		d = suggest_distance(s, n, words[i]);
		/* A word that keeps nothing of what was typed is no suggestion
		 * ("\x01\xff" is two edits from "u8", and nothing like it). */
		if (d < best && d < (n > len ? n : len)) {
			best = d;
			pick = words[i];
		}
	}
	return pick;
}

const char *suggest(char *buf, size_t size, const char *s, size_t n,
		    const char *const *words, size_t nwords, unsigned mask)
{
	const char *pick = nearest_word(s, n, words, nwords, mask);

	if (!pick)
		return "";
	snprintf(buf, size, " (did you mean '%s'?)", pick);
	return buf;
}

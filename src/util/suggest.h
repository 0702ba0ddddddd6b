/*
 * suggest.h -- "did you mean ...?" for a misspelt word.
 */
#ifndef SUGGEST_H
#define SUGGEST_H

#include <stddef.h>

/* " (did you mean 'WORD'?)" into buf for the word nearest to s[0..n)
 * within 2 edits (Levenshtein, case folded), else "".  words[i] is a
 * candidate only when mask has bit i (~0u: all; the first 32 words). */
const char *suggest(char *buf, size_t size, const char *s, size_t n,
		    const char *const *words, size_t nwords, unsigned mask);
/* Edit distance of s[0..n) and word (case folded), or SUGGEST_FAR when it
 * is over 2: too far to suggest. */
#define SUGGEST_FAR 3
size_t suggest_distance(const char *s, size_t n, const char *word);
/* The word itself, or NULL. */
const char *nearest_word(const char *s, size_t n, const char *const *words, size_t nwords,
			 unsigned mask);

#endif

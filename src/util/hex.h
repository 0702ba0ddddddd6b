/*
 * hex.h -- hex digits, both ways.
 */
#ifndef UTIL_HEX_H
#define UTIL_HEX_H

extern const char hex_digits_lower[16], hex_digits_upper[16];
/* Each byte's value as a hex digit, plus one; 0 for a byte that is none. */
extern const unsigned char hex_value_plus1[256];

/* A hex digit's value, or -1. */
static inline int hex_value(unsigned char c)
{
	return (int)hex_value_plus1[c] - 1;
}

#endif

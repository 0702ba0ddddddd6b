/* hex.c -- hex digits, both ways (hex.h). */
#include "util/hex.h"

const char hex_digits_lower[16] = "0123456789abcdef";
const char hex_digits_upper[16] = "0123456789ABCDEF";

const unsigned char hex_value_plus1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

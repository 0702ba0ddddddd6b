/*
 * units.h -- sizes for people: "512 B", "4.0 KiB", "1.5 GiB".
 */
#ifndef UNITS_H
#define UNITS_H

#include <stddef.h>
#include <stdint.h>

/* bytes in binary units, one decimal; returns buf. */
const char *human_size(char *buf, size_t size, double bytes);

/* bytes as the manifest writes sizes: "512", "4K", "1M" (the largest
 * suffix that divides it); returns buf. */
const char *short_size(char *buf, size_t size, uint64_t bytes);

/* A signed 128-bit value in decimal, into buf of DEC128_BUF bytes; returns
 * buf (printf has no conversion for __int128). */
#define DEC128_BUF 48
const char *dec128(char *buf, __int128 v);

#endif

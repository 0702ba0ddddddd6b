/*
 * units.h -- sizes for people: "512 B", "4.0 KiB", "1.5 GiB".
 */
#ifndef UNITS_H
#define UNITS_H

#include <stddef.h>

/* bytes in binary units, one decimal; returns buf. */
const char *human_size(char *buf, size_t size, double bytes);

#endif

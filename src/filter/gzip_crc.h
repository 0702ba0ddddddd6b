/*
 * gzip_crc.h -- private to the gzip filter: the CRC-32 of gzip.
 */
#ifndef FILTER_GZIP_CRC_H
#define FILTER_GZIP_CRC_H

#include <stddef.h>
#include <stdint.h>

/* zlib's crc32(crc, p, n): the CRC-32 of p[0..n) continuing crc (0 to
 * start), with carry-less multiplication where the CPU has it. */
uint32_t gzip_crc32(uint32_t crc, const unsigned char *p, size_t n);

#endif

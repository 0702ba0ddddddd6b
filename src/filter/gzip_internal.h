/*
 * gzip_internal.h -- private to the gzip filter (gzip.c) and its unit test:
 * the constructor with an explicit number of worker threads.
 */
#ifndef FILTER_GZIP_INTERNAL_H
#define FILTER_GZIP_INTERNAL_H

#include "filter/filter.h"

/* The most worker threads a gzip filter starts. */
#define GZIP_THREADS_MAX 8

/* gzip_create() with threads workers: 1..GZIP_THREADS_MAX, 0 for none
 * (every block is compressed by the thread that calls write() and
 * finish()), or -1 for the default (the CPUs this process may run on,
 * capped at GZIP_THREADS_MAX).  The output is the same for every count. */
struct stage *gzip_create_threads(const char *spec, const char *arg, int threads, struct errors *err);

#endif

/*
 * test_mem.c -- the growing arrays of util/mem.c: contents survive every
 * growth (malloc to malloc, malloc to a mapping, mapping to mapping), a
 * grown array's room is really there, mem_calloc gives zeros either way,
 * and a mapping is 2 MiB aligned and advised for huge pages.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "unit.h"
#include "util/mem.h"

#define MIB ((size_t)1 << 20)

static void fill(unsigned char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		p[i] = (unsigned char)(i * 7 + i / 4096);
}

static int same_pattern(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 7 + i / 4096))
			return 0;
	return 1;
}

/* Doubling from 64 bytes to 64 MiB, as the parser's arrays grow. */
static void test_growth_keeps_contents(void)
{
	unsigned char *p = NULL;
	size_t have = 0;

	for (size_t n = 64; n <= 64 * MIB; n *= 2) {
		unsigned char *q = mem_realloc(p, n);

		if (!CHECK(q != NULL))
			break;
		p = q;
		CHECK(same_pattern(p, have));
		fill(p, have, n);
		have = n;
	}
	CHECK(same_pattern(p, have));
	mem_free(p);
}

/* A growth that fits in the room already there keeps the pointer. */
static void test_growth_within_room(void)
{
	unsigned char *p = mem_realloc(NULL, 3 * MIB), *q;

	CHECK(p != NULL);
	q = mem_realloc(p, 3 * MIB + 100);
	CHECK(q == p);
	fill(q, 0, 3 * MIB + 100);
	CHECK(same_pattern(q, 3 * MIB + 100));
	CHECK(mem_realloc(q, 10) == q);	/* never shrinks */
	mem_free(q);
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_calloc(void)
{
	unsigned char *small, *big;

	/* Dirty the heap first, so that a small calloc cannot pass by luck. */
	small = mem_realloc(NULL, 4096);
	CHECK(small != NULL);
	memset(small, 0xa5, 4096);
	mem_free(small);
	small = mem_calloc(512, 8);
	big = mem_calloc(3, MIB);
	CHECK(small && all_zero(small, 4096));
	CHECK(big && all_zero(big, 3 * MIB));
	CHECK(mem_calloc(SIZE_MAX / 2, 4) == NULL);
	CHECK(mem_realloc(NULL, SIZE_MAX - 8) == NULL);
	mem_free(small);
	mem_free(big);
	mem_free(NULL);
}

/* The mapping of a big array starts on a 2 MiB boundary, and its pages are
 * advised (smaps: "hg" among the VmFlags of the mapping at that address). */
static void test_mapping_is_huge_aligned(void)
{
	unsigned char *p = mem_realloc(NULL, 5 * MIB);
	uintptr_t start = 0;
	char line[512];
	int advised = 0, in = 0;
	FILE *f;

	CHECK(p != NULL);
	if (!p)
		return;
	p[0] = 1;
	f = fopen("/proc/self/smaps", "r");
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = (uintptr_t)p > lo && (uintptr_t)p < hi;
			if (in)
				start = lo;
		} else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			advised = strstr(line, " hg") != NULL;
		}
	}
	if (f)
		fclose(f);
	CHECK(start != 0 && start % (2 * MIB) == 0);
	CHECK(advised);
	mem_free(p);
}

int main(void)
{
	test_growth_keeps_contents();
	test_growth_within_room();
	test_calloc();
	test_mapping_is_huge_aligned();
	return unit_done("test_mem");
}

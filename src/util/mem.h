/* mem.h -- large buffers and growing arrays in 2 MiB pages where the kernel
 * gives them. */
#ifndef UTIL_MEM_H
#define UTIL_MEM_H

#include <stddef.h>

/*
 * A buffer that every read and write of a run passes through is touched a
 * 4 KiB page at a time right after a system call, when the TLB holds none
 * of its pages (on this project's VMs each miss is a nested page walk):
 * in 2 MiB pages those misses all but vanish.  W1's zero-block test cost
 * 22 ms of user time in 4 KiB pages and nothing measurable in 2 MiB ones.
 */
struct big_buf {
	unsigned char *p;	/* size bytes, from a 2 MiB boundary: the mapping */
	size_t map_len;		/* its length, a multiple of 2 MiB */
};

/* Map size bytes (anonymous, MAP_NORESERVE), advised MADV_HUGEPAGE, with
 * the pages of the first populate bytes in place; 0, or -1 with errno. */
int big_buf_alloc(struct big_buf *b, size_t size, size_t populate);
void big_buf_free(struct big_buf *b);

/*
 * Arrays that grow with the manifest -- fragments, placements, batch
 * entries, reads, the manifest's text -- are each touched once, a page at a
 * time.  On this project's VMs a 4 KiB page fault costs about 15 us, and at
 * 100,000 fragments the faults were half of W2's run; glibc's realloc also
 * copies an array into fresh pages each time it outgrows the heap.
 *
 * mem_realloc, mem_calloc and mem_free are realloc, calloc and free for
 * such arrays.  From 1 MiB up an array is a mapping of its own, 2 MiB
 * aligned and advised MADV_HUGEPAGE, grown by moving its pages with mremap
 * (no copy); smaller ones come from malloc.  A pointer from one family
 * must be freed by the same family.
 */
void *mem_realloc(void *p, size_t bytes);
void *mem_calloc(size_t n, size_t size);
void mem_free(void *p);

#endif

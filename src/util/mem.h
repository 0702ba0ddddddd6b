/* mem.h -- large I/O buffers in 2 MiB pages where the kernel gives them. */
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
	unsigned char *p;	/* size bytes, from a 2 MiB boundary */
	void *map;		/* the mapping, for big_buf_free */
	size_t map_len;
};

/* Map size bytes (anonymous, MAP_NORESERVE), advised MADV_HUGEPAGE, with
 * their pages in place when populate is set; 0, or -1 with errno. */
int big_buf_alloc(struct big_buf *b, size_t size, int populate);
void big_buf_free(struct big_buf *b);

#endif

/* mem.c -- large I/O buffers in 2 MiB pages (mem.h). */
#include <stdint.h>
#include <sys/mman.h>

#include "util/mem.h"

#define HUGE_PAGE ((size_t)2 << 20)

int big_buf_alloc(struct big_buf *b, size_t size, int populate)
{
	void *p = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	b->map = p;
	b->map_len = size + HUGE_PAGE;
	b->p = (unsigned char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	madvise(b->p, size, MADV_HUGEPAGE);	/* a hint: no error matters */
#ifdef MADV_POPULATE_WRITE
	if (populate)
		madvise(b->p, size, MADV_POPULATE_WRITE);
#else
	(void)populate;
#endif
	return 0;
}

void big_buf_free(struct big_buf *b)
{
	if (b->map)
		munmap(b->map, b->map_len);
	b->map = NULL;
	b->p = NULL;
}

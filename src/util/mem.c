/* mem.c -- large buffers and growing arrays in 2 MiB pages (mem.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/mem.h"

#define HUGE_PAGE ((size_t)2 << 20)

/* A fresh mapping of len bytes (a multiple of HUGE_PAGE), HUGE_PAGE
 * aligned: over-mapped by one huge page, then trimmed at both ends. */
static void *map_aligned(size_t len)
{
	unsigned char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), *a;
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	a = (unsigned char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	head = (size_t)(a - p);
	if (head)
		munmap(p, head);
	munmap(a + len, HUGE_PAGE - head);
	madvise(a, len, MADV_HUGEPAGE);	/* a hint: no error matters */
	return a;
}

int big_buf_alloc(struct big_buf *b, size_t size, size_t populate)
{
	size_t len = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);

	if (len < size) {
		errno = ENOMEM;
		return -1;
	}
	if (!(b->p = map_aligned(len)))
		return -1;
	b->map_len = len;
#ifdef MADV_POPULATE_WRITE
	if (populate)
		madvise(b->p, populate < size ? populate : size, MADV_POPULATE_WRITE);
#else
	(void)populate;
#endif
	return 0;
}

void big_buf_free(struct big_buf *b)
{
	if (b->p)
		munmap(b->p, b->map_len);
	b->p = NULL;
}

/* Every array starts with this header; its data follow it.  map_len is the
 * length of the array's own mapping, or 0 when it came from malloc. */
struct mem_head {
	size_t map_len;
	size_t cap;		/* bytes of data room */
} __attribute__((aligned(16)));

#define OWN_MAPPING_FROM ((size_t)1 << 20)

static struct mem_head *head_of(void *p)
{
	return (struct mem_head *)p - 1;
}

/* Grow into a new mapping: the old one's pages move into its start. */
static struct mem_head *grow_mapped(struct mem_head *h, size_t need)
{
	size_t len = (need + sizeof *h + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	struct mem_head *n;

	if (len < need)
		return NULL;
	if (!(n = map_aligned(len)))
		return NULL;
	if (h && h->map_len) {
		if (mremap(h, h->map_len, h->map_len, MREMAP_MAYMOVE | MREMAP_FIXED, n) == MAP_FAILED) {
			munmap(n, len);
			return NULL;
		}
	} else if (h) {
		memcpy(n, h, sizeof *h + h->cap);
		free(h);
	}
	n->map_len = len;
	n->cap = len - sizeof *n;
	return n;
}

void *mem_realloc(void *p, size_t bytes)
{
	struct mem_head *h = p ? head_of(p) : NULL, *n;

	if (h && bytes <= h->cap)
		return p;
	if (bytes > SIZE_MAX - sizeof *h - HUGE_PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	if (bytes >= OWN_MAPPING_FROM) {
		n = grow_mapped(h, bytes);
	} else {
		if ((n = realloc(h, sizeof *h + bytes)) != NULL) {
			n->map_len = 0;
			n->cap = bytes;
		}
	}
	if (!n) {
		errno = ENOMEM;
		return NULL;
	}
	return n + 1;
}

void *mem_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	p = mem_realloc(NULL, n * size);
	/* A fresh mapping is zeros already; writing them would fault it in. */
	if (p && !head_of(p)->map_len)
		memset(p, 0, n * size);
	return p;
}

void mem_free(void *p)
{
	struct mem_head *h;

	if (!p)
		return;
	h = head_of(p);
	if (h->map_len)
		munmap(h, h->map_len);
	else
		free(h);
}

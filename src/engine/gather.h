/* gather.h -- source reads noted first, then done together (gather.c). */
#ifndef GATHER_H
#define GATHER_H

#include <stddef.h>
#include <stdint.h>

struct gread {
	unsigned char *dst;
	uint64_t off;
	int fd;
	uint32_t n;
};

struct gather {
	struct gread *r;
	size_t n, cap;
	unsigned char *scratch, *scratch2; /* one per reading thread */
};

void gather_init(struct gather *g);
/* Note a read of n bytes at off of fd into dst: 0 or ENOMEM. */
int gather_add(struct gather *g, int fd, uint64_t off, uint32_t n, unsigned char *dst);
/* Do every noted read and forget them: 0, or the first errno (EIO: a
 * source ended early); after an error some destinations are not filled. */
int gather_run(struct gather *g);
void gather_release(struct gather *g);

#endif

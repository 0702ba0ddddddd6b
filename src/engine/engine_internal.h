/* engine_internal.h -- what the engine's files share. */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "iob.h"
#include "util/io.h"

/* How an opened target came to be, for target_layout. */
enum layout_flags {
	LAYOUT_REPLACE = 1,	/* --force: its old bytes do not count */
	LAYOUT_PATCH = 2,	/* --patch: written in place */
	LAYOUT_NEW = 4,		/* it did not exist before the run */
};
/* How the writes treat an opened target (in place or new; the final
 * length); target_open and target_open_atomic end with it. */
void target_layout(struct target *t, unsigned flags, int64_t image_len, int64_t size);

/* The outcome of the fragment tagged tag; gaps (PLAN_GAP) share a record
 * that nobody reads. */
static inline struct frag_outcome *outcome_of(struct engine_result *r, uint32_t tag)
{
	static struct frag_outcome none;

	return tag < r->nfrag ? &r->frag[tag] : &none;
}

/* n bytes of the fragment tagged tag were left as holes (gaps count for
 * none).  Should the per-fragment table not fit in memory, they count as
 * written instead: the bytes are right either way. */
void count_holes(struct engine_result *r, uint32_t tag, uint64_t n);

/* n bytes of entry i went out another way (a gap skipped, a span cloned):
 * consume them as iob_send or iob_write would have (the entries before i
 * are empty, so i is the next entry).  Not for a buffer entry. */
void batch_consume(io_batch *b, size_t i, uint64_t n);

/* Whether n bytes are all zero. */
int all_zero(const unsigned char *p, size_t n);

/*
 * The fragments one request carried, each once, in target order: for the
 * request hook, and so that a request counts once for each fragment even
 * when a later line split it (--allow-overlap: A, B, A in one request).
 * A repeat can only follow a higher tag, so a manifest in target order
 * never looks back; the first time one might, a table of each fragment's
 * last request (4 bytes a fragment) is made and kept.
 */
struct tag_list {
	uint32_t *v;
	size_t n, cap;
	uint32_t max;		/* the highest tag in v */
	uint32_t req;		/* the request's number (mod 2^32) */
	uint32_t *last;		/* per fragment: the last request it was in */
	size_t nfrag;
};
/* Start the list of request req. */
void tag_list_start(struct tag_list *t, uint64_t req, size_t nfrag);
/* Add tag: 1 when it is new to the request (count the request for it),
 * 0 when the request has it already. */
int tag_list_add(struct tag_list *t, uint32_t tag);
void tag_list_release(struct tag_list *t);

/* n bytes of entry e from offset done into buf, whatever its kind (a
 * memory, file or fill entry): 0, or an errno (EIO: a file ended).  A
 * stream entry (IOB_STREAM) is read on from where it stands: the caller
 * asks for its bytes in order, once. */
int entry_bytes(const iob_entry *e, uint64_t done, unsigned char *buf, uint64_t n);

/*
 * Shared extents (SPEC §9.2, clone.c): a file entry's bytes are cloned
 * into the target with FICLONERANGE where its source offset, its target
 * offset and the length are multiples of the target file system's block
 * size; the engines copy the unaligned head and tail as before.
 */
struct cloner {
	int fd;			/* the target; -1 when cloning is off (not
				 * wanted, not a regular file, or it failed) */
	uint64_t block;		/* the target file system's block size */
	int64_t delta;		/* the target's file offset of image offset 0 */
};
/* Clone into t when wanted and t is a regular file written at offsets. */
void clone_start(struct cloner *c, const struct target *t, int wanted);
/* The part of file entry e, from byte done on, that may be cloned: its
 * length (0: none; at most one chunk), with *head set to the bytes before
 * it, which are copied. */
uint64_t clone_span(const struct cloner *c, const iob_entry *e, uint64_t done, uint64_t *head);
/* Clone n bytes of e from byte done on (a clone_span with head 0) and
 * count them in r->cloned.  0, or -1 when it failed: cloning is then off
 * for the run and the bytes are to be copied. */
int clone_range(struct cloner *c, const iob_entry *e, uint64_t done, uint64_t n,
		struct engine_result *r);
/* The stream engine, before iob_send: when b's next byte starts a span to
 * clone, clone it, move the target's offset past it, consume it from b and
 * return its length; else return 0 with *most lowered to the bytes
 * iob_send may write before such a span. */
uint64_t clone_stream_step(struct cloner *c, io_batch *b, struct engine_result *r,
			   uint64_t *most);

/* --direct (direct.c): opening the target with O_DIRECT, its alignment,
 * and the aio engine's batch rewritten into runs of whole blocks. */
#define DIRECT_FILLER (UINT32_MAX - 1) /* the tag of bytes no fragment gives */
#define DIRECT_ALIGN_MAX ((uint32_t)1 << 16)
/* Flags for open(2): O_DIRECT, and O_EXCL for a new file (see direct.c). */
int direct_open_flags(const struct target *t);
/* The open with direct_open_flags failed: remove what it created, and say
 * why.  -1 with *err. */
int direct_refused(const struct target *t, struct errors *err);
/* After target_layout: O_DIRECT on t->fd, the alignment, the descriptor
 * for old bytes, the final length.  0 or -1 with *err. */
int direct_start(struct target *t, struct errors *err);
/* size rounded down to whole blocks (at least one). */
uint64_t direct_request_size(const struct target *t, uint64_t size);
/* Whether p may be given to an O_DIRECT write as it is. */
int direct_mem_ok(const struct target *t, const void *p);
/* n zero bytes at a page boundary (free(3) them). */
void *direct_zeros(size_t n);
/* b's entries from b->next on, as runs of whole blocks (the result owns
 * nothing but its array); NULL when out of memory. */
io_batch *direct_batch(const io_batch *b, const struct target *t);

/* --direct in stream mode (direct_out.c): aligned writes from offset 0;
 * *out counts the bytes the target has taken. */
struct direct_out;
struct direct_out *direct_out_new(const struct target *t, uint64_t *out);
/* Take up to n bytes: how many, or -1 with errno (an earlier write failed). */
int64_t direct_out_write(struct direct_out *d, const void *buf, uint64_t n);
/* Write the whole blocks taken: 0 or an errno. */
int direct_out_flush(struct direct_out *d);
/* Write everything, the last block completed; set a file's length. */
int direct_out_finish(struct direct_out *d);
void direct_out_free(struct direct_out *d);

#endif

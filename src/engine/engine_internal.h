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

#endif

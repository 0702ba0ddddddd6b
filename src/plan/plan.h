/*
 * plan.h -- fragments -> checked, placed, non-overlapping extents.
 *
 * The planner opens and checks every source before anything is written
 * (SPEC §3 invariant 4), resolves each fragment's offset and length, finds
 * overlaps (or, with allow_overlap, lets the later line win), computes the
 * image length, checks `sha256=` digests, and turns the result into an
 * io_batch for an engine.
 */
#ifndef PLAN_H
#define PLAN_H

#include <stdint.h>
#include <sys/types.h>

#include "iob.h"
#include "manifest/manifest.h"

/* One opened source, shared by every fragment that names the same path. */
struct source {
	int fd;
	int64_t size;		/* -1 for a stream */
	int64_t cursor;		/* `file -`: where the next fragment starts */
	dev_t dev;
	ino_t ino;
	uint8_t stream;		/* a pipe, FIFO, socket or character device: read
				 * once, in manifest order, into the spool */
	uint8_t chardev;
	uint8_t pass;		/* a stream that passes through (stream mode) */
};

/* Where each fragment landed. */
struct placed {
	int64_t at, len;
	int64_t visible;	/* bytes of it in the image: len, less what later
				 * lines cover under --allow-overlap */
	int64_t src_off;	/* FILE: source offset of the fragment's first byte */
	const unsigned char *bytes; /* DATA, HEX, UUID, and FILE spooled in memory */
	int32_t src;		/* FILE: index into plan.src (the spool file for a
				 * spooled stream), -1 when the bytes are in memory */
	uint8_t spooled;	/* FILE: read ahead from a stream */
	uint8_t pass;		/* FILE: read from its stream while writing */
};

/* A piece of a fragment in the image; extents are sorted and disjoint. */
struct extent {
	int64_t at, len;
	int64_t delta;		/* offset within the fragment's bytes */
	uint32_t frag;
};

struct plan_opts {
	int allow_overlap;
	const char *confine;	/* --confine=DIR: sources must resolve beneath it */
	int pass_through;	/* stream mode: streams may be read while writing */
	int dry_run;		/* read no stream that has len= */
	int target_exists;	/* the target's identity, to refuse it as a source */
	dev_t target_dev;
	ino_t target_ino;
};

struct plan {
	struct placed *pf;	/* one per manifest fragment */
	size_t npf;
	struct extent *ext;
	size_t next;
	struct source *src;
	size_t nsrc;
	unsigned char *uuids;	/* 36 bytes per uuid fragment */
	unsigned char *spool;	/* stream sources' bytes, up to PLAN_SPOOL_MEM */
	size_t spool_len, spool_cap;
	int spooler_fd;		/* the spool file, or -1 */
	int32_t spooler_src;	/* its index in src */
	int64_t spooler_len;
	int64_t image_len;
};

/* Stream sources are read into memory up to this many bytes in all, then
 * into an unlinked temporary file in $TMPDIR (or /tmp). */
#define PLAN_SPOOL_MEM ((size_t)32 << 20)

/* 0, or -1 with *err a malloc'd message ("FILE:LINE:COL: ..."). */
int plan_build(struct plan *p, const struct manifest *m, const struct plan_opts *o, char **err);
void plan_release(struct plan *p);

/* The plan as a batch in target order, tagged with fragment indexes.  With
 * gaps, zero entries fill every gap and the padding up to image_len (tag
 * PLAN_GAP), so the batch's bytes are the image itself (stream mode). */
#define PLAN_GAP UINT32_MAX
io_batch *plan_batch(const struct plan *p, const struct manifest *m, int gaps);

#endif

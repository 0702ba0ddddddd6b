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
#include "plan/hexfile.h"

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
	uint8_t sparse;		/* a regular file with holes (fewer blocks than
				 * its size): its ranges are mapped with SEEK_DATA */
};

/* Where each fragment came from and where it landed: everything the
 * layers after the planner need of it, so that the manifest's own records
 * can be dropped once the plan is built (manifest_drop_fragments).  40
 * bytes, with a union and bit fields, because a run holds one per
 * fragment: the per-fragment memory figure of aiowrite-manifest(5). */
struct placed {
	int64_t at, len;
	union {
		int64_t src_off;	/* FILE with src >= 0: source offset of the
					 * fragment's first byte */
		const unsigned char *bytes; /* src < 0: DATA, HEX, UUID, and FILE
					 * spooled in memory */
	};
	int32_t src;		/* FILE: index into plan.src (the spool file for a
				 * spooled stream), -1 when the bytes are in memory */
	uint32_t line, col;	/* the manifest line, as in struct fragment */
	uint8_t origin;
	uint8_t kind;		/* enum frag_kind */
	uint8_t byte;		/* FILL: the byte; FILE: 1 for holes=skip */
	uint8_t spooled:1;	/* FILE: read ahead from a stream */
	uint8_t pass:1;		/* FILE: read from its stream while writing */
	uint8_t unchanged:1;	/* expect=: the target holds its bytes already */
	uint8_t hex:1;		/* FILE format=ihex|srec: its records, in plan.hex */
	uint8_t decoded:1;	/* FILE decode=: src_off and len count decoded bytes
				 * of p->src[src] (plan/decode.h) */
};

/* A piece of a fragment in the image; pieces are sorted and disjoint. */
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
	int patch;		/* --patch: expect= reads the target at target_path */
	const char *target_path;
	int check_only;		/* the manifest had errors: check the sources of
				 * the fragments that parsed, and stop there */
	int target_exists;	/* the target's identity, to refuse it as a source */
	dev_t target_dev;
	ino_t target_ino;
};

struct plan {
	struct placed *pf;	/* one per manifest fragment */
	size_t npf;
	size_t npieces;		/* pieces of the image, in target order: */
	struct extent *ext;	/* --allow-overlap: the pieces that land */
	uint32_t *order;	/* otherwise: the non-empty fragments by offset,
				 * or NULL when that is pf[0..npieces) as it is */
	int64_t *visible;	/* --allow-overlap: bytes of each fragment left
				 * in the image; NULL: all of them */
	struct source *src;
	size_t nsrc;
	unsigned char *uuids;	/* 36 bytes per uuid fragment */
	unsigned char *spool;	/* stream sources' bytes, up to PLAN_SPOOL_MEM */
	size_t spool_len, spool_cap;
	int spooler_fd;		/* the spool file, or -1 */
	int32_t spooler_src;	/* its index in src */
	int64_t spooler_len;
	int64_t image_len;
	uint8_t pad_set;	/* `pad BYTE`: gaps and padding hold pad, and are
				 * written in every mode */
	uint8_t pad;
	struct plan_hex *hex;	/* the HEX sources read (format=), one per fragment */
	size_t nhex;
	struct decode_set *dec;	/* decode= sources and their threads (decode.h) */
	void **kept;		/* buffers of computed bytes (plan_keep) */
	size_t nkept, kept_alloc;
};

/* A `file PATH format=ihex|srec` fragment's records: each at its address
 * less base from the fragment's start; between them, gaps. */
struct plan_hex {
	size_t frag;
	uint64_t base;
	struct hex_image img;
};

/* The k-th piece of the image (k < npieces). */
static inline struct extent plan_piece(const struct plan *p, size_t k)
{
	uint32_t i;

	if (p->ext)
		return p->ext[k];
	i = p->order ? p->order[k] : (uint32_t)k;
	return (struct extent){ .at = p->pf[i].at, .len = p->pf[i].len, .frag = i };
}

/* Bytes of fragment i that are to be written: its length, less what later
 * lines cover under --allow-overlap; none when expect= found it there. */
static inline int64_t plan_visible(const struct plan *p, size_t i)
{
	if (p->pf[i].unchanged)
		return 0;
	return p->visible ? p->visible[i] : p->pf[i].len;
}

/* Stream sources are read into memory up to this many bytes in all, then
 * into an unlinked temporary file in $TMPDIR (or /tmp). */
#define PLAN_SPOOL_MEM ((size_t)32 << 20)

/* 0, or -1 with *err a malloc'd message ("FILE:LINE:COL: ..."). */
int plan_build(struct plan *p, const struct manifest *m, const struct plan_opts *o,
	       struct errors *err);
void plan_release(struct plan *p);

/* The plan as a batch in target order, tagged with fragment indexes.  With
 * gaps, entries fill every gap and the padding up to image_len (tag
 * PLAN_GAP): zero entries, or fills of the `pad` byte, so the batch's bytes
 * are the image itself (stream mode, and any mode with `pad`). */
#define PLAN_GAP UINT32_MAX
io_batch *plan_batch(const struct plan *p, int gaps);
/* What only plan_batch needed: the pieces' order. */
void plan_drop_pieces(struct plan *p);

#endif

/*
 * engine.h -- the target, and the engines that write an io_batch into it.
 *
 * An engine takes a batch whose entries carry target offsets and fragment
 * tags, writes it, and fills an engine_result: per-fragment outcomes, and
 * every request's outcome through a hook (for `-v`).  Engines never print
 * and never exit; the report turns results into words and an exit status.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "filter/filter.h"
#include "iob.h"
#include "util/error.h"

enum target_type {
	TARGET_NONE,		/* does not exist yet: will be a new regular file */
	TARGET_REGULAR,
	TARGET_DEVICE,		/* a block device, or a seekable character device */
	TARGET_STREAM		/* a pipe, socket, terminal or other unseekable file */
};

enum sync_mode { SYNC_NONE, SYNC_DATA, SYNC_FULL };

struct target {
	const char *path;	/* as given; "-" is standard output */
	int fd;			/* -1 until target_open */
	int type;		/* enum target_type */
	int is_stdout;
	int append;		/* O_APPEND is set: offsets would be ignored */
	dev_t dev;
	ino_t ino;
	int64_t old_size;	/* regular: its length; device: its capacity */
	int patch;		/* write in place: gaps keep their old bytes */
	int holes;		/* zero ranges may be left as holes */
	int replaced;		/* it held data that opening it threw away */
	int64_t final_len;	/* the length to set after the writes, or -1 */
	char *tmp_path;		/* --atomic: the temporary file written instead */
	int direct;		/* --direct: fd is O_DIRECT (direct.c) */
	uint32_t dio_align;	/* --direct: offsets and lengths are multiples of it */
	uint32_t dio_mem_align;	/* --direct: and buffer addresses */
	int dio_rfd;		/* --direct: the target read back for its old
				 * bytes (--patch, a block device), or -1 */
};

/* Learn what the target is without creating or changing anything. */
int target_probe(struct target *t, const char *path, struct errors *err);
/* The refusals that need no write: a non-empty file without --force or
 * --patch, an image larger than the device.  0 or -1 with *err. */
int target_check(const struct target *t, int force, int patch, int64_t image_len, struct errors *err);
/* target_check, then open it (creating or truncating it as --force says);
 * decides patch, holes and final_len.  0 or -1 with *err. */
int target_open(struct target *t, int force, int patch, int64_t image_len, int64_t size,
		struct errors *err);
/* --atomic: target_check, then create a uniquely named temporary file
 * beside the target (a copy of it with --patch) and make it t->fd. */
int target_open_atomic(struct target *t, int force, int patch, int64_t image_len, int64_t size,
		       struct errors *err);
/* --atomic, after the writes: sync the temporary file, rename it over the
 * target, sync the directory.  0 or an errno (the temporary file is then
 * removed and the target is as it was). */
int target_commit(struct target *t);
/* Remove the temporary file of --atomic, if there is one. */
void target_abort(struct target *t);
void target_close(struct target *t);

/* One request's outcome, as aio_error(3) and aio_return(3) gave it. */
struct request_outcome {
	uint64_t req;		/* 1-based request number */
	const uint32_t *tags;	/* the fragments it carried, in target order
				 * (a packed request carries several) */
	size_t ntags;
	int64_t at, len;
	int err;		/* aio_error: 0 or an errno */
	int64_t ret;		/* aio_return */
};

typedef void (*request_hook)(void *ctx, const struct request_outcome *r);

/* One per fragment: 24 bytes, packed (int16_t errno, bit fields) because
 * a run of 10 million fragments holds 10 million of them. */
struct frag_outcome {
	uint64_t written;
	int64_t mismatch_at;	/* --verify: the first differing byte, or -1
				 * for a read error */
	uint32_t requests;
	int16_t err;		/* the first error (an errno), or 0 */
	uint8_t source_short:1;	/* err is EIO because the source ended early */
	uint8_t verify_failed:1; /* err came from --verify */
	uint8_t interrupted:1;	/* err is EINTR: a signal stopped the run first */
};

/* A step after the writes: setting the length, or the sync. */
struct step_outcome {
	int done;		/* the step was attempted */
	int err;
};

struct engine_result {
	struct frag_outcome *frag; /* indexed by tag; sized by the caller */
	size_t nfrag;
	/* Per fragment, the bytes left unwritten as holes (zero ranges and
	 * source holes left or punched, zero blocks not written, holes=skip):
	 * allocated on the first, NULL while there is none, so a run without
	 * holes pays nothing per fragment.  written + holes is what a fragment
	 * has that is complete. */
	uint64_t *holes;
	uint64_t holes_total;
	uint64_t requests;
	uint64_t failed;	/* requests that failed (a zero range that could
				 * not be punched counts as one) */
	uint64_t bytes_written;	/* image bytes written */
	uint64_t bytes_out;	/* bytes that reached the target */
	struct step_outcome truncate, sync;
	struct step_outcome flush;	/* stream: finishing the filters */
	struct step_outcome verify;	/* --verify: its first error (differences
					 * also fail their fragments) */
	struct step_outcome commit;	/* --atomic: sync and rename */
	uint64_t zero_copy;	/* stream: bytes moved by copy_file_range/splice/sendfile */
	/* Bytes cloned with FICLONERANGE (SPEC §9.2), per fragment (indexed
	 * by tag) and in all: the array is allocated on the first clone and
	 * stays NULL when nothing was cloned, so that struct frag_outcome does
	 * not grow.  Cloned bytes count as written too. */
	uint64_t *cloned;
	uint64_t cloned_total;
	int signal;		/* the signal that stopped the run, or 0 */
};

struct engine_opts {
	unsigned queue_depth;
	uint64_t request_size;
	int sync;		/* enum sync_mode */
	request_hook hook;	/* called for every request, or NULL */
	void *hook_ctx;
	volatile sig_atomic_t *stop; /* set by a signal handler: stop submitting */
	/* Called as bytes complete, with the image bytes written so far and
	 * the requests in flight; NULL for none. */
	void (*progress)(void *ctx, uint64_t done, unsigned inflight);
	void *progress_ctx;
	struct stage *filters;	/* stream: the filter chain, or NULL; the engine
				 * appends its sink, the caller destroys the chain */
	int clone;		/* share the extents of file ranges where the file
				 * system can (clone.c); 0: --no-clone, copy them */
};

/* What the engines differ in.  Each engine file defines one. */
struct engine_ops {
	const char *name;	/* "aio", "stream": the report's mode */
	int whole_image;	/* the batch holds the gaps too (plan_batch's gaps) */
	int zero_copy;		/* it counts bytes moved by kernel copy paths */
	const char *sync_call[3]; /* the sync step's call, by enum sync_mode */
	/* Whether zero ranges (and, for a whole image, gaps) are left as
	 * holes rather than written. */
	int (*makes_holes)(const struct target *t, const struct stage *filters);
	int (*run)(io_batch *b, const struct target *t, const struct engine_opts *o,
		   struct engine_result *r);
};

extern const struct engine_ops engine_aio, engine_stream;

/* Bytes of fragment i left as holes. */
static inline uint64_t frag_holes(const struct engine_result *r, size_t i)
{
	return r->holes ? r->holes[i] : 0;
}

/* Bytes of fragment i that reached the target, or stay as holes. */
static inline uint64_t frag_done(const struct engine_result *r, size_t i)
{
	return r->frag[i].written + frag_holes(r, i);
}

/* --verify: read back every entry of b (a fresh batch of the plan, without
 * gaps) from fd and compare; differences and read errors fail their
 * fragment.  0, or -1 when out of memory. */
int engine_verify(io_batch *b, int fd, struct engine_result *r);

#define ENGINE_DEFAULT_QUEUE_DEPTH 16
#define ENGINE_DEFAULT_REQUEST_SIZE (1u << 20)

#endif

/*
 * decode.h -- compressed sources (SPEC §9.3): `file PATH decode=gzip|xz|
 * zstd|auto`.  One interface in three parts:
 *
 *   codec.c       a decoder of a regular file's bytes, read with pread from
 *                 offset 0 (gzip members, xz streams, zstd frames, each
 *                 concatenated), one piece of decoded bytes at a time;
 *   decode.c      plan time: the format (by magic for `auto`), the decoded
 *                 length (zstd frame headers, the xz index, or one decoding
 *                 pass), skip=/len= in decoded bytes, and the decoded bytes
 *                 for digests, fields and expect=;
 *   decode_job.c  write time: a thread per batch entry that decodes its
 *                 range into a pipe, which the batch reads as a stream.
 *
 * Errors: a corrupt or truncated stream is EBADMSG, with a reason.
 */
#ifndef PLAN_DECODE_H
#define PLAN_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iob.h"

struct plan;
struct manifest;
struct fragment;
struct errors;

/* codec.c */
struct codec;
/* A decoder of fd's bytes as fmt (enum file_decode, not AUTO or NONE):
 * NULL with errno (ENOMEM). */
struct codec *codec_open(int fd, int fmt);
/* Up to n decoded bytes into buf: their count (> 0), 0 at the end of the
 * data, or -1 with errno: EBADMSG (corrupt or truncated, codec_why says
 * how), ENOMEM, or the errno of a read of the file. */
ssize_t codec_read(struct codec *c, void *buf, size_t n);
/* Read and drop n decoded bytes: the count dropped (less at the end), or
 * -1 with errno as codec_read. */
int64_t codec_skip(struct codec *c, int64_t n, void *scratch, size_t size);
const char *codec_why(const struct codec *c);
/* The compressed bytes read so far: where a fault was found, about. */
int64_t codec_in_offset(const struct codec *c);
void codec_close(struct codec *c);
/* "gzip", "xz", "zstd" */
const char *codec_name(int fmt);

/* decode.c, at plan time (plan_open_sources): fragment i, whose source is
 * p->src[s], when it has decode=.  1: it is decoded (pf->decoded, its range
 * checked unless skip=/len= are expressions); 0: no decode=, or `auto`
 * found no known magic, so it is read as it is; -1 reported. */
int plan_decode(struct plan *p, size_t i, int32_t s, const struct manifest *m,
		const struct fragment *f, struct errors *err);
/* skip= and len= of decoded fragment i, in decoded bytes, checked against
 * its decoded length when that is known; sets pf->src_off and pf->len.
 * 0 or -1 reported. */
int decode_range(struct plan *p, size_t i, const struct manifest *m, const struct fragment *f,
		 int64_t skip, int64_t len, struct errors *err);
/* n decoded bytes of fragment i from offset off within it: 0, EIO (the
 * data ended before), EBADMSG, or another errno.  Reads on from the last
 * call's end without decoding again; an earlier offset starts over. */
int decode_fragment_bytes(const struct plan *p, size_t i, int64_t off, size_t n,
			  unsigned char *buf);

/* decode_job.c, at write time. */
/* Append n decoded bytes of fragment i from offset off within it to b as
 * a stream entry fed by a new decoding thread: 1, or 0 with errno (as the
 * iob_add calls). */
int decode_addstream(io_batch *b, const struct plan *p, size_t i, int64_t off, uint64_t n);
/* Stop every decoding thread started so far (their readers are done):
 * close the pipes' read ends, wait for the threads. */
void plan_decode_stop(const struct plan *p);
/* The errno with which a decoding thread of fragment i failed (EBADMSG: a
 * corrupt or truncated stream), or 0; valid after plan_decode_stop. */
int plan_decode_error(const struct plan *p, size_t i);
/* Everything decode.c and decode_job.c keep in the plan. */
void decode_release(struct plan *p);

#endif

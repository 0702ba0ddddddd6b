/*
 * digest.c -- `sha256=` on a fragment: its bytes must have that digest, or
 * the run is refused before anything is written (SPEC §2).  Sources are read
 * through once, in 256 KiB pieces; fills are hashed from one small buffer,
 * never a buffer of their length.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/decode.h"
#include "plan/plan_internal.h"
#include "util/io.h"

#define PIECE (256 * 1024)

/* Hash len bytes of fd from off; 0 or an errno (EIO: the source ended). */
static int hash_file(EVP_MD_CTX *ctx, unsigned char *buf, int fd, int64_t off, int64_t len)
{
	while (len > 0) {
		size_t k = len < PIECE ? (size_t)len : PIECE;
		int err = pread_full(fd, buf, k, off);

		if (err)
			return err;
		EVP_DigestUpdate(ctx, buf, k);
		off += (int64_t)k;
		len -= (int64_t)k;
	}
	return 0;
}

/* A decode= fragment's decoded bytes (decode.c). */
static int hash_decoded(EVP_MD_CTX *ctx, unsigned char *buf, const struct plan *p, size_t i)
{
	for (int64_t off = 0, len = p->pf[i].len; off < len;) {
		size_t k = len - off < PIECE ? (size_t)(len - off) : PIECE;
		int err = decode_fragment_bytes(p, i, off, k, buf);

		if (err)
			return err;
		EVP_DigestUpdate(ctx, buf, k);
		off += (int64_t)k;
	}
	return 0;
}

static void hash_fill(EVP_MD_CTX *ctx, unsigned char *buf, unsigned char byte, int64_t len)
{
	memset(buf, byte, PIECE);
	for (; len > 0; len -= PIECE)
		EVP_DigestUpdate(ctx, buf, len < PIECE ? (size_t)len : PIECE);
}

static void to_hex(char *out, const unsigned char *d)
{
	for (int i = 0; i < 32; i++) {
		out[2 * i] = "0123456789abcdef"[d[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
	}
	out[64] = 0;
}

static int check_one(EVP_MD_CTX *ctx, unsigned char *buf, const struct plan *p,
		     const struct manifest *m, size_t i, struct errors *err)
{
	const struct fragment *f = &m->frag[i];
	const struct placed *pf = &p->pf[i];
	unsigned char got[32];
	char want_hex[65], got_hex[65];
	int rc = 0;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	if (f->kind == FRAG_FILE && pf->decoded)
		rc = hash_decoded(ctx, buf, p, i);
	else if (f->kind == FRAG_FILE && pf->src >= 0)
		rc = hash_file(ctx, buf, p->src[pf->src].fd, pf->src_off, pf->len);
	else if (f->kind == FRAG_FILL || f->kind == FRAG_ZERO)
		hash_fill(ctx, buf, f->kind == FRAG_FILL ? f->byte : 0, pf->len);
	else
		EVP_DigestUpdate(ctx, pf->bytes, (size_t)pf->len);
	EVP_DigestFinal_ex(ctx, got, NULL);
	if (rc)
		return plan_fail(err, m, f, "cannot read '%s' for its sha256: %s", f->bytes,
				 rc == EIO ? "it ended before its length" : strerror(rc));
	if (memcmp(got, f->sha256, 32) == 0)
		return 0;
	to_hex(want_hex, f->sha256);
	to_hex(got_hex, got);
	return plan_fail(err, m, f, "sha256 mismatch: the %s fragment's bytes hash to %s, "
			 "not %s", frag_word(pf->kind, pf->byte), got_hex, want_hex);
}

int plan_check_digests(const struct plan *p, const struct manifest *m, struct errors *err)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	int rc = 0;

	for (size_t i = 0; i < m->nfrag && rc == 0; i++) {
		if (!m->frag[i].sha256)
			continue;
		if (!ctx && (!(ctx = EVP_MD_CTX_new()) || !(buf = malloc(PIECE)))) {
			error_nomem(err);
			rc = -1;
			break;
		}
		rc = check_one(ctx, buf, p, m, i, err);
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

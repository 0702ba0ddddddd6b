/*
 * expect.c -- guarded patches (SPEC §8.5): a fragment with expect= writes
 * only over the bytes it expects (expect=HEX, the same length, or
 * expect=sha256:HEX), and not at all over its own bytes (the patch was
 * applied before: "unchanged").  Anything else refuses the run before
 * anything is written, naming the line, the offset of the first differing
 * byte and the bytes found there.
 *
 * The target is read through a descriptor of our own, in pieces, so a
 * fragment of any length is compared without holding it.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/eval.h"
#include "util/hex.h"
#include "util/io.h"

#define PIECE ((size_t)64 * 1024)
#define SHOWN 16		/* bytes found, shown in a refusal */

struct compare {
	unsigned char *found, *mine;	/* PIECE bytes each */
	int64_t first_diff_new;		/* first offset where the target differs from
					 * the fragment's bytes, or -1 */
	int64_t first_diff_expect;	/* ... from expect=HEX, or -1 */
	EVP_MD_CTX *sha;		/* expect=sha256: the target's digest */
};

static int64_t first_difference(const unsigned char *a, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (int64_t)i;
	return -1;
}

/* Read the target over fragment i and compare, piece by piece. 0 or errno. */
static int compare_range(struct resolver *r, int fd, size_t i, struct compare *c)
{
	const struct placed *pf = &r->p->pf[i];
	const struct frag_ext *x = frag_ext(r->m, &r->m->frag[i]);

	c->first_diff_new = c->first_diff_expect = -1;
	for (int64_t done = 0; done < pf->len;) {
		size_t k = pf->len - done < (int64_t)PIECE ? (size_t)(pf->len - done) : PIECE;
		int err = pread_full(fd, c->found, k, pf->at + done);
		int64_t d;

		if (err)
			return err;
		if ((err = plan_fragment_bytes(r->p, i, done, k, c->mine)) != 0)
			return err;
		if (c->first_diff_new < 0 && (d = first_difference(c->found, c->mine, k)) >= 0)
			c->first_diff_new = done + d;
		if (x->expect_sha256)
			EVP_DigestUpdate(c->sha, c->found, k);
		else if (c->first_diff_expect < 0 &&
			 (d = first_difference(c->found, x->expect + done, k)) >= 0)
			c->first_diff_expect = done + d;
		done += (int64_t)k;
	}
	return 0;
}

static const char *hex_of(char *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digits_lower[p[i] >> 4];
		out[2 * i + 1] = hex_digits_lower[p[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

/* The refusal: where the target first differs from what was expected. */
static int refuse(struct resolver *r, int fd, size_t i, const struct compare *c)
{
	const struct fragment *f = &r->m->frag[i];
	const struct frag_ext *x = frag_ext(r->m, f);
	const struct placed *pf = &r->p->pf[i];
	unsigned char found[SHOWN];
	char hex[2 * SHOWN + 1];
	int64_t at = x->expect_sha256 ? 0 : c->first_diff_expect;
	size_t n = pf->len - at < SHOWN ? (size_t)(pf->len - at) : SHOWN;

	if (pread_full(fd, found, n, pf->at + at) != 0)
		n = 0;
	if (x->expect_sha256)
		return eval_fail(r, f, x->expect_col, "expect=sha256: the target's %lld bytes at "
				 "0x%llx have another digest (they begin %s)", (long long)pf->len,
				 (unsigned long long)pf->at, hex_of(hex, found, n));
	return eval_fail(r, f, x->expect_col, "expect=: the target differs at 0x%llx: found %s",
			 (unsigned long long)(pf->at + at), hex_of(hex, found, n));
}

static int check_one(struct resolver *r, int fd, size_t i, struct compare *c)
{
	const struct fragment *f = &r->m->frag[i];
	const struct frag_ext *x = frag_ext(r->m, f);
	struct placed *pf = &r->p->pf[i];
	unsigned char md[EVP_MAX_MD_SIZE];
	int err, ok;

	if (!x->expect_sha256 && (int64_t)x->expect_len != pf->len)
		return eval_fail(r, f, x->expect_col, "expect= has %u bytes, the fragment %lld",
				 x->expect_len, (long long)pf->len);
	if (x->expect_sha256 && !EVP_DigestInit_ex(c->sha, EVP_sha256(), NULL))
		return error_nomem(r->err);
	if ((err = compare_range(r, fd, i, c)) != 0)
		return eval_fail(r, f, x->expect_col, "expect=: cannot read the target at 0x%llx: "
				 "%s", (unsigned long long)pf->at,
				 err == EIO ? "it ends before the fragment" : strerror(err));
	if (c->first_diff_new < 0) {
		pf->unchanged = 1;	/* applied before: nothing to write */
		return 0;
	}
	if (x->expect_sha256) {
		EVP_DigestFinal_ex(c->sha, md, NULL);
		ok = memcmp(md, x->expect, 32) == 0;
	} else {
		ok = c->first_diff_expect < 0;
	}
	return ok ? 0 : refuse(r, fd, i, c);
}

int plan_expect(struct resolver *r)
{
	struct compare c = { 0 };
	int fd = -1, rc = 0;

	for (size_t i = 0; i < r->m->nfrag; i++) {
		const struct fragment *f = &r->m->frag[i];
		const struct frag_ext *x = frag_ext(r->m, f);

		if (!x || !x->expect)
			continue;
		if (!r->o->patch) {
			rc = eval_fail(r, f, x->expect_col, "expect= guards a patch: it needs --patch");
			continue;
		}
		if (fd < 0 && (fd = open(r->o->target_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			return eval_fail(r, f, x->expect_col, "expect=: cannot read the target: %s",
					 strerror(errno));
		if (!c.found && (!(c.found = malloc(PIECE)) || !(c.mine = malloc(PIECE)) ||
				 !(c.sha = EVP_MD_CTX_new()))) {
			rc = error_nomem(r->err);
			break;
		}
		if (check_one(r, fd, i, &c) < 0)
			rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(c.found);
	free(c.mine);
	EVP_MD_CTX_free(c.sha);
	return rc;
}

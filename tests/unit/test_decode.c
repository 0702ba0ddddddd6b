/*
 * test_decode.c -- the codec of decode= sources (src/plan/codec.c):
 * gzip members, xz streams and zstd frames, compressed here by the
 * libraries' one-shot calls (independent of the streaming decoder under
 * test), decoded with output buffers of 1, 7, 4096 bytes and 1 MiB (a
 * decoder that still holds output when its input is gone must give it
 * all), and every truncation of a small file found as EBADMSG.
 */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "manifest/manifest.h"
#include "plan/decode.h"
#include "unit.h"

/* The compressed file, in a directory of its own (main makes it). */
static char dir[] = "/tmp/test_decode.XXXXXX";
static char zpath[sizeof dir + 8];

/* One gzip member of in[0..n) appended at out[*len..). */
static void gzip_member(const unsigned char *in, size_t n, unsigned char *out, size_t *len,
			size_t cap)
{
	z_stream z = { 0 };

	CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	z.next_out = out + *len;
	z.avail_out = (uInt)(cap - *len);
	CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	*len = cap - z.avail_out;
	deflateEnd(&z);
}

/* in[0..n) compressed as fmt, in one or two pieces (members, streams,
 * frames). */
static size_t pack_as(int fmt, int pieces, const unsigned char *in, size_t n, unsigned char *out,
		       size_t cap)
{
	size_t len = 0, half = pieces == 2 ? n / 3 : n;

	for (int k = 0; k < pieces; k++) {
		const unsigned char *p = k ? in + half : in;
		size_t m = k ? n - half : half;

		if (fmt == DECODE_GZIP) {
			gzip_member(p, m, out, &len, cap);
		} else if (fmt == DECODE_XZ) {
			CHECK(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, p, m, out, &len, cap) ==
			      LZMA_OK);
		} else {
			size_t r = ZSTD_compress(out + len, cap - len, p, m, 3);

			CHECK(!ZSTD_isError(r));
			len += r;
		}
	}
	return len;
}

/* Decode the file at zpath as fmt with reads of step bytes into got:
 * the count, or -1 with errno. */
static ssize_t decode_all(int fmt, unsigned char *got, size_t cap, size_t step)
{
	int fd = open(zpath, O_RDONLY);
	struct codec *c = fd >= 0 ? codec_open(fd, fmt) : NULL;
	size_t len = 0;
	ssize_t r = -1;

	while (c && len < cap && (r = codec_read(c, got + len, step < cap - len ? step : cap - len)) > 0)
		len += (size_t)r;
	codec_close(c);
	if (fd >= 0)
		close(fd);
	return r < 0 ? -1 : (ssize_t)len;
}

static void round_trips(int fmt, const unsigned char *in, size_t n, unsigned char *z, size_t zcap,
			unsigned char *got)
{
	static const size_t steps[] = { 1, 7, 4096, 1 << 20 };
	size_t zlen = pack_as(fmt, 2, in, n, z, zcap);

	unit_write_file(zpath, z, zlen);
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		if (n > 100000 && steps[s] < 4096)
			continue;	/* byte by byte: the small input only */
		CHECK_INT(decode_all(fmt, got, n + 1, steps[s]), n);
		CHECK_MEM(got, in, n);
	}
}

/* Every cut of a small compressed file (one member, stream or frame)
 * short of its end is EBADMSG. */
static void truncations(int fmt, const unsigned char *in, size_t n, unsigned char *z, size_t zcap,
			unsigned char *got)
{
	size_t zlen = pack_as(fmt, 1, in, n, z, zcap), bad = 0;

	for (size_t cut = 0; cut < zlen; cut++) {
		unit_write_file(zpath, z, cut);
		errno = 0;
		bad += decode_all(fmt, got, n + 1, 4096) < 0 && errno == EBADMSG;
	}
	CHECK_INT(bad, zlen);
}

int main(void)
{
	size_t big = (size_t)3 << 20, zcap = big + (big >> 4) + 4096;
	unsigned char *in = malloc(big), *z = malloc(zcap), *got = malloc(big + 1);
	uint32_t x = 12345;

	if (!in || !z || !got || !mkdtemp(dir))
		return 1;
	snprintf(zpath, sizeof zpath, "%s/file", dir);
	/* Half noise, half runs: compressible and not. */
	for (size_t i = 0; i < big; i++) {
		x = x * 1103515245u + 12345u;
		in[i] = (i / 65536) % 2 ? (unsigned char)(x >> 24) : (unsigned char)(i / 4096);
	}
	for (int fmt = DECODE_GZIP; fmt <= DECODE_ZSTD; fmt++) {
		round_trips(fmt, in, 3000, z, zcap, got);
		round_trips(fmt, in, big, z, zcap, got);
		truncations(fmt, in, 600, z, zcap, got);
	}
	unlink(zpath);
	rmdir(dir);
	free(in);
	free(z);
	free(got);
	return unit_done("test_decode");
}

/*
 * test_manifest.c -- the manifest grammar of SPEC §2, checked through
 * manifest.h: every kind and key, quoting, comments, numbers, directives,
 * origins, and each class of error with its exact "NAME:LINE:COL: message".
 */
#include "manifest/args.h"
#include "manifest/manifest.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHA_A "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"
static const unsigned char sha_a[32] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

/* Parse text as the manifest "m" in "."; report an unexpected error. */
static int parse_n(struct manifest *m, const char *text, size_t n)
{
	struct errors err = { 0 };
	int r;

	manifest_init(m);
	r = manifest_add_text(m, "m", ".", text, n, &err);
	if (!CHECK_INT(r, 0))
		fprintf(stderr, "  error: %s\n", first_error(&err));
	errors_release(&err);
	return r;
}

static int parse(struct manifest *m, const char *text)
{
	return parse_n(m, text, strlen(text));
}

static void error_n(const char *text, size_t n, const char *want)
{
	struct manifest m;
	struct errors err = { 0 };
	int r;

	manifest_init(&m);
	r = manifest_add_text(&m, "m", ".", text, n, &err);
	CHECK_INT(r, -1);
	CHECK_STR(first_error(&err), want);
	errors_release(&err);
	manifest_release(&m);
}

static void error_is(const char *text, const char *want)
{
	error_n(text, strlen(text), want);
}

/* text parses, and its one fragment keeps an expression expr at column
 * col (in at=, skip= or len=) for the plan to evaluate. */
static void parses_as_expr(const char *text, uint32_t col, const char *expr)
{
	struct manifest m;
	const struct frag_ext *x;
	const struct mnum *v = NULL;

	if (!CHECK_INT(parse(&m, text), 0) || !CHECK_INT(m.nfrag, 1))
		goto out;
	x = frag_ext(&m, &m.frag[0]);
	if (!CHECK(x != NULL))
		goto out;
	v = x->at.expr ? &x->at : x->skip.expr ? &x->skip : &x->len;
	CHECK(v->expr != NULL && v->n == strlen(expr) && memcmp(v->expr, expr, v->n) == 0);
	CHECK_INT(v->col, col);
out:
	manifest_release(&m);
}

static void test_file(void)
{
	struct manifest m;
	const struct fragment *f;

	if (parse(&m, "file a/b.bin skip=4K len=0x10 at=0x100 sha256=" SHA_A "\n"
		      "file \"my file\"\n"
		      "file -\n"
		      "file x#y\n") == 0 && CHECK_INT(m.nfrag, 4)) {
		f = &m.frag[0];
		CHECK_INT(f->kind, FRAG_FILE);
		CHECK_STR((const char *)f->bytes, "a/b.bin");
		CHECK_INT(f->nbytes, 7);
		CHECK_INT(f->skip, 4096);
		CHECK_INT(f->len, 16);
		CHECK_INT(f->at_mode, AT_ABS);
		CHECK_INT(f->at, 256);
		CHECK(f->sha256 != NULL);
		if (f->sha256)
			CHECK_MEM(f->sha256, sha_a, 32);
		CHECK_INT(f->line, 1);
		CHECK_INT(f->col, 1);
		CHECK_INT(f->origin, 0);

		f = &m.frag[1];
		CHECK_STR((const char *)f->bytes, "my file");
		CHECK_INT(f->nbytes, 7);
		CHECK_INT(f->skip, 0);
		CHECK_INT(f->len, -1);
		CHECK_INT(f->at_mode, AT_FOLLOW);
		CHECK(f->sha256 == NULL);
		CHECK_INT(f->line, 2);

		CHECK_STR((const char *)m.frag[2].bytes, "-");
		CHECK_STR((const char *)m.frag[3].bytes, "x");
	}
	manifest_release(&m);
}

static void test_data(void)
{
	struct manifest m;

	if (parse(&m, "data hello\n"
		      "data \"\" at=+3\n"
		      "data \"two words\" sha256=" SHA_A " at=7\n"
		      "data \"a=b\"\n"
		      "data a\\nb\n"
		      "data a\"b c\"d\n") == 0 && CHECK_INT(m.nfrag, 6)) {
		CHECK_INT(m.frag[0].kind, FRAG_DATA);
		CHECK_INT(m.frag[0].nbytes, 5);
		CHECK_MEM(m.frag[0].bytes, "hello", 5);
		CHECK_INT(m.frag[0].len, -1);
		CHECK_INT(m.frag[1].nbytes, 0);
		CHECK_INT(m.frag[1].at_mode, AT_REL);
		CHECK_INT(m.frag[1].at, 3);
		CHECK_INT(m.frag[2].nbytes, 9);
		CHECK_MEM(m.frag[2].bytes, "two words", 9);
		CHECK_INT(m.frag[2].at_mode, AT_ABS);
		CHECK_INT(m.frag[2].at, 7);
		CHECK(m.frag[2].sha256 && memcmp(m.frag[2].sha256, sha_a, 32) == 0);
		CHECK_INT(m.frag[3].nbytes, 3);
		CHECK_MEM(m.frag[3].bytes, "a=b", 3);
		/* Outside quotes a backslash is an ordinary byte. */
		CHECK_INT(m.frag[4].nbytes, 4);
		CHECK_MEM(m.frag[4].bytes, "a\\nb", 4);
		CHECK_INT(m.frag[5].nbytes, 5);
		CHECK_MEM(m.frag[5].bytes, "ab cd", 5);
	}
	manifest_release(&m);
}

static void test_escapes(void)
{
	static const unsigned char want[] = {
		'\\', '"', '\n', '\r', '\t', 0, 0xff, 'A', 0x7f, ' ', '#', 'z'
	};
	struct manifest m;

	if (parse(&m, "data \"\\\\\\\"\\n\\r\\t\\0\\xff\\x41\\x7F #\"z\n") == 0 &&
	    CHECK_INT(m.nfrag, 1)) {
		CHECK_INT(m.frag[0].nbytes, sizeof want);
		CHECK_MEM(m.frag[0].bytes, want, sizeof want);
	}
	manifest_release(&m);

	/* A quoted value; \0 followed by digits is NUL then digits. */
	if (parse(&m, "file x len=\"12\" at=\"+\"4\ndata \"\\012\"\n") == 0 &&
	    CHECK_INT(m.nfrag, 2)) {
		CHECK_INT(m.frag[0].len, 12);
		CHECK_INT(m.frag[0].at_mode, AT_REL);
		CHECK_INT(m.frag[0].at, 4);
		CHECK_INT(m.frag[1].nbytes, 3);
		CHECK_MEM(m.frag[1].bytes, "\0" "12", 3);
	}
	manifest_release(&m);
}

static void test_hex(void)
{
	static const unsigned char want[] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x2a, 0xbc, 0xd0 };
	struct manifest m;

	if (parse(&m, "hex 0xDEAD beef 0X01 2 abc d0\n"
		      "hex 00ff at=+0x10\n"
		      "hex sha256=" SHA_A " 0102\n") == 0 && CHECK_INT(m.nfrag, 3)) {
		CHECK_INT(m.frag[0].kind, FRAG_HEX);
		CHECK_INT(m.frag[0].nbytes, sizeof want);
		CHECK_MEM(m.frag[0].bytes, want, sizeof want);
		CHECK_INT(m.frag[1].nbytes, 2);
		CHECK_MEM(m.frag[1].bytes, "\x00\xff", 2);
		CHECK_INT(m.frag[1].at_mode, AT_REL);
		CHECK_INT(m.frag[1].at, 16);
		CHECK_INT(m.frag[2].nbytes, 2);
		CHECK_MEM(m.frag[2].bytes, "\x01\x02", 2);
		CHECK(m.frag[2].sha256 && memcmp(m.frag[2].sha256, sha_a, 32) == 0);
	}
	manifest_release(&m);
}

/* Hex bytes written from the first token on run over a sha256= placed
 * between hex tokens: both must come out intact. */
static void test_hex_sha256_between(void)
{
	size_t ntok = 1000, i;
	size_t cap = ntok * 3 + 200;
	char *text = malloc(cap);
	struct manifest m;
	size_t o = 0;

	if (!CHECK(text != NULL))
		return;
	o += (size_t)snprintf(text + o, cap - o, "hex 1 2 sha256=%s", SHA_A);
	for (i = 0; i < ntok; i++)
		o += (size_t)snprintf(text + o, cap - o, " %x", (unsigned)(i % 16));
	if (parse_n(&m, text, o) == 0 && CHECK_INT(m.nfrag, 1)) {
		const struct fragment *f = &m.frag[0];
		int ok = f->nbytes == (2 + ntok) / 2;

		CHECK_INT(f->nbytes, (2 + ntok) / 2);
		CHECK_INT(f->bytes[0], 0x12);
		for (i = 1; ok && i < f->nbytes; i++)
			ok = f->bytes[i] == (((2 * i - 2) % 16) << 4 | ((2 * i - 1) % 16));
		CHECK(ok);
		CHECK(f->sha256 && memcmp(f->sha256, sha_a, 32) == 0);
		CHECK(f->sha256 >= f->bytes + f->nbytes || f->sha256 + 32 <= f->bytes);
	}
	manifest_release(&m);
	free(text);
}

static void test_fill_zero_uuid(void)
{
	struct manifest m;

	if (parse(&m, "fill 0xff len=1M at=16 sha256=" SHA_A "\n"
		      "fill 0 len=1\n"
		      "fill 255 len=0\n"
		      "zero len=4K at=+1 sha256=" SHA_A "\n"
		      "uuid\n"
		      "uuid text at=+1\n"
		      "uuid binary at=0x20\n") == 0 && CHECK_INT(m.nfrag, 7)) {
		CHECK_INT(m.frag[0].kind, FRAG_FILL);
		CHECK_INT(m.frag[0].byte, 0xff);
		CHECK_INT(m.frag[0].len, 1 << 20);
		CHECK_INT(m.frag[0].at, 16);
		CHECK(m.frag[0].sha256 && memcmp(m.frag[0].sha256, sha_a, 32) == 0);
		CHECK_INT(m.frag[1].byte, 0);
		CHECK_INT(m.frag[1].len, 1);
		CHECK_INT(m.frag[2].byte, 255);
		CHECK_INT(m.frag[2].len, 0);
		CHECK_INT(m.frag[3].kind, FRAG_ZERO);
		CHECK_INT(m.frag[3].len, 4096);
		CHECK_INT(m.frag[3].at_mode, AT_REL);
		CHECK_INT(m.frag[3].at, 1);
		CHECK(m.frag[3].sha256 && memcmp(m.frag[3].sha256, sha_a, 32) == 0);
		CHECK_INT(m.frag[4].kind, FRAG_UUID);
		CHECK_INT(m.frag[4].byte, 0);
		CHECK_INT(m.frag[4].at_mode, AT_FOLLOW);
		CHECK_INT(m.frag[5].byte, 1);
		CHECK_INT(m.frag[5].at_mode, AT_REL);
		CHECK_INT(m.frag[6].byte, 0);
		CHECK_INT(m.frag[6].at, 32);
	}
	manifest_release(&m);
}

static void test_lines(void)
{
	struct manifest m;

	if (parse(&m, "\n"
		      "   \n"
		      "# a comment\n"
		      " \t # an indented one \"with quotes\n"
		      "data x\r\n"
		      "  data \"y # z\" # w\r\n"
		      "\t\r\n"
		      "\r\n"
		      "data abc#x\n"
		      "data \"a\"#\"b\"\n"
		      "data r\r\r\n"
		      "data last") == 0 && CHECK_INT(m.nfrag, 6)) {
		CHECK_INT(m.frag[0].line, 5);
		CHECK_MEM(m.frag[0].bytes, "x", 1);
		CHECK_INT(m.frag[0].nbytes, 1);
		CHECK_INT(m.frag[1].line, 6);
		CHECK_INT(m.frag[1].col, 3);
		CHECK_INT(m.frag[1].nbytes, 5);
		CHECK_MEM(m.frag[1].bytes, "y # z", 5);
		CHECK_INT(m.frag[2].line, 9);
		CHECK_INT(m.frag[2].nbytes, 3);
		CHECK_MEM(m.frag[2].bytes, "abc", 3);
		CHECK_INT(m.frag[3].nbytes, 1);
		CHECK_MEM(m.frag[3].bytes, "a", 1);
		/* Only one trailing \r goes. */
		CHECK_INT(m.frag[4].nbytes, 2);
		CHECK_MEM(m.frag[4].bytes, "r\r", 2);
		CHECK_INT(m.frag[5].line, 12);
		CHECK_INT(m.frag[5].nbytes, 4);
		CHECK_INT(m.origin[0].lines, 12);
	}
	manifest_release(&m);

	/* Nothing at all, and nothing but comments. */
	if (parse(&m, "") == 0)
		CHECK_INT(m.nfrag, 0);
	manifest_release(&m);
	if (parse(&m, "# only\n# comments\n") == 0) {
		CHECK_INT(m.nfrag, 0);
		CHECK_INT(m.size, -1);
		CHECK(m.output == NULL);
	}
	manifest_release(&m);
}

static void test_long_line(void)
{
	size_t big = 10u << 20, i;
	char *text = malloc(big + 32);
	struct manifest m;
	int ok = 1;

	if (!CHECK(text != NULL))
		return;
	memcpy(text, "data ", 5);
	memset(text + 5, 'x', big);
	memcpy(text + 5 + big, " at=1\ndata y\n", 13);
	if (parse_n(&m, text, 5 + big + 13) == 0 && CHECK_INT(m.nfrag, 2)) {
		CHECK_INT(m.frag[0].nbytes, big);
		CHECK_INT(m.frag[0].at, 1);
		CHECK_INT(m.frag[1].line, 2);
	}
	manifest_release(&m);

	/* 10 MiB of hex digits in one token: 5 MiB of bytes. */
	memcpy(text, "hex ", 4);
	for (i = 0; i < big; i++)
		text[4 + i] = "0123456789abcdef"[i % 16];
	if (parse_n(&m, text, 4 + big) == 0 && CHECK_INT(m.nfrag, 1)) {
		CHECK_INT(m.frag[0].nbytes, big / 2);
		for (i = 0; ok && i < big / 2; i++)
			ok = m.frag[0].bytes[i] == ((2 * i % 16) << 4 | (2 * i + 1) % 16);
		CHECK(ok);
	}
	manifest_release(&m);
	free(text);
}

static void number_ok(const char *s, int64_t want)
{
	int64_t v = -42;
	const char *msg = parse_number(s, strlen(s), &v);

	if (!CHECK_STR(msg ? msg : "(ok)", "(ok)"))
		fprintf(stderr, "  for '%s'\n", s);
	CHECK_INT(v, want);
}

static void number_bad(const char *s, const char *want)
{
	int64_t v = -42;
	const char *msg = parse_number(s, strlen(s), &v);

	if (!CHECK_STR(msg, want))
		fprintf(stderr, "  for '%s'\n", s);
	CHECK_INT(v, -42);
}

static void test_numbers(void)
{
	number_ok("0", 0);
	number_ok("007", 7);
	number_ok("0x10", 16);
	number_ok("0XaBc", 0xabc);
	number_ok("4K", 4096);
	number_ok("4k", 4096);
	number_ok("1KiB", 1024);
	number_ok("1kib", 1024);
	number_ok("3MIB", 3 << 20);
	number_ok("1M", 1 << 20);
	number_ok("2G", INT64_C(2) << 30);
	number_ok("1t", INT64_C(1) << 40);
	number_ok("1PiB", INT64_C(1) << 50);
	number_ok("1E", INT64_C(1) << 60);
	number_ok("7E", INT64_C(7) << 60);
	number_ok("0x1E", 30);
	number_ok("0x1EiB", (int64_t)1 << 60);
	number_ok("0x2eib", (int64_t)2 << 60);
	number_ok("0x1E0", 480);
	number_ok("0x10K", 16384);
	number_ok("0x7fffffffffffffff", INT64_MAX);
	number_ok("9223372036854775807", INT64_MAX);
	number_ok("8191P", INT64_C(8191) << 50);

	number_bad("8E", "number too large");
	number_bad("8192P", "number too large");
	number_bad("0x8000000000000000", "number too large");
	number_bad("9223372036854775808", "number too large");
	number_bad("99999999999999999999", "number too large");
	number_bad("1KB", "unknown suffix 'KB' (use K or KiB)");
	number_bad("1mb", "unknown suffix 'mb' (use M or MiB)");
	number_bad("1Ki", "unknown suffix 'Ki' (use K or KiB)");
	number_bad("1Kx", "unknown suffix 'Kx' (use K or KiB)");
	number_bad("1KiBx", "unknown suffix 'KiBx' (use K or KiB)");
	number_bad("12abc", "unknown suffix 'abc' (use K, M, G, T, P, E or KiB ... EiB)");
	/* Before "iB" a hex E is the suffix's (SPEC §2: 0x... then KiB ... EiB). */
	number_bad("0xEiB", "no hex digits after '0x'");
	number_bad("0x8EiB", "number too large");
	number_bad("-1", "sign not allowed in number");
	number_bad("+1", "sign not allowed in number");
	number_bad("", "empty number");
	number_bad("12 ", "blank in number");
	number_bad(" 12", "blank in number");
	number_bad("1\t", "blank in number");
	number_bad("0x", "no hex digits after '0x'");
	number_bad("0xg", "no hex digits after '0x'");
	number_bad("K", "not a number");
	number_bad("x10", "not a number");

	/* The length is what counts, not a NUL. */
	{
		int64_t v = 0;

		CHECK(parse_number("123456", 2, &v) == NULL);
		CHECK_INT(v, 12);
	}
}

static void test_directives(void)
{
	struct manifest m;

	if (parse(&m, "size 1M\noutput out/disk.img\ndata x\n") == 0) {
		CHECK_INT(m.size, 1 << 20);
		CHECK_INT(m.size_at.set, 1);
		CHECK_INT(m.size_at.line, 1);
		CHECK_INT(m.size_at.col, 1);
		CHECK_STR(m.output, "out/disk.img");
		CHECK_INT(m.output_at.set, 1);
		CHECK_INT(m.output_at.line, 2);
		CHECK_INT(m.nfrag, 1);
	}
	manifest_release(&m);

	if (parse(&m, "  output \"/abs/x y.img\"\nsize 0\n") == 0) {
		CHECK_STR(m.output, "/abs/x y.img");
		CHECK_INT(m.output_at.col, 3);
		CHECK_INT(m.size, 0);
	}
	manifest_release(&m);

	/* Relative output joins the origin's directory. */
	{
		struct errors err = { 0 };

		manifest_init(&m);
		CHECK_INT(manifest_add_text(&m, "d/m", "d", "output o.img", 12, &err), 0);
		CHECK_STR(m.output, "d/o.img");
		errors_release(&err);
		manifest_release(&m);
		manifest_init(&m);
		CHECK_INT(manifest_add_text(&m, "/m", "/", "output o.img", 12, &err), 0);
		CHECK_STR(m.output, "/o.img");
		errors_release(&err);
		manifest_release(&m);
	}
}

/* "FILE:LINE:COL" of a fragment's place. */
static const char *where_of(const struct manifest *m, const struct fragment *f, char *buf,
			    size_t size)
{
	struct place at = frag_place(m, f);

	snprintf(buf, size, "%s:%llu:%u", at.file, (unsigned long long)at.line, at.col);
	return buf;
}

static void test_command_line(void)
{
	struct manifest m;
	struct errors err = { 0 };
	char where[64];

	manifest_init(&m);
	CHECK_INT(manifest_add_line(&m, "data one", &err), 0);
	CHECK_INT(manifest_add_line(&m, "data two\n# c\ndata three", &err), 0);
	CHECK_INT(manifest_add_line(&m, "", &err), 0);
	CHECK_INT(manifest_add_line(&m, "# nothing", &err), 0);
	CHECK_INT(manifest_add_line(&m, "  zero len=1", &err), 0);
	CHECK(err.total == 0);
	if (CHECK_INT(m.nfrag, 4)) {
		CHECK_INT(m.norigin, 1);
		CHECK_STR(m.origin[0].name, "<command-line>");
		CHECK_STR(m.origin[0].dir, ".");
		CHECK_INT(m.frag[0].line, 1);
		CHECK_INT(m.frag[1].line, 2);
		CHECK_INT(m.frag[2].line, 4);
		CHECK_INT(m.frag[3].line, 7);
		CHECK_INT(m.origin[0].lines, 7);
		/* The first line's bytes stay put while later lines come. */
		CHECK_MEM(m.frag[0].bytes, "one", 3);
		CHECK_MEM(m.frag[2].bytes, "three", 5);
		CHECK_STR(where_of(&m, &m.frag[3], where, sizeof where), "<command-line>:7:3");
	}
	CHECK_INT(manifest_add_line(&m, "data ok", &err), 0);
	CHECK_INT(manifest_add_line(&m, "fil x", &err), -1);
	CHECK_STR(first_error(&err), "<command-line>:9:1: unknown kind 'fil' (did you mean 'file'?)");
	errors_release(&err);
	manifest_release(&m);

	/* A relative output given with -e stays relative to the current directory. */
	manifest_init(&m);
	CHECK_INT(manifest_add_line(&m, "output x.img", &err), 0);
	CHECK_STR(m.output, "x.img");
	CHECK_INT(manifest_add_line(&m, "output y.img", &err), -1);
	CHECK_STR(first_error(&err), "<command-line>:2:1: 'output' given twice (first on line 1)");
	errors_release(&err);
	manifest_release(&m);
}

static void test_too_many_lines(void)
{
	struct manifest m;
	struct errors err = { 0 };

	manifest_init(&m);
	CHECK_INT(manifest_add_line(&m, "data a", &err), 0);
	m.origin[0].lines = UINT32_MAX - 1;
	CHECK_INT(manifest_add_line(&m, "data b\n\n", &err), -1);
	CHECK_STR(first_error(&err), "<command-line>:4294967296:1: too many lines");
	CHECK_INT(m.nfrag, 2);
	CHECK_INT(m.frag[1].line, UINT32_MAX);
	errors_release(&err);
	m.origin[0].lines = UINT32_MAX;
	CHECK_INT(manifest_add_line(&m, "", &err), -1);
	CHECK_STR(first_error(&err), "<command-line>:4294967296:1: too many lines");
	errors_release(&err);
	manifest_release(&m);
}

static char tmpdir[64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!CHECK(f != NULL))
		return;
	fputs(text, f);
	fclose(f);
}

static void test_file_origin(void)
{
	char path[128], want[256], where[160];
	struct manifest m;
	struct errors err = { 0 };

	snprintf(path, sizeof path, "%s/m.manifest", tmpdir);
	write_file(path, "output out.img\n"
			 "size 4K\n"
			 "file part.bin at=0x10\n"
			 "data \"x\"\n");
	manifest_init(&m);
	CHECK_INT(manifest_add_file(&m, path, &err), 0);
	CHECK(err.total == 0);
	snprintf(want, sizeof want, "%s/out.img", tmpdir);
	CHECK_STR(m.output, want);
	CHECK_STR(m.origin[0].name, path);
	CHECK_STR(m.origin[0].dir, tmpdir);
	CHECK_INT(m.stdin_used, 0);
	CHECK_INT(m.size, 4096);
	if (CHECK_INT(m.nfrag, 2)) {
		CHECK_STR((const char *)m.frag[0].bytes, "part.bin");
		snprintf(want, sizeof want, "%s:3:1", path);
		CHECK_STR(where_of(&m, &m.frag[0], where, sizeof where), want);
	}

	/* -e lines after the file: their own origin, numbered from 1. */
	CHECK_INT(manifest_add_line(&m, "data y at=+1", &err), 0);
	CHECK_INT(manifest_add_line(&m, "data z", &err), 0);
	if (CHECK_INT(m.nfrag, 4)) {
		CHECK_INT(m.norigin, 2);
		CHECK_INT(m.frag[2].origin, 1);
		CHECK_INT(m.frag[3].line, 2);
		CHECK_STR(where_of(&m, &m.frag[3], where, sizeof where), "<command-line>:2:1");
	}
	CHECK_INT(manifest_add_line(&m, "size 1", &err), -1);
	snprintf(want, sizeof want, "<command-line>:3:1: 'size' given twice (first on line 2 of '%s')",
		 path);
	CHECK_STR(first_error(&err), want);
	errors_release(&err);
	manifest_release(&m);

	/* A bare name's directory is ".". */
	{
		char cwd[512];

		if (CHECK(getcwd(cwd, sizeof cwd) != NULL) && CHECK_INT(chdir(tmpdir), 0)) {
			errors_release(&err);
			manifest_init(&m);
			CHECK_INT(manifest_add_file(&m, "m.manifest", &err), 0);
			CHECK_STR(m.origin[0].dir, ".");
			CHECK_STR(m.output, "out.img");
			errors_release(&err);
			manifest_release(&m);
			CHECK_INT(chdir(cwd), 0);
		}
	}
	unlink(path);

	/* A missing file. */
	errors_release(&err);
	manifest_init(&m);
	snprintf(path, sizeof path, "%s/missing.manifest", tmpdir);
	CHECK_INT(manifest_add_file(&m, path, &err), -1);
	snprintf(want, sizeof want, "cannot read '%s': %s", path, strerror(ENOENT));
	CHECK_STR(first_error(&err), want);
	CHECK_INT(m.norigin, 0);
	errors_release(&err);
	manifest_release(&m);

	/* A directory. */
	errors_release(&err);
	manifest_init(&m);
	CHECK_INT(manifest_add_file(&m, tmpdir, &err), -1);
	snprintf(want, sizeof want, "cannot read '%s': %s", tmpdir, strerror(EISDIR));
	CHECK_STR(first_error(&err), want);
	errors_release(&err);
	manifest_release(&m);
}

static void test_stdin(void)
{
	char path[128];
	struct manifest m;
	struct errors err = { 0 };
	int fd, saved;

	snprintf(path, sizeof path, "%s/stdin.manifest", tmpdir);
	write_file(path, "output rel.img\ndata s\nbad\n");
	fd = open(path, O_RDONLY);
	saved = dup(STDIN_FILENO);
	if (!CHECK(fd >= 0 && saved >= 0))
		return;
	dup2(fd, STDIN_FILENO);
	close(fd);
	manifest_init(&m);
	CHECK_INT(manifest_add_file(&m, "-", &err), -1);
	CHECK_STR(first_error(&err), "<stdin>:3:1: unknown kind 'bad' (did you mean 'pad'?)");
	CHECK_INT(m.stdin_used, 1);
	CHECK_STR(m.origin[0].name, "<stdin>");
	CHECK_STR(m.origin[0].dir, ".");
	CHECK_STR(m.output, "rel.img");
	errors_release(&err);
	manifest_release(&m);
	dup2(saved, STDIN_FILENO);
	close(saved);
	unlink(path);
}

static void test_origins(void)
{
	struct manifest m;
	struct errors err = { 0 };

	char name[16];

	manifest_init(&m);
	for (int i = 0; i < MANIFEST_MAX_ORIGINS; i++) {
		snprintf(name, sizeof name, "o%d", i);
		CHECK_INT(manifest_add_text(&m, name, ".", "data a", 6, &err), 0);
	}
	CHECK_INT(manifest_add_text(&m, "last", ".", "data d", 6, &err), -1);
	CHECK_STR(first_error(&err), "last: too many manifest sources (at most 256)");
	errors_release(&err);
	CHECK_INT(m.nfrag, MANIFEST_MAX_ORIGINS);
	CHECK_INT(m.frag[2].origin, 2);
	manifest_release(&m);
	CHECK_INT(m.nfrag, 0);
	CHECK_INT(m.size, -1);
}

static void test_names(void)
{
	CHECK_STR(frag_kind_name(FRAG_FILE), "file");
	CHECK_STR(frag_kind_name(FRAG_DATA), "data");
	CHECK_STR(frag_kind_name(FRAG_HEX), "hex");
	CHECK_STR(frag_kind_name(FRAG_FILL), "fill");
	CHECK_STR(frag_kind_name(FRAG_ZERO), "zero");
	CHECK_STR(frag_kind_name(FRAG_UUID), "uuid");
	CHECK_STR(frag_kind_name(FRAG_FIELD), "field");
	CHECK_STR(frag_kind_name(FRAG_DIGEST), "digest");
	CHECK_STR(frag_kind_name(8), "?");
	CHECK_STR(frag_kind_name(-1), "?");
}

static void test_many_lines(void)
{
	size_t n = 200000, i, o = 0;
	char *text = malloc(n * 16);
	struct manifest m;
	int ok = 1;

	if (!CHECK(text != NULL))
		return;
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, n * 16 - o, "file f%zu\n", i % 10);
	if (parse_n(&m, text, o) == 0 && CHECK_INT(m.nfrag, n)) {
		for (i = 0; ok && i < n; i++)
			ok = m.frag[i].line == i + 1 && m.frag[i].nbytes == 2 &&
			     m.frag[i].bytes[1] == '0' + i % 10 && m.frag[i].bytes[2] == '\0';
		CHECK(ok);
	}
	manifest_release(&m);
	free(text);
}

static void test_errors(void)
{
	/* Kinds and directives. */
	error_is("\n\n\nfil x", "m:4:1: unknown kind 'fil' (did you mean 'file'?)");
	error_is("  outptu x", "m:1:3: unknown kind 'outptu' (did you mean 'output'?)");
	error_is("FILE x", "m:1:1: unknown kind 'FILE' (did you mean 'file'?)");
	error_is("frobnicate", "m:1:1: unknown kind 'frobnicate'");
	error_is("len=3", "m:1:1: unknown kind 'len=3'");
	error_is("\x01\xff", "m:1:1: unknown kind '\\x01\\xff'");

	/* Keys. */
	error_is("\n\nfile ab lenn=4", "m:3:9: unknown key 'lenn' for 'file' (did you mean 'len'?)");
	error_is("file x skp=1", "m:1:8: unknown key 'skp' for 'file' (did you mean 'skip'?)");
	error_is("data x skip=3", "m:1:8: unknown key 'skip' for 'data'");
	error_is("uuid sha256=" SHA_A, "m:1:6: unknown key 'sha256' for 'uuid'");
	error_is("size 1 at=2", "m:1:8: unknown key 'at' for 'size'");
	error_is("output x a=b", "m:1:10: unknown key 'a' for 'output'");
	error_is("file x len=1 skip=0 len=2", "m:1:21: key 'len' given twice");
	error_is("file x len=", "m:1:12: key 'len' needs a value");
	error_is("data x at=\"\"", "m:1:11: key 'at' needs a value");

	/* Numbers in their places. */
	error_is("\nfile a len=99999999999999999999",
		 "m:2:12: number too large: '99999999999999999999'");
	error_is("file a len=1KB", "m:1:12: unknown suffix 'KB' (use K or KiB): '1KB'");
	/* Not number-shaped: an expression, which the plan evaluates. */
	parses_as_expr("file a skip=-1", 13, "-1");
	parses_as_expr("file a at=+-1", 12, "-1");
	error_is("file a at=+", "m:1:11: empty number: '+'");
	error_is("file a at=+8E", "m:1:11: number too large: '+8E'");
	parses_as_expr("zero len=\"1 \"", 11, "1 ");	/* past the quote: no escapes */
	parses_as_expr("zero len=\"\\x31 \"", 10, "1 ");	/* an escape: the quote */
	error_is("size 0x", "m:1:6: no hex digits after '0x': '0x'");
	error_is("fill x len=1", "m:1:6: not a number: 'x'");
	error_is("fill 256 len=1", "m:1:6: fill byte out of range 0..255: '256'");
	error_is("fill 1K len=1", "m:1:6: fill byte out of range 0..255: '1K'");

	/* Quoting. */
	error_is("\n\n\n\ndata  \"abc", "m:5:7: unterminated string");
	error_is("data \"abc\\\"", "m:1:6: unterminated string");
	error_is("data \"abc\\", "m:1:6: unterminated string");
	error_is("data \"abc\r\n", "m:1:6: unterminated string");
	error_is("\n\n\n\ndata \"abc\\q\"", "m:5:10: unknown escape '\\q'");
	error_is("data \"\\\xc3\"", "m:1:7: unknown escape '\\\\xc3'");
	error_is("data \"\\x4\"", "m:1:7: '\\x' needs two hex digits");
	error_is("data \"\\x", "m:1:7: '\\x' needs two hex digits");
	error_is("data \"\\xg0\"", "m:1:7: '\\x' needs two hex digits");
	error_n("\n\n\n\n\n\n\n\nda\0ta x", 15, "m:9:3: NUL byte in manifest");
	error_n("data x # \0", 10, "m:1:10: NUL byte in manifest");

	/* Argument counts. */
	error_is("file", "m:1:1: 'file' takes one path");
	error_is("file a b", "m:1:8: 'file' takes one path");
	error_is("file len=1", "m:1:1: 'file' takes one path");
	error_is("file \"\"", "m:1:6: empty path");
	error_is("file \"a\\0b\"", "m:1:6: NUL byte in path");
	error_is("data", "m:1:1: 'data' takes one string");
	error_is("data a b", "m:1:8: 'data' takes one string");
	error_is("data a=b", "m:1:6: unknown key 'a' for 'data' (did you mean 'at'?)");
	error_is("hex", "m:1:1: 'hex' needs hex digits");
	error_is("hex at=1", "m:1:1: 'hex' needs hex digits");
	error_is("fill len=1", "m:1:1: 'fill' takes one byte value");
	error_is("fill 1 2 len=1", "m:1:8: 'fill' takes one byte value");
	error_is("\n\n\n\n\nfill 0xff", "m:6:1: 'fill' needs len= or to=");
	error_is("zero", "m:1:1: 'zero' needs len= or to=");
	error_is("zero 0 len=1", "m:1:6: 'zero' takes no arguments");
	error_is("uuid text binary", "m:1:11: 'uuid' takes at most one word ('text', 'binary' or 'guid')");
	error_is("uuid txt", "m:1:6: unknown word 'txt' for 'uuid' (did you mean 'text'?)");
	error_is("uuid bin", "m:1:6: unknown word 'bin' for 'uuid'");
	error_is("output", "m:1:1: 'output' takes one path");
	error_is("output a b", "m:1:10: 'output' takes one path");
	error_is("output \"\"", "m:1:8: empty path");
	error_is("size", "m:1:1: 'size' takes one number");
	error_is("size 1 2", "m:1:8: 'size' takes one number");

	/* Hex digits. */
	error_is("\n\n\n\n\n\n\nhex  abc", "m:8:6: odd number of hex digits");
	error_is("hex a bc d e", "m:1:12: odd number of hex digits");
	error_is("hex ab \"\"", "m:1:8: empty hex token");
	error_is("hex ab 0x", "m:1:8: '0x' without hex digits");
	error_is("hex ab 0X cd", "m:1:8: '0X' without hex digits");
	error_is("hex 0x0g", "m:1:8: bad hex digit 'g'");
	error_is("hex \"a g\"", "m:1:5: bad hex digit ' '");
	error_is("data x sha256=abc", "m:1:15: sha256 needs 64 hex digits, not 3: 'abc'");
	error_is("data x sha256=0x00112233445566778899aabbccddeeff00112233445566778899aabbccddee",
		 "m:1:16: bad hex digit 'x' in sha256");

	/* Directives at most once. */
	error_is("\nsize 1\n\n\n\n\nsize 2", "m:7:1: 'size' given twice (first on line 2)");
	error_is("output a\noutput a", "m:2:1: 'output' given twice (first on line 1)");
}

/* A large text: line numbers, a directive and its "given twice" far from
 * the first, an error on a line whose escapes the lexer had undone in
 * place, and the first of two errors. */
static char *big_text(size_t lines, size_t *len, const char *special, size_t at_line)
{
	size_t cap = lines * 40 + strlen(special) + 1, o = 0;
	char *t = malloc(cap);

	for (size_t i = 1; t && i <= lines; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s\n",
				      i == at_line ? special : "data \"a\\x41 b\" at=+1");
	*len = o;
	return t;
}

static void test_big_text(void)
{
	size_t lines = 60000, len;	/* ~1.4 MB */
	struct manifest m;
	struct errors err = { 0 };
	char *t;
	int ok = 1;

	/* Fragments and line numbers. */
	t = big_text(lines, &len, "hex 0102 sha256=" "00000000000000000000000000000000"
				  "00000000000000000000000000000000", 45000);
	if (t && parse_n(&m, t, len) == 0 && CHECK_INT(m.nfrag, lines)) {
		for (size_t i = 0; ok && i < lines; i++)
			ok = m.frag[i].line == i + 1 && m.frag[i].col == 1 &&
			     (i == 44999 ? m.frag[i].kind == FRAG_HEX && m.frag[i].nbytes == 2 &&
					   m.frag[i].sha256 && m.frag[i].sha256[0] == 0
					 : m.frag[i].nbytes == 4 && memcmp(m.frag[i].bytes, "aA b", 4) == 0);
		CHECK(ok);
	}
	manifest_release(&m);
	free(t);

	/* A directive far down is applied, and checked against an earlier one. */
	t = big_text(lines, &len, "size 200000", 50000);
	if (t && parse_n(&m, t, len) == 0) {
		CHECK_INT(m.size, 200000);
		CHECK_INT(m.size_at.line, 50000);
		CHECK_INT(m.nfrag, lines - 1);
		CHECK_INT(m.frag[lines - 2].line, lines);
	}
	manifest_release(&m);
	free(t);
	t = big_text(lines, &len, "size 1", 2);
	if (t) {
		memcpy(strstr(t + len / 2, "\ndata") + 1, "size", 4);	/* "size \"a..." */
		manifest_init(&m);
		CHECK_INT(manifest_add_text(&m, "m", ".", t, len, &err), -1);
		CHECK(err.n && strstr(first_error(&err), ": 'size' given twice (first on line 2)"));
		errors_release(&err);
		manifest_release(&m);
	}
	free(t);

	/* An error after escapes were undone in place: its column is the raw one. */
	t = big_text(lines, &len, "data \"x\\x41\" bogus=1", 55000);
	manifest_init(&m);
	CHECK_INT(manifest_add_text(&m, "m", ".", t, len, &err), -1);
	CHECK_STR(first_error(&err), "m:55000:14: unknown key 'bogus' for 'data'");
	errors_release(&err);
	manifest_release(&m);
	/* ... and an earlier error too: both are reported, sorted by place. */
	memcpy(t, "date", 4);
	manifest_init(&m);
	CHECK_INT(manifest_add_text(&m, "m", ".", t, len, &err), -1);
	CHECK_INT(err.total, 2);
	CHECK(strncmp(first_error(&err), "m:1:1: unknown kind 'date'", 26) == 0);
	errors_release(&err);
	manifest_release(&m);
	free(t);
}

/* key_index's table of first letters agrees with key_names: every name is
 * found, and nothing else is (a prefix, a longer word, a capital, '_'). */
static void test_key_index(void)
{
	static const char *const not_keys[] = { "a", "al", "aligns", "sha", "sha2567", "s", "At",
						"_", "zz", "9", "lenx", "v", "x" };

	for (int k = 0; k < NKEYS; k++)
		CHECK_INT(key_index((const unsigned char *)key_names[k], strlen(key_names[k])), k);
	for (size_t i = 0; i < sizeof not_keys / sizeof not_keys[0]; i++)
		CHECK_INT(key_index((const unsigned char *)not_keys[i], strlen(not_keys[i])), NKEYS);
	for (int k = 1; k < NKEYS; k++)	/* the table relies on the order */
		CHECK(strcmp(key_names[k - 1], key_names[k]) < 0);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_manifest.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_key_index();
	test_file();
	test_big_text();
	test_data();
	test_escapes();
	test_hex();
	test_hex_sha256_between();
	test_fill_zero_uuid();
	test_lines();
	test_long_line();
	test_numbers();
	test_directives();
	test_command_line();
	test_too_many_lines();
	test_file_origin();
	test_stdin();
	test_origins();
	test_names();
	test_many_lines();
	test_errors();
	rmdir(tmpdir);
	return unit_done("test_manifest");
}

/*
 * test_expr.c -- the expressions of SPEC §8.2 (src/manifest/expr.h):
 * values checked against C's own __int128 arithmetic, every error with its
 * message and column, references and ranges through a fake planner, the
 * CRC models against SPEC §8.4's check values, and random input that must
 * never crash.
 */
#include "unit.h"

#include "manifest/expr.h"
#include "util/units.h"
#include "util/suggest.h"

#define I128_MAX ((__int128)(~(unsigned __int128)0 >> 1))
#define I128_MIN (-I128_MAX - 1)
#define COL0 10			/* the column the expressions start at */

/* ---- a fake planner: three fragments, and an image of 64 KiB ---- */

static const struct {
	const char *name;
	__int128 start, end;
} frags[] = {
	{ "kernel", 0x1000, 0x3000 },
	{ "rootfs", 0x3000, 0x8000 },
	{ "min", 0x8000, 0x8010 },	/* a name may be a function's name */
	{ "max", 0x8010, 0x8020 },
};
#define NFRAGS (sizeof(frags) / sizeof(frags[0]))
#define IMAGE_SIZE 0x10000

struct fake {
	struct expr_checksum last;	/* the last checksum asked for */
	int nsums;
};

static int fake_ref(void *ctx, const unsigned char *name, size_t len, int attr, __int128 *v,
		    struct expr_error *e)
{
	const char *words[NFRAGS];
	char hint[64];

	(void)ctx;
	if (len == 5 && memcmp(name, "image", 5) == 0 && attr == EXPR_SIZE) {
		*v = IMAGE_SIZE;
		return 0;
	}
	for (size_t i = 0; i < NFRAGS; i++) {
		words[i] = frags[i].name;
		if (strlen(frags[i].name) == len && memcmp(frags[i].name, name, len) == 0) {
			*v = attr == EXPR_START ? frags[i].start
			     : attr == EXPR_END ? frags[i].end : frags[i].end - frags[i].start;
			return 0;
		}
	}
	snprintf(e->msg, sizeof(e->msg), "unknown name '%.*s'%s", (int)len, (const char *)name,
		 suggest(hint, sizeof(hint), (const char *)name, len, words, NFRAGS, ~0u));
	return -1;
}

/* A checksum's value here says what it was asked: kind and range length. */
static int fake_checksum(void *ctx, const struct expr_checksum *c, __int128 *v,
			 struct expr_error *e)
{
	struct fake *f = ctx;

	(void)e;
	f->last = *c;
	f->nsums++;
	*v = (__int128)(c->kind + 1) * 1000000 + (c->range.end - c->range.start);
	return 0;
}

static struct fake fake;
static const struct expr_env env = { &fake, fake_ref, fake_checksum };
static struct expr_pool pool;

/* s parsed at column col0 and evaluated: 0, or -1 with *e. */
static int eval_at(const char *s, size_t col0, __int128 *v, struct expr_error *e)
{
	uint32_t root;

	pool.n = 0;
	if (expr_parse(&pool, (const unsigned char *)s, strlen(s), col0, &root, e) < 0)
		return -1;
	return expr_eval(&pool, root, &env, v, e);
}

#define VALUE(s, want) check_value((s), (want), __LINE__)
#define FAILS(s, col, msg) check_error((s), COL0, (col), (msg), __LINE__)

static void check_value(const char *s, __int128 want, int line)
{
	struct expr_error e = { 0 };
	char a[48], b[48];
	__int128 v = 0;

	if (eval_at(s, COL0, &v, &e) < 0) {
		unit_check(0, s, __FILE__, line);
		fprintf(stderr, "  '%s': error at %zu: %s\n", s, e.col, e.msg);
		return;
	}
	if (!unit_check(v == want, s, __FILE__, line))
		fprintf(stderr, "  '%s' is %s, expected %s\n", s, dec128(a, v),
			dec128(b, want));
}

static void check_error(const char *s, size_t col0, size_t col, const char *msg, int line)
{
	struct expr_error e = { 0 };
	char a[48];
	__int128 v = 0;

	if (!unit_check(eval_at(s, col0, &v, &e) < 0, s, __FILE__, line)) {
		fprintf(stderr, "  '%s' is %s, expected the error \"%s\"\n", s, dec128(a, v),
			msg);
		return;
	}
	unit_check_str(e.msg, msg, s, __FILE__, line);
	unit_check_int((int64_t)e.col, (int64_t)col, "column", "expected", __FILE__, line);
}

/* ---- precedence and associativity, against C ---- */

/* The letters a..h of text replaced by the values C computed with. */
static const char *substitute(char *out, size_t size, const char *text, const __int128 *vars)
{
	size_t o = 0;
	char num[48];

	for (const char *p = text; *p && o + 48 < size; p++)
		if (*p >= 'a' && *p <= 'h')
			o += (size_t)snprintf(out + o, size - o, "%s",
					      dec128(num, vars[*p - 'a']));
		else
			out[o++] = *p;
	out[o] = '\0';
	return out;
}

/* The table leans on C's precedence on purpose: that is what it checks. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wparentheses"
static void test_against_c(void)
{
	const __int128 a = 7, b = 3, c = 5, d = 2, e = 100, f = 255, g = 1, h = 40;
	const __int128 vars[] = { a, b, c, d, e, f, g, h };
#define C(x) { #x, (x) }
	const struct {
		const char *text;
		__int128 want;
	} table[] = {
		C(a + b * c), C(a * b + c), C(a - b - c), C(e / a / d), C(e / a % b),
		C(a - b + c), C(a << d + g), C(a + b << d), C(e >> d >> g), C(a & b | c),
		C(a | b & c), C(a ^ b & c), C(a & b ^ c), C(a | b ^ c), C(a ^ b | c),
		C(a << d | g), C(a & b << g), C(a + b & c), C(-a / d), C(-a % d),
		C(a / -d), C(-a / -d), C(-e % a), C(e % -a), C(~a & f), C(~-a), C(-~a),
		C(- -a), C(~~a), C(a * (b + c)), C((a + b) * c), C(-(a - e) * b), C(((a))),
		C(a - (b - c)), C(a / b * b + a % b), C(e - a * b / c % d), C(a << h),
		C((g << h) - g), C(-(g << h) >> c), C(f ^ ~g), C(a * b * c * d * e * f * g * h),
		C(e - -a), C(-e >> g), C(-(e >> g)), C(a | b | c ^ d & e << g + d * d),
		C(a * b % c), C(a % b * c), C(f & ~(f >> d) | g << d), C(-a * -b - -c),
		C((a | b) << (c & d) + g),
	};
#undef C
	char text[256];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		check_value(substitute(text, sizeof(text), table[i].text, vars), table[i].want,
			    __LINE__);
}
#pragma GCC diagnostic pop

/* ---- numbers ---- */

static void test_numbers(void)
{
	VALUE("0", 0);
	VALUE("010", 10);	/* decimal, as in SPEC §2: no octal */
	VALUE("0x1f", 31);
	VALUE("0X1F", 31);
	VALUE("0x1E", 30);	/* a hex digit is a digit, not the suffix E */
	VALUE("0x10K", 16 << 10);
	VALUE("1K", (__int128)1 << 10);
	VALUE("1M", (__int128)1 << 20);
	VALUE("1G", (__int128)1 << 30);
	VALUE("1T", (__int128)1 << 40);
	VALUE("1P", (__int128)1 << 50);
	VALUE("1E", (__int128)1 << 60);
	VALUE("3k", 3 << 10);
	VALUE("1KiB", (__int128)1 << 10);
	VALUE("1MiB", (__int128)1 << 20);
	VALUE("1GIB", (__int128)1 << 30);
	VALUE("1tib", (__int128)1 << 40);
	VALUE("1PiB", (__int128)1 << 50);
	VALUE("1EiB", (__int128)1 << 60);
	VALUE("8E", (__int128)1 << 63);	/* past INT64_MAX: fine in 128 bits */
	VALUE("9223372036854775807E", (__int128)INT64_MAX << 60);
	VALUE("0x7fffffffffffffffE", ((__int128)INT64_MAX << 4) + 14);
	VALUE("0x7fffffffffffffffP", (__int128)INT64_MAX << 50);
	FAILS("4KB", COL0 + 1, "unknown suffix 'KB' (use K or KiB)");
	FAILS("4kb", COL0 + 1, "unknown suffix 'kb' (use K or KiB)");
	FAILS("1 + 4X", COL0 + 5, "unknown suffix 'X' (use K, M, G, T, P, E or KiB ... EiB)");
	FAILS("0x1EiB", COL0 + 4, "unknown suffix 'iB' (use K, M, G, T, P, E or KiB ... EiB)");
	FAILS("12abc", COL0 + 2, "unknown suffix 'abc' (use K, M, G, T, P, E or KiB ... EiB)");
	FAILS("0x", COL0, "no hex digits after '0x': '0x'");
	FAILS("1 + 0xg", COL0 + 4, "no hex digits after '0x': '0xg'");
}

static void test_edges(void)
{
	VALUE("0xffffffffffffffff", (__int128)UINT64_MAX);
	VALUE("~0", -1);
	VALUE("~0 & 0xffffffffffffffff", (__int128)UINT64_MAX);
	VALUE("170141183460469231731687303715884105727", I128_MAX);
	VALUE("0x7fffffffffffffffffffffffffffffff", I128_MAX);
	VALUE("-170141183460469231731687303715884105727 - 1", I128_MIN);
	VALUE("~170141183460469231731687303715884105727", I128_MIN);
	VALUE("(1 << 63) * (1 << 63)", (__int128)1 << 126);
	VALUE("-(1 << 63) * (1 << 63) * 2", I128_MIN);
	VALUE("(1 << 63) * -(1 << 63) * 2", I128_MIN);
	VALUE("0x7fffffffffffffffffffffffffffffff * -1", -I128_MAX);
	VALUE("~170141183460469231731687303715884105727 % -1", 0);
	VALUE("~170141183460469231731687303715884105727 / 1", I128_MIN);
	VALUE("-1 << 4", -16);
	VALUE("-16 >> 2", -4);
	VALUE("-1 >> 63", -1);
	VALUE("-17 >> 2", -5);	/* floor, as the arithmetic shift */
	VALUE("1 << 63", (__int128)1 << 63);
	VALUE("0 << 63", 0);
	FAILS("170141183460469231731687303715884105728", COL0,
	      "number too large: '170141183460469231731687303715884105728'");
	FAILS("0x80000000000000000000000000000000", COL0,
	      "number too large: '0x80000000000000000000000000000000'");
	FAILS("0x7fffffffffffffffffffffffffffffffK", COL0,
	      "number too large: '0x7fffffffffffffffffffffffffffffffK'");
	FAILS("170141183460469231731687303715884105727 + 1", COL0 + 40, "value overflows 128 bits");
	FAILS("~170141183460469231731687303715884105727 - 1", COL0 + 41,
	      "value overflows 128 bits");
	FAILS("-~170141183460469231731687303715884105727", COL0, "value overflows 128 bits");
	FAILS("(1 << 63) * (1 << 63) * 2", COL0 + 22, "value overflows 128 bits");
	FAILS("~170141183460469231731687303715884105727 / -1", COL0 + 41,
	      "value overflows 128 bits");
	FAILS("-~170141183460469231731687303715884105727 * -1", COL0, "value overflows 128 bits");
	FAILS("1 << 63 << 63 << 1", COL0 + 14, "value overflows 128 bits");
	FAILS("-1 << 63 << 63 << 2", COL0 + 15, "value overflows 128 bits");
	FAILS("1/0", COL0 + 1, "division by zero");
	FAILS("7 % (2 - 2)", COL0 + 2, "division by zero");
	FAILS("1 << 64", COL0 + 5, "shift count 64 is outside 0..63");
	FAILS("1 >> -1", COL0 + 5, "shift count -1 is outside 0..63");
	FAILS("1 >> (1 << 50) * (1 << 50)", COL0 + 5,
	      "shift count 1267650600228229401496703205376 is outside 0..63");
}

static void test_functions(void)
{
	VALUE("align(5, 4)", 8);
	VALUE("align(8, 4)", 8);
	VALUE("align(0, 4)", 0);
	VALUE("align(-5, 4)", -4);
	VALUE("align(-8, 4)", -8);
	VALUE("align(kernel.end + 1, 4K)", 0x4000);
	VALUE("align (1,1)", 1);
	VALUE("min(3, -4)", -4);
	VALUE("max(3, -4)", 3);
	VALUE("min(max(1, 2), max(3, 0)) + 1", 3);
	VALUE("max(min.end, max.start)", 0x8010);	/* names that are function names */
	VALUE("align(0x7fffffffffffffffffffffffffffffff, 1)", I128_MAX);
	FAILS("align(0x7fffffffffffffffffffffffffffffff, 2)", COL0, "value overflows 128 bits");
	FAILS("align(5, 0)", COL0 + 9, "'align' needs a positive N, not 0");
	FAILS("align(5, -(4))", COL0 + 9, "'align' needs a positive N, not -4");
	FAILS("crc33(kernel)", COL0, "unknown function 'crc33' (did you mean 'crc32'?)");
	FAILS("foo(1)", COL0, "unknown function 'foo'");
	FAILS("align(1)", COL0 + 7, "'align' takes 2 arguments");
	FAILS("align(1, 2, 3)", COL0 + 10, "'align' takes 2 arguments");
	FAILS("min()", COL0 + 4, "'min' takes 2 arguments");
	FAILS("crc32()", COL0 + 6, "'crc32' takes 1 argument");
	FAILS("crc32(kernel, 1)", COL0 + 12, "'crc32' takes 1 argument");
	FAILS("crc(kernel, 8, 7, 0, 0, 0)", COL0 + 25, "'crc' takes 7 arguments");
	FAILS("min(1, 2 3)", COL0 + 9, "expected ')' after the arguments of 'min'");
	FAILS("min(1, 2", COL0, "expected ')' after the arguments of 'min'");
	FAILS("min(1", COL0, "expected ')' after the arguments of 'min'");
	FAILS("min(1 2)", COL0 + 6, "expected an operator or ',' before '2'");
	FAILS("min(1,", COL0 + 5, "expected a value after ','");
	FAILS("crc32", COL0, "function 'crc32' needs its arguments in ( )");
}

/* ---- syntax errors ---- */

static void test_syntax_errors(void)
{
	FAILS("", COL0, "empty expression");
	FAILS(" \t ", COL0, "empty expression");
	FAILS("1 +", COL0 + 2, "expected a value after '+'");
	FAILS("-", COL0, "expected a value after '-'");
	FAILS("(", COL0, "expected a value after '('");
	FAILS("(1", COL0, "'(' is not closed");
	FAILS("((1) + 2", COL0, "'(' is not closed");
	FAILS("1)", COL0 + 1, "unexpected ')'");
	FAILS(")", COL0, "unexpected ')'");
	FAILS("()", COL0 + 1, "unexpected ')'");
	FAILS("1, 2", COL0 + 1, "unexpected ','");
	FAILS("1 2", COL0 + 2, "expected an operator before '2'");
	FAILS("(1 2)", COL0 + 3, "expected an operator or ')' before '2'");
	FAILS("+1", COL0, "unexpected '+'");
	FAILS("1 * * 2", COL0 + 4, "unexpected '*'");
	FAILS("1 @ 2", COL0 + 2, "unexpected '@'");
	FAILS("1 < 2", COL0 + 2, "unexpected '<'");
	FAILS("1 +\x01", COL0 + 3, "unexpected '\\x01'");
	FAILS("1.5", COL0 + 1, "unexpected '.'");
	FAILS("1..2", COL0 + 1, "unexpected '..' (a range is only the first argument of a "
	      "checksum)");
	FAILS("kernel + 1", COL0, "name 'kernel' needs .start, .end or .size");
	FAILS("image", COL0, "'image' needs .size");
	FAILS("image.start", COL0 + 6, "'image.start': the image has only .size");
	FAILS("image.end", COL0 + 6, "'image.end': the image has only .size");
	FAILS("kernel.ned", COL0 + 7, "unknown attribute 'ned' of 'kernel' (did you mean 'end'?)");
	FAILS("kernel.foo", COL0 + 7,
	      "unknown attribute 'foo' of 'kernel' (use start, end or size)");
	FAILS("kernel.", COL0 + 6, "expected start, end or size after 'kernel.'");
	FAILS("kernel .end", COL0, "name 'kernel' needs .start, .end or .size");
}

/* A quoted token: columns inside it are not known (col0 0), and blanks
 * stand anywhere between tokens. */
static void test_quoted(void)
{
	struct expr_error e;
	__int128 v = 0;

	CHECK(eval_at("  kernel.end\t+  4K ", 0, &v, &e) == 0);
	CHECK(v == 0x3000 + 4096);
	CHECK(eval_at("\tmin ( 1 ,\t2 ) ", 0, &v, &e) == 0 && v == 1);
	CHECK(eval_at(" crc32 ( kernel .. rootfs ) ", 0, &v, &e) == 0);
	CHECK(fake.last.range.kind == EXPR_RANGE_NAMES && fake.last.range.start == 0x1000 &&
	      fake.last.range.end == 0x8000);
	check_error("kernel.end + ", 0, 0, "expected a value after '+'", __LINE__);
	check_error("1 / 0", 0, 0, "division by zero", __LINE__);
	check_error("kernal.end", 0, 0, "unknown name 'kernal' (did you mean 'kernel'?)", __LINE__);
}

/* ---- nesting ---- */

static char *repeat(const char *open, size_t n, const char *mid, const char *close)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
	char *s = malloc(n * (lo + lc) + lm + 1), *p = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, mid, lm);
	p += lm;
	for (size_t i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void check_nested(const char *open, size_t n, const char *mid, const char *close,
			 int ok, size_t col, const char *msg, int line)
{
	char *s = repeat(open, n, mid, close);
	struct expr_error e = { 0 };
	__int128 v;

	if (!unit_check(s != NULL, "malloc", __FILE__, line))
		return;
	if (ok) {
		if (!unit_check(eval_at(s, COL0, &v, &e) == 0, "nested ok", __FILE__, line))
			fprintf(stderr, "  %s x %zu: %s\n", open, n, e.msg);
	} else {
		check_error(s, COL0, col, msg, line);
	}
	free(s);
}

static void test_nesting(void)
{
	static const char deep[] = "expression nested deeper than 256 levels";
	char *s;

	check_nested("(", 256, "1", ")", 1, 0, NULL, __LINE__);
	check_nested("(", 257, "1", ")", 0, COL0 + 256, deep, __LINE__);
	check_nested("(", 100000, "1", ")", 0, COL0 + 256, deep, __LINE__);
	check_nested("(", 100000, "", "", 0, COL0 + 256, deep, __LINE__);
	check_nested("-", 100000, "1", "", 0, COL0 + 256, deep, __LINE__);
	check_nested("~", 256, "0", "", 1, 0, NULL, __LINE__);
	check_nested("min(1,", 256, "1", ")", 1, 0, NULL, __LINE__);
	check_nested("min(1,", 300, "1", ")", 0, COL0 + 6 * 256, deep, __LINE__);
	check_nested("1+(", 200, "1", ")", 1, 0, NULL, __LINE__);
	/* Six values pending per level: 600 at the deepest, on the heap. */
	s = repeat("1|1^1&1<<1+1*(", 100, "1", ")");
	if (CHECK(s != NULL)) {
		check_value(s, 1, __LINE__);
		free(s);
	}
	s = repeat("1+(", 200, "1", ")");
	if (CHECK(s != NULL)) {
		check_value(s, 201, __LINE__);
		free(s);
	}

	/* A long flat expression costs no recursion at all. */
	s = repeat("1+", 200000, "1", "");
	if (CHECK(s != NULL)) {
		check_value(s, 200001, __LINE__);
		free(s);
	}
}

/* ---- references, checksums, ranges ---- */

static void test_references(void)
{
	VALUE("kernel.start", 0x1000);
	VALUE("kernel.end + 4K", 0x3000 + 4096);
	VALUE("rootfs.size", 0x5000);
	VALUE("image.size - rootfs.end", IMAGE_SIZE - 0x8000);
	FAILS("_x9.size", COL0, "unknown name '_x9'");
	FAILS("kernal.end", COL0, "unknown name 'kernal' (did you mean 'kernel'?)");
	FAILS("1 + kernal.end", COL0 + 4, "unknown name 'kernal' (did you mean 'kernel'?)");
}

#define SUM(s, kind, rkind, lo, hi) check_sum((s), (kind), (rkind), (lo), (hi), __LINE__)

static void check_sum(const char *s, enum expr_sum kind, enum expr_range_kind rkind, int64_t lo,
		      int64_t hi, int line)
{
	struct expr_error e = { 0 };
	__int128 v = 0;
	int before = fake.nsums;

	if (!unit_check(eval_at(s, COL0, &v, &e) == 0, s, __FILE__, line)) {
		fprintf(stderr, "  '%s': %s\n", s, e.msg);
		return;
	}
	unit_check(fake.nsums == before + 1, "one checksum", __FILE__, line);
	unit_check_int(fake.last.kind, kind, "kind", s, __FILE__, line);
	unit_check_int(fake.last.range.kind, rkind, "range kind", s, __FILE__, line);
	unit_check_int(fake.last.range.start, lo, "range start", s, __FILE__, line);
	unit_check_int(fake.last.range.end, hi, "range end", s, __FILE__, line);
}

static int last_names(const char *first, const char *last)
{
	const struct expr_range *r = &fake.last.range;

	if (!first)
		return !r->first && !r->last;
	return r->first && r->first_len == strlen(first) &&
	       !memcmp(r->first, first, r->first_len) && r->last &&
	       r->last_len == strlen(last) && !memcmp(r->last, last, r->last_len);
}

static void test_checksums(void)
{
	SUM("crc32(kernel)", EXPR_CRC32, EXPR_RANGE_NAME, 0x1000, 0x3000);
	CHECK(last_names("kernel", "kernel"));
	CHECK_STR(fake.last.fn, "crc32");
	CHECK_INT(fake.last.col, COL0);
	SUM("crc32c(kernel..rootfs)", EXPR_CRC32C, EXPR_RANGE_NAMES, 0x1000, 0x8000);
	CHECK(last_names("kernel", "rootfs"));
	SUM("crc32_mpeg2(min..max)", EXPR_CRC32_MPEG2, EXPR_RANGE_NAMES, 0x8000, 0x8020);
	CHECK(last_names("min", "max"));
	SUM("crc16_xmodem(kernel.start..rootfs.end - 4)", EXPR_CRC16_XMODEM, EXPR_RANGE_OFFSETS,
	    0x1000, 0x8000 - 4);
	CHECK(last_names(NULL, NULL));
	SUM("crc16_ccitt( 0 .. 16 )", EXPR_CRC16_CCITT, EXPR_RANGE_OFFSETS, 0, 16);
	SUM("crc16_modbus((1)..(2))", EXPR_CRC16_MODBUS, EXPR_RANGE_OFFSETS, 1, 2);
	SUM("crc8(image)", EXPR_CRC8, EXPR_RANGE_IMAGE, 0, IMAGE_SIZE);
	CHECK(last_names(NULL, NULL));
	SUM("adler32(0..0)", EXPR_ADLER32, EXPR_RANGE_OFFSETS, 0, 0);
	CHECK_INT(fake.last.crc.width, 0);
	SUM("sum(rootfs)", EXPR_SUM, EXPR_RANGE_NAME, 0x3000, 0x8000);
	SUM("crc(kernel, 64, 0x42f0e1eba9ea3693, ~0, 1, 1, ~0)", EXPR_CRC, EXPR_RANGE_NAME,
	    0x1000, 0x3000);
	CHECK_INT(fake.last.crc.width, 64);
	CHECK(fake.last.crc.poly == 0x42f0e1eba9ea3693 && fake.last.crc.init == UINT64_MAX &&
	      fake.last.crc.xorout == UINT64_MAX && fake.last.crc.refin && fake.last.crc.refout);
	SUM("crc(0..1, 3, 3, -1, 0, 1, 0)", EXPR_CRC, EXPR_RANGE_OFFSETS, 0, 1);
	CHECK(fake.last.crc.width == 3 && fake.last.crc.init == 7 && !fake.last.crc.refin);

	/* What a checksum gives is a value like any other. */
	VALUE("-sum(kernel..rootfs) & 0xff", -(9 * 1000000 + 0x7000) & 0xff);
	VALUE("crc32(kernel) + crc32(image)", 1000000 + 0x2000 + 1000000 + IMAGE_SIZE);
	VALUE("crc(crc32(0..1)-1000001..0x10, 8, 7, 0, 0, 0, crc8(image) & 0xff)",
	      10 * 1000000 + 0x10);

	FAILS("crc32(0x100)", COL0 + 6, "'crc32' needs a range: NAME, NAME..NAME, START..END or "
	      "image");
	FAILS("crc32(kernel..0x100)", COL0 + 6, "name 'kernel' needs .start, .end or .size");
	FAILS("crc32(0..kernel)", COL0 + 9, "name 'kernel' needs .start, .end or .size");
	FAILS("crc32(image..kernel)", COL0 + 6, "'image' cannot be an end of a NAME..NAME range");
	FAILS("crc32(kernel..image)", COL0 + 14, "'image' cannot be an end of a NAME..NAME range");
	FAILS("crc32(0..)", COL0 + 9, "unexpected ')'");
	FAILS("crc32(8..4)", COL0 + 9, "range 8..4 ends before it starts");
	FAILS("crc32(rootfs.start..kernel.start)", COL0 + 20, "range 12288..4096 ends before it "
	      "starts");
	FAILS("crc32(-(1)..4)", COL0 + 6, "range start -1 is negative");
	FAILS("crc32(0..1 << 63)", COL0 + 9, "range end 9223372036854775808 is past 2^63-1");
	FAILS("crc32(max..kernel)", COL0 + 11, "range 32784..12288 ends before it starts");
	SUM("crc32(rootfs.start..kernel.end)", EXPR_CRC32, EXPR_RANGE_OFFSETS, 0x3000, 0x3000);
	FAILS("crc32(kernal)", COL0 + 6, "unknown name 'kernal' (did you mean 'kernel'?)");
	FAILS("crc32(kernel..rootf)", COL0 + 14, "unknown name 'rootf' (did you mean 'rootfs'?)");
	FAILS("crc(kernel, 65, 7, 0, 0, 0, 0)", COL0 + 12, "crc width 65 is outside 1..64");
	FAILS("crc(kernel, 0, 7, 0, 0, 0, 0)", COL0 + 12, "crc width 0 is outside 1..64");
	FAILS("crc(kernel, 16, 0x1ffff, 0, 0, 0, 0)", COL0 + 16,
	      "crc poly 131071 does not fit in 16 bits");
	FAILS("crc(kernel, 8, 7, -129, 0, 0, 0)", COL0 + 18,
	      "crc init -129 does not fit in 8 bits");
	FAILS("crc(kernel, 8, 7, 0, 2, 0, 0)", COL0 + 21, "crc refin 2 is not 0 or 1");
	FAILS("crc(kernel, 8, 7, 0, 0, -1, 0)", COL0 + 24, "crc refout -1 is not 0 or 1");
	FAILS("crc(kernel, 8, 7, 0, 0, 0, (256))", COL0 + 27,
	      "crc xorout 256 does not fit in 8 bits");
}

/* Ranges alone, as `sha256 RANGE` takes them. */
static void test_ranges(void)
{
	static const struct {
		const char *text;
		enum expr_range_kind kind;
		int64_t start, end;
	} ok[] = {
		{ "kernel", EXPR_RANGE_NAME, 0x1000, 0x3000 },
		{ "kernel..rootfs", EXPR_RANGE_NAMES, 0x1000, 0x8000 },
		{ " kernel .. rootfs ", EXPR_RANGE_NAMES, 0x1000, 0x8000 },
		{ "0x10..0x20", EXPR_RANGE_OFFSETS, 0x10, 0x20 },
		{ "kernel.end..image.size", EXPR_RANGE_OFFSETS, 0x3000, IMAGE_SIZE },
		{ "image", EXPR_RANGE_IMAGE, 0, IMAGE_SIZE },
	};
	struct expr_error e;
	struct expr_range r;
	uint32_t root;
	__int128 v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *s = ok[i].text;

		pool.n = 0;
		CHECK(expr_parse_range(&pool, (const unsigned char *)s, strlen(s), COL0, &root,
				       &e) == 0);
		CHECK(expr_eval_range(&pool, root, &env, &r, &e) == 0);
		CHECK_INT(r.kind, ok[i].kind);
		CHECK_INT(r.start, ok[i].start);
		CHECK_INT(r.end, ok[i].end);
		CHECK(expr_eval(&pool, root, &env, &v, &e) < 0);
		CHECK_STR(e.msg, "a range is not a value");
	}
	pool.n = 0;
	CHECK(expr_parse_range(&pool, (const unsigned char *)"0x10", 4, COL0, &root, &e) < 0);
	CHECK_STR(e.msg, "expected a range: NAME, NAME..NAME, START..END or image");
	CHECK(expr_parse_range(&pool, (const unsigned char *)"a b", 3, COL0, &root, &e) < 0);
	CHECK_STR(e.msg, "name 'a' needs .start, .end or .size");
	CHECK(expr_parse_range(&pool, (const unsigned char *)"a..b)", 5, COL0, &root, &e) < 0);
	CHECK_STR(e.msg, "unexpected ')'");
	CHECK_INT(e.col, COL0 + 4);
	CHECK(expr_parse(&pool, (const unsigned char *)"1", 1, COL0, &root, &e) == 0);
	CHECK(expr_eval_range(&pool, root, &env, &r, &e) < 0);
	CHECK_STR(e.msg, "expected a range");
}

/* ---- expr_visit ---- */

struct seen {
	char log[512];
};

static int see_ref(void *ctx, const unsigned char *name, size_t len, int attr, size_t col)
{
	struct seen *s = ctx;
	size_t o = strlen(s->log);

	snprintf(s->log + o, sizeof(s->log) - o, "%.*s.%d@%zu ", (int)len, (const char *)name, attr,
		 col);
	return 0;
}

static int see_range(void *ctx, const struct expr_range *r)
{
	struct seen *s = ctx;
	size_t o = strlen(s->log);

	snprintf(s->log + o, sizeof(s->log) - o, "range%d:%.*s:%.*s:%lld@%zu ", (int)r->kind,
		 (int)r->first_len, r->first ? (const char *)r->first : "", (int)r->last_len,
		 r->last ? (const char *)r->last : "", (long long)r->start, r->col);
	return 0;
}

static int stop_at_rootfs(void *ctx, const unsigned char *name, size_t len, int attr, size_t col)
{
	(void)ctx;
	(void)attr;
	(void)col;
	return len == 6 && memcmp(name, "rootfs", 6) == 0 ? 7 : 0;
}

static void test_visit(void)
{
	static const char text[] = "crc32(kernel.start..rootfs.end) + image.size + sum(a..b) + "
				   "crc8(k) - crc8(image)";
	struct seen s = { "" };
	struct expr_visitor v = { &s, see_ref, see_range };
	struct expr_error e;
	uint32_t root, other;

	pool.n = 0;
	CHECK(expr_parse(&pool, (const unsigned char *)"1 + x.end", 9, 1, &other, &e) == 0);
	CHECK(expr_parse(&pool, (const unsigned char *)text, strlen(text), 1, &root, &e) == 0);
	CHECK_INT(expr_visit(&pool, root, &v), 0);
	CHECK_STR(s.log, "kernel.0@7 rootfs.1@21 range2:::-1@7 image.2@35 range1:a:b:-1@52 "
		  "range0:k:k:-1@65 range3:::-1@75 ");
	s.log[0] = '\0';
	CHECK_INT(expr_visit(&pool, other, &v), 0);
	CHECK_STR(s.log, "x.1@5 ");
	v.ref = stop_at_rootfs;
	CHECK_INT(expr_visit(&pool, root, &v), 7);
}

/* ---- environments that refuse ---- */

static int refuse_ref(void *ctx, const unsigned char *name, size_t len, int attr, __int128 *v,
		      struct expr_error *e)
{
	(void)ctx;
	(void)name;
	(void)len;
	(void)attr;
	(void)v;
	snprintf(e->msg, sizeof(e->msg), "layout keys cannot refer to image.size");
	e->col = 3;	/* the planner's own column wins */
	return -1;
}

static int silent_checksum(void *ctx, const struct expr_checksum *c, __int128 *v,
			   struct expr_error *e)
{
	(void)ctx;
	(void)c;
	(void)v;
	(void)e;
	return -1;
}

/* A checksum that first evaluates another expression in the same pool,
 * as the planner does for the fields inside a range: the pool grows (and
 * moves) under the evaluation that called it. */
static int nested_checksum(void *ctx, const struct expr_checksum *c, __int128 *v,
			   struct expr_error *e)
{
	struct expr_pool *p = ctx;
	size_t mark = p->n;
	char *text = repeat("1+", 5000, "1", "");
	uint32_t root;
	int rc;

	(void)c;
	if (!text)
		return -1;
	rc = expr_parse(p, (const unsigned char *)text, strlen(text), 0, &root, e);
	if (rc == 0)
		rc = expr_eval(p, root, &env, v, e);
	p->n = mark;
	free(text);
	return rc;
}

static void test_env(void)
{
	struct expr_env bare = { 0 }, refusing = { NULL, refuse_ref, silent_checksum };
	struct expr_error e;
	uint32_t root;
	__int128 v;

	pool.n = 0;
	CHECK(expr_parse(&pool, (const unsigned char *)"1 + kernel.end", 14, COL0, &root, &e) == 0);
	CHECK(expr_eval(&pool, root, &bare, &v, &e) < 0);
	CHECK_STR(e.msg, "'kernel.end': references cannot be used here");
	CHECK_INT(e.col, COL0 + 4);
	CHECK(expr_eval(&pool, root, NULL, &v, &e) < 0);
	CHECK(expr_eval(&pool, root, &refusing, &v, &e) < 0);
	CHECK_STR(e.msg, "layout keys cannot refer to image.size");
	CHECK_INT(e.col, 3);
	CHECK(expr_parse(&pool, (const unsigned char *)"2 * sum(0..1)", 13, COL0, &root, &e) == 0);
	CHECK(expr_eval(&pool, root, &bare, &v, &e) < 0);
	CHECK_STR(e.msg, "'sum': checksums cannot be used here");
	CHECK_INT(e.col, COL0 + 4);
	CHECK(expr_eval(&pool, root, &refusing, &v, &e) < 0);
	CHECK_STR(e.msg, "cannot compute 'sum'");
	CHECK_INT(e.col, COL0 + 4);
	CHECK(expr_eval(&pool, (uint32_t)pool.n, &env, &v, &e) < 0);
	CHECK_STR(e.msg, "no such expression");

	{
		struct expr_env nesting = { &pool, fake_ref, nested_checksum };
		static const char text[] = "crc32(kernel) * 2 + crc32(0..kernel.end) + kernel.end";

		expr_pool_release(&pool);
		CHECK(expr_parse(&pool, (const unsigned char *)text, strlen(text), COL0, &root,
				 &e) == 0);
		CHECK(pool.cap < 5000);
		CHECK(expr_eval(&pool, root, &nesting, &v, &e) == 0);
		CHECK(v == 5001 * 3 + 0x3000);
		CHECK(pool.cap > 5000);
	}
}

/* ---- the CRC models, against SPEC §8.4's check values ---- */

static uint64_t reflect(uint64_t v, unsigned bits)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < bits; i++, v >>= 1)
		r = r << 1 | (v & 1);
	return r;
}

/* The Rocksoft model, one bit at a time: slow and obviously right. */
static uint64_t crc_bits(const struct expr_crc_model *m, const unsigned char *p, size_t n)
{
	uint64_t top = (uint64_t)1 << (m->width - 1), mask = top | (top - 1), reg = m->init;

	for (size_t i = 0; i < n; i++) {
		unsigned c = m->refin ? (unsigned)reflect(p[i], 8) : p[i];

		for (int k = 7; k >= 0; k--) {
			int bit = (int)((c >> k) & 1) ^ ((reg & top) != 0);

			reg = (reg << 1) & mask;
			if (bit)
				reg ^= m->poly;
		}
	}
	if (m->refout)
		reg = reflect(reg, m->width);
	return (reg ^ m->xorout) & mask;
}

static void test_crc_models(void)
{
	static const struct {
		const char *call;
		uint64_t check;
	} table[] = {
		{ "crc32(kernel)", 0xcbf43926 },
		{ "crc32c(kernel)", 0xe3069283 },
		{ "crc32_mpeg2(kernel)", 0x0376e6e7 },
		{ "crc16_xmodem(kernel)", 0x31c3 },
		{ "crc16_ccitt(kernel)", 0x29b1 },
		{ "crc16_modbus(kernel)", 0x4b37 },
		{ "crc8(kernel)", 0xf4 },
		{ "crc(kernel, 64, 0x42f0e1eba9ea3693, ~0, 1, 1, ~0)", 0x995dc9bbdf1939fa },
		{ "crc(kernel, 16, 0x8005, 0, 1, 1, 0)", 0xbb3d },	/* CRC-16/ARC */
		{ "crc(kernel, 5, 0x05, 0x1f, 1, 1, 0x1f)", 0x19 },	/* CRC-5/USB */
	};
	const unsigned char check[] = "123456789";
	struct expr_error e;
	__int128 v;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		CHECK(eval_at(table[i].call, COL0, &v, &e) == 0);
		if (!CHECK(crc_bits(&fake.last.crc, check, 9) == table[i].check))
			fprintf(stderr, "  %s\n", table[i].call);
	}
}

/* ---- random input must never crash ---- */

static uint64_t rng = 0x9e3779b97f4a7c15;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One random string of tokens (or, one time in eight, of bytes). */
static size_t random_text(char *buf, size_t size)
{
	static const char *const toks[] = {
		"0", "1", "7", "0x", "0xff", "ff", "K", "KiB", "E", "63", "64", "-1",
		"170141183460469231731687303715884105727",
		"99999999999999999999999999999999999999999",
		"kernel", "rootfs", "nope", "image", ".start", ".end", ".size", ".", "..", "(", ")",
		",", "+", "-", "*", "/", "%", "<<", ">>", "&", "^", "|", "~", " ", "\t", "crc32",
		"crc", "align", "min", "max", "sum", "adler32", "@", "\"", "\\", "_", "<", ">",
		"kernel.end", "image.size", "\x80", "crc8",
	};
	size_t n = 0, k = rnd() % 24;

	if (rnd() % 8 == 0) {
		for (n = 0; n < k && n + 1 < size; n++)
			buf[n] = (char)(rnd() % 256);
		buf[n] = '\0';
		return n;
	}
	for (size_t i = 0; i < k; i++) {
		const char *t = toks[rnd() % (sizeof(toks) / sizeof(toks[0]))];
		size_t l = strlen(t);

		if (n + l + 1 >= size)
			break;
		memcpy(buf + n, t, l);
		n += l;
	}
	buf[n] = '\0';
	return n;
}

/* Append s to buf[*n..size). */
static void put(char *buf, size_t size, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (*n + l < size) {
		memcpy(buf + *n, s, l);
		*n += l;
		buf[*n] = '\0';
	}
}

/* A random expression of the grammar, depth levels at most: mostly valid,
 * so that the evaluator sees overflow, shifts and ranges at their edges. */
static void random_expr(char *buf, size_t size, size_t *n, int depth)
{
	static const char *const leaves[] = {
		"0", "1", "2", "63", "64", "0xff", "4K", "1E", "~0", "kernel.end", "rootfs.size",
		"image.size", "min.start", "170141183460469231731687303715884105727",
	};
	static const char *const ops[] = { "+", "-", "*", "/", "%", "<<", ">>", "&", "^", "|" };
	static const char *const sums[] = { "crc32(", "sum(", "crc8(", "adler32(" };
	static const char *const ranges[] = { "kernel", "kernel..rootfs", "image", "max..min" };
	unsigned r = depth > 0 ? (unsigned)(rnd() % 9) : 0;

	if (r < 3) {
		put(buf, size, n, leaves[rnd() % (sizeof(leaves) / sizeof(leaves[0]))]);
	} else if (r < 6) {
		random_expr(buf, size, n, depth - 1);
		put(buf, size, n, ops[rnd() % (sizeof(ops) / sizeof(ops[0]))]);
		random_expr(buf, size, n, depth - 1);
	} else if (r == 6) {
		put(buf, size, n, rnd() % 2 ? "-(" : "~(");
		random_expr(buf, size, n, depth - 1);
		put(buf, size, n, ")");
	} else if (r == 7) {
		put(buf, size, n, rnd() % 3 == 0 ? "align(" : rnd() % 2 ? "min(" : "max(");
		random_expr(buf, size, n, depth - 1);
		put(buf, size, n, ",");
		random_expr(buf, size, n, depth - 1);
		put(buf, size, n, ")");
	} else {
		put(buf, size, n, sums[rnd() % (sizeof(sums) / sizeof(sums[0]))]);
		if (rnd() % 2) {
			put(buf, size, n, ranges[rnd() % (sizeof(ranges) / sizeof(ranges[0]))]);
		} else {
			random_expr(buf, size, n, depth - 1);
			put(buf, size, n, "..");
			random_expr(buf, size, n, depth - 1);
		}
		put(buf, size, n, ")");
	}
}

/* A random expression, and one time in four a byte of it changed. */
static size_t random_grammar(char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	random_expr(buf, size, &n, (int)(rnd() % 6));
	if (n && rnd() % 4 == 0)
		buf[rnd() % n] = "()+-.,~ 0x"[rnd() % 10];
	return n;
}

static void test_random(void)
{
	char buf[512];
	int bad = 0, parsed = 0, valued = 0;

	for (int i = 0; i < 200000 && bad < 10; i++) {
		size_t n = i % 2 ? random_text(buf, sizeof(buf)) : random_grammar(buf, sizeof(buf));
		size_t before, col0 = i % 3 ? COL0 : 0;
		struct expr_error e = { 99, "" };
		uint32_t root;
		__int128 v;
		int rc;

		if (pool.n > 100000)
			pool.n = 0;
		before = pool.n;
		rc = expr_parse(&pool, (const unsigned char *)buf, n, col0, &root, &e);
		if (rc < 0 && pool.n != before)
			bad++, fprintf(stderr, "  '%s': a failed parse left nodes behind\n", buf);
		if (rc == 0) {
			parsed++;
			rc = expr_eval(&pool, root, &env, &v, &e);
			valued += rc == 0;
		}
		/* Every error points into the expression, or says it cannot. */
		if (rc < 0 && (!e.msg[0] || (col0 && (e.col < col0 || (n && e.col >= col0 + n))) ||
			       (!col0 && e.col != 0)))
			bad++, fprintf(stderr, "  '%s': error at %zu: '%s'\n", buf, e.col, e.msg);
	}
	CHECK_INT(bad, 0);
	/* The loop reaches the evaluator, and past it. */
	CHECK(parsed > 10000 && valued > 5000);
}

int main(void)
{
	test_against_c();
	test_numbers();
	test_edges();
	test_functions();
	test_syntax_errors();
	test_quoted();
	test_nesting();
	test_references();
	test_checksums();
	test_ranges();
	test_visit();
	test_env();
	test_crc_models();
	test_random();
	expr_pool_release(&pool);
	CHECK(pool.v == NULL && pool.n == 0 && pool.cap == 0);
	return unit_done("test_expr");
}

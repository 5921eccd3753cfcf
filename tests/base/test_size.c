#include <errno.h>

#include "base/size.h"
#include "test.h"

static uint64_t sz(const char *s)
{
	uint64_t v = 0xdeadbeef;
	CHECK_OK(kd_size_parse(s, &v));
	return v;
}

static void suffixes_and_bases(void)
{
	CHECK_U64(sz("256M"), 256ULL << 20);
	CHECK_U64(sz("1G"), 1ULL << 30);
	CHECK_U64(sz("1g"), 1ULL << 30);
	CHECK_U64(sz("0x1000"), 0x1000);
	CHECK_U64(sz("0X10k"), 16 << 10);
	CHECK_U64(sz("4k"), 4096);
	CHECK_U64(sz("2T"), 2ULL << 40);
	CHECK_U64(sz("1P"), 1ULL << 50);
	CHECK_U64(sz("3E"), 3ULL << 60);
	CHECK_U64(sz("12345"), 12345);
	CHECK_U64(sz("0"), 0);
	CHECK_U64(sz("010"), 8); /* memparse reads C notation: leading 0 is octal */
	CHECK_U64(sz("18446744073709551615"), UINT64_MAX);
}

static void prefix_stops_at_next_field(void)
{
	uint64_t v;
	const char *end;
	const char *s = "512M-2G:64M";
	CHECK_OK(kd_size_parse_prefix(s, &v, &end));
	CHECK_U64(v, 512ULL << 20);
	CHECK_U64(end - s, 4);
	s = "0x";
	CHECK_OK(kd_size_parse_prefix(s, &v, &end));
	CHECK_U64(v, 0);
	CHECK_U64(end - s, 1);
}

static void errors(void)
{
	uint64_t v;
	const char *end;
	CHECK_FAILS(kd_size_parse("", &v));
	CHECK_FAILS(kd_size_parse("M", &v));
	CHECK_FAILS(kd_size_parse("-1", &v));
	CHECK_FAILS(kd_size_parse("12Q", &v));
	CHECK_FAILS(kd_size_parse("1GB", &v));
	CHECK_FAILS(kd_size_parse("08", &v));
	kd_err *e = kd_size_parse("16E", &v);
	CHECK_U64(kd_err_errnum(e), ERANGE);
	kd_err_free(e);
	e = kd_size_parse("18446744073709551616", &v);
	CHECK_U64(kd_err_errnum(e), ERANGE);
	kd_err_free(e);
	e = kd_size_parse_prefix("x", &v, &end);
	CHECK(e != NULL);
	CHECK_STR(end, "x");
	kd_err_free(e);
}

static void formatting(void)
{
	char b[32];
	CHECK_STR(kd_size_format(256ULL << 20, b, sizeof(b)), "256M");
	CHECK_STR(kd_size_format(1ULL << 30, b, sizeof(b)), "1G");
	CHECK_STR(kd_size_format(4097, b, sizeof(b)), "4097");
	CHECK_STR(kd_size_format(0, b, sizeof(b)), "0");
	CHECK_STR(kd_size_format(1536ULL << 20, b, sizeof(b)), "1536M");
	CHECK_STR(kd_size_human(512, b, sizeof(b)), "512B");
	CHECK_STR(kd_size_human(1536ULL << 20, b, sizeof(b)), "1.5G");
	CHECK_STR(kd_size_human(980ULL << 20, b, sizeof(b)), "980M");
	CHECK_STR(kd_size_human(UINT64_MAX, b, sizeof(b)), "16E");
	/* round trip */
	for (uint64_t v = 1; v < (1ULL << 62); v = v * 3 + 1024) {
		kd_size_format(v, b, sizeof(b));
		CHECK_U64(sz(b), v);
	}
}

TEST_MAIN(T(suffixes_and_bases), T(prefix_stops_at_next_field), T(errors), T(formatting))

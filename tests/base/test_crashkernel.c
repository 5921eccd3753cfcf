#include <errno.h>

#include "base/crashkernel.h"
#include "test.h"

#define M (1ULL << 20)
#define G (1ULL << 30)

static struct kd_ck_reservation reserve(const char *cmdline, uint64_t ram)
{
	struct kd_crashkernel ck;
	struct kd_ck_reservation r = { .size = 0xbad };
	CHECK_OK(kd_ck_parse_cmdline(cmdline, &ck, NULL));
	CHECK_OK(kd_ck_reserve(&ck, ram, &r));
	return r;
}

static size_t fails_at(const char *value)
{
	struct kd_ck_value v;
	size_t pos = 999;
	kd_err *e = kd_ck_parse_value(value, &v, &pos);
	CHECK(e != NULL);
	CHECK_U64(kd_err_errnum(e), EINVAL);
	char buf[256];
	kd_err_format(e, buf, sizeof(buf));
	CHECK(strstr(buf, "at position") != NULL);
	kd_err_free(e);
	return pos;
}

static void simple_size_and_offset(void)
{
	struct kd_ck_reservation r = reserve("ro crashkernel=256M quiet", 4 * G);
	CHECK_U64(r.size, 256 * M);
	CHECK(!r.has_offset && !r.high);
	r = reserve("crashkernel=128M@16M", 4 * G);
	CHECK_U64(r.size, 128 * M);
	CHECK(r.has_offset);
	CHECK_U64(r.offset, 16 * M);
	r = reserve("crashkernel=0x10000000", G);
	CHECK_U64(r.size, 256 * M);
}

static void ranges_pick_by_ram(void)
{
	const char *cl = "crashkernel=512M-2G:64M,2G-:128M";
	CHECK_U64(reserve(cl, 256 * M).size, 0);     /* below every range */
	CHECK_U64(reserve(cl, 512 * M).size, 64 * M);
	CHECK_U64(reserve(cl, 2 * G - 1).size, 128 * M); /* rounded up to 128M: 2G, second range */
	CHECK_U64(reserve(cl, 2 * G - 128 * M).size, 64 * M);
	CHECK_U64(reserve(cl, 2 * G).size, 128 * M);
	CHECK_U64(reserve(cl, 1024 * G).size, 128 * M);
	struct kd_ck_reservation r = reserve("crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M@32M", 16 * G);
	CHECK_U64(r.size, 256 * M);
	CHECK(r.has_offset);
	CHECK_U64(r.offset, 32 * M);
	/* firmware holes: 3.9G of RAM counts as 4G */
	CHECK_U64(reserve("crashkernel=1G-4G:192M,4G-:256M", 4 * G - 100 * M).size, 256 * M);
}

static void no_match_reserves_nothing_and_offset_ignored(void)
{
	struct kd_ck_reservation r = reserve("crashkernel=4G-:256M@64M", 2 * G);
	CHECK_U64(r.size, 0);
	CHECK(!r.has_offset);
	CHECK_U64(reserve("quiet ro", 8 * G).size, 0);
}

static void last_plain_wins(void)
{
	CHECK_U64(reserve("crashkernel=128M crashkernel=256M", 4 * G).size, 256 * M);
	CHECK_U64(reserve("crashkernel=1G,high crashkernel=192M crashkernel=2G,high", 8 * G).size,
		  192 * M);
}

static void high_and_low(void)
{
	struct kd_ck_reservation r = reserve("crashkernel=1G,high", 16 * G);
	CHECK_U64(r.size, G);
	CHECK(r.high);
	CHECK_U64(r.low_size, KD_CK_DEFAULT_LOW_SIZE);
	r = reserve("crashkernel=1G,high crashkernel=72M,low", 16 * G);
	CHECK_U64(r.low_size, 72 * M);
	r = reserve("crashkernel=64M,low", 16 * G); /* a lone ,low reserves nothing */
	CHECK_U64(r.size, 0);
	struct kd_crashkernel ck;
	CHECK_OK(kd_ck_parse_cmdline("crashkernel=0,high", &ck, NULL));
	CHECK_FAILS(kd_ck_reserve(&ck, 16 * G, &r));
}

static void too_big_is_an_error(void)
{
	struct kd_crashkernel ck;
	struct kd_ck_reservation r;
	CHECK_OK(kd_ck_parse_cmdline("crashkernel=0-:4G", &ck, NULL));
	CHECK_FAILS(kd_ck_reserve(&ck, 2 * G, &r));
	CHECK_OK(kd_ck_parse_cmdline("crashkernel=8G", &ck, NULL));
	CHECK_FAILS(kd_ck_reserve(&ck, 4 * G, &r));
}

static void malformed_values_name_the_position(void)
{
	CHECK_U64(fails_at(""), 0);
	CHECK_U64(fails_at("M"), 0);
	CHECK_U64(fails_at("256X"), 3);
	CHECK_U64(fails_at("256M@"), 5);
	CHECK_U64(fails_at("512M:64M"), 4);          /* '-' expected */
	CHECK_U64(fails_at("512M-2G64M"), 4);        /* no ':', so a plain size: '-' is stray */
	CHECK_U64(fails_at("512M-2G64M,2G-:1G"), 7); /* ':' expected */
	CHECK_U64(fails_at("2G-512M:64M"), 3);       /* end <= start */
	CHECK_U64(fails_at("512M-2G:"), 8);          /* size expected */
	CHECK_U64(fails_at("512M-2G:64M,"), 12);     /* another range expected */
	CHECK_U64(fails_at("512M-2G:64M;2G-:128M"), 11);
	CHECK_U64(fails_at("1G,middle"), 2);
	CHECK_U64(fails_at("1G@16M,high"), 2);
	CHECK_U64(fails_at("auto"), 0);
	CHECK_U64(fails_at("2G-:128M,512M-2G:64M"), 0); /* out of order */
	CHECK_U64(fails_at("99999999999999999999M"), 0);
}

static void malformed_line_names_the_position(void)
{
	struct kd_crashkernel ck;
	size_t pos = 0;
	kd_err *e = kd_ck_parse_cmdline("root=/dev/sda1 crashkernel=512M-2G64M quiet", &ck, &pos);
	CHECK(e != NULL);
	CHECK_U64(pos, 31);
	kd_err_free(e);
	e = kd_ck_parse_cmdline("ro \"crashkernel=12Q\"", &ck, &pos);
	CHECK(e != NULL);
	CHECK_U64(pos, 18);
	kd_err_free(e);
	e = kd_ck_parse_cmdline("ro crashkernel", &ck, &pos);
	CHECK(e != NULL);
	CHECK_U64(pos, 3);
	kd_err_free(e);
}

static void parsed_structure(void)
{
	struct kd_ck_value v;
	CHECK_OK(kd_ck_parse_value("0-1G:0,1G-4G:192M,4G-:256M@0x1000000", &v, NULL));
	CHECK_U64(v.nranges, 3);
	CHECK_U64(v.ranges[0].start, 0);
	CHECK_U64(v.ranges[0].end, G);
	CHECK_U64(v.ranges[0].size, 0);
	CHECK_U64(v.ranges[2].end, UINT64_MAX);
	CHECK(v.has_offset);
	CHECK_U64(v.offset, 16 * M);
	CHECK_OK(kd_ck_parse_value("384M,high", &v, NULL));
	CHECK_U64(v.suffix, KD_CK_HIGH);
	CHECK_U64(v.size, 384 * M);
}

TEST_MAIN(T(simple_size_and_offset), T(ranges_pick_by_ram),
	  T(no_match_reserves_nothing_and_offset_ignored), T(last_plain_wins), T(high_and_low),
	  T(too_big_is_an_error), T(malformed_values_name_the_position),
	  T(malformed_line_names_the_position), T(parsed_structure))

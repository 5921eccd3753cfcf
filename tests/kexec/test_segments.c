/* Segment placement for kexec_load: lowest/highest with alignment, --mem-min/--mem-max, room
 * between segments already placed, several available ranges, the "no room" message, what
 * kd_segments_add refuses, and ranges that end at the top of the address space. */
#include "kexec/segments.h"

#include <errno.h>

#include "test.h"

#define MIB (1ULL << 20)

/* One available range [start, end]. */
static void init1(struct kd_segments *s, uint64_t start, uint64_t end, uint64_t min,
		  uint64_t max)
{
	struct kd_mem_range r = { start, end };
	CHECK_OK(kd_segments_init(s, &r, 1, min, max, "System RAM"));
}

static void test_lowest_highest_aligned(void)
{
	struct kd_segments s;
	uint64_t a = 0;
	init1(&s, 1 * MIB, 32 * MIB - 1, 0, UINT64_MAX);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 1 * MIB);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, 32 * MIB - 4096);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 2 * MIB, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 2 * MIB);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 2 * MIB, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, 30 * MIB);
	/* an alignment below a page is a page */
	CHECK_OK(kd_segments_find(&s, "x", 10, 16, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 1 * MIB);
	/* the whole range, exactly */
	CHECK_OK(kd_segments_find(&s, "x", 31 * MIB, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, 1 * MIB);
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 31 * MIB + 1, 4096, 0, UINT64_MAX, 0, &a),
		      "no room");
	/* the caller's [lo, hi] */
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 5 * MIB + 1, 9 * MIB + 4095, 0, &a));
	CHECK_U64(a, 5 * MIB + 4096);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 5 * MIB, 9 * MIB + 4094, 1, &a));
	CHECK_U64(a, 9 * MIB - 4096);
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 4096, 3 * 4096, 0, UINT64_MAX, 0, &a),
		      "not a power of two");
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 0, 4096, 0, UINT64_MAX, 0, &a), "empty");
	kd_segments_free(&s);
}

static void test_mem_limits(void)
{
	struct kd_segments s;
	uint64_t a = 0;
	init1(&s, 1 * MIB, 32 * MIB - 1, 4 * MIB, 16 * MIB - 1);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 4 * MIB);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, 16 * MIB - 4096);
	CHECK_OK(kd_segments_find(&s, "x", 12 * MIB, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, 4 * MIB);
	CHECK_ERR_HAS(kd_segments_find(&s, "kernel", 12 * MIB + 1, 4096, 0, UINT64_MAX, 0, &a),
		      "no room for the kernel");
	CHECK_ERR_HAS(kd_segments_find(&s, "kernel", 16 * MIB, 4096, 0, UINT64_MAX, 0, &a),
		      "within --mem-min/--mem-max");
	/* [lo, hi] entirely outside the limits: nothing, not an inverted range */
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 4096, 4096, 0, 3 * MIB, 0, &a), "no room");
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 4096, 4096, 0, 3 * MIB, 1, &a), "no room");
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 4096, 4096, 20 * MIB, UINT64_MAX, 0, &a),
		      "no room");
	kd_segments_free(&s);
}

static void test_between_segments(void)
{
	struct kd_segments s;
	uint64_t a = 0;
	static const char data[100];
	init1(&s, 1 * MIB, 1 * MIB + 0x4fff, 0, UINT64_MAX);
	CHECK_OK(kd_segments_add(&s, "a", data, sizeof(data), 1 * MIB, 4096, 1));
	CHECK_OK(kd_segments_add(&s, "b", data, sizeof(data), 1 * MIB + 0x4000, 4096, 1));
	/* the hole 0x101000-0x103fff is three pages */
	CHECK_OK(kd_segments_find(&s, "x", 3 * 4096, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 1 * MIB + 0x1000);
	CHECK_OK(kd_segments_find(&s, "x", 3 * 4096, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, 1 * MIB + 0x1000);
	CHECK_OK(kd_segments_find(&s, "x", 2 * 4096 + 1, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 1 * MIB + 0x1000);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, 1 * MIB + 0x3000);
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 3 * 4096 + 1, 4096, 0, UINT64_MAX, 0, &a),
		      "no room");
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 4 * 4096, 4096, 0, UINT64_MAX, 1, &a), "no room");
	/* place fills it; then nothing is left */
	CHECK_OK(kd_segments_place(&s, "c", data, sizeof(data), 3 * 4096, 4096, 0, UINT64_MAX, 0,
				   &a));
	CHECK_U64(a, 1 * MIB + 0x1000);
	CHECK_U64(s.n, 3);
	CHECK_U64(s.s[2].mem, 1 * MIB + 0x1000);
	CHECK_U64(s.s[2].memsz, 3 * 4096);
	CHECK(s.s[2].hashed);
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 1, 4096, 0, UINT64_MAX, 0, &a), "no room");
	kd_segments_free(&s);
}

static void test_several_ranges(void)
{
	struct kd_segments s;
	uint64_t a = 0;
	struct kd_mem_range r[] = { { 0x100000, 0x100fff }, { 0x200000, 0x2fffff },
				    { 0x400000, 0x4fffff } };
	CHECK_OK(kd_segments_init(&s, r, 3, 0, UINT64_MAX, "System RAM"));
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 0x100000);
	CHECK_OK(kd_segments_find(&s, "x", 2 * 4096, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 0x200000);
	CHECK_OK(kd_segments_find(&s, "x", 2 * 4096, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, 0x4fe000);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4 * MIB, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 0x400000);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, 0x3fffff, 1, &a));
	CHECK_U64(a, 0x2ff000);
	/* the ranges are not merged: 2 MiB spans none of them */
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 2 * MIB, 4096, 0, UINT64_MAX, 0, &a), "no room");
	kd_segments_free(&s);
}

static void test_no_room_message(void)
{
	struct kd_segments s;
	uint64_t a = 0;
	struct kd_mem_range r = { 0x2e000000, 0x3dffffff };
	CHECK_OK(kd_segments_init(&s, &r, 1, 0, UINT64_MAX, "the crash kernel region"));
	kd_err *e = kd_segments_find(&s, "kernel", 512 * MIB, 2 * MIB, 0, UINT64_MAX, 0, &a);
	char buf[512] = "";
	CHECK(e != NULL);
	if (e)
		kd_err_format(e, buf, sizeof(buf));
	CHECK(strstr(buf, "no room for the kernel") != NULL);
	CHECK(strstr(buf, "the crash kernel region") != NULL);
	CHECK(strstr(buf, "0x200000") != NULL);   /* the alignment */
	CHECK(strstr(buf, "--mem-min") == NULL);  /* no limits given */
	CHECK_U64(kd_err_errnum(e), ENOSPC);
	kd_err_free(e);
	kd_segments_free(&s);
}

static void test_add_refuses(void)
{
	struct kd_segments s;
	static const char data[8192];
	init1(&s, 1 * MIB, 64 * MIB - 1, 2 * MIB, 48 * MIB - 1);
	CHECK_ERR_HAS(kd_segments_add(&s, "k", data, 10, 2 * MIB + 0x800, 4096, 1), "bad segment");
	CHECK_ERR_HAS(kd_segments_add(&s, "k", data, 8192, 2 * MIB, 4096, 1), "bad segment");
	CHECK_ERR_HAS(kd_segments_add(&s, "k", data, 0, 2 * MIB, 0, 1), "bad segment");
	CHECK_ERR_HAS(kd_segments_add(&s, "k", data, 10, 1 * MIB, 4096, 1), "--mem-min/--mem-max");
	CHECK_ERR_HAS(kd_segments_add(&s, "k", data, 10, 48 * MIB - 4096, 8192, 1),
		      "--mem-min/--mem-max");
	CHECK_OK(kd_segments_add(&s, "kernel", data, 10, 48 * MIB - 4096, 4096, 1));
	CHECK_ERR_HAS(kd_segments_add(&s, "initrd", data, 10, 48 * MIB - 8192, 8192, 1),
		      "overlaps the kernel");
	CHECK_ERR_HAS(kd_segments_add(&s, "initrd", data, 10, 48 * MIB - 4096, 4096, 1),
		      "overlaps the kernel");
	kd_segments_free(&s);

	/* outside the available memory (no limits) */
	init1(&s, 1 * MIB, 2 * MIB - 1, 0, UINT64_MAX);
	CHECK_ERR_HAS(kd_segments_add(&s, "k", data, 10, 2 * MIB - 4096, 8192, 1),
		      "is not inside System RAM");
	CHECK_ERR_HAS(kd_segments_add(&s, "k", data, 10, 0, 4096, 1), "is not inside System RAM");
	/* memsz rounds up to pages; bufsz up to it is fine */
	CHECK_OK(kd_segments_add(&s, "a", data, 1, 1 * MIB, 1, 0));
	CHECK_U64(s.s[0].memsz, 4096);
	CHECK(!s.s[0].hashed);
	CHECK_OK(kd_segments_add(&s, "b", data, 4097, 1 * MIB + 4096, 4097, 1));
	CHECK_U64(s.s[1].memsz, 8192);
	CHECK_U64(s.s[1].bufsz, 4097);
	/* at most 16 */
	for (uint64_t i = s.n; i < KD_SEGMENT_MAX; i++)
		CHECK_OK(kd_segments_add(&s, "n", data, 1, 1 * MIB + (i + 1) * 4096, 4096, 1));
	CHECK_U64(s.n, KD_SEGMENT_MAX);
	kd_err *e = kd_segments_add(&s, "extra", data, 1, 2 * MIB - 4096, 4096, 1);
	CHECK_U64(kd_err_errnum(e), E2BIG);
	CHECK_ERR_HAS(e, "more than 16 segments");
	CHECK_U64(s.n, KD_SEGMENT_MAX);
	kd_segments_free(&s);
}

static void test_top_of_address_space(void)
{
	struct kd_segments s;
	uint64_t a = 0;
	static const char data[16];
	const uint64_t top = UINT64_MAX - MIB + 1; /* the last MiB */
	init1(&s, top, UINT64_MAX, 0, UINT64_MAX);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, UINT64_MAX - 4095);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, top);
	CHECK_OK(kd_segments_find(&s, "x", MIB, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, top);
	CHECK_ERR_HAS(kd_segments_find(&s, "x", MIB + 1, 4096, 0, UINT64_MAX, 0, &a), "no room");
	CHECK_ERR_HAS(kd_segments_find(&s, "x", MIB + 1, 4096, 0, UINT64_MAX, 1, &a), "no room");
	/* rounding up to 2 MiB from the last MiB wraps to 0: no room, not address 0 */
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 4096, 2 * MIB, 0, UINT64_MAX, 0, &a), "no room");
	CHECK_ERR_HAS(kd_segments_find(&s, "x", 4096, 2 * MIB, 0, UINT64_MAX, 1, &a), "no room");
	/* a memsz near 2^64 rounds to 0 pages: refused, not placed */
	CHECK_FAILS(kd_segments_find(&s, "x", UINT64_MAX - 10, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_FAILS(kd_segments_add(&s, "x", data, 1, top, UINT64_MAX - 10, 1));
	CHECK_OK(kd_segments_add(&s, "last", data, 1, UINT64_MAX - 4095, 4096, 1));
	CHECK_FAILS(kd_segments_add(&s, "wrap", data, 1, UINT64_MAX - 4095, 8192, 1));
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, UINT64_MAX - 8191);
	CHECK_ERR_HAS(kd_segments_find(&s, "x", MIB, 4096, 0, UINT64_MAX, 0, &a), "no room");
	kd_segments_free(&s);

	/* the whole address space as one range: its size does not fit in 64 bits */
	init1(&s, 0, UINT64_MAX, 0, UINT64_MAX);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 4096, 0, UINT64_MAX, 0, &a));
	CHECK_U64(a, 0);
	CHECK_OK(kd_segments_find(&s, "x", 4096, 2 * MIB, 0, UINT64_MAX, 1, &a));
	CHECK_U64(a, UINT64_MAX - 2 * MIB + 1);
	kd_segments_free(&s);
}

TEST_MAIN(T(test_lowest_highest_aligned), T(test_mem_limits), T(test_between_segments),
	  T(test_several_ranges), T(test_no_room_message), T(test_add_refuses),
	  T(test_top_of_address_space))

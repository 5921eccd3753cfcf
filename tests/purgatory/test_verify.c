/* The purgatory's segment check on host memory: regions are host buffers, their addresses
 * stand in for the identity-mapped physical addresses the purgatory sees. */
#include <stdlib.h>

#include "purgatory/verify.h"
#include "test.h"

/* FIPS 180-4's two-block example, the bytes the split regions below hold in order. */
static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const uint8_t msg_sha256[KD_SHA256_DIGEST_SIZE] = {
	0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
	0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1,
};

/* Three separate allocations, like a kernel, an initrd and boot_params placed apart. */
struct segments {
	uint8_t *seg[3];
	struct kd_purgatory_region r[3];
};

static const size_t cut[4] = { 0, 5, 40, 56 };

static int segments_init(struct segments *s)
{
	for (int i = 0; i < 3; i++) {
		size_t len = cut[i + 1] - cut[i];
		s->seg[i] = malloc(len);
		if (!s->seg[i])
			return -1;
		memcpy(s->seg[i], msg + cut[i], len);
		s->r[i].start = (uint64_t)(uintptr_t)s->seg[i];
		s->r[i].len = len;
	}
	return 0;
}

static void segments_free(struct segments *s)
{
	for (int i = 0; i < 3; i++)
		free(s->seg[i]);
}

static void test_intact(void)
{
	struct segments s;
	CHECK(segments_init(&s) == 0);
	CHECK_U64(kd_purgatory_verify_regions(s.r, 3, msg_sha256), KD_PURGATORY_INTACT);

	/* Unused (zero-length) entries anywhere hash nothing: the purgatory walks its whole table. */
	struct kd_purgatory_region padded[6] = { { 0, 0 }, s.r[0], { 0, 0 }, s.r[1], s.r[2], { 0, 0 } };
	CHECK_U64(kd_purgatory_verify_regions(padded, 6, msg_sha256), KD_PURGATORY_INTACT);
	segments_free(&s);
}

/* Every single-bit flip anywhere in any segment is caught. */
static void test_bit_flip(void)
{
	struct segments s;
	unsigned missed = 0, tried = 0;

	CHECK(segments_init(&s) == 0);
	for (int i = 0; i < 3; i++)
		for (uint64_t b = 0; b < s.r[i].len; b++)
			for (int bit = 0; bit < 8; bit++) {
				s.seg[i][b] ^= (uint8_t)(1u << bit);
				missed += kd_purgatory_verify_regions(s.r, 3, msg_sha256) !=
					  KD_PURGATORY_CORRUPT;
				s.seg[i][b] ^= (uint8_t)(1u << bit);
				tried++;
			}
	CHECK_U64(tried, 56 * 8);
	CHECK_U64(missed, 0);
	/* and the flips were undone */
	CHECK_U64(kd_purgatory_verify_regions(s.r, 3, msg_sha256), KD_PURGATORY_INTACT);
	segments_free(&s);
}

static void test_shortened_and_dropped(void)
{
	struct segments s;
	CHECK(segments_init(&s) == 0);
	for (int i = 0; i < 3; i++) {
		s.r[i].len--;
		CHECK_U64(kd_purgatory_verify_regions(s.r, 3, msg_sha256), KD_PURGATORY_CORRUPT);
		s.r[i].len++;
	}
	/* a region left out, or the table cut short */
	struct kd_purgatory_region two[2] = { s.r[0], s.r[2] };
	CHECK_U64(kd_purgatory_verify_regions(two, 2, msg_sha256), KD_PURGATORY_CORRUPT);
	CHECK_U64(kd_purgatory_verify_regions(s.r, 2, msg_sha256), KD_PURGATORY_CORRUPT);
	CHECK_U64(kd_purgatory_verify_regions(s.r, 0, msg_sha256), KD_PURGATORY_CORRUPT);
	segments_free(&s);
}

static void test_reordered(void)
{
	struct segments s;
	CHECK(segments_init(&s) == 0);
	static const int orders[5][3] = { {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0} };
	for (int o = 0; o < 5; o++) {
		struct kd_purgatory_region r[3];
		for (int i = 0; i < 3; i++)
			r[i] = s.r[orders[o][i]];
		CHECK_U64(kd_purgatory_verify_regions(r, 3, msg_sha256), KD_PURGATORY_CORRUPT);
	}
	segments_free(&s);
}

static void test_wrong_digest_and_wrap(void)
{
	struct segments s;
	uint8_t d[KD_SHA256_DIGEST_SIZE];

	CHECK(segments_init(&s) == 0);
	for (unsigned i = 0; i < KD_SHA256_DIGEST_SIZE; i++) {
		memcpy(d, msg_sha256, sizeof(d));
		d[i] ^= 0x01;
		CHECK_U64(kd_purgatory_verify_regions(s.r, 3, d), KD_PURGATORY_CORRUPT);
	}
	/* A region running past the top of the address space is refused before it is read. */
	struct kd_purgatory_region wrap[2] = { s.r[0], { UINT64_MAX - 15, 32 } };
	CHECK_U64(kd_purgatory_verify_regions(wrap, 2, msg_sha256), KD_PURGATORY_CORRUPT);
	segments_free(&s);
}

/* The entry point's view: the global table and digest the loader patches. */
static void test_global_table(void)
{
	struct segments s;

	/* never filled in: all zeros never matches */
	CHECK_U64(kd_purgatory_verify(), KD_PURGATORY_CORRUPT);

	CHECK(segments_init(&s) == 0);
	kd_purgatory_regions[0] = s.r[0];
	kd_purgatory_regions[7] = s.r[1];
	kd_purgatory_regions[KD_PURGATORY_MAX_REGIONS - 1] = s.r[2];
	memcpy(kd_purgatory_digest, msg_sha256, sizeof(msg_sha256));
	CHECK_U64(kd_purgatory_verify(), KD_PURGATORY_INTACT);

	s.seg[1][3] ^= 0x80;
	CHECK_U64(kd_purgatory_verify(), KD_PURGATORY_CORRUPT);
	s.seg[1][3] ^= 0x80;
	CHECK_U64(kd_purgatory_verify(), KD_PURGATORY_INTACT);

	memset(kd_purgatory_regions, 0, sizeof(kd_purgatory_regions));
	memset(kd_purgatory_digest, 0, sizeof(kd_purgatory_digest));
	segments_free(&s);
}

TEST_MAIN(T(test_intact), T(test_bit_flip), T(test_shortened_and_dropped), T(test_reordered),
	  T(test_wrong_digest_and_wrap), T(test_global_table))

/* Whole-file decompression: round trips through gzip, xz and zstd (several output chunks),
 * and the refusals: truncated and corrupt streams, output past the cap, nested formats. */
#include "kexec/decompress.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "testutil.h"

static const enum kd_compression formats[] = { KD_COMP_GZIP, KD_COMP_XZ, KD_COMP_ZSTD };
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* 3 MiB that compress, but not to nothing: text-like runs with a pseudo-random walk */
static uint8_t *sample(size_t *len)
{
	*len = 3u << 20;
	uint8_t *b = malloc(*len);
	uint32_t x = 12345;
	for (size_t i = 0; i < *len; i++) {
		x = x * 1103515245 + 12345;
		b[i] = (i % 4096 < 2048) ? (uint8_t)("kdumpkit "[i % 9]) : (uint8_t)(x >> 24);
	}
	return b;
}

/* Decompress `comp` through memfds; returns the error, fills *out. */
static kd_err *run(enum kd_compression c, const uint8_t *comp, size_t clen, uint64_t cap,
		   uint8_t **out, size_t *olen)
{
	int in = tu_memfd(comp, clen), o = tu_memfd(NULL, 0);
	uint64_t n = 0;
	kd_err *e = kd_decompress_fd(c, in, o, cap, &n);
	*out = tu_read_fd(o, olen);
	if (!e && n != *olen) {
		kd_err_free(e);
		e = kd_err_new(0, "reported %llu bytes, wrote %zu", (unsigned long long)n, *olen);
	}
	close(in);
	close(o);
	return e;
}

static void test_detect(void)
{
	CHECK(kd_compression_detect("\x1f\x8b\x08\x00", 4) == KD_COMP_GZIP);
	CHECK(kd_compression_detect("\xfd" "7zXZ\0\0\0", 8) == KD_COMP_XZ);
	CHECK(kd_compression_detect("\x28\xb5\x2f\xfd\0", 5) == KD_COMP_ZSTD);
	CHECK(kd_compression_detect("\x1f\x8b", 2) == KD_COMP_NONE);  /* too short to tell */
	CHECK(kd_compression_detect("MZ\0\0", 4) == KD_COMP_NONE);
	CHECK(kd_compression_detect("", 0) == KD_COMP_NONE);
	CHECK_STR(kd_compression_name(KD_COMP_XZ), "xz");
}

static void test_round_trip(void)
{
	size_t len;
	uint8_t *plain = sample(&len);
	for (size_t i = 0; i < NFORMATS; i++) {
		size_t clen;
		uint8_t *comp = tu_compress(formats[i], plain, len, &clen);
		CHECK(comp != NULL && clen < len);
		CHECK(kd_compression_detect(comp, clen) == formats[i]);
		uint8_t *out;
		size_t olen;
		CHECK_OK(run(formats[i], comp, clen, KD_DECOMPRESS_MAX, &out, &olen));
		CHECK_U64(olen, len);
		CHECK(olen == len && !memcmp(out, plain, len));
		free(out);
		free(comp);
	}
	free(plain);
}

static void test_truncated_and_corrupt(void)
{
	size_t len;
	uint8_t *plain = sample(&len);
	for (size_t i = 0; i < NFORMATS; i++) {
		size_t clen;
		uint8_t *comp = tu_compress(formats[i], plain, len, &clen);
		uint8_t *out;
		size_t olen;
		/* cut in the middle, and just before the end (the trailer/checksum) */
		CHECK_FAILS(run(formats[i], comp, clen / 2, KD_DECOMPRESS_MAX, &out, &olen));
		free(out);
		CHECK_FAILS(run(formats[i], comp, clen - 3, KD_DECOMPRESS_MAX, &out, &olen));
		free(out);
		/* a flipped byte in the compressed data (past the headers) */
		comp[clen / 3] ^= 0x55;
		CHECK_FAILS(run(formats[i], comp, clen, KD_DECOMPRESS_MAX, &out, &olen));
		free(out);
		/* the header alone */
		CHECK_FAILS(run(formats[i], comp, 6, KD_DECOMPRESS_MAX, &out, &olen));
		free(out);
		free(comp);
	}
	free(plain);
}

static void test_output_cap(void)
{
	/* 64M of zeros compresses to almost nothing: a bomb for a 1M cap */
	size_t len = 64u << 20;
	uint8_t *zeros = calloc(1, len);
	for (size_t i = 0; i < NFORMATS; i++) {
		size_t clen;
		uint8_t *comp = tu_compress(formats[i], zeros, len, &clen);
		CHECK(comp && clen < (1u << 20));
		uint8_t *out;
		size_t olen;
		kd_err *e = run(formats[i], comp, clen, 1u << 20, &out, &olen);
		CHECK(e && kd_err_errnum(e) == E2BIG);
		CHECK(olen <= (1u << 20)); /* stopped at the cap, not after */
		kd_err_free(e);
		free(out);
		free(comp);
	}
	free(zeros);
}

static void test_gzip_members_and_trailer(void)
{
	size_t l1, l2;
	uint8_t *a = tu_compress(KD_COMP_GZIP, "first ", 6, &l1);
	uint8_t *b = tu_compress(KD_COMP_GZIP, "second", 6, &l2);
	uint8_t *cat = malloc(l1 + l2 + 8);
	memcpy(cat, a, l1);
	memcpy(cat + l1, b, l2);
	memset(cat + l1 + l2, 0, 8); /* padding after the last member is ignored, as gzip -d does */
	uint8_t *out;
	size_t olen;
	CHECK_OK(run(KD_COMP_GZIP, cat, l1 + l2 + 8, KD_DECOMPRESS_MAX, &out, &olen));
	CHECK(olen == 12 && !memcmp(out, "first second", 12));
	free(out);
	free(a);
	free(b);
	free(cat);
}

static void test_not_compressed(void)
{
	uint8_t *out;
	size_t olen;
	CHECK_FAILS(run(KD_COMP_NONE, (const uint8_t *)"plain", 5, KD_DECOMPRESS_MAX, &out, &olen));
	free(out);
	/* garbage with the right magic */
	CHECK_FAILS(run(KD_COMP_XZ, (const uint8_t *)"\xfd" "7zXZ\0garbagegarbage", 19,
			KD_DECOMPRESS_MAX, &out, &olen));
	free(out);
	CHECK_FAILS(run(KD_COMP_ZSTD, (const uint8_t *)"\x28\xb5\x2f\xfdgarbagegarbage", 18,
			KD_DECOMPRESS_MAX, &out, &olen));
	free(out);
	CHECK_FAILS(run(KD_COMP_GZIP, (const uint8_t *)"\x1f\x8b\x08garbagegarbage", 17,
			KD_DECOMPRESS_MAX, &out, &olen));
	free(out);
	/* an empty input is no stream at all */
	CHECK_FAILS(run(KD_COMP_GZIP, (const uint8_t *)"", 0, KD_DECOMPRESS_MAX, &out, &olen));
	free(out);
	CHECK_FAILS(run(KD_COMP_ZSTD, (const uint8_t *)"", 0, KD_DECOMPRESS_MAX, &out, &olen));
	free(out);
	CHECK_FAILS(run(KD_COMP_XZ, (const uint8_t *)"", 0, KD_DECOMPRESS_MAX, &out, &olen));
	free(out);
}

TEST_MAIN(T(test_detect), T(test_round_trip), T(test_truncated_and_corrupt), T(test_output_cap),
	  T(test_gzip_members_and_trailer), T(test_not_compressed))

#include <stdlib.h>

#include "base/codec.h"
#include "test.h"

#define PAGE 4096

static void make_pages(unsigned char *zero, unsigned char *text, unsigned char *rnd)
{
	memset(zero, 0, PAGE);
	for (int i = 0; i < PAGE; i++)
		text[i] = (unsigned char)("kdumpkit compresses pages "[i % 26]);
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < PAGE; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		rnd[i] = (unsigned char)x;
	}
}

static void roundtrip_every_codec(void)
{
	static unsigned char zero[PAGE], text[PAGE], rnd[PAGE], out[PAGE * 2], back[PAGE];
	make_pages(zero, text, rnd);
	const unsigned char *pages[] = { zero, text, rnd };
	for (int c = KD_CODEC_NONE; c <= KD_CODEC_ZSTD; c++) {
		struct kd_codec_ctx *ctx = NULL;
		CHECK_OK(kd_codec_ctx_new((enum kd_codec)c, &ctx));
		if (!ctx)
			continue;
		CHECK(kd_codec_bound((enum kd_codec)c, PAGE) <= sizeof(out));
		for (int p = 0; p < 3; p++) {
			size_t n = sizeof(out);
			CHECK_OK(kd_codec_compress(ctx, pages[p], PAGE, out, &n));
			if (c != KD_CODEC_NONE && p < 2)
				CHECK(n < PAGE / 4); /* zero and repetitive pages shrink a lot */
			size_t m = PAGE;
			memset(back, 0xa5, sizeof(back));
			CHECK_OK(kd_codec_decompress(ctx, out, n, back, &m));
			CHECK(memcmp(back, pages[p], PAGE) == 0);
		}
		kd_codec_ctx_free(ctx);
	}
}

static void corrupt_input_is_an_error(void)
{
	static unsigned char text[PAGE], zero[PAGE], rnd[PAGE], out[PAGE * 2], back[PAGE];
	make_pages(zero, text, rnd);
	for (int c = KD_CODEC_ZLIB; c <= KD_CODEC_ZSTD; c++) {
		struct kd_codec_ctx *ctx = NULL;
		CHECK_OK(kd_codec_ctx_new((enum kd_codec)c, &ctx));
		if (!ctx)
			continue;
		size_t n = sizeof(out);
		CHECK_OK(kd_codec_compress(ctx, text, PAGE, out, &n));
		size_t m = PAGE;
		CHECK_FAILS(kd_codec_decompress(ctx, out, n / 2, back, &m)); /* truncated */
		m = PAGE;
		CHECK_FAILS(kd_codec_decompress(ctx, rnd, 64, back, &m));    /* garbage */
		m = PAGE / 2;
		CHECK_FAILS(kd_codec_decompress(ctx, out, n, back, &m));     /* wrong size */
		kd_codec_ctx_free(ctx);
	}
}

static void small_output_buffer_refused(void)
{
	struct kd_codec_ctx *ctx = NULL;
	CHECK_OK(kd_codec_ctx_new(KD_CODEC_LZO, &ctx));
	static unsigned char in[PAGE], out[PAGE];
	size_t n = 100;
	CHECK_FAILS(kd_codec_compress(ctx, in, PAGE, out, &n));
	kd_codec_ctx_free(ctx);
	CHECK(strstr(kd_codec_versions(), "zstd 1.") != NULL);
}

TEST_MAIN(T(roundtrip_every_codec), T(corrupt_input_is_an_error), T(small_output_buffer_refused))

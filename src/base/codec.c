#include "base/codec.h"

#include <errno.h>
#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* Pages are compressed into the zlib format with libdeflate: at its level 2 it does the job in
 * about half of zlib's level-1 time and writes slightly smaller pages overall (measured on lab
 * vmcores, docs/PERFORMANCE.md); every zlib reader (crash, makedumpfile, drgn, ours) reads them.
 * zlib itself decompresses: pages written by makedumpfile or QEMU come in any zlib flavour. */
#define KD_DEFLATE_LEVEL 2

struct kd_codec_ctx {
	enum kd_codec codec;
	struct libdeflate_compressor *zdef;
	/* the zlib inflate stream is kept for the context's life and reset per page: a new one
	 * per page would allocate and free its window every time */
	z_stream zinf;
	int zinf_ready;
	void *lzo_wrk;
	ZSTD_CCtx *zc;
	ZSTD_DCtx *zd;
};

const char *kd_codec_name(enum kd_codec c)
{
	switch (c) {
	case KD_CODEC_NONE: return "none";
	case KD_CODEC_ZLIB: return "zlib";
	case KD_CODEC_LZO: return "lzo";
	case KD_CODEC_SNAPPY: return "snappy";
	case KD_CODEC_ZSTD: return "zstd";
	}
	return "unknown";
}

size_t kd_codec_bound(enum kd_codec c, size_t n)
{
	switch (c) {
	case KD_CODEC_ZLIB: {
		size_t a = compressBound(n), b = libdeflate_zlib_compress_bound(NULL, n);
		return a > b ? a : b;
	}
	case KD_CODEC_LZO: return n + n / 16 + 64 + 3;
	case KD_CODEC_SNAPPY: return snappy_max_compressed_length(n);
	case KD_CODEC_ZSTD: return ZSTD_compressBound(n);
	case KD_CODEC_NONE: break;
	}
	return n;
}

static int lzo_status = LZO_E_ERROR;
static void lzo_setup(void) { lzo_status = lzo_init(); }

kd_err *kd_codec_ctx_new(enum kd_codec c, struct kd_codec_ctx **out)
{
	/* compressor threads make their contexts at the same time */
	static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
	struct kd_codec_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return kd_err_new(ENOMEM, "allocating %s context", kd_codec_name(c));
	ctx->codec = c;
	if (c == KD_CODEC_LZO) {
		pthread_once(&lzo_once, lzo_setup);
		if (lzo_status != LZO_E_OK) {
			free(ctx);
			return kd_err_new(EIO, "lzo_init failed");
		}
		ctx->lzo_wrk = malloc(LZO1X_1_MEM_COMPRESS);
		if (!ctx->lzo_wrk)
			goto oom;
	} else if (c == KD_CODEC_ZLIB) {
		ctx->zdef = libdeflate_alloc_compressor(KD_DEFLATE_LEVEL);
		if (!ctx->zdef)
			goto oom;
		if (inflateInit(&ctx->zinf) != Z_OK)
			goto oom;
		ctx->zinf_ready = 1;
	} else if (c == KD_CODEC_ZSTD) {
		ctx->zc = ZSTD_createCCtx();
		ctx->zd = ZSTD_createDCtx();
		if (!ctx->zc || !ctx->zd)
			goto oom;
	}
	*out = ctx;
	return NULL;
oom:
	kd_codec_ctx_free(ctx);
	return kd_err_new(ENOMEM, "allocating %s context", kd_codec_name(c));
}

void kd_codec_ctx_free(struct kd_codec_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->zdef)
		libdeflate_free_compressor(ctx->zdef);
	if (ctx->zinf_ready)
		inflateEnd(&ctx->zinf);
	free(ctx->lzo_wrk);
	ZSTD_freeCCtx(ctx->zc);
	ZSTD_freeDCtx(ctx->zd);
	free(ctx);
}

kd_err *kd_codec_compress(struct kd_codec_ctx *ctx, const void *in, size_t in_len,
			  void *out, size_t *out_len)
{
	if (*out_len < kd_codec_bound(ctx->codec, in_len))
		return kd_err_new(EINVAL, "%s: output buffer below the bound", kd_codec_name(ctx->codec));
	switch (ctx->codec) {
	case KD_CODEC_NONE:
		memcpy(out, in, in_len);
		*out_len = in_len;
		return NULL;
	case KD_CODEC_ZLIB: {
		size_t n = libdeflate_zlib_compress(ctx->zdef, in, in_len, out, *out_len);
		if (n == 0)
			return kd_err_new(EIO, "libdeflate: output above its bound");
		*out_len = n;
		return NULL;
	}
	case KD_CODEC_LZO: {
		lzo_uint n = *out_len;
		int rc = lzo1x_1_compress(in, in_len, out, &n, ctx->lzo_wrk);
		if (rc != LZO_E_OK)
			return kd_err_new(EIO, "lzo1x_1_compress: error %d", rc);
		*out_len = n;
		return NULL;
	}
	case KD_CODEC_SNAPPY: {
		size_t n = *out_len;
		snappy_status rc = snappy_compress(in, in_len, out, &n);
		if (rc != SNAPPY_OK)
			return kd_err_new(EIO, "snappy_compress: error %d", (int)rc);
		*out_len = n;
		return NULL;
	}
	case KD_CODEC_ZSTD: {
		size_t n = ZSTD_compressCCtx(ctx->zc, out, *out_len, in, in_len, 1);
		if (ZSTD_isError(n))
			return kd_err_new(EIO, "zstd compress: %s", ZSTD_getErrorName(n));
		*out_len = n;
		return NULL;
	}
	}
	return kd_err_new(EINVAL, "unknown codec %d", (int)ctx->codec);
}

kd_err *kd_codec_decompress(struct kd_codec_ctx *ctx, const void *in, size_t in_len,
			    void *out, size_t *out_len)
{
	size_t want = *out_len;
	size_t got = 0;
	switch (ctx->codec) {
	case KD_CODEC_NONE:
		if (in_len != want)
			return kd_err_new(EINVAL, "raw page of %zu bytes, expected %zu", in_len, want);
		memcpy(out, in, in_len);
		return NULL;
	case KD_CODEC_ZLIB: {
		z_stream *z = &ctx->zinf;
		if (inflateReset(z) != Z_OK)
			return kd_err_new(EIO, "zlib inflateReset failed");
		z->next_in = (Bytef *)(uintptr_t)in;
		z->avail_in = (uInt)in_len;
		z->next_out = out;
		z->avail_out = (uInt)want;
		int rc = inflate(z, Z_FINISH);
		/* the stream must end exactly: a page that needs more room is corrupt too */
		if (rc != Z_STREAM_END)
			return kd_err_new(EINVAL, "zlib inflate: error %d", rc);
		got = z->total_out;
		break;
	}
	case KD_CODEC_LZO: {
		lzo_uint n = want;
		int rc = lzo1x_decompress_safe(in, in_len, out, &n, NULL);
		if (rc != LZO_E_OK)
			return kd_err_new(EINVAL, "lzo decompress: error %d", rc);
		got = n;
		break;
	}
	case KD_CODEC_SNAPPY: {
		size_t n = 0;
		if (snappy_uncompressed_length(in, in_len, &n) != SNAPPY_OK || n != want)
			return kd_err_new(EINVAL, "snappy: bad length header");
		n = want;
		if (snappy_uncompress(in, in_len, out, &n) != SNAPPY_OK)
			return kd_err_new(EINVAL, "snappy uncompress failed");
		got = n;
		break;
	}
	case KD_CODEC_ZSTD: {
		size_t n = ZSTD_decompressDCtx(ctx->zd, out, want, in, in_len);
		if (ZSTD_isError(n))
			return kd_err_new(EINVAL, "zstd decompress: %s", ZSTD_getErrorName(n));
		got = n;
		break;
	}
	}
	if (got != want)
		return kd_err_new(EINVAL, "%s: page decompressed to %zu bytes, expected %zu",
				  kd_codec_name(ctx->codec), got, want);
	return NULL;
}

const char *kd_codec_versions(void)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "zlib %s, lzo %s, snappy, zstd %s", zlibVersion(),
		 lzo_version_string(), ZSTD_versionString());
	return buf;
}

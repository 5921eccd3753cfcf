/* Page compression for dump files, one codec per flag of the kdump-compressed format:
 * zlib (-c), lzo1x_1 (-l), snappy (-p), zstd (-z). Compressing a page never fails for lack of
 * gain: the caller stores the page raw when the result is not smaller (out_len >= in_len).
 *
 * It lives in base/ (as its own library, kd_codec, so base itself stays libc-only) because both
 * the writers in dumpfile/ and the kdump-compressed reader in vmcore/ need it. */
#ifndef KD_BASE_CODEC_H
#define KD_BASE_CODEC_H

#include <stddef.h>

#include "base/error.h"

enum kd_codec { KD_CODEC_NONE, KD_CODEC_ZLIB, KD_CODEC_LZO, KD_CODEC_SNAPPY, KD_CODEC_ZSTD };

const char *kd_codec_name(enum kd_codec c);
/* Worst-case output size for `in_len` input bytes. */
size_t kd_codec_bound(enum kd_codec c, size_t in_len);

/* Per-thread state (lzo's work memory, zstd's contexts). */
struct kd_codec_ctx;
kd_err *kd_codec_ctx_new(enum kd_codec c, struct kd_codec_ctx **out);
void kd_codec_ctx_free(struct kd_codec_ctx *ctx);

/* *out_len: in, the room at out (at least kd_codec_bound); out, the bytes written. */
kd_err *kd_codec_compress(struct kd_codec_ctx *ctx, const void *in, size_t in_len,
			  void *out, size_t *out_len);
/* The output must be exactly *out_len bytes (a page); anything else is corruption. */
kd_err *kd_codec_decompress(struct kd_codec_ctx *ctx, const void *in, size_t in_len,
			    void *out, size_t *out_len);

/* "zlib 1.2.13, lzo 2.10, snappy, zstd 1.5.4" */
const char *kd_codec_versions(void);

#endif

#include "service/initramfs_compress.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* zstd 9: on a 8.7 MB cpio (kdumpkit, xfs, virtio_blk of 6.12) 2.26 MB in 0.65 s, where 19
 * gives 2.08 MB in 16 s on the same loaded machine: the image is rebuilt at boot after a kernel
 * update, so the seconds count more than the last 8%. Its 8 MiB window is what the capture
 * kernel's decompressor allocates. */
#define ZSTD_LEVEL 9

static kd_err *zstd(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	size_t cap = ZSTD_compressBound(len);
	uint8_t *o = malloc(cap);
	ZSTD_CCtx *cx = ZSTD_createCCtx();
	kd_err *e = NULL;
	if (!o || !cx) {
		e = kd_err_new(ENOMEM, "zstd: %zu bytes", cap);
	} else {
		size_t r = ZSTD_CCtx_setParameter(cx, ZSTD_c_compressionLevel, ZSTD_LEVEL);
		if (!ZSTD_isError(r))
			r = ZSTD_CCtx_setParameter(cx, ZSTD_c_checksumFlag, 1);
		if (!ZSTD_isError(r))
			r = ZSTD_compress2(cx, o, cap, in, len);
		if (ZSTD_isError(r))
			e = kd_err_new(EIO, "zstd: %s", ZSTD_getErrorName(r));
		else
			*out_len = r;
	}
	ZSTD_freeCCtx(cx);
	if (e) {
		free(o);
		return e;
	}
	*out = o;
	return NULL;
}

static kd_err *xz(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	size_t cap = lzma_stream_buffer_bound(len), pos = 0;
	uint8_t *o = malloc(cap);
	if (!o)
		return kd_err_new(ENOMEM, "xz: %zu bytes", cap);
	/* preset 6 (8 MiB dictionary), the default of xz(1) and of dracut's --xz */
	lzma_ret r = lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, o, &pos, cap);
	if (r != LZMA_OK) {
		free(o);
		return kd_err_new(r == LZMA_MEM_ERROR ? ENOMEM : EIO, "xz: liblzma error %d", (int)r);
	}
	*out = o;
	*out_len = pos;
	return NULL;
}

static kd_err *gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream z = { 0 };
	/* windowBits 31: a gzip header; zlib writes mtime 0 and no name, so no timestamp */
	if (deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return kd_err_new(ENOMEM, "gzip: deflateInit2");
	size_t cap = deflateBound(&z, (uLong)len) + 64;
	uint8_t *o = malloc(cap);
	kd_err *e = NULL;
	if (!o) {
		e = kd_err_new(ENOMEM, "gzip: %zu bytes", cap);
	} else {
		z.next_in = (Bytef *)(uintptr_t)in;
		z.avail_in = (uInt)len;
		z.next_out = o;
		z.avail_out = (uInt)cap;
		if (len > UINT32_MAX || cap > UINT32_MAX || deflate(&z, Z_FINISH) != Z_STREAM_END)
			e = kd_err_new(EIO, "gzip: %s", z.msg ? z.msg : "deflate did not finish");
		else
			*out_len = z.total_out;
	}
	deflateEnd(&z);
	if (e) {
		free(o);
		return e;
	}
	*out = o;
	return NULL;
}

kd_err *kd_initramfs_compress(const char *format, const uint8_t *in, size_t len, uint8_t **out,
			      size_t *out_len)
{
	if (!strcmp(format, "zstd"))
		return zstd(in, len, out, out_len);
	if (!strcmp(format, "xz"))
		return xz(in, len, out, out_len);
	if (!strcmp(format, "gzip"))
		return gzip(in, len, out, out_len);
	if (strcmp(format, "none"))
		return kd_err_new(EINVAL, "initramfs compression \"%s\": zstd, xz, gzip or none",
				  format);
	uint8_t *o = malloc(len ? len : 1);
	if (!o)
		return kd_err_new(ENOMEM, "initramfs of %zu bytes", len);
	memcpy(o, in, len);
	*out = o;
	*out_len = len;
	return NULL;
}

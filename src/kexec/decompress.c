#include "kexec/decompress.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define IN_CHUNK (128u << 10)
#define OUT_CHUNK (512u << 10)

enum kd_compression kd_compression_detect(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	if (len >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8)
		return KD_COMP_GZIP;
	if (len >= 6 && !memcmp(b, "\xfd" "7zXZ\0", 6))
		return KD_COMP_XZ;
	if (len >= 4 && !memcmp(b, "\x28\xb5\x2f\xfd", 4))
		return KD_COMP_ZSTD;
	return KD_COMP_NONE;
}

const char *kd_compression_name(enum kd_compression c)
{
	switch (c) {
	case KD_COMP_GZIP: return "gzip";
	case KD_COMP_XZ: return "xz";
	case KD_COMP_ZSTD: return "zstd";
	case KD_COMP_NONE: break;
	}
	return "uncompressed";
}

/* Input and output buffers shared by the three decoders. */
struct pump {
	int in_fd, out_fd;
	uint8_t *in, *out;
	size_t in_len;   /* bytes valid in `in` */
	int eof;
	uint64_t total, max_out;
};

static kd_err *pump_read(struct pump *p)
{
	for (;;) {
		ssize_t n = read(p->in_fd, p->in, IN_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_errno("reading the compressed image");
		p->in_len = (size_t)n;
		p->eof = n == 0;
		return NULL;
	}
}

static kd_err *pump_write(struct pump *p, size_t n)
{
	if (p->total + n > p->max_out)
		return kd_err_new(E2BIG, "decompresses to more than %llu bytes: not a kernel image",
				  (unsigned long long)p->max_out);
	for (size_t done = 0; done < n;) {
		ssize_t w = write(p->out_fd, p->out + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return kd_err_errno("writing the decompressed image");
		done += (size_t)w;
	}
	p->total += n;
	return NULL;
}

static kd_err *gunzip(struct pump *p)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return kd_err_new(ENOMEM, "gzip: inflateInit2 failed");
	kd_err *e = NULL;
	int ended = 0, out_full = 0;
	for (;;) {
		/* a full output buffer may leave output pending: drain it before reading on */
		if (z.avail_in == 0 && !out_full) {
			if ((e = pump_read(p)))
				break;
			if (p->eof)
				break;
			z.next_in = p->in;
			z.avail_in = (uInt)p->in_len;
		}
		if (ended) {
			/* gzip -d reads concatenated members; anything else after the end is ignored */
			if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
				inflateReset(&z);
				ended = 0;
			} else {
				break;
			}
		}
		z.next_out = p->out;
		z.avail_out = OUT_CHUNK;
		int r = inflate(&z, Z_NO_FLUSH);
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
			e = kd_err_new(EINVAL, "gzip: corrupt data after %llu bytes of output (%s)",
				       (unsigned long long)p->total, z.msg ? z.msg : "inflate failed");
			break;
		}
		size_t got = OUT_CHUNK - z.avail_out;
		out_full = z.avail_out == 0;
		if ((e = pump_write(p, got)))
			break;
		if (r == Z_STREAM_END)
			ended = 1;
		else if (r == Z_BUF_ERROR && got == 0 && z.avail_in != 0) {
			e = kd_err_new(EINVAL, "gzip: the decoder makes no progress");
			break;
		}
	}
	if (!e && !ended)
		e = kd_err_new(EINVAL, "gzip: the stream ends early (truncated file?)");
	inflateEnd(&z);
	return e;
}

static kd_err *unxz(struct pump *p)
{
	lzma_stream s = LZMA_STREAM_INIT;
	/* no decoder memory limit: the output cap bounds the work; concatenated .xz streams */
	if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return kd_err_new(ENOMEM, "xz: cannot set up the decoder");
	kd_err *e = NULL;
	for (;;) {
		lzma_action act = LZMA_RUN;
		if (s.avail_in == 0 && !p->eof) {
			if ((e = pump_read(p)))
				break;
			s.next_in = p->in;
			s.avail_in = p->in_len;
		}
		if (p->eof)
			act = LZMA_FINISH;
		s.next_out = p->out;
		s.avail_out = OUT_CHUNK;
		lzma_ret r = lzma_code(&s, act);
		if ((e = pump_write(p, OUT_CHUNK - s.avail_out)))
			break;
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_BUF_ERROR) {
			e = kd_err_new(EINVAL, "xz: the stream ends early (truncated file?)");
			break;
		}
		if (r != LZMA_OK) {
			e = kd_err_new(r == LZMA_MEM_ERROR ? ENOMEM : EINVAL,
				       "xz: %s after %llu bytes of output",
				       r == LZMA_FORMAT_ERROR ? "not an xz stream" :
				       r == LZMA_OPTIONS_ERROR ? "unsupported options" :
				       r == LZMA_MEM_ERROR ? "out of memory" : "corrupt data",
				       (unsigned long long)p->total);
			break;
		}
	}
	lzma_end(&s);
	return e;
}

static kd_err *unzstd(struct pump *p)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	if (!d)
		return kd_err_new(ENOMEM, "zstd: cannot set up the decoder");
	kd_err *e = NULL;
	size_t last = 1; /* 0 once a frame is complete and fully flushed */
	ZSTD_inBuffer in = { p->in, 0, 0 };
	for (;;) {
		if (in.pos == in.size) {
			if ((e = pump_read(p)))
				break;
			if (p->eof)
				break;
			in.src = p->in;
			in.size = p->in_len;
			in.pos = 0;
		}
		ZSTD_outBuffer out = { p->out, OUT_CHUNK, 0 };
		size_t before = in.pos;
		last = ZSTD_decompressStream(d, &out, &in);
		if (ZSTD_isError(last)) {
			e = kd_err_new(EINVAL, "zstd: %s after %llu bytes of output",
				       ZSTD_getErrorName(last), (unsigned long long)p->total);
			break;
		}
		if ((e = pump_write(p, out.pos)))
			break;
		if (out.pos == 0 && in.pos == before) {
			e = kd_err_new(EINVAL, "zstd: the decoder makes no progress");
			break;
		}
	}
	/* Flush what the decoder still holds once the input is exhausted. */
	for (unsigned guard = 0; !e && last != 0 && guard < 1u << 20; guard++) {
		ZSTD_inBuffer none = { NULL, 0, 0 };
		ZSTD_outBuffer out = { p->out, OUT_CHUNK, 0 };
		last = ZSTD_decompressStream(d, &out, &none);
		if (ZSTD_isError(last)) {
			e = kd_err_new(EINVAL, "zstd: %s", ZSTD_getErrorName(last));
			break;
		}
		if ((e = pump_write(p, out.pos)))
			break;
		if (out.pos == 0)
			break;
	}
	if (!e && last != 0)
		e = kd_err_new(EINVAL, "zstd: the stream ends early (truncated file?)");
	ZSTD_freeDCtx(d);
	return e;
}

kd_err *kd_decompress_fd(enum kd_compression c, int in_fd, int out_fd, uint64_t max_out,
			 uint64_t *out_len)
{
	struct pump p = { .in_fd = in_fd, .out_fd = out_fd, .max_out = max_out };
	p.in = malloc(IN_CHUNK);
	p.out = malloc(OUT_CHUNK);
	kd_err *e = NULL;
	if (!p.in || !p.out)
		e = kd_err_new(ENOMEM, "decompression buffers");
	else if (c == KD_COMP_GZIP)
		e = gunzip(&p);
	else if (c == KD_COMP_XZ)
		e = unxz(&p);
	else if (c == KD_COMP_ZSTD)
		e = unzstd(&p);
	else
		e = kd_err_new(EINVAL, "not a compressed image");
	free(p.in);
	free(p.out);
	if (!e && out_len)
		*out_len = p.total;
	return e;
}

#define _GNU_SOURCE
#include "testutil.h"

#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static char tmpdir[64];

uint8_t *tu_compress(enum kd_compression c, const void *buf, size_t len, size_t *out_len)
{
	size_t cap = len + len / 2 + (64 << 10);
	uint8_t *out = malloc(cap);
	if (!out)
		return NULL;
	if (c == KD_COMP_GZIP) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			goto fail;
		z.next_in = (Bytef *)buf;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		int r = deflate(&z, Z_FINISH);
		*out_len = cap - z.avail_out;
		deflateEnd(&z);
		if (r != Z_STREAM_END)
			goto fail;
		return out;
	}
	if (c == KD_COMP_XZ) {
		size_t pos = 0;
		if (lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, buf, len, out, &pos, cap) !=
		    LZMA_OK)
			goto fail;
		*out_len = pos;
		return out;
	}
	if (c == KD_COMP_ZSTD) {
		/* with a checksum, as the zstd tool writes by default */
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		if (!cc)
			goto fail;
		ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
		size_t n = ZSTD_compress2(cc, out, cap, buf, len);
		ZSTD_freeCCtx(cc);
		if (ZSTD_isError(n))
			goto fail;
		*out_len = n;
		return out;
	}
fail:
	free(out);
	return NULL;
}

const char *tu_write_tmp(const char *name, const void *buf, size_t len)
{
	static char paths[8][128];
	static unsigned slot;
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/kd-kexec-test-XXXXXX");
		if (!mkdtemp(tmpdir))
			return "/nonexistent";
		atexit(tu_cleanup);
	}
	char *p = paths[slot++ % 8];
	snprintf(p, 128, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "wb");
	if (!f)
		return "/nonexistent";
	fwrite(buf, 1, len, f);
	fclose(f);
	return p;
}

uint8_t *tu_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *b = malloc(max ? max : 1);
	size_t n = b ? fread(b, 1, max, f) : 0;
	fclose(f);
	*len = n;
	return b;
}

int tu_memfd(const void *buf, size_t len)
{
	int fd = memfd_create("kd-test", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (len && write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

uint8_t *tu_read_fd(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return NULL;
	uint8_t *b = malloc((size_t)st.st_size + 1);
	if (!b)
		return NULL;
	ssize_t n = pread(fd, b, (size_t)st.st_size, 0);
	*len = n < 0 ? 0 : (size_t)n;
	return b;
}

void tu_cleanup(void)
{
	if (!tmpdir[0])
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	tmpdir[0] = '\0';
}

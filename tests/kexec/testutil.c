#define _GNU_SOURCE
#include "testutil.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

static char root[64];

const char *tu_root_new(const char *tag)
{
	snprintf(root, sizeof(root), "/tmp/kd-%s-XXXXXX", tag);
	return mkdtemp(root);
}

const char *tu_root(void)
{
	return root;
}

static int root_path(const char *rel, char *path, size_t size)
{
	if ((size_t)snprintf(path, size, "%s/%s", root, rel) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int tu_root_mkdir(const char *rel)
{
	char path[512];
	if (root_path(rel, path, sizeof(path)))
		return -1;
	for (char *p = path + strlen(root) + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(path, 0755) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

int tu_root_put(const char *rel, const void *data, size_t len)
{
	char path[512], dir[512];
	snprintf(dir, sizeof(dir), "%s", rel);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		if (tu_root_mkdir(dir))
			return -1;
	}
	if (root_path(rel, path, sizeof(path)))
		return -1;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t n = fwrite(data, 1, len, f);
	return fclose(f) || n != len ? -1 : 0;
}

int tu_root_put_str(const char *rel, const char *s)
{
	return tu_root_put(rel, s, strlen(s));
}

int tu_root_rm(const char *rel)
{
	char path[512];
	return root_path(rel, path, sizeof(path)) ? -1 : unlink(path);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void tu_root_drop(void)
{
	if (root[0])
		nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	/* the path stays: a test may go on to read the root that is gone */
}

void tu_phdr(uint8_t *at, uint32_t type, uint64_t vaddr, uint64_t paddr, uint64_t size)
{
	Elf64_Phdr ph = { .p_type = type, .p_flags = PF_R | PF_W | PF_X, .p_offset = 0x1000,
			  .p_vaddr = vaddr, .p_paddr = paddr, .p_filesz = size, .p_memsz = size,
			  .p_align = 4096 };
	memcpy(at, &ph, sizeof(ph));
}

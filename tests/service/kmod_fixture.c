#define _GNU_SOURCE
#include "kmod_fixture.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

uint8_t *fx_fake_ko(const char *name, const char *depends, const char *softdep, size_t pad,
		    size_t *len)
{
	char info[1024];
	int il = snprintf(info, sizeof(info), "license=GPL%cname=%s%cdepends=%s%c", 0, name, 0,
			  depends, 0);
	if (softdep)
		il += snprintf(info + il, sizeof(info) - (size_t)il, "softdep=%s%c", softdep, 0);
	static const char shstr[] = "\0.modinfo\0.shstrtab\0.data";
	size_t off_info = sizeof(Elf64_Ehdr), off_str = off_info + (size_t)il;
	size_t off_pad = off_str + sizeof(shstr), off_sh = (off_pad + pad + 7) & ~(size_t)7;
	size_t total = off_sh + 4 * sizeof(Elf64_Shdr);
	uint8_t *b = calloc(1, total);
	Elf64_Ehdr eh = { .e_type = ET_REL, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_shoff = off_sh, .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 4, .e_shstrndx = 2 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + off_info, info, (size_t)il);
	memcpy(b + off_str, shstr, sizeof(shstr));
	for (size_t i = 0; i < pad; i++)   /* something a compressor cannot erase entirely */
		b[off_pad + i] = (uint8_t)((i * 2654435761u) >> 13);
	Elf64_Shdr sh[4] = {
		{ 0 },
		{ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_offset = off_info, .sh_size = (size_t)il,
		  .sh_addralign = 1 },
		{ .sh_name = 10, .sh_type = SHT_STRTAB, .sh_offset = off_str, .sh_size = sizeof(shstr),
		  .sh_addralign = 1 },
		{ .sh_name = 20, .sh_type = SHT_PROGBITS, .sh_offset = off_pad, .sh_size = pad,
		  .sh_addralign = 1 },
	};
	memcpy(b + off_sh, sh, sizeof(sh));
	*len = total;
	return b;
}

static int write_all(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int ok = fwrite(buf, 1, len, f) == len;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

int fx_write(const char *path, const void *buf, size_t len, const char *fmt)
{
	size_t cap = len + len / 2 + 65536, out = 0;
	uint8_t *o = malloc(cap);
	int rc = -1;
	if (!strcmp(fmt, "")) {
		rc = write_all(path, buf, len);
	} else if (!strcmp(fmt, "xz")) {
		if (lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, buf, len, o, &out, cap) ==
		    LZMA_OK)
			rc = write_all(path, o, out);
	} else if (!strcmp(fmt, "zst")) {
		out = ZSTD_compress(o, cap, buf, len, 3);
		if (!ZSTD_isError(out))
			rc = write_all(path, o, out);
	} else if (!strcmp(fmt, "gz")) {
		z_stream z = { 0 };
		if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
			z.next_in = (Bytef *)(uintptr_t)buf;
			z.avail_in = (uInt)len;
			z.next_out = o;
			z.avail_out = (uInt)cap;
			if (deflate(&z, Z_FINISH) == Z_STREAM_END)
				rc = write_all(path, o, z.total_out);
			deflateEnd(&z);
		}
	}
	free(o);
	return rc;
}

static int mkdirs(char *p)
{
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		int r = mkdir(p, 0755);
		*s = '/';
		if (r < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

int fx_file(const char *root, const char *rel, const char *text)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (mkdirs(p))
		return -1;
	return write_all(p, text, strlen(text));
}

int fx_symlink(const char *root, const char *link, const char *target)
{
	char p[4096], t[4096] = "";
	snprintf(p, sizeof(p), "%s/%s", root, link);
	if (mkdirs(p))
		return -1;
	for (const char *s = strchr(link, '/'); s; s = strchr(s + 1, '/'))
		strcat(t, "../");
	strcat(t, target);
	return symlink(t, p);
}

int fx_sysfs_virtio(const char *root)
{
	const char *pci = "sys/devices/pci0000:00/0000:00:04.0";
	const char *vio = "sys/devices/pci0000:00/0000:00:04.0/virtio1";
	const char *vda = "sys/devices/pci0000:00/0000:00:04.0/virtio1/block/vda";
	char a[512], b[512];
	int rc = 0;
	rc |= fx_file(root, "sys/module/virtio_pci/refcnt", "0\n");
	rc |= fx_file(root, "sys/module/virtio_blk/refcnt", "0\n");
	rc |= fx_symlink(root, "sys/bus/pci/drivers/virtio-pci/module", "sys/module/virtio_pci");
	rc |= fx_symlink(root, "sys/bus/virtio/drivers/virtio_blk/module", "sys/module/virtio_blk");
	rc |= fx_file(root, "sys/bus/pci/drivers/pcieport/bind", "");   /* built in: no module */
	rc |= fx_symlink(root, "sys/devices/pci0000:00/driver", "sys/bus/pci/drivers/pcieport");
	snprintf(a, sizeof(a), "%s/driver", pci);
	rc |= fx_symlink(root, a, "sys/bus/pci/drivers/virtio-pci");
	snprintf(a, sizeof(a), "%s/driver", vio);
	rc |= fx_symlink(root, a, "sys/bus/virtio/drivers/virtio_blk");
	snprintf(a, sizeof(a), "%s/device", vda);
	rc |= fx_symlink(root, a, vio);
	snprintf(a, sizeof(a), "%s/vda1/partition", vda);
	rc |= fx_file(root, a, "1\n");
	rc |= fx_symlink(root, "sys/class/block/vda", vda);
	snprintf(b, sizeof(b), "%s/vda1", vda);
	rc |= fx_symlink(root, "sys/class/block/vda1", b);
	/* dm-0 (e.g. LVM) on vda1 */
	rc |= fx_file(root, "sys/devices/virtual/block/dm-0/dm/name", "vg-root\n");
	rc |= fx_symlink(root, "sys/devices/virtual/block/dm-0/slaves/vda1", b);
	rc |= fx_symlink(root, "sys/class/block/dm-0", "sys/devices/virtual/block/dm-0");
	return rc;
}

char *fx_tmpdir(const char *tag)
{
	char *p;
	if (asprintf(&p, "/tmp/kd-test-%s-XXXXXX", tag) < 0)
		return NULL;
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void fx_rmtree(const char *dir)
{
	if (dir && !strncmp(dir, "/tmp/kd-test-", 13))
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static uint32_t hex8(const uint8_t *p)
{
	char b[9];
	memcpy(b, p, 8);
	b[8] = 0;
	return (uint32_t)strtoul(b, NULL, 16);
}

int fx_cpio_find(const uint8_t *buf, size_t len, const char *name, const uint8_t **data,
		 uint32_t *size, uint32_t *mode, uint32_t *rmaj, uint32_t *rmin)
{
	for (size_t off = 0;;) {
		if (off + 110 > len || memcmp(buf + off, "070701", 6))
			return -1;
		const uint8_t *h = buf + off + 6;
		uint32_t sz = hex8(h + 48), ns = hex8(h + 88);
		if (!ns || off + 110 + ns > len)
			return -1;
		const char *n = (const char *)buf + off + 110;
		size_t d = (off + 110 + ns + 3) & ~(size_t)3;
		if (d + sz > len)
			return -1;
		if (!strcmp(n, "TRAILER!!!"))
			return 0;
		if (!strcmp(n, name)) {
			*data = buf + d;
			*size = sz;
			*mode = hex8(h + 8);
			*rmaj = hex8(h + 72);
			*rmin = hex8(h + 80);
			return 1;
		}
		off = (d + sz + 3) & ~(size_t)3;
	}
}

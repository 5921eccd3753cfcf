/* A module file's bytes (decompressed by magic through kexec/decompress.h) and its .modinfo
 * (kmod.h). Module files are input from the distribution's packages, still parsed with every
 * offset checked against the file. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kexec/decompress.h"
#include "service/kmod.h"

#define KMOD_MAX_BYTES (256ULL << 20)  /* the largest .ko accepted, decompressed */

kd_err *kd_kmod_read(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening module %s", path);
	uint8_t magic[6];
	ssize_t r = pread(fd, magic, sizeof(magic), 0);
	enum kd_compression c = r > 0 ? kd_compression_detect(magic, (size_t)r) : KD_COMP_NONE;
	int src = fd, mfd = -1;
	kd_err *e = NULL;
	if (c != KD_COMP_NONE) {
		mfd = memfd_create("kdumpkit-module", MFD_CLOEXEC);
		uint64_t out = 0;
		if (mfd < 0)
			e = kd_err_errno("memfd for %s", path);
		else
			e = kd_decompress_fd(c, fd, mfd, KMOD_MAX_BYTES, &out);
		if (e)
			e = kd_err_wrap(e, "decompressing module %s (%s)", path,
					kd_compression_name(c));
		src = mfd;
	}
	struct stat st;
	uint8_t *b = NULL;
	size_t got = 0;
	if (!e && fstat(src, &st) < 0)
		e = kd_err_errno("%s", path);
	if (!e && (uint64_t)st.st_size > KMOD_MAX_BYTES)
		e = kd_err_new(EFBIG, "module %s: %lld bytes", path, (long long)st.st_size);
	if (!e && !(b = malloc((size_t)st.st_size + 1)))
		e = kd_err_new(ENOMEM, "module %s: %lld bytes", path, (long long)st.st_size);
	while (!e && got < (size_t)st.st_size) {
		r = pread(src, b + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			e = r < 0 ? kd_err_errno("reading module %s", path)
				  : kd_err_new(EIO, "reading module %s: short", path);
		else
			got += (size_t)r;
	}
	if (!e && (got < SELFMAG || memcmp(b, ELFMAG, SELFMAG)))
		e = kd_err_new(EINVAL, "module %s is not an ELF file%s", path,
			       c == KD_COMP_NONE ? "" : " after decompression");
	if (mfd >= 0)
		close(mfd);
	close(fd);
	if (e) {
		free(b);
		return e;
	}
	*buf = b;
	*len = got;
	return NULL;
}

kd_err *kd_kmod_modinfo(const uint8_t *ko, size_t len, const char *key, char ***vals,
			size_t *n)
{
	*vals = NULL;
	*n = 0;
	Elf64_Ehdr eh;
	if (len < sizeof(eh) || memcmp(ko, ELFMAG, SELFMAG))
		return kd_err_new(EINVAL, "not an ELF file");
	memcpy(&eh, ko, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_shentsize != sizeof(Elf64_Shdr))
		return kd_err_new(EINVAL, "not a 64-bit little-endian ELF module");
	if (eh.e_shoff > len || (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > len - eh.e_shoff ||
	    eh.e_shstrndx >= eh.e_shnum)
		return kd_err_new(EINVAL, "section headers outside the file");
	Elf64_Shdr str;
	memcpy(&str, ko + eh.e_shoff + (size_t)eh.e_shstrndx * sizeof(Elf64_Shdr), sizeof(str));
	if (str.sh_offset > len || str.sh_size > len - str.sh_offset)
		return kd_err_new(EINVAL, "section names outside the file");
	for (size_t i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		memcpy(&sh, ko + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
		if (sh.sh_name >= str.sh_size ||
		    strncmp((const char *)ko + str.sh_offset + sh.sh_name, ".modinfo",
			    str.sh_size - sh.sh_name) || sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)
			return kd_err_new(EINVAL, ".modinfo outside the file");
		const char *s = (const char *)ko + sh.sh_offset, *end = s + sh.sh_size;
		size_t kl = strlen(key);
		while (s < end) {
			const char *z = memchr(s, 0, (size_t)(end - s));
			size_t l = z ? (size_t)(z - s) : (size_t)(end - s);
			if (l > kl && !memcmp(s, key, kl) && s[kl] == '=') {
				kd_err *e = kd_kmod_strv_add(vals, n, s + kl + 1, l - kl - 1);
				if (e) {
					kd_kmod_strv_free(*vals);
					*vals = NULL;
					*n = 0;
					return e;
				}
			}
			s += l + 1;
		}
		return NULL;
	}
	return kd_err_new(EINVAL, "no .modinfo section");
}

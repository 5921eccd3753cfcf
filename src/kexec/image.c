#define _GNU_SOURCE
#include "kexec/image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* x86_64 kernel text is linked at __START_KERNEL_map (0xffffffff80000000) and up. */
#define KERNEL_MAP_START 0xffffffff80000000ULL

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* An ELF file: a kernel only if it is ELF64 x86_64 ET_EXEC with a PT_LOAD in kernel space. */
static kd_err *probe_elf(const uint8_t *b, size_t len, struct kd_kernel_image *img)
{
	if (len < sizeof(Elf64_Ehdr))
		return kd_err_new(ENOEXEC, "a truncated ELF header");
	if (b[EI_CLASS] != ELFCLASS64 || b[EI_DATA] != ELFDATA2LSB)
		return kd_err_new(ENOEXEC, "a %s ELF file, not an x86_64 kernel",
				  b[EI_CLASS] == ELFCLASS32 ? "32-bit" : "non-little-endian 64-bit");
	unsigned type = (unsigned)rd(b + offsetof(Elf64_Ehdr, e_type), 2);
	unsigned machine = (unsigned)rd(b + offsetof(Elf64_Ehdr, e_machine), 2);
	if (machine != EM_X86_64)
		return kd_err_new(ENOEXEC, "an ELF file for machine %u, not x86_64 (%u)", machine,
				  EM_X86_64);
	if (type != ET_EXEC)
		return kd_err_new(ENOEXEC, "an x86_64 ELF %s, not a kernel",
				  type == ET_DYN ? "shared object or PIE" : type == ET_REL ?
				  "object file" : type == ET_CORE ? "core dump" : "file");
	uint64_t phoff = rd(b + offsetof(Elf64_Ehdr, e_phoff), 8);
	unsigned phentsize = (unsigned)rd(b + offsetof(Elf64_Ehdr, e_phentsize), 2);
	unsigned phnum = (unsigned)rd(b + offsetof(Elf64_Ehdr, e_phnum), 2);
	if (phentsize < sizeof(Elf64_Phdr) || !phnum)
		return kd_err_new(ENOEXEC, "an x86_64 ELF executable without program headers");
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t at = phoff + (uint64_t)i * phentsize;
		if (at > len || len - at < sizeof(Elf64_Phdr))
			return kd_err_new(ENOEXEC, "an x86_64 ELF executable whose program headers lie "
					  "past the first %zu bytes", len);
		const uint8_t *ph = b + at;
		if (rd(ph + offsetof(Elf64_Phdr, p_type), 4) == PT_LOAD &&
		    rd(ph + offsetof(Elf64_Phdr, p_vaddr), 8) >= KERNEL_MAP_START) {
			img->kind = KD_IMAGE_ELF_VMLINUX;
			img->elf_entry = rd(b + offsetof(Elf64_Ehdr, e_entry), 8);
			return NULL;
		}
	}
	return kd_err_new(ENOEXEC, "an x86_64 ELF executable with nothing loaded at kernel addresses "
			  "(a program, not a kernel)");
}

kd_err *kd_kernel_image_probe(const void *head, size_t len, uint64_t total,
			      struct kd_kernel_image *img)
{
	const uint8_t *b = head;
	img->size = total;
	if (total == 0)
		return kd_err_new(ENOEXEC, "an empty file, not a kernel image");
	if (kd_bzimage_is(b, len)) {
		img->kind = KD_IMAGE_BZIMAGE;
		return kd_bzimage_parse(b, len, &img->bz);
	}
	if (len >= SELFMAG && !memcmp(b, ELFMAG, SELFMAG))
		return probe_elf(b, len, img);
	enum kd_compression c = kd_compression_detect(b, len);
	if (c != KD_COMP_NONE)
		return kd_err_new(ENOEXEC, "%s data inside a compressed image: compressed twice?",
				  kd_compression_name(c));
	if (len >= 2 && b[0] == 'M' && b[1] == 'Z')
		return kd_err_new(ENOEXEC, "a PE/EFI file without an x86 boot header (an arm64 Image "
				  "or an EFI application?), not an x86 kernel");
	return kd_err_new(ENOEXEC, "not a kernel image (no bzImage \"HdrS\" header, not ELF, "
			  "not gzip, xz or zstd)");
}

static kd_err *read_head(int fd, uint8_t *buf, size_t cap, size_t *got)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kd_err_errno("reading");
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return NULL;
}

static kd_err *decompress_to_memfd(int in, enum kd_compression c, uint64_t max, int *out,
				   uint64_t *out_len)
{
	int m = memfd_create("kdumpkit-kernel", MFD_CLOEXEC);
	if (m < 0)
		return kd_err_errno("memfd_create");
	kd_err *e = NULL;
	if (lseek(in, 0, SEEK_SET) < 0)
		e = kd_err_errno("seeking to the start");
	if (!e)
		e = kd_decompress_fd(c, in, m, max, out_len);
	if (e) {
		close(m);
		return kd_err_wrap(e, "decompressing (%s)", kd_compression_name(c));
	}
	*out = m;
	return NULL;
}

kd_err *kd_kernel_image_open(const char *path, uint64_t max_decompressed,
			     struct kd_kernel_image *img)
{
	memset(img, 0, sizeof(*img));
	img->fd = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_wrap(kd_err_errno("opening"), "kernel %s", path);
	struct stat st;
	kd_err *e = NULL;
	uint8_t *head = malloc(KD_IMAGE_HEAD);
	size_t got = 0;
	if (!head)
		e = kd_err_new(ENOMEM, "allocating");
	else if (fstat(fd, &st) < 0)
		e = kd_err_errno("stat");
	else if (!S_ISREG(st.st_mode))
		e = kd_err_new(EINVAL, "not a regular file");
	else
		e = read_head(fd, head, KD_IMAGE_HEAD, &got);
	if (!e) {
		img->file_size = (uint64_t)st.st_size;
		img->compression = kd_compression_detect(head, got);
		if (img->compression != KD_COMP_NONE) {
			int m = -1;
			uint64_t n = 0;
			e = decompress_to_memfd(fd, img->compression, max_decompressed, &m, &n);
			if (!e) {
				close(fd);
				fd = m;
				e = read_head(fd, head, KD_IMAGE_HEAD, &got);
				img->size = n;
			}
		} else {
			img->size = img->file_size;
		}
	}
	if (!e)
		e = kd_kernel_image_probe(head, got, img->size, img);
	free(head);
	if (e) {
		close(fd);
		return kd_err_wrap(e, "kernel %s", path);
	}
	img->fd = fd;
	return NULL;
}

void kd_kernel_image_close(struct kd_kernel_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}

char *kd_kernel_image_describe(const struct kd_kernel_image *img, char *buf, size_t n)
{
	if (img->kind == KD_IMAGE_BZIMAGE)
		snprintf(buf, n, "bzImage (boot protocol %u.%02u)", img->bz.version >> 8,
			 img->bz.version & 0xff);
	else
		snprintf(buf, n, "ELF vmlinux");
	size_t l = strlen(buf);
	if (img->compression != KD_COMP_NONE && l < n)
		snprintf(buf + l, n - l, ", %s-compressed", kd_compression_name(img->compression));
	return buf;
}

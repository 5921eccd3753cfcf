/* The kernel file given to `kexec`: what it is and a descriptor kexec_file_load() can read.
 * A compressed file (gzip, xz, zstd) is expanded into a memfd first, since the syscall does
 * not decompress. What is left must be a kernel: an x86 bzImage ("HdrS" setup header) or an
 * x86_64 ELF vmlinux; anything else is refused here, before any syscall, with what it is. */
#ifndef KD_KEXEC_IMAGE_H
#define KD_KEXEC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "kexec/bzimage.h"
#include "kexec/decompress.h"

enum kd_image_kind { KD_IMAGE_BZIMAGE, KD_IMAGE_ELF_VMLINUX };

/* Bytes of the start of an image looked at to classify it: the setup code of a bzImage
 * (about 20K) and an ELF header with its program headers. */
#define KD_IMAGE_HEAD 65536

struct kd_kernel_image {
	int fd;                  /* read by kexec_file_load: the file itself or a memfd */
	uint64_t size;           /* bytes behind fd */
	uint64_t file_size;      /* the file as given (compressed size if compressed) */
	enum kd_compression compression;
	enum kd_image_kind kind;
	struct kd_bzimage bz;    /* kind == KD_IMAGE_BZIMAGE */
	uint64_t elf_entry;      /* kind == KD_IMAGE_ELF_VMLINUX */
};

/* Classify the first len bytes (of total) of an uncompressed image. Errors (ENOEXEC) say what
 * the data is when it is not a kernel. Fills kind, bz / elf_entry and size. */
kd_err *kd_kernel_image_probe(const void *head, size_t len, uint64_t total,
			      struct kd_kernel_image *img);
/* Open, decompress if needed (at most max_decompressed bytes), classify. On success img->fd is
 * open; kd_kernel_image_close() releases it. */
kd_err *kd_kernel_image_open(const char *path, uint64_t max_decompressed,
			     struct kd_kernel_image *img);
void kd_kernel_image_close(struct kd_kernel_image *img);
/* "bzImage (boot protocol 2.15), gzip-compressed" and the like, for messages; returns buf. */
char *kd_kernel_image_describe(const struct kd_kernel_image *img, char *buf, size_t n);

#endif

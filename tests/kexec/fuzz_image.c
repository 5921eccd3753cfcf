/* libFuzzer: kernel image classification (bzImage setup header, ELF headers) and, for input
 * with a compression magic, decompression into a memfd (capped) followed by classification of
 * the result. Must never crash, hang or grow past the cap. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kexec/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_kernel_image img = { .fd = -1 };
	kd_err_free(kd_kernel_image_probe(data, size, size, &img));
	if (img.kind == KD_IMAGE_BZIMAGE)
		kd_err_free(kd_bzimage_check_file_load(&img.bz, size));

	enum kd_compression c = kd_compression_detect(data, size);
	if (c == KD_COMP_NONE)
		return 0;
	int in = memfd_create("fuzz-in", MFD_CLOEXEC), out = memfd_create("fuzz-out", MFD_CLOEXEC);
	if (in >= 0 && out >= 0 && write(in, data, size) == (ssize_t)size &&
	    lseek(in, 0, SEEK_SET) == 0) {
		uint64_t n = 0;
		kd_err *e = kd_decompress_fd(c, in, out, 4u << 20, &n);
		if (!e && n) {
			size_t len = n < KD_IMAGE_HEAD ? (size_t)n : KD_IMAGE_HEAD;
			uint8_t *head = malloc(len);
			if (head && pread(out, head, len, 0) == (ssize_t)len)
				kd_err_free(kd_kernel_image_probe(head, len, n, &img));
			free(head);
		}
		kd_err_free(e);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return 0;
}

/* Whole-file decompression of a kernel image (vmlinuz.gz, Image.xz, a zstd-compressed bzImage):
 * the kernel's kexec_file_load() reads the image from a file descriptor and does not
 * decompress, so a compressed image is expanded into a memfd first. The input is untrusted:
 * output is capped (a decompression bomb is an error, not an exhausted machine) and every loop
 * ends on an error, the end of the stream or the end of the input. */
#ifndef KD_KEXEC_DECOMPRESS_H
#define KD_KEXEC_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum kd_compression { KD_COMP_NONE, KD_COMP_GZIP, KD_COMP_XZ, KD_COMP_ZSTD };

/* Largest decompressed kernel accepted by default (a distribution kernel is 30-100M). */
#define KD_DECOMPRESS_MAX (1ULL << 30)

/* The format from the first bytes (gzip 1f 8b 08, xz FD '7zXZ' 00, zstd 28 B5 2F FD). */
enum kd_compression kd_compression_detect(const void *buf, size_t len);
const char *kd_compression_name(enum kd_compression c);

/* Decompress in_fd, read from its current offset to its end, and write the result to out_fd
 * at its current offset. More than max_out bytes of output is an error (E2BIG). A stream that
 * ends early, or corrupt data, is an error naming the format. */
kd_err *kd_decompress_fd(enum kd_compression c, int in_fd, int out_fd, uint64_t max_out,
			 uint64_t *out_len);

#endif

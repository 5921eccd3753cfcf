/* Whole-buffer compression of the capture initramfs in a format the kernel unpacks
 * (init/initramfs.c through lib/decompress_*): zstd with a checksum, xz with a CRC32 check
 * (the kernel's xz decoder knows no CRC64/SHA-256 checks), gzip. Output depends only on the
 * input and the library version: no timestamps, no threads. */
#ifndef KD_SERVICE_INITRAMFS_COMPRESS_H
#define KD_SERVICE_INITRAMFS_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* `format`: "zstd", "xz", "gzip" or "none" (a copy). *out is malloc'd. */
kd_err *kd_initramfs_compress(const char *format, const uint8_t *in, size_t len, uint8_t **out,
			      size_t *out_len);

#endif

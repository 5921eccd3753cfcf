/* Helpers for the loader's tests: compress a buffer the way gzip, xz and zstd do, files in a
 * temporary directory, whole-file reads. */
#ifndef KD_TESTS_KEXEC_UTIL_H
#define KD_TESTS_KEXEC_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "kexec/decompress.h"

/* A malloc'd compressed copy of buf in format c; *out_len its size. NULL on failure. */
uint8_t *tu_compress(enum kd_compression c, const void *buf, size_t len, size_t *out_len);
/* Write buf to a new file under a per-process temporary directory (removed at exit); returns
 * its path (static storage, one per call slot 0..7). */
const char *tu_write_tmp(const char *name, const void *buf, size_t len);
/* Read a whole file (at most max bytes); NULL if it cannot be read. */
uint8_t *tu_read_file(const char *path, size_t max, size_t *len);
/* A memfd holding buf, offset 0. */
int tu_memfd(const void *buf, size_t len);
/* Everything behind fd from offset 0. */
uint8_t *tu_read_fd(int fd, size_t *len);
/* Remove the temporary directory now. */
void tu_cleanup(void);

#endif

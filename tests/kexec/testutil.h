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

/* A fake file-system root for the readers of /sys and /proc (one at a time): a new directory
 * /tmp/kd-TAG-XXXXXX; files put under it by relative path, parents made as needed. Each
 * returns 0, or -1 with errno. */
const char *tu_root_new(const char *tag);
const char *tu_root(void);
int tu_root_put(const char *rel, const void *data, size_t len);
int tu_root_put_str(const char *rel, const char *s);
int tu_root_mkdir(const char *rel);
int tu_root_rm(const char *rel);
/* Remove the whole tree (tu_root() still names where it was). */
void tu_root_drop(void);

/* Program header `type` over [vaddr, vaddr + size) at paddr, file offset 0x1000, stored at `at`
 * (a /proc/kcore or vmcore head). */
void tu_phdr(uint8_t *at, uint32_t type, uint64_t vaddr, uint64_t paddr, uint64_t size);

#endif

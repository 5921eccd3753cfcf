/* Scratch directories and small files for the storage tests (blockdev, dumpdir, artifacts,
 * raw_recover). */
#ifndef KD_TEST_SERVICE_STORAGE_UTIL_H
#define KD_TEST_SERVICE_STORAGE_UTIL_H

#include <stddef.h>

/* A new empty directory /tmp/kd-test-TAG-XXXXXX (static buffer per call: copy it). */
char *st_tmpdir(const char *tag);
/* Write a file under dir (printf-style name), with mkdir -p of its parents; 0 on success. */
int st_put(const char *dir, const char *rel, const char *content);
/* rm -rf dir (a /tmp/kd-test-* directory only). */
void st_rmrf(const char *dir);
/* Whether path exists (lstat). */
int st_exists(const char *path);
/* Whether <dir>/<name> exists (lstat). */
int st_exists_in(const char *dir, const char *name);
/* Entries in dir, '.'-names left out (0 when it cannot be read). */
unsigned st_count_entries(const char *dir);
/* Run a shell command quietly; its exit status. */
int st_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

/* Small sysfs attribute files, as the loader reads them: one line, or one hexadecimal number
 * (with or without 0x) on it. Errors name the file. */
#ifndef KD_KEXEC_SYSFS_FILE_H
#define KD_KEXEC_SYSFS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The first line of path, without its newline, in buf (n bytes). Empty: EINVAL. */
kd_err *kd_sysfs_line(const char *path, char *buf, size_t n);
/* The whole first line as an unsigned hexadecimal number. */
kd_err *kd_sysfs_hex(const char *path, uint64_t *v);

#endif

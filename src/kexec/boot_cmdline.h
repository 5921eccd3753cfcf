/* The command line handed to the new kernel, built as kexec-tools builds it:
 * --reuse-cmdline starts from the running kernel's /proc/cmdline without BOOT_IMAGE= (the boot
 * loader's, meaningless to another kernel) and, for a panic kernel, without crashkernel= (a
 * capture kernel must not reserve memory for yet another one); --append/--command-line text
 * follows it. */
#ifndef KD_KEXEC_BOOT_CMDLINE_H
#define KD_KEXEC_BOOT_CMDLINE_H

#include "base/error.h"

/* running: the running kernel's command line (NULL unless --reuse-cmdline); append: NULL if
 * none. *out is NULL when both are empty, else a string the caller frees. */
kd_err *kd_boot_cmdline_build(const char *running, int panic, const char *append, char **out);
/* The running kernel's command line from `path` (/proc/cmdline), trailing newline removed. */
kd_err *kd_boot_cmdline_read(const char *path, char **out);

#endif

/* Whether a kernel is loaded for kexec -e (/sys/kernel/kexec_loaded) or for a panic
 * (/sys/kernel/kexec_crash_loaded): what `kexec -S` answers. */
#ifndef KD_KEXEC_STATUS_H
#define KD_KEXEC_STATUS_H

#include "base/error.h"

#define KD_KEXEC_LOADED_PATH "/sys/kernel/kexec_loaded"
#define KD_KEXEC_CRASH_LOADED_PATH "/sys/kernel/kexec_crash_loaded"

/* *loaded = the number in the file (0 or 1). A missing or unreadable file is an error. */
kd_err *kd_kexec_loaded_at(const char *path, int *loaded);
/* The panic slot when crash != 0, else the reboot slot. */
kd_err *kd_kexec_loaded(int crash, int *loaded);

#endif

/* `kexec -e`: reboot into the kernel loaded with -l. Like kexec-tools: refuse when nothing is
 * loaded, sync the filesystems (unless -y), take network interfaces down so no NIC keeps
 * DMAing into memory the new kernel owns (unless -x), then reboot(LINUX_REBOOT_CMD_KEXEC). */
#ifndef KD_KEXEC_EXEC_H
#define KD_KEXEC_EXEC_H

#include "base/error.h"

/* Returns only on failure. */
kd_err *kd_kexec_exec(int do_sync, int do_ifdown);
/* Bring every non-loopback interface down; returns how many were taken down. Best effort:
 * an interface that refuses is logged and skipped. */
int kd_kexec_ifdown(void);

#endif

#define _GNU_SOURCE
#include "kexec/syscall.h"

#include <errno.h>
#include <linux/reboot.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEXEC_ON_CRASH 0x1
#define KEXEC_ARCH_X86_64 (62 << 16)

kd_err *kd_sys_kexec_file_load(int kernel_fd, int initrd_fd, const char *cmdline,
			       unsigned long flags)
{
	/* the length counts the NUL: the kernel refuses a command line not terminated within it */
	unsigned long len = cmdline ? strlen(cmdline) + 1 : 0;
	if (syscall(SYS_kexec_file_load, kernel_fd, initrd_fd, len, cmdline, flags) != 0)
		return kd_err_errno("kexec_file_load");
	return NULL;
}

kd_err *kd_sys_kexec_file_unload(int crash)
{
	unsigned long flags = KD_KEXEC_FILE_UNLOAD | (crash ? KD_KEXEC_FILE_ON_CRASH : 0);
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, flags) != 0)
		return kd_err_errno("kexec_file_load (unload)");
	return NULL;
}

kd_err *kd_sys_kexec_load_unload(int crash)
{
	/* no segments: empty the slot */
	unsigned long flags = KEXEC_ARCH_X86_64 | (crash ? KEXEC_ON_CRASH : 0);
	if (syscall(SYS_kexec_load, 0UL, 0UL, NULL, flags) != 0)
		return kd_err_errno("kexec_load (unload)");
	return NULL;
}

kd_err *kd_sys_kexec_load(uint64_t entry, const struct kd_sys_segment *segs, size_t n,
			  int crash)
{
	unsigned long flags = KEXEC_ARCH_X86_64 | (crash ? KEXEC_ON_CRASH : 0);
	if (syscall(SYS_kexec_load, (unsigned long)entry, (unsigned long)n, segs, flags) != 0)
		return kd_err_errno("kexec_load");
	return NULL;
}

kd_err *kd_sys_reboot_kexec(void)
{
	reboot(LINUX_REBOOT_CMD_KEXEC);
	return kd_err_errno("reboot(LINUX_REBOOT_CMD_KEXEC)");
}

enum kd_kexec_errclass kd_kexec_file_errclass(int errnum)
{
	switch (errnum) {
	case ENOSYS:
	case EINVAL:
	case ENOEXEC:
	case ENOTSUP:
		return KD_KEXEC_ERR_FALLBACK;
	case EKEYREJECTED:
	case ENOKEY:
	case EBADMSG:
	case ELIBBAD:
	case ENOPKG:
	case EMSGSIZE:
	case EPERM:
		return KD_KEXEC_ERR_SIGNATURE;
	default:
		return KD_KEXEC_ERR_OTHER;
	}
}

/* The kernel's kexec interfaces, thinly wrapped: kexec_file_load(2) (the kernel reads, checks
 * and places the image), kexec_load(2) (the kernel takes segments we placed), and reboot(2) with
 * LINUX_REBOOT_CMD_KEXEC. Errors carry the syscall's errno; kd_kexec_file_errclass() says what
 * a failed kexec_file_load means for the caller. */
#ifndef KD_KEXEC_SYSCALL_H
#define KD_KEXEC_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* kexec_file_load flags (include/uapi/linux/kexec.h) */
#define KD_KEXEC_FILE_UNLOAD 0x1
#define KD_KEXEC_FILE_ON_CRASH 0x2
#define KD_KEXEC_FILE_NO_INITRAMFS 0x4
#define KD_KEXEC_FILE_DEBUG 0x8 /* 6.8 and later: the kernel logs where segments go */

/* kernel_fd, initrd_fd (-1: none), cmdline (NULL: empty). */
kd_err *kd_sys_kexec_file_load(int kernel_fd, int initrd_fd, const char *cmdline,
			       unsigned long flags);
/* Empty the reboot or the panic slot through kexec_file_load / kexec_load. */
kd_err *kd_sys_kexec_file_unload(int crash);
kd_err *kd_sys_kexec_load_unload(int crash);
/* struct kexec_segment (include/uapi/linux/kexec.h) */
struct kd_sys_segment {
	const void *buf;
	size_t bufsz;
	const void *mem;  /* physical address */
	size_t memsz;
};
/* kexec_load(2) into the reboot or panic slot; entry is the physical address to jump to. */
kd_err *kd_sys_kexec_load(uint64_t entry, const struct kd_sys_segment *segs, size_t n,
			  int crash);
/* reboot(LINUX_REBOOT_CMD_KEXEC): returns only on failure. */
kd_err *kd_sys_reboot_kexec(void);

enum kd_kexec_errclass {
	KD_KEXEC_ERR_OTHER,     /* a real failure: report it */
	KD_KEXEC_ERR_FALLBACK,  /* the syscall or this image is not supported: try kexec_load */
	KD_KEXEC_ERR_SIGNATURE, /* signature verification refused the image: never fall back */
};
/* The classes kexec-tools uses: ENOSYS, EINVAL, ENOEXEC, ENOTSUP fall back; the signature
 * errors (EKEYREJECTED, ENOKEY, EBADMSG, ELIBBAD, ENOPKG, EMSGSIZE) and EPERM (lockdown
 * refuses unsigned images, and kexec_load entirely) do not. */
enum kd_kexec_errclass kd_kexec_file_errclass(int errnum);

#endif

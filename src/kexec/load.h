/* Loading a kernel into the reboot slot (-l) or the panic slot (-p), with the syscall policy of
 * kexec-tools 2.0.28+: kexec_file_load first; the classic kexec_load when the kernel cannot
 * load this image itself (ENOSYS, EINVAL, ENOEXEC, ENOTSUP) -- never after a signature or
 * lockdown refusal. The classic path (kexec-tools' user-space image loaders and purgatory)
 * is not implemented yet: where it would be needed the load fails with classic_needed set. */
#ifndef KD_KEXEC_LOAD_H
#define KD_KEXEC_LOAD_H

#include "base/error.h"
#include "kexec/args.h"

struct kd_kexec_load_req {
	const char *kernel;
	const char *initrd;        /* NULL: none */
	const char *cmdline;       /* NULL: empty */
	int panic;
	enum kd_kexec_syscall syscall;
	const char *type;          /* -t, or NULL */
	int kernel_debug;          /* ask the kernel to log the placement (KEXEC_FILE_DEBUG) */
	const char *iomem_path;    /* NULL: /proc/iomem */
};

struct kd_kexec_load_res {
	int classic_needed;        /* failed because only kexec_load could do it */
};

kd_err *kd_kexec_load(const struct kd_kexec_load_req *rq, struct kd_kexec_load_res *res);

/* Unload the reboot or panic slot: kexec_file_load's unload, kexec_load's when the syscall
 * policy says so or kexec_file_load is missing (auto). */
kd_err *kd_kexec_unload(int panic, enum kd_kexec_syscall sc);

/* --print-ckr-size: bytes in the crash kernel region the capture kernel goes to, 0 if none. */
kd_err *kd_kexec_crash_size(const char *iomem_path, unsigned long long *size);

#endif

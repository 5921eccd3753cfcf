/* Loading a kernel into the reboot slot (-l) or the panic slot (-p), with the syscall policy of
 * kexec-tools 2.0.28+: kexec_file_load first; the classic kexec_load (kexec/classic.h: our own
 * placement, boot_params, crash headers and purgatory) when the kernel cannot load this image
 * itself (ENOSYS, EINVAL, ENOEXEC, ENOTSUP, an ELF vmlinux) -- never after a signature or
 * lockdown refusal. -c asks for kexec_load; --mem-min/--mem-max also need it (only there do we
 * place the segments). */
#ifndef KD_KEXEC_LOAD_H
#define KD_KEXEC_LOAD_H

#include <stdint.h>

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
	uint64_t mem_min, mem_max; /* --mem-min/--mem-max, inclusive; 0: not given */
	const char *root;          /* NULL: ""; prefixed to /sys and /proc paths (tests) */
	int dry_run;               /* everything but the syscall (tests) */
};

struct kd_kexec_load_res {
	int classic_needed;        /* unused: kept for the front end's exit code 2 */
};

kd_err *kd_kexec_load(const struct kd_kexec_load_req *rq, struct kd_kexec_load_res *res);

/* Unload the reboot or panic slot: kexec_file_load's unload, kexec_load's when the syscall
 * policy says so or kexec_file_load is missing (auto). */
kd_err *kd_kexec_unload(int panic, enum kd_kexec_syscall sc);

/* --print-ckr-size: bytes in the crash kernel region the capture kernel goes to, 0 if none. */
kd_err *kd_kexec_crash_size(const char *iomem_path, unsigned long long *size);

#endif

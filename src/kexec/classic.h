/* The classic kexec_load(2) path: everything kexec_file_load does inside the kernel, done
 * here. The kernel (bzImage or ELF vmlinux), the initrd, boot_params with the command line and
 * an e820 map, for -p the ELF core header of the running kernel, and our purgatory are placed
 * as segments; the purgatory gets the SHA-256 of the others, boot_params and the entry, and is
 * where the kernel jumps. Every check happens before the syscall: on an error nothing is
 * loaded. */
#ifndef KD_KEXEC_CLASSIC_H
#define KD_KEXEC_CLASSIC_H

#include <stdint.h>

#include "base/error.h"
#include "base/iomem.h"
#include "kexec/crash_region.h"
#include "kexec/image.h"

struct kd_classic_req {
	const char *kernel;        /* path, for messages */
	const struct kd_kernel_image *img;
	const char *initrd;        /* NULL: none */
	const char *cmdline;       /* NULL: empty; for -p elfcorehdr= is put in front */
	int panic;
	uint64_t mem_min, mem_max; /* inclusive; 0 and UINT64_MAX: no limit */
	const struct kd_iomem *io; /* /proc/iomem (-p; NULL for -l) */
	const struct kd_crash_regions *cr; /* -p */
	const char *root;          /* "" on a real system: prefixed to /sys and /proc paths */
	int dry_run;               /* build and check everything, skip the syscall (tests) */
};

/* What was placed, for -d and the tests. */
struct kd_classic_res {
	uint64_t entry;            /* purgatory entry */
	uint64_t kernel_entry;     /* where the purgatory jumps */
	uint64_t boot_params;
	uint64_t elfcorehdr;       /* -p */
	size_t nseg;
	struct { uint64_t mem, memsz; size_t bufsz; const char *what; } seg[16];
};

kd_err *kd_kexec_classic_load(const struct kd_classic_req *rq, struct kd_classic_res *res);

#endif

/* An x86_64 ELF vmlinux as a loadable block: its PT_LOAD segments laid out by physical
 * address (p_paddr) into one buffer, since the kernel runs where its physical addresses say,
 * or anywhere a 2 MiB multiple away (head_64.S fixes its page tables up by the difference;
 * the virtual addresses do not move). The entry point (e_entry) is physical: startup_64. */
#ifndef KD_KEXEC_VMLINUX_H
#define KD_KEXEC_VMLINUX_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The kernel image must fit in KERNEL_IMAGE_SIZE (1 GiB with KASLR) */
#define KD_VMLINUX_MAX_SPAN (1ULL << 30)
/* x86_64's startup_64 refuses to run at an address that is not 2 MiB-aligned */
#define KD_VMLINUX_ALIGN (2ULL << 20)

struct kd_vmlinux {
	uint64_t entry;     /* physical, as linked */
	uint64_t paddr;     /* lowest p_paddr of a PT_LOAD */
	uint64_t memsz;     /* from paddr to the end of the highest PT_LOAD's memory */
	uint8_t *buf;       /* file bytes at their p_paddr - paddr; bufsz up to the last one */
	size_t bufsz;
};

/* Parse and lay out an ELF vmlinux held in buf. Errors (ENOEXEC) say what is wrong. */
kd_err *kd_vmlinux_load(const uint8_t *buf, size_t len, struct kd_vmlinux *v);
void kd_vmlinux_free(struct kd_vmlinux *v);

#endif

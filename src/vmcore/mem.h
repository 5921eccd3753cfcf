/* How the readers above vmcore/ (printk/, mm/, report/) see the dead kernel's memory: read
 * `len` bytes at a kernel virtual address, or at a physical one. An opened dump provides this
 * (vmcore/dump.h: kd_dump_mem()); tests provide synthetic memory. A read that cannot be fully
 * satisfied (address not in the dump, excluded page, I/O error) is an error: never a short read
 * and never zeros in its place. */
#ifndef KD_VMCORE_MEM_H
#define KD_VMCORE_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "vmcore/vmcoreinfo.h"

struct kd_mem {
	kd_err *(*read_virt)(void *ctx, uint64_t vaddr, void *buf, size_t len);
	kd_err *(*read_phys)(void *ctx, uint64_t paddr, void *buf, size_t len);
	void *ctx;
	const struct kd_vmcoreinfo *vmcoreinfo;
};

static inline kd_err *kd_mem_read(const struct kd_mem *m, uint64_t vaddr, void *buf, size_t len)
{
	return m->read_virt(m->ctx, vaddr, buf, len);
}

#endif

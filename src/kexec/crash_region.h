/* The memory reserved for a capture kernel ("Crash kernel" in /proc/iomem) and whether a
 * kernel and initrd fit in it. With crashkernel=X,high there are two such regions: the large
 * one above 4G (where kexec_file_load places the capture kernel, the kernel's crashk_res) and
 * a small one below 4G for DMA; the region that matters is the highest one. */
#ifndef KD_KEXEC_CRASH_REGION_H
#define KD_KEXEC_CRASH_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "base/iomem.h"

#define KD_CRASH_MAX_REGIONS 8

struct kd_crash_regions {
	size_t n;
	struct { uint64_t start, end; } r[KD_CRASH_MAX_REGIONS]; /* inclusive, file order */
	size_t main;      /* index of the region the capture kernel is loaded into (n > 0) */
	uint64_t total;   /* bytes in all of them */
};

/* Every "Crash kernel" resource, at any depth. n == 0 when nothing is reserved. */
void kd_crash_regions_find(const struct kd_iomem *io, struct kd_crash_regions *cr);
/* Bytes in the main region; 0 when there is none. */
uint64_t kd_crash_region_size(const struct kd_crash_regions *cr);

/* What a capture kernel takes out of the region. The kernel and initrd sizes are exact minimums
 * (kexec_file_load places init_size bytes for the kernel, the whole initrd); the rest of the
 * kernel's own segments (purgatory, boot parameters, the ELF core headers) and alignment are an
 * estimate. Whatever is left is the memory the capture kernel boots and runs in. */
#define KD_CRASH_OVERHEAD_ESTIMATE (2ULL << 20)
/* Below this much left to run in, a capture kernel is likely to run out of memory. */
#define KD_CRASH_MIN_FREE (64ULL << 20)

struct kd_crash_fit {
	uint64_t region;   /* bytes in the region */
	uint64_t kernel;   /* init_size, page-aligned */
	uint64_t initrd;   /* page-aligned */
	uint64_t overhead; /* estimate + the kernel's alignment */
	uint64_t needed;   /* kernel + initrd: must fit, or loading cannot work */
	uint64_t left;     /* region - needed - overhead, 0 if negative */
	int fits;          /* needed <= region */
	int tight;         /* fits, but less than KD_CRASH_MIN_FREE left */
};

void kd_crash_fit_compute(uint64_t region, uint64_t kernel_init_size, uint64_t kernel_align,
			  uint64_t initrd_size, struct kd_crash_fit *f);

#endif

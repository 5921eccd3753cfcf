#include "kexec/crash_region.h"

#include <string.h>

#define PAGE 4096ULL

void kd_crash_regions_find(const struct kd_iomem *io, struct kd_crash_regions *cr)
{
	memset(cr, 0, sizeof(*cr));
	for (size_t i = kd_iomem_find(io, "Crash kernel", KD_IOMEM_NONE);
	     i != KD_IOMEM_NONE && cr->n < KD_CRASH_MAX_REGIONS;
	     i = kd_iomem_find(io, "Crash kernel", i)) {
		const struct kd_iomem_res *r = &io->res[i];
		cr->r[cr->n].start = r->start;
		cr->r[cr->n].end = r->end;
		cr->total += r->end - r->start + 1;
		if (cr->n == 0 || r->start > cr->r[cr->main].start)
			cr->main = cr->n;
		cr->n++;
	}
}

uint64_t kd_crash_region_size(const struct kd_crash_regions *cr)
{
	return cr->n ? cr->r[cr->main].end - cr->r[cr->main].start + 1 : 0;
}

static uint64_t page_up(uint64_t v)
{
	return v > UINT64_MAX - (PAGE - 1) ? UINT64_MAX : (v + PAGE - 1) & ~(PAGE - 1);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void kd_crash_fit_compute(uint64_t region, uint64_t kernel_init_size, uint64_t kernel_align,
			  uint64_t initrd_size, struct kd_crash_fit *f)
{
	memset(f, 0, sizeof(*f));
	f->region = region;
	f->kernel = page_up(kernel_init_size);
	f->initrd = page_up(initrd_size);
	/* the kernel is placed at a multiple of its alignment: up to that much is lost before it */
	f->overhead = add_sat(KD_CRASH_OVERHEAD_ESTIMATE, kernel_align > PAGE ? kernel_align - PAGE : 0);
	f->needed = add_sat(f->kernel, f->initrd);
	f->fits = f->needed <= region;
	uint64_t used = add_sat(f->needed, f->overhead);
	f->left = used < region ? region - used : 0;
	f->tight = f->fits && f->left < KD_CRASH_MIN_FREE;
}

/* x86_64 kernel virtual -> physical, from VMCOREINFO alone.
 * The kernel image is mapped at __START_KERNEL_map + (paddr - phys_base), so the page-table
 * root, a kernel symbol, is reachable without translation. Everything else (direct map, vmalloc,
 * vmemmap, modules) is walked through the dead kernel's own page tables, 4 or 5 levels
 * (NUMBER(pgtable_l5_enabled)), with 1G and 2M leaves, and the SME encryption bit masked out. */
#include <errno.h>
#include <string.h>

#include "vmcore/dump_priv.h"

#define START_KERNEL_MAP 0xffffffff80000000ULL
#define KERNEL_IMAGE_MAX (1ULL << 30)  /* KERNEL_IMAGE_SIZE is 1G with KASLR */
#define PTE_PRESENT 0x1ULL
#define PTE_PSE 0x80ULL
#define PTE_PFN_MASK 0x000ffffffffff000ULL

static kd_err *x86_init(struct kd_dump *d)
{
	const struct kd_vmcoreinfo *vi = d->vmcoreinfo;
	if (!vi)
		return kd_err_new(ENOENT, "the dump has no VMCOREINFO");
	int64_t n;
	kd_err *e = kd_vmcoreinfo_number(vi, "phys_base", &n);
	if (e)
		return e;
	d->phys_base = (uint64_t)n;
	uint64_t root;
	e = kd_vmcoreinfo_symbol(vi, "init_top_pgt", &root);
	if (e && kd_err_errnum(e) == ENOENT) {
		kd_err_free(e); /* before 4.13 */
		e = kd_vmcoreinfo_symbol(vi, "init_level4_pgt", &root);
	}
	if (e)
		return e;
	if (root < START_KERNEL_MAP || root - START_KERNEL_MAP >= KERNEL_IMAGE_MAX)
		return kd_err_new(EINVAL, "page-table root %#llx is outside the kernel image mapping",
				  (unsigned long long)root);
	d->pgd_paddr = root - START_KERNEL_MAP + d->phys_base;
	/* both are absent on kernels without 5-level paging or SME support */
	d->levels = 4;
	e = kd_vmcoreinfo_number(vi, "pgtable_l5_enabled", &n);
	if (!e && n)
		d->levels = 5;
	kd_err_free(e);
	d->sme_mask = 0;
	e = kd_vmcoreinfo_number(vi, "sme_mask", &n);
	if (!e)
		d->sme_mask = (uint64_t)n;
	kd_err_free(e);
	memset(d->tlb, 0, sizeof(d->tlb));
	d->tlb_next = 0;
	return NULL;
}

static kd_err *read_entry(struct kd_dump *d, uint64_t table, unsigned idx, uint64_t *out)
{
	kd_err *e = kd_dump_read_phys(d, table + idx * 8ULL, out, 8);
	if (e)
		return kd_err_wrap(e, "reading page table at %#llx", (unsigned long long)table);
	return NULL;
}

static kd_err *x86_vtop(struct kd_dump *d, uint64_t vaddr, uint64_t *paddr, uint64_t *room)
{
	for (unsigned i = 0; i < KD_TLB_SIZE; i++) {
		const struct kd_tlb_entry *t = &d->tlb[i];
		if (vaddr - t->vbase < t->size) {
			*paddr = t->pbase + (vaddr - t->vbase);
			*room = t->size - (vaddr - t->vbase);
			return NULL;
		}
	}
	/* canonical: bits above the top level's reach must copy its top bit */
	unsigned vbits = d->levels == 5 ? 57 : 48;
	uint64_t top = (uint64_t)((int64_t)(vaddr << (64 - vbits)) >> (64 - vbits));
	if (top != vaddr)
		return kd_err_new(EFAULT, "%#llx is not a canonical address",
				  (unsigned long long)vaddr);
	uint64_t table = d->pgd_paddr;
	for (int level = d->levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		unsigned idx = (unsigned)((vaddr >> shift) & 511);
		uint64_t ent;
		kd_err *e = read_entry(d, table, idx, &ent);
		if (e)
			return e;
		if (!(ent & PTE_PRESENT))
			return kd_err_new(EFAULT, "%#llx is not mapped (level %d entry %#llx)",
					  (unsigned long long)vaddr, level,
					  (unsigned long long)ent);
		uint64_t base = ent & PTE_PFN_MASK & ~d->sme_mask;
		/* 1G leaf at level 3 (PUD), 2M leaf at level 2 (PMD), 4K at level 1 */
		if (level == 1 || ((level == 2 || level == 3) && (ent & PTE_PSE))) {
			uint64_t size = 1ULL << shift;
			base &= ~(size - 1);
			*paddr = base | (vaddr & (size - 1));
			*room = size - (vaddr & (size - 1));
			struct kd_tlb_entry *t = &d->tlb[d->tlb_next++ % KD_TLB_SIZE];
			t->vbase = vaddr & ~(size - 1);
			t->pbase = base;
			t->size = size;
			return NULL;
		}
		table = base;
	}
	return kd_err_new(EFAULT, "%#llx: page walk did not end", (unsigned long long)vaddr);
}

const struct kd_arch kd_arch_x86_64 = { "x86_64", x86_init, x86_vtop };

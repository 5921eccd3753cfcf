/* Synthetic dead-kernel memory for the classifier's tests and fuzz target: a few byte arrays
 * at kernel virtual addresses (reads that leave them fail, as a page missing from a dump
 * would), a VMCOREINFO built line by line, and a model kernel on top: a mem_section table
 * (SPARSEMEM_EXTREME) and a vmemmap of 64-byte struct pages laid out as Debian's 6.1 or 6.12
 * kernel lays them out. */
#ifndef KD_TEST_MM_FAKEMM_H
#define KD_TEST_MM_FAKEMM_H

#include <stddef.h>
#include <stdint.h>

#include "fake_vmcoreinfo.h"
#include "mm/pageclass.h"

#define FM_MAX_REGIONS 16

struct fm_region {
	uint64_t base;
	size_t size;
	unsigned char *buf;
};

struct fakemm {
	struct fm_region r[FM_MAX_REGIONS];
	int nr;
	uint64_t hole_start, hole_end; /* [start, end) unreadable; equal: none */
	struct fake_vmcoreinfo vi;
	struct kd_mem mem;
	unsigned long reads;
	/* the model kernel */
	int flavor;        /* 61 or 612 */
	uint64_t max_pfn;
	uint64_t vmemmap;  /* struct page of pfn p at vmemmap + 64 * p */
	uint64_t roots;    /* the mem_section root array */
	uint64_t sections; /* the one root's 256 struct mem_section */
	uint64_t section_pfns;
};

void fm_init(struct fakemm *f);
void fm_free(struct fakemm *f);
/* A zeroed region at base; returns its bytes. */
unsigned char *fm_region(struct fakemm *f, uint64_t base, size_t size);
void fm_vi(struct fakemm *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse the VMCOREINFO, leaving out lines that start with `omit` (NULL: none). */
struct kd_mem *fm_finish(struct fakemm *f, const char *omit);
void fm_put(struct fakemm *f, uint64_t addr, const void *p, size_t n);
void fm_put64(struct fakemm *f, uint64_t addr, uint64_t v);
void fm_put32(struct fakemm *f, uint64_t addr, uint32_t v);
void fm_put8(struct fakemm *f, uint64_t addr, uint8_t v);

/* The model kernel: 4 sections of 2^15 pfns (SECTION_SIZE_BITS 27, MAX_PHYSMEM_BITS 46:
 * 2048 roots of 256), section 2 a hole (not present, no vmemmap behind it). Every struct page
 * starts as a reserved kernel page: flags 0, _mapcount -1. The VMCOREINFO is the flavor's
 * (Debian 6.1 or 6.12 numbers); call fm_finish() after adding lines. fm_kernel_small: the
 * same with sections of 2^10 pfns (SECTION_SIZE_BITS 22), for the fuzz target's speed. */
#define FM_SECTION_PFNS 32768u
#define FM_HOLE_SECTION 2u
void fm_kernel(struct fakemm *f, int flavor);
void fm_kernel_small(struct fakemm *f, int flavor);
uint64_t fm_page(const struct fakemm *f, uint64_t pfn);

/* Page flags and types of the model kernel's flavor. */
uint64_t fm_pg(const struct fakemm *f, const char *name); /* "lru", "private", "head", ... */
void fm_set_flags(struct fakemm *f, uint64_t pfn, uint64_t flags);
void fm_set_mapping(struct fakemm *f, uint64_t pfn, uint64_t mapping);
void fm_set_private(struct fakemm *f, uint64_t pfn, uint64_t v);
void fm_set_mapcount(struct fakemm *f, uint64_t pfn, uint32_t v);
/* Free buddy block of 2^order at pfn (head marked as the flavor marks it). */
void fm_buddy(struct fakemm *f, uint64_t pfn, unsigned order);
/* Compound page of 2^order at pfn: head flag, tails pointing at the head, and the second
 * page's order (and, on 6.1, compound_dtor). hugetlb: marked as the flavor marks hugetlb. */
void fm_compound(struct fakemm *f, uint64_t pfn, unsigned order, int hugetlb);

#endif

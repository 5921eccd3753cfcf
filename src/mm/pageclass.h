/* What each page frame of the dead kernel was used for, read from its struct pages (walking
 * mem_section: SPARSEMEM_EXTREME, vmemmap), so the collector can leave out what nobody needs.
 *
 * The classifier only says what a page is; the dump level (makedumpfile's -d bits) decides what
 * is dropped. Zero pages are found by content, by the collector, not here.
 *
 * Never drop what cannot be proven useless: a struct page that cannot be read or does not make
 * sense, or a kernel layout the classifier does not know, gives KD_PAGE_UNKNOWN (kept); the
 * first such reason is kept in kd_mm_problem() for the collector to report once. */
#ifndef KD_MM_PAGECLASS_H
#define KD_MM_PAGECLASS_H

#include <stdint.h>

#include "base/error.h"
#include "vmcore/mem.h"

enum kd_page_class {
	KD_PAGE_KEEP = 0,      /* in use by the kernel (slab, page tables, ...): never excluded */
	KD_PAGE_CACHE,         /* page cache without private data   (-d bit 2) */
	KD_PAGE_CACHE_PRIVATE, /* page cache with private data       (-d bit 4) */
	KD_PAGE_USER,          /* anonymous / user data, THP, hugetlb (-d bit 8) */
	KD_PAGE_FREE,          /* free in the buddy allocator        (-d bit 16) */
	KD_PAGE_HWPOISON,      /* always excluded */
	KD_PAGE_OFFLINE,       /* PageOffline (balloon, memory hot-unplug): always excluded */
	KD_PAGE_UNKNOWN,       /* could not be classified: kept */
	KD_PAGE_NO_STRUCT,     /* no struct page (a hole in mem_section): kept when the dump has it */
	KD_PAGE_NCLASSES
};

const char *kd_page_class_name(enum kd_page_class c);

struct kd_mm;

/* Read what classification needs from VMCOREINFO (mem_section, struct page offsets, PG_* bits,
 * page_type / _mapcount encodings) and check it. `max_pfn` bounds the walk. An error means no
 * page can be classified (the collector then keeps everything it does not find zero, and says
 * why). */
kd_err *kd_mm_open(const struct kd_mem *mem, uint64_t max_pfn, struct kd_mm **out);
void kd_mm_close(struct kd_mm *mm);

/* Cycle boundaries handed to kd_mm_classify must be multiples of this many pfns (the largest
 * buddy block, so a free block's head and its tail pages fall in the same cycle). */
uint64_t kd_mm_cycle_align(const struct kd_mm *mm);

/* Classify pfns [start, end): cls[i] is the class of pfn start+i. start must be a multiple of
 * kd_mm_cycle_align(); end too, or max_pfn (EINVAL otherwise). Memory use is bounded by the
 * cycle, not by the machine: struct pages are read 16384 at a time (1 MiB), plus the head of a
 * compound page that began in an earlier cycle (1 GiB hugetlb). A read error on one struct page
 * is not an error of the call: that page is KD_PAGE_UNKNOWN. Calls may come in any order. */
kd_err *kd_mm_classify(struct kd_mm *mm, uint64_t start, uint64_t end, uint8_t *cls);

/* The first reason a page was KD_PAGE_UNKNOWN, or a class this kernel's VMCOREINFO does not let
 * us recognize (so such pages are kept), "" when none. */
const char *kd_mm_problem(const struct kd_mm *mm);

/* Counters since kd_mm_open, for the collector's statistics and the lab probe. */
struct kd_mm_stats {
	uint64_t pages[KD_PAGE_NCLASSES]; /* pfns classified, per class */
	uint64_t reads;                   /* reads of struct pages (batched) */
	uint64_t read_errors;             /* reads that failed (a batch is retried page by page) */
};
void kd_mm_stats(const struct kd_mm *mm, struct kd_mm_stats *out);

#endif

/* Inside the classifier: the kernel layout read from VMCOREINFO (layout.c), the mem_section
 * table (sections.c) and the per-pfn decision (pageclass.c). 64-bit kernels only: flags,
 * mapping, private and compound_head are read as 8-byte little-endian words. */
#ifndef KD_MM_PRIV_H
#define KD_MM_PRIV_H

#include <stdint.h>

#include "mm/pageclass.h"

/* A page type as VMCOREINFO gives it (NUMBER(PAGE_*_MAPCOUNT_VALUE)): the value page->page_type
 * (the _mapcount word) holds when that type is set.
 *   6.10+:  PGTY_x << 24; the owner may use the low 24 bits: compare the top byte.
 *   <6.10:  ~PG_x (4.18-6.9 bit encoding) or -128 (older _mapcount == value): compare exactly. */
struct kd_page_type {
	int known;
	int top_byte; /* the 6.10+ encoding */
	uint32_t value;
};

enum kd_section_state {
	KD_SEC_NONE = 0, /* not present or no mem_map: no struct pages */
	KD_SEC_MAP,      /* struct page of pfn p is at map + p * page_size_struct */
	KD_SEC_BAD,      /* the mem_section entry could not be read: pages unknown */
};

struct kd_mm {
	struct kd_mem mem;
	uint64_t max_pfn;
	unsigned page_shift;

	/* struct page */
	uint32_t sz_page;
	uint32_t off_flags, off_mapping, off_private, off_mapcount, off_chead;
	int64_t off_dtor; /* OFFSET(page.compound_dtor), -1: not exported */

	/* page->flags masks (0: not exported) */
	uint64_t pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison, pg_head;
	uint64_t pg_hugetlb; /* 6.7-6.8: in the flags of the folio's second page */
	int swapbacked_known;
	int64_t hugetlb_dtor; /* NUMBER(HUGETLB_PAGE_DTOR), -1: not exported */
	struct kd_page_type ty_buddy, ty_offline, ty_slab, ty_hugetlb, ty_unaccepted;

	/* buddy blocks */
	unsigned max_order; /* largest block is 2^max_order pages */

	/* mem_section: one entry per section below max_pfn */
	unsigned section_pfn_shift;  /* SECTION_SIZE_BITS - PAGE_SHIFT */
	uint64_t nr_sections;
	uint64_t *sec_map;           /* decoded section_mem_map (struct page of pfn 0 would be) */
	uint8_t *sec_state;          /* enum kd_section_state */

	/* batch of struct pages for one read, and which of them could be read */
	uint8_t *buf;
	uint8_t *ok;
	size_t batch_pages;

	/* the last compound head looked up for a tail page, and its class */
	uint64_t head_addr;
	uint8_t head_cls;
	int head_valid;

	struct kd_mm_stats st;
	char problem[256];
};

/* Record the first reason something was not understood. */
void kd_mm_note(struct kd_mm *mm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* layout.c: fill the struct page layout, flags and page types from VMCOREINFO. */
kd_err *kd_mm_read_layout(struct kd_mm *mm, const struct kd_vmcoreinfo *vi);

/* sections.c: read mem_section for sections covering [0, max_pfn). */
kd_err *kd_mm_read_sections(struct kd_mm *mm, const struct kd_vmcoreinfo *vi);

/* How many low bits of section_mem_map are flags in kernel `osrelease` (NULL: unknown). */
unsigned kd_mm_section_flag_bits(const char *osrelease);

#endif

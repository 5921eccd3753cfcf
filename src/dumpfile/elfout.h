/* The ELF dump writer (makedumpfile -E): an ET_CORE file that crash, gdb and makedumpfile read
 *
 *   ELF header | program headers: PT_NOTE, then one PT_LOAD per run of kept pages, by paddr
 *   [section header 0, only when the PT_LOADs exceed 65534: PN_XNUM, count in sh_info]
 *   the note blob, verbatim | page data (page-aligned), every kept page in pfn order
 *
 * The header must know every segment before the first page, so the collector drives it in two
 * passes over the pfn space:
 *
 *   kd_elfout_new(&meta)                   page size, machine, the notes
 *   kd_elfout_map(paddr, len, vaddr)...    the input's PT_LOADs, for virtual addresses (optional)
 *   pass 1: kd_elfout_add_run / _add_bitmap, cycle by cycle, pfns increasing: the kept pages
 *   kd_elfout_begin(sink)                  writes the headers and the notes
 *   pass 2: kd_elfout_page, each kept page in the same order
 *   kd_elfout_finish                       checks the count, finishes the sink
 *
 * A PT_LOAD covers a run of consecutive kept pfns; excluded pages split segments, nothing of
 * them is written. Zero pages are kept without their bytes: they end a segment as memsz past
 * filesz, which every ELF reader reads as zeros. A segment's vaddr comes from the map
 * covering its first page (vaddr + (paddr - map paddr)), or is 0 where none does; segments are
 * also split where the covering map changes. Where maps overlap (an input's kernel-text PT_LOAD
 * and its direct map), the first one given wins: pass the kernel-text mapping first, as
 * /proc/vmcore lists it, so readers find phys_base from it. */
#ifndef KD_DUMPFILE_ELFOUT_H
#define KD_DUMPFILE_ELFOUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "dumpfile/sink.h"

struct kd_elfout_meta {
	uint32_t page_size;
	uint16_t machine;      /* EM_X86_64, ... */
	const void *notes;     /* the PT_NOTE blob, verbatim (copied) */
	size_t notes_len;
};

struct kd_elfout;

kd_err *kd_elfout_new(const struct kd_elfout_meta *m, struct kd_elfout **out);
/* Physical [paddr, paddr + len) is mapped at vaddr (an input PT_LOAD). Before begin. */
kd_err *kd_elfout_map(struct kd_elfout *w, uint64_t paddr, uint64_t len, uint64_t vaddr);
/* Pass 1: pfns [pfn, pfn + n) are kept. Calls come in increasing pfn order; touching runs
 * merge. */
kd_err *kd_elfout_add_run(struct kd_elfout *w, uint64_t pfn, uint64_t n);
/* Pass 1: pfns [pfn, pfn + n) are zero pages: they read as zero (a segment's memsz past its
 * filesz) and pass 2 does not deliver them. After the run they follow, or on their own. */
kd_err *kd_elfout_add_zero(struct kd_elfout *w, uint64_t pfn, uint64_t n);
/* Pass 1 from a bitmap: bit i (LSB first) set = pfn start+i kept, for pfns [start, end). */
kd_err *kd_elfout_add_bitmap(struct kd_elfout *w, uint64_t start, uint64_t end,
			     const uint8_t *bm);
/* Pages the runs hold (what pass 2 must deliver) and PT_LOADs the header will have. */
uint64_t kd_elfout_pages(const struct kd_elfout *w);
kd_err *kd_elfout_begin(struct kd_elfout *w, struct kd_sink *s);
/* Pass 2: the next kept page (page_size bytes). */
kd_err *kd_elfout_page(struct kd_elfout *w, const void *page);
kd_err *kd_elfout_finish(struct kd_elfout *w);
void kd_elfout_free(struct kd_elfout *w);

#endif

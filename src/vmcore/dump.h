/* One reader for every dump format: an ELF vmcore (a file or /proc/vmcore), and later
 * kdump-compressed, flattened and QEMU dump-guest-memory files. Opening finds the format,
 * the notes and VMCOREINFO; reads go through kd_dump_mem(), which translates kernel virtual
 * addresses with the dump's own page tables (x86_64.c) when it must. */
#ifndef KD_VMCORE_DUMP_H
#define KD_VMCORE_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "vmcore/mem.h"
#include "vmcore/vmcoreinfo.h"

struct kd_dump;

kd_err *kd_dump_open(const char *path, struct kd_dump **out);
void kd_dump_close(struct kd_dump *d);

/* "ELF", "kdump-compressed", "flattened" */
const char *kd_dump_format(const struct kd_dump *d);
/* Whether pages are better mapped (kd_dump_map_pages) than read: /proc/vmcore. */
int kd_dump_prefers_mmap(const struct kd_dump *d);
/* Whether kd_dump_read_pages may run in several threads at once (an ELF file: preads only). */
int kd_dump_parallel_reads(const struct kd_dump *d);
/* The -d level a kdump-compressed dump was filtered with: 1 and *level set when the dump
 * records one, 0 for ELF dumps (/proc/vmcore holds every page). Pages excluded at that level
 * are gone, so re-filtering may only raise it: the collector refuses a -d that does not include
 * every bit of the input's level (the output would claim pages it cannot hold). */
int kd_dump_level(const struct kd_dump *d, uint32_t *level);
/* 1 when a kdump-compressed dump's incomplete flag is set (its writer was cut off or failed):
 * pages it never wrote read as ENOENT. */
int kd_dump_incomplete(const struct kd_dump *d);
/* NULL when the dump carries no VMCOREINFO. */
const struct kd_vmcoreinfo *kd_dump_vmcoreinfo(const struct kd_dump *d);
/* The dead kernel's memory; valid while the dump is open. */
struct kd_mem kd_dump_mem(struct kd_dump *d);

/* The ELF notes (NT_PRSTATUS per CPU, VMCOREINFO, ...), in file order. */
struct kd_note {
	const char *name; /* NUL-terminated */
	uint32_t type;
	const void *desc;
	size_t descsz;
};
size_t kd_dump_notes(const struct kd_dump *d, const struct kd_note **notes);
/* All notes as one blob, as the dump stores them (writers copy it verbatim). */
const void *kd_dump_note_blob(const struct kd_dump *d, size_t *len);

/* The dump's own virtual mappings (an ELF dump's PT_LOADs, in file order; none for formats
 * without them), for writers that keep them: crash finds phys_base from the kernel text's. */
struct kd_dump_map {
	uint64_t paddr, vaddr, len;
};
/* Fills up to max maps; returns how many there are. */
size_t kd_dump_maps(const struct kd_dump *d, struct kd_dump_map *out, size_t max);

/* Page-frame view, for the collector (which works through the pfn space in cycles).
 * page_size: VMCOREINFO's PAGESIZE, else the format's own, else 4096. max_pfn: one past the
 * highest page frame the dump describes. */
uint32_t kd_dump_page_size(const struct kd_dump *d);
uint64_t kd_dump_max_pfn(const struct kd_dump *d);
/* For pfns [start, end) (start a multiple of 8): `exists` gets a bit per pfn that is memory of
 * the dumped machine (kdump-compressed: the first bitmap; ELF: inside a PT_LOAD), `held` a bit
 * per pfn whose content the dump holds (readable with kd_dump_read_pages). Bit i (LSB first)
 * is pfn start+i; either pointer may be NULL. Pfns past max_pfn are 0 in both. */
kd_err *kd_dump_pfn_bitmaps(struct kd_dump *d, uint64_t start, uint64_t end, uint8_t *exists,
			    uint8_t *held);
/* Read `n` consecutive pages from pfn into buf (n * page_size bytes). Every page must be held:
 * ENOENT for a page the dump does not hold. Bytes of a page that the dump's ranges do not cover
 * (an ELF segment ending mid-page) read as zero. */
kd_err *kd_dump_read_pages(struct kd_dump *d, uint64_t pfn, size_t n, void *buf);
/* The same pages without a copy, from a window mapped over the file (/proc/vmcore allows mmap
 * since Linux 3.11): *out points at n * page_size bytes, valid until the next call or close.
 * *out is NULL when that is not possible (pages not one file-backed run, a compressed format,
 * a file that refuses mmap): read them with kd_dump_read_pages instead. */
void kd_dump_map_pages(struct kd_dump *d, uint64_t pfn, size_t n, const uint8_t **out);
/* The same, in a mapping of its own that stays valid until kd_dump_unmap_owned (for threads
 * that work on several batches at once). m->pages is NULL when not possible. */
struct kd_dump_mapping {
	const uint8_t *pages;
	void *base;
	size_t len;
};
void kd_dump_map_owned(struct kd_dump *d, uint64_t pfn, size_t n, struct kd_dump_mapping *m);
void kd_dump_unmap_owned(struct kd_dump_mapping *m);

#endif

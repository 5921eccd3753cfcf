/* The kdump-compressed writer (makedumpfile's format, header version 6), what crash, drgn,
 * libkdumpfile and makedumpfile read:
 *
 *   block 0          disk_dump_header ("KDUMP   ", version 6, utsname, status, ...)
 *   block 1..        kdump_sub_header, then VMCOREINFO and the PT_NOTE blob it points to
 *   bitmap blocks    1st bitmap (page exists), then 2nd bitmap (page dumped), max_mapnr bits each
 *   descriptors      one page_desc_t (offset, size, flags, page_flags) per dumped page, pfn order
 *   data             the shared zero page, then each page compressed or raw
 *
 * The collector works in cycles and writes: begin (headers, marked incomplete), for each cycle
 * its bitmaps and then its dumped pages in pfn order, and finish, which checks the count and
 * only then clears the incomplete flag (DUMP_DH_COMPRESSED_INCOMPLETE, 0x8). A dump that was
 * cut off, or whose writer failed, is never marked complete. */
#ifndef KD_DUMPFILE_KDUMP_H
#define KD_DUMPFILE_KDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "dumpfile/codec.h"
#include "dumpfile/sink.h"

struct kd_kdump_meta {
	uint32_t page_size;
	uint64_t max_mapnr;          /* pfns the bitmaps cover */
	int nr_cpus;
	uint32_t dump_level;         /* -d */
	uint64_t phys_base;
	char utsname[6][65];         /* sysname, nodename, release, version, machine, domainname */
	int64_t time_sec, time_usec; /* the header's timestamp */
	const void *notes;           /* the PT_NOTE blob, verbatim (NT_PRSTATUS..., VMCOREINFO) */
	size_t notes_len;
	const char *vmcoreinfo;      /* VMCOREINFO text, verbatim */
	size_t vmcoreinfo_len;
	enum kd_codec codec;         /* the compression the pages may use */
	uint64_t num_dumpable;       /* bits set in the 2nd bitmap = page descriptors to come */
};

struct kd_kdump;

kd_err *kd_kdump_begin(struct kd_sink *s, const struct kd_kdump_meta *m, struct kd_kdump **out);
/* Bitmaps for pfns [start, end), bit i (LSB first) = pfn start+i; start a multiple of 8, cycles
 * in increasing order, together covering [0, max_mapnr). */
kd_err *kd_kdump_bitmaps(struct kd_kdump *w, uint64_t start, uint64_t end, const uint8_t *bm1,
			 const uint8_t *bm2);
/* The next dumped pfn's page: the shared zero page, or `len` bytes compressed with `how`
 * (KD_CODEC_NONE: the raw page, len == page_size). */
kd_err *kd_kdump_zero_page(struct kd_kdump *w);
kd_err *kd_kdump_page(struct kd_kdump *w, const void *data, size_t len, enum kd_codec how);
/* All num_dumpable pages written: flush, clear the incomplete flag, finish the sink. */
kd_err *kd_kdump_finish(struct kd_kdump *w);
/* Giving up (interrupted, an error elsewhere): write what is buffered so the pages given so far
 * stay readable, and leave the dump marked incomplete. Readers report pages that were never
 * written (all-zero descriptors in an incomplete dump) as missing. */
kd_err *kd_kdump_abort(struct kd_kdump *w);
/* Frees the writer (not the sink); without finish or abort, buffered pages are dropped. */
void kd_kdump_free(struct kd_kdump *w);

#endif

/* The collector: what `makedumpfile` does in the capture kernel. Read a dump (normally
 * /proc/vmcore), drop the pages the dump level says nobody needs, compress the rest and write
 * a kdump-compressed (or ELF) dump through a sink.
 *
 * It works through the pfn space in cycles of constant size, in two passes:
 *   1. classify every cycle (mm/) and count the pages to dump, so the descriptors' place is
 *      known before any page is written (the dumpable bitmap is kept when it is small, and
 *      recomputed per cycle otherwise, so memory stays bounded however big the machine);
 *   2. per cycle: write its bitmaps, then read, zero-check, compress and write its pages, in
 *      pfn order. With threads > 1 the pages go through a pipeline (a reader, `threads`
 *      compressors, the writer in order): the output is byte-identical to one thread's.
 *
 * Never drop what cannot be proven useless: a page mm/ cannot classify is kept; if the
 * classifier cannot start at all, only zero pages (by content) are dropped and the reason is
 * logged once. */
#ifndef KD_DUMPFILE_COLLECT_H
#define KD_DUMPFILE_COLLECT_H

#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "dumpfile/codec.h"
#include "dumpfile/sink.h"
#include "mm/pageclass.h"
#include "vmcore/dump.h"

/* makedumpfile's dump level bits */
#define KD_DL_ZERO          1u
#define KD_DL_CACHE         2u
#define KD_DL_CACHE_PRIVATE 4u
#define KD_DL_USER          8u
#define KD_DL_FREE          16u
#define KD_DL_MAX           31u

struct kd_collect_opts {
	unsigned dump_level;    /* 0..31 */
	enum kd_codec codec;    /* KD_CODEC_NONE: pages stored raw */
	int elf;                /* write an ELF dump (-E): no compression; zero pages left out */
	unsigned threads;       /* 0 or 1: one thread; N: N workers, this thread among them */
	int dry_run;            /* classify and compress, write nothing */
	int progress;           /* draw a progress bar when stderr is a terminal */
	uint64_t cycle_pfns;    /* 0: the default; rounded up to the classifier's alignment */
	uint64_t keep_bitmap_max; /* bytes of dumpable bitmap kept between passes (0: default) */
};

struct kd_collect_stats {
	uint64_t max_pfn;               /* pfns covered */
	uint64_t exists;                /* memory of the dumped machine */
	uint64_t held;                  /* pages the input holds */
	uint64_t excluded[KD_PAGE_NCLASSES]; /* held pages left out, by class */
	uint64_t unknown;               /* held pages kept because they could not be classified */
	uint64_t zero;                  /* pages written as the shared zero page */
	uint64_t dumped;                /* pages with a descriptor */
	uint64_t raw;                   /* of those, stored raw (compression did not shrink them) */
	uint64_t data_bytes;            /* page data written */
	unsigned cycles;
	int classified;                 /* 0: the classifier could not start */
	char problem[256];              /* why pages were kept unclassified ("" none) */
};

/* Is a page of this class left out at this dump level? (zero pages are found by content) */
int kd_collect_excludes(unsigned dump_level, enum kd_page_class c);

kd_err *kd_collect(struct kd_dump *in, struct kd_sink *out, const struct kd_collect_opts *o,
		   struct kd_collect_stats *st);

/* makedumpfile-style statistics table (--show-stats, --message-level with its report bit). */
void kd_collect_print_stats(FILE *f, const struct kd_collect_stats *st);

#endif

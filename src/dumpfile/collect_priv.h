/* Inside the collector: its state, shared by the passes (collect.c) and the page pipeline
 * (collect_pages.c). */
#ifndef KD_DUMPFILE_COLLECT_PRIV_H
#define KD_DUMPFILE_COLLECT_PRIV_H

#include "base/progress.h"
#include "dumpfile/collect.h"
#include "dumpfile/elfout.h"
#include "dumpfile/kdump.h"

struct kd_collector {
	struct kd_dump *in;
	struct kd_mm *mm;
	struct kd_collect_opts o;
	struct kd_collect_stats *st;
	struct kd_kdump *w;          /* kdump-compressed output (NULL: dry run or ELF) */
	struct kd_elfout *ew;        /* ELF output */
	uint8_t *zbuf;               /* ELF pass 1: pages read for the zero check */
	struct kd_progress progress;
	uint32_t ps;
	uint64_t max_pfn, cycle, ncycles;
	/* the current cycle [cstart, cend) */
	uint64_t cstart, cend;
	uint8_t *exists, *held, *dump, *cls;
	uint8_t *zero;               /* ELF, pass 1: the cycle's zero pages (left out of `dump`) */
	/* all cycles' bitmaps between the passes, when they are small enough (else NULL) */
	uint8_t *keep, *keep_exists;
};

/* All bytes zero? (page_size is a multiple of 64) */
static inline int kd_page_is_zero(const uint8_t *p, size_t n)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;
	uint64_t acc = 0;
	for (size_t i = 0; i < n / 8; i += 8) {
		acc |= q[i] | q[i + 1] | q[i + 2] | q[i + 3] | q[i + 4] | q[i + 5] | q[i + 6] |
		       q[i + 7];
		if (acc)
			return 0;
	}
	return 1;
}

/* Compute (or fetch) cycle i's bitmaps into c->exists / c->dump; st: count (pass 1). */
kd_err *kd_collect_cycle(struct kd_collector *c, uint64_t i, struct kd_collect_stats *st);
/* Pass 2: every cycle's bitmaps and pages, to c->w. */
kd_err *kd_collect_pages(struct kd_collector *c);

#endif

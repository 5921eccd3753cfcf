/* The segments handed to kexec_load(2): what goes where in physical memory. Placement finds
 * room the way a loader must: page-aligned (or more), inside the memory the next kernel may be
 * put in (System RAM for -l, the crash region for -p), inside --mem-min/--mem-max, and clear of
 * every segment already placed. A request that cannot be met says what did not fit and in
 * what. */
#ifndef KD_KEXEC_SEGMENTS_H
#define KD_KEXEC_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "kexec/mem_range.h"

/* kexec_load takes at most this many (KEXEC_SEGMENT_MAX) */
#define KD_SEGMENT_MAX 16
#define KD_PAGE_SIZE 4096ULL

struct kd_segment {
	const char *what;  /* "kernel", "initrd", ... for messages */
	const void *buf;   /* bufsz bytes copied to mem; the rest of memsz is zero-filled */
	size_t bufsz;
	uint64_t mem;      /* physical, page-aligned */
	uint64_t memsz;    /* page multiple, >= bufsz */
	int hashed;        /* checked by the purgatory (everything but the purgatory itself) */
};

struct kd_segments {
	struct kd_segment s[KD_SEGMENT_MAX];
	size_t n;
	struct kd_mem_ranges avail; /* where segments may go: sorted, inclusive */
	uint64_t min, max;          /* --mem-min / --mem-max, inclusive (0 / UINT64_MAX) */
	const char *where;          /* "the crash kernel region" / "System RAM", for messages */
};

/* Start with the memory the segments may use (copied; sorted by the caller). */
kd_err *kd_segments_init(struct kd_segments *s, const struct kd_mem_range *avail, size_t n,
			 uint64_t min, uint64_t max, const char *where);
void kd_segments_free(struct kd_segments *s);
/* Find room for memsz bytes (rounded up to pages) at an address that is a multiple of align
 * (a power of two, at least a page) within [lo, hi] and the limits: the lowest such address, or
 * the highest with top_down. Nothing is added. */
kd_err *kd_segments_find(const struct kd_segments *s, const char *what, uint64_t memsz,
			 uint64_t align, uint64_t lo, uint64_t hi, int top_down, uint64_t *addr);
/* Add a segment at mem (from kd_segments_find, or fixed): checked against alignment, the
 * available memory, the limits and the segments already there. memsz is rounded up to pages. */
kd_err *kd_segments_add(struct kd_segments *s, const char *what, const void *buf, size_t bufsz,
			uint64_t mem, uint64_t memsz, int hashed);
/* find + add */
kd_err *kd_segments_place(struct kd_segments *s, const char *what, const void *buf,
			  size_t bufsz, uint64_t memsz, uint64_t align, uint64_t lo, uint64_t hi,
			  int top_down, uint64_t *addr);

#endif

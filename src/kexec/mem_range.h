/* Inclusive physical address ranges, and the two operations both the e820 table and the crash
 * headers are built from: collecting resources out of /proc/iomem the way the kernel's
 * walk_iomem_res_desc() finds them, and cutting a range out of a sorted list the way
 * crash_exclude_mem_range() does (splitting one range in two where the hole is in its middle). */
#ifndef KD_KEXEC_MEM_RANGE_H
#define KD_KEXEC_MEM_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/iomem.h"

struct kd_mem_range { uint64_t start, end; }; /* inclusive */

struct kd_mem_ranges {
	struct kd_mem_range *r;
	size_t n, cap;
};

/* Append [start, end] (start <= end). */
kd_err *kd_mem_ranges_add(struct kd_mem_ranges *m, uint64_t start, uint64_t end);
/* Remove [start, end] from every range of m (sorted, non-overlapping): a range inside the hole
 * goes, one overlapping an edge is trimmed, one containing the hole is split. Stays sorted. */
kd_err *kd_mem_ranges_exclude(struct kd_mem_ranges *m, uint64_t start, uint64_t end);
void kd_mem_ranges_free(struct kd_mem_ranges *m);

/* Append every resource named `name` that overlaps [lo, hi], clipped to it, in file order, as
 * the kernel's resource walk sees them: at any depth, but a match nested inside one already
 * taken is not taken again (the walk resumes after the end of the last match). */
kd_err *kd_mem_ranges_from_iomem(struct kd_mem_ranges *m, const struct kd_iomem *io,
				 const char *name, uint64_t lo, uint64_t hi);

#endif

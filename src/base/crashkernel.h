/* crashkernel= as the x86 kernel reads it (kernel/crash_reserve.c, 6.1 and 6.12):
 *   crashkernel=SIZE[@OFFSET]
 *   crashkernel=START-[END]:SIZE[,START-[END]:SIZE...][@OFFSET]   (ranges over system RAM)
 *   crashkernel=SIZE,high   crashkernel=SIZE,low
 * Several may be on one line: the last plain one wins; without a plain one, the last ,high one
 * is used together with the last ,low one (or the default low size).
 * Every value is parsed whole, and a malformed one is an error naming the position. */
#ifndef KD_BASE_CRASHKERNEL_H
#define KD_BASE_CRASHKERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define KD_CK_MAX_RANGES 32
/* x86: max(swiotlb default 64M + 8M, 256M) */
#define KD_CK_DEFAULT_LOW_SIZE (256ULL << 20)
/* The kernel rounds system RAM up to this before matching ranges (firmware holes). */
#define KD_CK_RAM_ROUND (128ULL << 20)

enum kd_ck_suffix { KD_CK_PLAIN, KD_CK_HIGH, KD_CK_LOW };

struct kd_ck_range {
	uint64_t start, end; /* end == UINT64_MAX: open ("2G-") */
	uint64_t size;
};

struct kd_ck_value {
	enum kd_ck_suffix suffix;
	size_t nranges;      /* 0: a fixed size */
	struct kd_ck_range ranges[KD_CK_MAX_RANGES];
	uint64_t size;       /* fixed size (nranges == 0) */
	int has_offset;
	uint64_t offset;
};

struct kd_crashkernel {
	int has_plain, has_high, has_low;
	struct kd_ck_value plain, high, low;
};

/* The reservation the kernel would make on a machine with `system_ram` bytes. */
struct kd_ck_reservation {
	uint64_t size;       /* 0: nothing reserved */
	int has_offset;
	uint64_t offset;
	int high;            /* placed above 4G with a separate low region */
	uint64_t low_size;   /* the ,low part (high == 1) */
};

/* Parse one value (the text after "crashkernel="). *errpos, if given, gets the offset of the
 * problem inside `value` on error. */
kd_err *kd_ck_parse_value(const char *value, struct kd_ck_value *v, size_t *errpos);
/* Collect every crashkernel= on a command line. *errpos is an offset into `cmdline`. */
kd_err *kd_ck_parse_cmdline(const char *cmdline, struct kd_crashkernel *ck, size_t *errpos);
/* How much is reserved with `system_ram` bytes of RAM. No crashkernel= at all, or a range list
 * that matches nothing, gives size 0 and no error. A size the kernel refuses is an error. */
kd_err *kd_ck_reserve(const struct kd_crashkernel *ck, uint64_t system_ram,
		      struct kd_ck_reservation *r);

#endif

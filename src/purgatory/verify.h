/* The purgatory's check of the loaded segments: SHA-256 over a table of physical memory
 * regions, in table order, against the digest the loader computed when it placed them. */
#ifndef KD_PURGATORY_VERIFY_H
#define KD_PURGATORY_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "purgatory/sha256.h"

/* kexec_load takes at most 16 segments (KEXEC_SEGMENT_MAX); the purgatory is not one of
 * the hashed ones, so 16 is an upper bound. */
#define KD_PURGATORY_MAX_REGIONS 16

struct kd_purgatory_region {
	uint64_t start; /* physical address, identity-mapped when the purgatory runs */
	uint64_t len;   /* bytes; 0 = unused entry, hashes nothing */
};

/* What the entry code tests: anything but KD_PURGATORY_INTACT means spin forever rather
 * than start a kernel from corrupted memory. */
#define KD_PURGATORY_INTACT 0
#define KD_PURGATORY_CORRUPT 1

/* SHA-256 over regions[0..n) in order, compared with expected. A region whose end wraps
 * around the address space counts as corrupt. */
int kd_purgatory_verify_regions(const struct kd_purgatory_region *regions, size_t n,
				const uint8_t expected[KD_SHA256_DIGEST_SIZE]);

/* The table the loader fills in inside the relocated purgatory (by symbol name), and the
 * check the entry code calls on it. The table starts zeroed, and no SHA-256 is all zeros, so
 * a purgatory the loader never filled in never jumps anywhere. */
extern struct kd_purgatory_region kd_purgatory_regions[KD_PURGATORY_MAX_REGIONS];
extern uint8_t kd_purgatory_digest[KD_SHA256_DIGEST_SIZE];
int kd_purgatory_verify(void);

#endif

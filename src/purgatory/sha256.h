/* SHA-256 (FIPS 180-4) for the purgatory: freestanding, no libc, no allocation, no SIMD.
 * The same source is built into the host library for the unit tests and freestanding into the
 * purgatory object, so what the tests check is what runs between the kernels. */
#ifndef KD_PURGATORY_SHA256_H
#define KD_PURGATORY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define KD_SHA256_DIGEST_SIZE 32
#define KD_SHA256_BLOCK_SIZE 64

struct kd_sha256 {
	uint32_t h[8];
	uint64_t bytes;                      /* message length so far */
	uint8_t block[KD_SHA256_BLOCK_SIZE]; /* a partial block waiting for more input */
	uint32_t fill;                       /* bytes held in block, < 64 */
};

void kd_sha256_init(struct kd_sha256 *s);
void kd_sha256_update(struct kd_sha256 *s, const void *data, size_t len);
/* Writes the digest; s must be initialised again before reuse. */
void kd_sha256_final(struct kd_sha256 *s, uint8_t out[KD_SHA256_DIGEST_SIZE]);
/* One call for one buffer. */
void kd_sha256(const void *data, size_t len, uint8_t out[KD_SHA256_DIGEST_SIZE]);

#endif

/* The segment check run by the purgatory. Freestanding like sha256.c. */
#include "purgatory/verify.h"

/* Initialised explicitly, and built with -fno-zero-initialized-in-bss, so both live in .data:
 * the loader patches them in the object's bytes before handing it to the kernel. */
struct kd_purgatory_region kd_purgatory_regions[KD_PURGATORY_MAX_REGIONS] = { { 0, 0 } };
uint8_t kd_purgatory_digest[KD_SHA256_DIGEST_SIZE] = { 0 };

int kd_purgatory_verify_regions(const struct kd_purgatory_region *regions, size_t n,
				const uint8_t expected[KD_SHA256_DIGEST_SIZE])
{
	struct kd_sha256 s;
	uint8_t got[KD_SHA256_DIGEST_SIZE];
	uint8_t diff = 0;

	kd_sha256_init(&s);
	for (size_t i = 0; i < n; i++) {
		const struct kd_purgatory_region *r = &regions[i];

		if (r->len == 0)
			continue;
		if (r->start + r->len < r->start)
			return KD_PURGATORY_CORRUPT;
		kd_sha256_update(&s, (const void *)(uintptr_t)r->start, (size_t)r->len);
	}
	kd_sha256_final(&s, got);

	for (unsigned i = 0; i < KD_SHA256_DIGEST_SIZE; i++)
		diff |= got[i] ^ expected[i];
	return diff == 0 ? KD_PURGATORY_INTACT : KD_PURGATORY_CORRUPT;
}

int kd_purgatory_verify(void)
{
	return kd_purgatory_verify_regions(kd_purgatory_regions, KD_PURGATORY_MAX_REGIONS,
					   kd_purgatory_digest);
}

/* SHA-256 as specified in FIPS 180-4, sections 4.1.2, 4.2.2, 5.1.1, 5.3.3 and 6.2.
 *
 * Written for a freestanding build: no libc calls, and no loops shaped like memset or memcpy
 * that a compiler could turn back into such calls (the build also passes
 * -fno-tree-loop-distribute-patterns where supported, and a test runs `nm -u` on the object).
 * Words are read and written a byte at a time, so any alignment and either host endianness
 * work. */
#include "purgatory/sha256.h"

static const uint32_t k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One 64-byte block into the state (FIPS 180-4 6.2.2). */
static void compress(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	for (unsigned t = 0; t < 16; t++)
		w[t] = load_be32(p + 4 * t);
	for (unsigned t = 16; t < 64; t++) {
		uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}

	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (unsigned t = 0; t < 64; t++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
			      k[t] + w[t];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

void kd_sha256_init(struct kd_sha256 *s)
{
	/* FIPS 180-4 5.3.3 */
	s->h[0] = 0x6a09e667;
	s->h[1] = 0xbb67ae85;
	s->h[2] = 0x3c6ef372;
	s->h[3] = 0xa54ff53a;
	s->h[4] = 0x510e527f;
	s->h[5] = 0x9b05688c;
	s->h[6] = 0x1f83d9ab;
	s->h[7] = 0x5be0cd19;
	s->bytes = 0;
	s->fill = 0;
}

void kd_sha256_update(struct kd_sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->bytes += len;
	/* Top up a partial block first. */
	while (s->fill != 0 && len != 0) {
		s->block[s->fill++] = *p++;
		len--;
		if (s->fill == KD_SHA256_BLOCK_SIZE) {
			compress(s->h, s->block);
			s->fill = 0;
		}
	}
	/* Whole blocks straight from the input, without copying. */
	while (len >= KD_SHA256_BLOCK_SIZE) {
		compress(s->h, p);
		p += KD_SHA256_BLOCK_SIZE;
		len -= KD_SHA256_BLOCK_SIZE;
	}
	while (len != 0) {
		s->block[s->fill++] = *p++;
		len--;
	}
}

void kd_sha256_final(struct kd_sha256 *s, uint8_t out[KD_SHA256_DIGEST_SIZE])
{
	/* FIPS 180-4 5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, the length in bits (big endian). */
	uint64_t bits = s->bytes << 3;

	s->block[s->fill++] = 0x80;
	if (s->fill > KD_SHA256_BLOCK_SIZE - 8) {
		while (s->fill < KD_SHA256_BLOCK_SIZE)
			s->block[s->fill++] = 0;
		compress(s->h, s->block);
		s->fill = 0;
	}
	while (s->fill < KD_SHA256_BLOCK_SIZE - 8)
		s->block[s->fill++] = 0;
	store_be32(s->block + 56, (uint32_t)(bits >> 32));
	store_be32(s->block + 60, (uint32_t)bits);
	compress(s->h, s->block);
	s->fill = 0;

	for (unsigned i = 0; i < 8; i++)
		store_be32(out + 4 * i, s->h[i]);
}

void kd_sha256(const void *data, size_t len, uint8_t out[KD_SHA256_DIGEST_SIZE])
{
	struct kd_sha256 s;

	kd_sha256_init(&s);
	kd_sha256_update(&s, data, len);
	kd_sha256_final(&s, out);
}

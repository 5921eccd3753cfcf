/* SHA-256 against FIPS 180-4's examples and, for lengths around every padding boundary, against
 * digests computed once with Python's hashlib over the same pseudo-random bytes. */
#include <stdlib.h>

#include "purgatory/sha256.h"
#include "test.h"

static void hex(const uint8_t d[KD_SHA256_DIGEST_SIZE], char out[2 * KD_SHA256_DIGEST_SIZE + 1])
{
	for (unsigned i = 0; i < KD_SHA256_DIGEST_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_digest(const void *data, size_t len, const char *want)
{
	uint8_t d[KD_SHA256_DIGEST_SIZE];
	char got[2 * KD_SHA256_DIGEST_SIZE + 1];

	kd_sha256(data, len, d);
	hex(d, got);
	CHECK_STR(got, want);
}

/* FIPS 180-4 / NIST CSRC examples: one block, two blocks, 896 bits, a million 'a', empty. */
static void test_fips_vectors(void)
{
	check_digest("abc", 3,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
		"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	check_digest("", 0,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_million_a(void)
{
	/* Once in one buffer, once as 1000 updates of 1000 bytes. */
	char *a = malloc(1000000);
	CHECK(a != NULL);
	if (!a)
		return;
	memset(a, 'a', 1000000);
	check_digest(a, 1000000,
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	struct kd_sha256 s;
	uint8_t d[KD_SHA256_DIGEST_SIZE];
	char got[2 * KD_SHA256_DIGEST_SIZE + 1];
	kd_sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		kd_sha256_update(&s, a, 1000);
	kd_sha256_final(&s, d);
	hex(d, got);
	CHECK_STR(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

/* xorshift64, the top byte of each step; the same generator produced the expected digests. */
static void fill_random(uint8_t *p, size_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ n;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 56);
	}
}

static const struct { size_t len; const char *sha256; } random_vectors[] = {
	{ 1, "fb95aa98d6e6c5827a57ec17b978d647fcc01d98c357b7e64989af57339e9ac3" },
	{ 55, "510aca681d42c1505b138a9feada7c2b51c089960902a6f1320c15d47b1712e6" },
	{ 56, "9b80e336228492b704d92facd100e97d2a6e31a9f1d4f43d7c0b39329ab56d94" },
	{ 57, "3b884bd746c9cd57ca12db1545a738e94fc726a4cd14bb0d0f751e46f9383791" },
	{ 63, "78fafc4d3539687784456c36f07dc303fae02fd0cff695f92e33aae116281a3a" },
	{ 64, "409ed872a9c5a6359450c0bb76a36e3adb412a78c8a396a91baa6241ebf27b9a" },
	{ 65, "8b69b4f976843c4553fb9e4ede7434a6bf19e8beba224052ec303e6a00c3c415" },
	{ 119, "607479eae8e581e78425f607ab67e782d496882f866b7c34b7110850881081d2" },
	{ 120, "4ae9f1c51660f1a8b93c9b486f93087ac68f29dfef16494dadc81500506b8b0f" },
	{ 128, "5ea1e809004fbd39dad402b5b606c30e96181a768170c6e8e81eba35c9f78a5a" },
	{ 1000, "375d226ffb105d4500775ac92871beda3f98bdb01ab2592a30471073b3f6b35d" },
	{ 4096, "179e9df175bbbbb7220cec8d905074963559e9c0a5b7e1e597a88a6a013fcc24" },
	{ 65539, "5906e358d0c1e1b206104d490a313da8b37ac619761de9ddeb0002548a3d92d8" },
};

static void test_random_buffers(void)
{
	for (size_t i = 0; i < sizeof(random_vectors) / sizeof(random_vectors[0]); i++) {
		size_t n = random_vectors[i].len;
		/* +1: an odd start address, so the whole-block path reads unaligned input */
		uint8_t *p = malloc(n + 1);
		CHECK(p != NULL);
		if (!p)
			return;
		fill_random(p + 1, n);
		check_digest(p + 1, n, random_vectors[i].sha256);
		free(p);
	}
}

/* Feeding the same bytes in pieces of every size 1..130 (partial-block top-ups, whole blocks
 * straight from the input, tails) gives the one-shot digest. */
static void test_split_updates(void)
{
	enum { N = 4096 };
	static uint8_t buf[N];
	uint8_t want[KD_SHA256_DIGEST_SIZE], got[KD_SHA256_DIGEST_SIZE];
	int mismatches = 0;

	fill_random(buf, N);
	kd_sha256(buf, N, want);
	for (size_t piece = 1; piece <= 130; piece++) {
		struct kd_sha256 s;
		kd_sha256_init(&s);
		for (size_t off = 0; off < N; off += piece)
			kd_sha256_update(&s, buf + off, off + piece <= N ? piece : N - off);
		kd_sha256_final(&s, got);
		mismatches += memcmp(got, want, sizeof(want)) != 0;
	}
	CHECK_U64(mismatches, 0);

	/* Empty updates change nothing. */
	struct kd_sha256 s;
	kd_sha256_init(&s);
	kd_sha256_update(&s, buf, 0);
	kd_sha256_update(&s, buf, 100);
	kd_sha256_update(&s, buf + 100, 0);
	kd_sha256_update(&s, buf + 100, N - 100);
	kd_sha256_final(&s, got);
	CHECK(memcmp(got, want, sizeof(want)) == 0);
}

TEST_MAIN(T(test_fips_vectors), T(test_million_a), T(test_random_buffers), T(test_split_updates))

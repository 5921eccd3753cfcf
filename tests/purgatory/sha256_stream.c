/* Helper for differential_sha256.py: reads records from stdin, each a little-endian u32 length,
 * a u32 update size and the message, and prints one hex digest per record. The message is fed
 * to kd_sha256_update in pieces of the given size, so the driver also varies the splitting. */
#include <stdio.h>
#include <stdlib.h>

#include "purgatory/sha256.h"

static int read_u32(uint32_t *v)
{
	uint8_t b[4];
	if (fread(b, 1, 4, stdin) != 4)
		return -1;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int main(void)
{
	uint32_t len, piece;

	while (read_u32(&len) == 0) {
		if (read_u32(&piece) != 0 || piece == 0) {
			fprintf(stderr, "sha256_stream: bad record header\n");
			return 2;
		}
		uint8_t *msg = malloc(len ? len : 1);
		if (!msg || fread(msg, 1, len, stdin) != len) {
			fprintf(stderr, "sha256_stream: short record\n");
			return 2;
		}
		struct kd_sha256 s;
		uint8_t d[KD_SHA256_DIGEST_SIZE];
		kd_sha256_init(&s);
		for (uint32_t off = 0; off < len; off += piece)
			kd_sha256_update(&s, msg + off, len - off < piece ? len - off : piece);
		kd_sha256_final(&s, d);
		for (unsigned i = 0; i < KD_SHA256_DIGEST_SIZE; i++)
			printf("%02x", d[i]);
		printf("\n");
		free(msg);
	}
	return ferror(stdin) ? 2 : 0;
}

/* kdumpkit crash lab, guest side: put a known mix of memory in use, report, then hold it until
 * the kernel dies.
 *   lab-memfill --anon MB   anonymous memory: a third zero pages (written, so allocated), a
 *                           third compressible text, a third random bytes
 *   lab-memfill --cache MB DIR   the same mix in files under DIR (page cache, e.g. on tmpfs)
 * Prints "KDLAB: workload ready anon=… cache=…" when done and sleeps forever. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static void fill_page(unsigned char *p, size_t i)
{
	switch (i % 3) {
	case 0:
		memset(p, 0, PAGE);
		break;
	case 1: {
		static const char text[] = "the quick brown fox jumps over the lazy dog 0123456789 ";
		for (size_t j = 0; j < PAGE; j++)
			p[j] = (unsigned char)text[(j + i) % (sizeof(text) - 1)];
		break;
	}
	default:
		for (size_t j = 0; j < PAGE; j += 8) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			memcpy(p + j, &rng, 8);
		}
	}
}

static int fill_anon(size_t mb)
{
	size_t pages = mb * 256;
	unsigned char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("lab-memfill: mmap");
		return -1;
	}
	for (size_t i = 0; i < pages; i++) {
		fill_page(m + i * PAGE, i);
		if (i % 3 == 0)
			m[i * PAGE] = 0; /* zero page, but touched: it is allocated */
	}
	return 0;
}

static int fill_cache(size_t mb, const char *dir)
{
	static unsigned char buf[256 * PAGE];
	size_t left = mb * 256, n = 0;
	while (left) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/cache-%zu", dir, n++);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			perror("lab-memfill: open");
			return -1;
		}
		size_t chunk = left > 256 ? 256 : left;
		for (size_t i = 0; i < chunk; i++)
			fill_page(buf + i * PAGE, i);
		if (write(fd, buf, chunk * PAGE) != (ssize_t)(chunk * PAGE)) {
			perror("lab-memfill: write");
			close(fd);
			return -1;
		}
		close(fd);
		left -= chunk;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t anon = 0, cache = 0;
	const char *dir = "/tmp";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--anon") && i + 1 < argc)
			anon = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--cache") && i + 2 < argc) {
			cache = strtoul(argv[++i], NULL, 0);
			dir = argv[++i];
		} else {
			fprintf(stderr, "usage: lab-memfill [--anon MB] [--cache MB DIR]\n");
			return 2;
		}
	}
	if ((cache && fill_cache(cache, dir)) || (anon && fill_anon(anon)))
		return 1;
	printf("KDLAB: workload ready anon=%zuM cache=%zuM\n", anon, cache);
	fflush(stdout);
	for (;;)
		pause();
}

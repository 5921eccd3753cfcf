/* libFuzzer: opening a kdump-compressed or flattened dump (headers, bitmaps, descriptor index,
 * notes, VMCOREINFO, flattened record index) and reading pages through it, from a file whose
 * bytes are the input. Built twice, with the kdump_dump and the flat_dump seed corpora. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmcore/dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-kdump", 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct kd_dump *d;
	kd_err *e = kd_dump_open(path, &d);
	if (e) {
		kd_err_free(e);
		return 0;
	}
	uint32_t ps = kd_dump_page_size(d);
	uint64_t max = kd_dump_max_pfn(d);
	uint8_t ex[64], held[64];
	uint8_t *page = malloc(ps * 2);
	/* the first 512 pfns: every held page once, twice for the cache */
	if (!kd_dump_pfn_bitmaps(d, 0, 512, ex, held)) {
		for (uint64_t p = 0; p < 512 && p < max; p++)
			if (held[p / 8] >> (p % 8) & 1)
				kd_err_free(kd_dump_read_pages(d, p, 1, page));
	}
	kd_err_free(kd_dump_read_pages(d, 0, 2, page));
	kd_err_free(kd_dump_read_pages(d, max ? max - 1 : 0, 1, page));
	struct kd_mem m = kd_dump_mem(d);
	uint8_t buf[64];
	static const uint64_t probes[] = { 0, 0xff8, 0x1000, 0xffffffff81000000ULL,
					   0xffffc90000000000ULL, UINT64_MAX - 8 };
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		kd_err_free(m.read_phys(m.ctx, probes[i], buf, sizeof(buf)));
		kd_err_free(m.read_phys(m.ctx, probes[i], buf, sizeof(buf)));
		kd_err_free(kd_mem_read(&m, probes[i], buf, sizeof(buf)));
	}
	uint32_t level;
	kd_dump_level(d, &level);
	const struct kd_note *notes;
	size_t n = kd_dump_notes(d, &notes);
	for (size_t i = 0; i < n; i++)
		if (notes[i].name == NULL)
			abort();
	free(page);
	kd_dump_close(d);
	return 0;
}

/* libFuzzer: opening an ELF dump (headers, program headers, notes, VMCOREINFO) and reading
 * through it, physical and virtual, from a file whose bytes are the input. */
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
		fd = memfd_create("fuzz-dump", 0);
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
	struct kd_mem m = kd_dump_mem(d);
	uint8_t buf[64];
	static const uint64_t probes[] = { 0, 0x1000, 0xffffffff81000000ULL, 0xff11000000001000ULL,
					   0xffffc90000000000ULL, UINT64_MAX - 8 };
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		kd_err_free(m.read_phys(m.ctx, probes[i], buf, sizeof(buf)));
		kd_err_free(kd_mem_read(&m, probes[i], buf, sizeof(buf)));
	}
	const struct kd_note *notes;
	size_t n = kd_dump_notes(d, &notes);
	for (size_t i = 0; i < n; i++)
		if (notes[i].descsz && ((const uint8_t *)notes[i].desc)[0] == 0xAA &&
		    notes[i].name == NULL)
			abort();
	kd_dump_close(d);
	return 0;
}

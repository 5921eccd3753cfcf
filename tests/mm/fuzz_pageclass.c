/* libFuzzer target for the classifier: hostile VMCOREINFO and hostile memory. The input is
 * split at the first NUL: the first part is VMCOREINFO lines appended to a model kernel's (the
 * last line wins, so they override any value), the rest is written over the model's
 * mem_section and struct pages. Must never crash, hang or read out of bounds; every class
 * must be one of the enum. */
#include <stdlib.h>
#include <string.h>

#include "fakemm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct fakemm f;
	fm_init(&f);
	fm_kernel_small(&f, data[0] & 1 ? 612 : 61);
	data++, size--;
	const uint8_t *nul = memchr(data, 0, size);
	size_t vlen = nul ? (size_t)(nul - data) : size;
	char *text = malloc(vlen + 1);
	memcpy(text, data, vlen);
	text[vlen] = 0;
	fm_vi(&f, "%s", text);
	free(text);
	const uint8_t *mem = nul ? nul + 1 : data + size;
	size_t mlen = (size_t)(data + size - mem);
	/* first 64 bytes over the mem_section entries, the rest over the struct pages of the
	 * first two sections, repeated every 5 pages of them so heads and tails meet */
	if (mlen) {
		size_t k = mlen < 64 ? mlen : 64;
		fm_put(&f, f.sections, mem, k);
		mem += k, mlen -= k;
	}
	uint64_t map_bytes = 2 * f.section_pfns * 64;
	if (mlen > map_bytes)
		mlen = (size_t)map_bytes;
	for (uint64_t off = 0; mlen && off + mlen <= map_bytes; off += 4096 * 5)
		fm_put(&f, fm_page(&f, 0) + off, mem, mlen);
	uint64_t max_pfn = f.max_pfn;
	if (size > 3)
		max_pfn = ((uint64_t)data[size - 1] << 8 | data[size - 2]) & 0x3fff;
	struct kd_mm *mm = NULL;
	kd_err *e = kd_mm_open(fm_finish(&f, NULL), max_pfn, &mm);
	if (!e) {
		uint64_t align = kd_mm_cycle_align(mm);
		uint64_t cycle = align > 8192 ? align : 8192 / align * align;
		uint8_t *cls = malloc(cycle);
		for (uint64_t s = 0; s < max_pfn; s += cycle) {
			uint64_t end = s + cycle < max_pfn ? s + cycle : max_pfn;
			kd_err *e2 = kd_mm_classify(mm, s, end, cls);
			if (e2)
				abort(); /* aligned calls below max_pfn never fail */
			for (uint64_t i = 0; i < end - s; i++)
				if (cls[i] >= KD_PAGE_NCLASSES)
					abort();
		}
		(void)kd_mm_problem(mm);
		free(cls);
		kd_mm_close(mm);
	}
	kd_err_free(e);
	fm_free(&f);
	return 0;
}

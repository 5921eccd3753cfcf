/* libFuzzer: the VMCOREINFO parser and every typed lookup on what it parsed. */
#include <stdint.h>
#include <stdlib.h>

#include "vmcore/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_vmcoreinfo *vi;
	if (kd_vmcoreinfo_parse((const char *)data, size, &vi))
		return 0;
	uint64_t v;
	int64_t n;
	kd_err_free(kd_vmcoreinfo_symbol(vi, "prb", &v));
	kd_err_free(kd_vmcoreinfo_offset(vi, "printk_info.seq", &v));
	kd_err_free(kd_vmcoreinfo_size(vi, "page", &v));
	kd_err_free(kd_vmcoreinfo_length(vi, "zone.free_area", &v));
	kd_err_free(kd_vmcoreinfo_number(vi, "PG_lru", &n));
	kd_err_free(kd_vmcoreinfo_hex(vi, "KERNELOFFSET", &v));
	kd_err_free(kd_vmcoreinfo_dec(vi, "CRASHTIME", &v));
	size_t len;
	if (kd_vmcoreinfo_text(vi, &len) == NULL || len > size)
		abort();
	kd_vmcoreinfo_free(vi);
	return 0;
}

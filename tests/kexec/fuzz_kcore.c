/* libFuzzer: the /proc/kcore head parser (ELF header, PN_XNUM's section header 0, program
 * headers, the text and direct-map segments). Must never crash or read past len; when it asks
 * for more bytes, the request is past len and within its own cap. */
#include <stdint.h>
#include <stdlib.h>

#include "kexec/crash_headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_kcore_info ki;
	size_t need = 0;
	kd_err *e = kd_kcore_parse(data, size, &ki, &need);
	if (need && (need <= size || need > KD_KCORE_MAX_HEAD))
		abort();
	if (!e && (ki.text_vaddr < KD_KERNEL_MAP_START || ki.text_vaddr >= KD_KERNEL_MAP_END ||
		   !ki.text_size))
		abort();
	kd_err_free(e);
	return 0;
}

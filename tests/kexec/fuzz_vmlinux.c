/* libFuzzer: ELF vmlinux layout (ELF header, program headers, PT_LOADs by physical address).
 * Must never crash or read past size; what it accepts must be what kexec_load can place: a
 * 2 MiB-aligned start, at most 1 GiB, the entry inside, the file bytes within memsz. */
#include <stdint.h>
#include <stdlib.h>

#include "kexec/vmlinux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_vmlinux v;
	kd_err *e = kd_vmlinux_load(data, size, &v);
	if (!e && (v.paddr % KD_VMLINUX_ALIGN || v.memsz == 0 || v.memsz > KD_VMLINUX_MAX_SPAN ||
		   v.bufsz > v.memsz || v.entry < v.paddr || v.entry - v.paddr >= v.memsz ||
		   !v.buf))
		abort();
	if (e && v.buf)
		abort();
	kd_err_free(e);
	kd_vmlinux_free(&v);
	return 0;
}

/* x86_64 NT_PRSTATUS decoding: see prstatus.h. */
#include "report/prstatus.h"

#include <errno.h>
#include <string.h>

static const char *const names[KD_NREGS] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx",
	"rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds",
	"es", "fs", "gs",
};

const char *kd_x86_reg_name(enum kd_x86_reg r)
{
	return (unsigned)r < KD_NREGS ? names[r] : "?";
}

kd_err *kd_prstatus_decode(const void *desc, size_t len, struct kd_prstatus *out)
{
	if (!desc || len < KD_PRSTATUS_MIN_SIZE)
		return kd_err_new(EINVAL, "NT_PRSTATUS note of %zu bytes, an x86_64 elf_prstatus "
					  "needs %d", len, KD_PRSTATUS_MIN_SIZE);
	const unsigned char *p = desc;
	memcpy(&out->pid, p + KD_PRSTATUS_PID_OFFSET, sizeof(out->pid));
	memcpy(out->reg, p + KD_PRSTATUS_REG_OFFSET, sizeof(out->reg));
	return NULL;
}

/* The registers each CPU's NT_PRSTATUS note holds (x86_64 struct elf_prstatus: pr_pid at
 * offset 32, pr_reg, a struct user_regs_struct of 27 u64, at offset 112). In a vmcore there is
 * one note per CPU, in CPU order; the CPU that went to kdump saved its own (crash_save_cpu on
 * the panic path), the others were stopped by an NMI and saved the state it interrupted. */
#ifndef KD_REPORT_PRSTATUS_H
#define KD_REPORT_PRSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum kd_x86_reg {
	KD_R15, KD_R14, KD_R13, KD_R12, KD_RBP, KD_RBX, KD_R11, KD_R10, KD_R9, KD_R8, KD_RAX,
	KD_RCX, KD_RDX, KD_RSI, KD_RDI, KD_ORIG_RAX, KD_RIP, KD_CS, KD_EFLAGS, KD_RSP, KD_SS,
	KD_FS_BASE, KD_GS_BASE, KD_DS, KD_ES, KD_FS, KD_GS, KD_NREGS
};

struct kd_prstatus {
	int32_t pid;
	uint64_t reg[KD_NREGS];
};

#define KD_PRSTATUS_REG_OFFSET 112
#define KD_PRSTATUS_PID_OFFSET 32
#define KD_PRSTATUS_MIN_SIZE (KD_PRSTATUS_REG_OFFSET + KD_NREGS * 8)

/* EINVAL when the note is too short for an x86_64 elf_prstatus. */
kd_err *kd_prstatus_decode(const void *desc, size_t len, struct kd_prstatus *out);
/* "rip", "rsp", ... (lower case, as in user_regs_struct). */
const char *kd_x86_reg_name(enum kd_x86_reg r);

#endif

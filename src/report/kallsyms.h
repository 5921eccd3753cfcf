/* The kernel's own symbol table, read from the dead kernel's memory: no vmlinux needed.
 *
 * Linux 6.0+ exports the kallsyms tables in VMCOREINFO (SYMBOL(kallsyms_names),
 * kallsyms_num_syms, kallsyms_token_table, kallsyms_token_index, and either kallsyms_offsets +
 * kallsyms_relative_base or kallsyms_addresses). The tables are compressed:
 *   names        per symbol: a length (one byte, or two when the first has bit 7 set: the low
 *                7 bits then the next byte's 8 as bits 7..14; 6.1+), then that many token
 *                numbers; a token is a short string (token_table at token_index[n]). The first
 *                character of the expanded name is the symbol's type ('T', 't', 'D', ...).
 *   offsets      s32 per symbol. Plain relative: address = relative_base + (u32)offset.
 *                "Absolute percpu" (x86_64 SMP kernels before 6.15): offset >= 0 is the
 *                address itself (per-cpu symbols), offset < 0 means relative_base - 1 - offset.
 *   addresses    u64 per symbol (kernels built without base-relative kallsyms).
 * Which offset encoding the kernel used is decided by the symbol _stext, whose address
 * VMCOREINFO gives independently; without it, by the sign of most offsets.
 *
 * The dump is untrusted: every count and length is bounded, every read checked. */
#ifndef KD_REPORT_KALLSYMS_H
#define KD_REPORT_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "vmcore/mem.h"

/* Upper bound on the symbol count accepted from a dump (a large distribution kernel has
 * ~200k). */
#define KD_KALLSYMS_MAX_SYMS (1u << 22)
/* Longest expanded name kept (the kernel's KSYM_NAME_LEN is 512 since 6.1). */
#define KD_KALLSYMS_NAME_MAX 512

struct kd_kallsyms;

struct kd_ksym {
	const char *name; /* without the type character; valid while the table lives */
	char type;        /* 'T', 't', 'W', 'D', ... */
	uint64_t addr;    /* the symbol's start */
	uint64_t offset;  /* the looked-up address minus addr */
	uint64_t size;    /* distance to the next symbol at a higher address (0: unknown) */
};

/* Read and decode the tables. ENOENT (with the missing key named) when VMCOREINFO does not
 * export them: kernels before 6.0. */
kd_err *kd_kallsyms_load(const struct kd_mem *mem, struct kd_kallsyms **out);
void kd_kallsyms_free(struct kd_kallsyms *ks);

size_t kd_kallsyms_count(const struct kd_kallsyms *ks);
/* "relative", "absolute-percpu" or "absolute"; and whether _stext confirmed it. */
const char *kd_kallsyms_encoding(const struct kd_kallsyms *ks, int *verified);

/* The symbol containing addr, as the kernel's kallsyms_lookup() picks it (the first of several
 * at one address; the size runs to the next higher address). Only addresses inside the kernel
 * image (_stext.._end, when those are known) are looked up. Returns 0 when found, -1 if not. */
int kd_kallsyms_lookup(const struct kd_kallsyms *ks, uint64_t addr, struct kd_ksym *out);
/* Address of the first symbol named `name`; 0 when found, -1 if not. */
int kd_kallsyms_find(const struct kd_kallsyms *ks, const char *name, uint64_t *addr);
/* The i-th symbol in address order (size: to the next higher address); 0, or -1 past the
 * end. For listing and for checking the table against a debugger. */
int kd_kallsyms_nth(const struct kd_kallsyms *ks, size_t i, struct kd_ksym *out);
/* Is addr inside the kernel's text (_stext.._etext or _sinittext.._einittext)? */
int kd_kallsyms_is_text(const struct kd_kallsyms *ks, uint64_t addr);

/* "func+0x5/0xfe3" as the kernel prints it, or "0x<hex>" when unknown. */
void kd_kallsyms_format(const struct kd_kallsyms *ks, uint64_t addr, char *buf, size_t n);

#endif

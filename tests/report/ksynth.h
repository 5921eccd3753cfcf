/* Synthetic kallsyms tables in fake dead-kernel memory (tests/printk/fakemem.h), laid out at
 * fixed offsets so the unit test, the fuzz target and its seeds agree. Names are encoded with
 * one token per character, plus a few multi-character tokens (bytes 0x01-0x04) the way the
 * kernel's table mixes them. */
#ifndef KD_TEST_REPORT_KSYNTH_H
#define KD_TEST_REPORT_KSYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "../printk/fakemem.h"

#define KS_BASE        0xffffffff82000000ull /* where the tables live (compact: fuzzing) */
#define KS_SIZE        0x40000u
#define KS_NUM_SYMS    (KS_BASE + 0x0000)
#define KS_REL_BASE    (KS_BASE + 0x0008)
#define KS_TOKEN_INDEX (KS_BASE + 0x0010)
#define KS_TOKEN_TABLE (KS_BASE + 0x0210)
#define KS_OFFSETS     (KS_BASE + 0x0600)
#define KS_NAMES       (KS_BASE + 0x0800)
#define KS_TEXT        0xffffffff81000000ull /* the symbols' _stext */

enum ks_encoding { KS_RELATIVE, KS_ABS_PERCPU, KS_ABSOLUTE };

struct ks_sym {
	const char *name; /* with the type first: "Tfunc" */
	uint64_t addr;
};

/* Write the tables for syms[] into f and add the VMCOREINFO lines (SYMBOL(_stext) only when
 * stext != 0). Returns the end of the names table. Call fake_finish() afterwards. */
uint64_t ks_build(struct fake_mem *f, const struct ks_sym *syms, size_t n, enum ks_encoding enc,
		  uint64_t rel_base, uint64_t stext);
/* Only the VMCOREINFO lines (the fuzz target's memory comes from its input). */
void ks_vmcoreinfo(struct fake_mem *f, enum ks_encoding enc, uint64_t stext);

#endif

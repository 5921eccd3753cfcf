/* Synthetic ELF vmcores for unit tests: physical memory as a byte array, x86_64 page tables
 * built inside it, a VMCOREINFO note, written to a temporary file kd_dump_open() can read. */
#ifndef KD_TEST_SYNTH_H
#define KD_TEST_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#define SYNTH_START_KERNEL_MAP 0xffffffff80000000ULL

struct synth {
	uint8_t *mem;        /* physical memory, starting at paddr 0 */
	uint64_t size;
	uint64_t next_table; /* bump allocator for page-table pages */
	uint64_t pgd;        /* physical address of the root table */
	int levels;
	uint64_t sme_mask;   /* OR-ed into every entry the builder writes */
	char vmcoreinfo[4096];
};

/* Memory of `size` bytes; page tables are allocated from `tables_at` upwards. */
void synth_init(struct synth *s, uint64_t size, int levels, uint64_t tables_at);
void synth_free(struct synth *s);
/* Map vaddr -> paddr with a leaf of page_size 4K, 2M or 1G. */
void synth_map(struct synth *s, uint64_t vaddr, uint64_t paddr, uint64_t page_size);
/* Append a line to VMCOREINFO. */
void synth_info(struct synth *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write an ELF core with one PT_NOTE (two NT_PRSTATUS + VMCOREINFO) and PT_LOADs for the
 * ranges [lo, hi) given as pairs (count pairs). Returns a malloc'ed path (caller unlinks). */
char *synth_write(struct synth *s, const uint64_t *ranges, size_t count);

#endif

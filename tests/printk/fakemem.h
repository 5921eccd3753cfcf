/* Synthetic dead-kernel memory for the printk tests and the fuzz target: a byte array mapped at
 * one kernel virtual address, an optional hole where reads fail (as an excluded page would), and
 * a VMCOREINFO text built line by line. */
#ifndef KD_TEST_PRINTK_FAKEMEM_H
#define KD_TEST_PRINTK_FAKEMEM_H

#include <stddef.h>
#include <stdint.h>

#include "fake_vmcoreinfo.h"
#include "printk/printk.h"

struct fake_mem {
	unsigned char *buf;
	size_t size;
	uint64_t base;
	uint64_t hole_start, hole_end; /* [start, end) unreadable; equal: no hole */
	struct fake_vmcoreinfo vi;
	struct kd_mem mem;
	unsigned reads; /* reads made, to check that walks stay bounded */
};

void fake_init(struct fake_mem *f, uint64_t base, size_t size);
void fake_free(struct fake_mem *f);
/* Append one VMCOREINFO line. */
void fake_vi(struct fake_mem *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse the VMCOREINFO, leaving out lines that start with `omit` (NULL: none). */
struct kd_mem *fake_finish(struct fake_mem *f, const char *omit);

void fake_put(struct fake_mem *f, uint64_t addr, const void *p, size_t n);
void fake_put16(struct fake_mem *f, uint64_t addr, uint16_t v);
void fake_put32(struct fake_mem *f, uint64_t addr, uint32_t v);
void fake_put64(struct fake_mem *f, uint64_t addr, uint64_t v);

/* kd_printk_write into a string (caller frees). *err gets the formatted error or NULL. */
char *fake_dmesg(struct fake_mem *f, char **err, struct kd_printk_stats *st);

#endif

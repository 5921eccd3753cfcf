/* One reader for every dump format: an ELF vmcore (a file or /proc/vmcore), and later
 * kdump-compressed, flattened and QEMU dump-guest-memory files. Opening finds the format,
 * the notes and VMCOREINFO; reads go through kd_dump_mem(), which translates kernel virtual
 * addresses with the dump's own page tables (x86_64.c) when it must. */
#ifndef KD_VMCORE_DUMP_H
#define KD_VMCORE_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "vmcore/mem.h"
#include "vmcore/vmcoreinfo.h"

struct kd_dump;

kd_err *kd_dump_open(const char *path, struct kd_dump **out);
void kd_dump_close(struct kd_dump *d);

/* "ELF", "kdump-compressed", "flattened" */
const char *kd_dump_format(const struct kd_dump *d);
/* NULL when the dump carries no VMCOREINFO. */
const struct kd_vmcoreinfo *kd_dump_vmcoreinfo(const struct kd_dump *d);
/* The dead kernel's memory; valid while the dump is open. */
struct kd_mem kd_dump_mem(struct kd_dump *d);

/* The ELF notes (NT_PRSTATUS per CPU, VMCOREINFO, ...), in file order. */
struct kd_note {
	const char *name; /* NUL-terminated */
	uint32_t type;
	const void *desc;
	size_t descsz;
};
size_t kd_dump_notes(const struct kd_dump *d, const struct kd_note **notes);

#endif

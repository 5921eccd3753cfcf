/* The e820 memory map handed to the next kernel in boot_params. For kexec -l it is the firmware
 * map as the running kernel received it (/sys/firmware/memmap); for kexec -p it is the capture
 * kernel's view, built from /proc/iomem exactly as x86's kexec_file_load builds it
 * (crash_setup_memmap_entries, 6.1 and 6.12): the capture kernel may only run in the crash
 * region, and must still see the ACPI, NVS and reserved ranges. */
#ifndef KD_KEXEC_E820_H
#define KD_KEXEC_E820_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/iomem.h"
#include "kexec/crash_region.h"
#include "kexec/mem_range.h"

#define KD_E820_RAM 1
#define KD_E820_RESERVED 2
#define KD_E820_ACPI 3
#define KD_E820_NVS 4
#define KD_E820_UNUSABLE 5
#define KD_E820_PMEM 7
#define KD_E820_PRAM 12
#define KD_E820_SOFT_RESERVED 0xefffffff

struct kd_e820_entry { uint64_t addr, size; uint32_t type; };
struct kd_e820 { struct kd_e820_entry *e; size_t n, cap; };

kd_err *kd_e820_add(struct kd_e820 *m, uint64_t addr, uint64_t size, uint32_t type);
void kd_e820_sort(struct kd_e820 *m); /* by address (then size) */
void kd_e820_free(struct kd_e820 *m);

/* The e820 type of a /sys/firmware/memmap "type" string ("System RAM", "ACPI Tables", ...);
 * a string the kernel does not print for a known type is RESERVED. */
uint32_t kd_e820_type_of(const char *name);

/* -l: the firmware map from dir (normally "/sys/firmware/memmap"): each numbered subdirectory
 * holds start, end (hex, inclusive) and type. Sorted. Error if dir is missing or has no entry. */
kd_err *kd_e820_from_memmap_dir(const char *dir, struct kd_e820 *out);

/* -p: the capture kernel's map, sorted by address:
 *  - "System RAM" below 1 MiB as RAM;
 *  - every "ACPI Tables" as ACPI, "ACPI Non-volatile Storage" as NVS, "Reserved" as RESERVED
 *    (at any depth, a match nested inside one already taken skipped, as the kernel walks);
 *  - the crash regions other than cr->r[cr->main] (the ",low" one) as RAM;
 *  - the main crash region minus the `exclude` ranges (the ELF core header segment), each
 *    piece of at least 4096 bytes as RAM.
 * cr->n must be > 0. */
kd_err *kd_e820_for_crash(const struct kd_iomem *io, const struct kd_crash_regions *cr,
			  const struct kd_mem_range *exclude, size_t nexclude, struct kd_e820 *out);

#endif

/* The ELF core header a capture kernel reads as elfcorehdr= and turns into /proc/vmcore: what
 * x86_64's kexec_file_load builds inside the kernel (crash_prepare_elf64_headers after
 * elf_header_exclude_ranges), built here from what the running kernel exports: the per-CPU
 * crash note buffers and the VMCOREINFO note from sysfs, the kernel text mapping and the
 * direct-map base (KASLR, 4- or 5-level paging) from /proc/kcore's program headers, and the
 * System RAM ranges from /proc/iomem. */
#ifndef KD_KEXEC_CRASH_HEADERS_H
#define KD_KEXEC_CRASH_HEADERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/iomem.h"
#include "kexec/crash_region.h"
#include "kexec/mem_range.h"

/* x86_64's kernel image mapping (__START_KERNEL_map, 1 GiB): the text lies here, KASLR or not;
 * module space starts at its end (or inside it without KASLR, but with no physical address). */
#define KD_KERNEL_MAP_START 0xffffffff80000000ULL
#define KD_KERNEL_MAP_END   0xffffffffc0000000ULL

/* The sizeof(note_buf_t) of x86_64 kernels (two 12-byte note headers, "CORE" padded to 8, a
 * 336-byte elf_prstatus): used only when crash_notes_size is missing (kernels before 4.x). */
#define KD_X86_64_NOTE_BUF_SIZE 368

struct kd_kcore_info {
	uint64_t text_vaddr, text_paddr, text_size; /* _text, __pa_symbol(_text), _end - _text */
	uint64_t page_offset;                       /* direct map base: vaddr - paddr of RAM */
};

/* Longest head of /proc/kcore kd_kcore_parse accepts needing (ELF header, section header 0 and
 * program headers). */
#define KD_KCORE_MAX_HEAD (16u << 20)

/* Parse the head of a /proc/kcore file (buf: its first len bytes): the ELF header, e_phnum or
 * (PN_XNUM) section header 0's sh_info, and the program headers. The text is the PT_LOAD with
 * p_vaddr in [KD_KERNEL_MAP_START, KD_KERNEL_MAP_END) and a physical address (KCORE_TEXT); the
 * direct map is p_vaddr - p_paddr of a PT_LOAD below KD_KERNEL_MAP_START with a physical address
 * (KCORE_RAM; p_paddr == -1 marks vmalloc, modules, vmemmap). When the headers run past len,
 * fails and sets *need to the length that would hold them (else *need = 0). */
kd_err *kd_kcore_parse(const void *buf, size_t len, struct kd_kcore_info *ki, size_t *need);
/* Read the head of a kcore file (never its data) and parse it. */
kd_err *kd_kcore_read(const char *path, struct kd_kcore_info *ki);

struct kd_crash_info {
	size_t ncpus;
	struct { uint64_t paddr, size; } *notes; /* one per CPU, in cpu number order */
	uint64_t vmcoreinfo_paddr, vmcoreinfo_size;
	uint64_t text_paddr, text_vaddr, text_size; /* kernel text mapping: _text.._end */
	uint64_t page_offset;    /* direct map base (KASLR-randomised page_offset_base) */
	size_t nram;
	struct kd_mem_range *ram; /* System RAM minus [0, 1 MiB) minus every crash region, sorted */
};

/* Gather everything the header needs. root is prefixed to every path ("" on a real system; a
 * test passes a directory): <root>/sys/devices/system/cpu/cpuN/crash_notes{,_size},
 * <root>/sys/kernel/vmcoreinfo, <root>/proc/kcore. io is /proc/iomem: "Kernel code" gives the
 * text's physical address (checked against kcore's), "System RAM" the ranges. */
kd_err *kd_crash_info_read(const char *root, const struct kd_iomem *io,
			   const struct kd_crash_regions *cr, struct kd_crash_info *ci);
void kd_crash_info_free(struct kd_crash_info *ci);

/* The ELF64 core header, field for field as the kernel writes it: ET_CORE, EM_X86_64,
 * e_phoff 64; one PT_NOTE per CPU, one for VMCOREINFO, a PT_LOAD for the kernel text and one
 * per RAM range (p_vaddr = start + page_offset), RWX, p_align 0. *buf is malloc'd, *len bytes
 * (64 + 56 per header; not rounded to a page). More than 65534 headers is an error. */
kd_err *kd_crash_headers_build(const struct kd_crash_info *ci, void **buf, size_t *len);

#endif

/* The purgatory as the loader handles it: an ELF64 relocatable object (purgatory.ro, embedded
 * in kdumpkit) laid out as one block of memory, relocated for the physical address the block
 * is loaded at, and patched through its symbols (the SHA-256 table, boot_params, the entry).
 * The object is parsed like untrusted input: every offset, index and size is checked. */
#ifndef KD_KEXEC_PURGATORY_IMAGE_H
#define KD_KEXEC_PURGATORY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct kd_purgatory {
	uint8_t *image;     /* the allocated sections at their offsets (.bss zeroed) */
	size_t size;        /* bytes of image */
	uint64_t align;     /* the largest section alignment: the block's load alignment */
	uint64_t addr;      /* physical address relocated for (kd_purgatory_relocate) */
	int relocated;
	/* the object, kept for relocation and symbol lookups */
	const uint8_t *obj;
	size_t objlen;
	uint16_t machine;
	unsigned shnum;
	struct kd_purgatory_sec {
		uint32_t type, link, info;
		uint64_t flags, offset, size, align, entsize;
		uint64_t at;    /* offset in image; UINT64_MAX if not allocated */
	} *sec;
	unsigned symtab;    /* section index of SHT_SYMTAB */
};

/* Lay out obj (len bytes; must outlive p). Errors (ENOEXEC) say what is wrong with it. */
kd_err *kd_purgatory_open(const void *obj, size_t len, struct kd_purgatory *p);
/* Apply every relocation for a load at physical address addr (a multiple of p->align).
 * Once only. */
kd_err *kd_purgatory_relocate(struct kd_purgatory *p, uint64_t addr);
/* A defined symbol's offset in the image and its size (ENOENT if absent or not allocated). */
kd_err *kd_purgatory_symbol(const struct kd_purgatory *p, const char *name, uint64_t *offset,
			    uint64_t *size);
/* Write len bytes at the symbol, which must be exactly len bytes long. */
kd_err *kd_purgatory_set(struct kd_purgatory *p, const char *name, const void *val, size_t len);
void kd_purgatory_close(struct kd_purgatory *p);

/* Per-architecture relocation: patch loc (room bytes available) for relocation type with
 * symbol value S, addend A and place P (both physical). */
kd_err *kd_reloc_x86_64(uint32_t type, uint8_t *loc, size_t room, uint64_t S, int64_t A,
			uint64_t P);

#endif

/* ELF64 as dump files use it: the file header, the program headers (PT_LOAD, PT_NOTE) and note
 * lists. Parsers work on bytes already read, so they are pure and fuzzable; every offset and
 * size from the file is checked before use. Little-endian only (x86_64, arm64). */
#ifndef KD_ELF_ELF64_H
#define KD_ELF_ELF64_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* More program headers than this in one file is treated as hostile. */
#define KD_ELF_MAX_PHDRS (1u << 20)

struct kd_elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct kd_elf_core {
	uint16_t type;     /* ET_CORE for vmcores */
	uint16_t machine;  /* EM_X86_64, ... */
	uint64_t phoff;
	uint32_t phnum;    /* real count (PN_XNUM resolved) */
	struct kd_elf_phdr *phdrs;
};

/* Check the 64-byte file header. Returns in *phnum the count from e_phnum, or PN_XNUM when the
 * real count must be read from section header 0 (kd_elf_xnum). */
kd_err *kd_elf_parse_ehdr(const void *buf, size_t len, struct kd_elf_core *core,
			  uint16_t *phnum_field, uint64_t *shoff);
/* With e_phnum == PN_XNUM, section header 0's sh_info has the count. */
kd_err *kd_elf_xnum(const void *shdr0, size_t len, uint32_t *phnum);
/* Decode core->phnum program headers from buf (phnum * 56 bytes). Each segment must lie within
 * file_size unless allow_truncated, in which case it is kept and later reads past the end fail. */
kd_err *kd_elf_parse_phdrs(const void *buf, size_t len, struct kd_elf_core *core,
			   uint64_t file_size);
void kd_elf_core_free(struct kd_elf_core *core);

struct kd_elf_note {
	const char *name;  /* points into the blob; NUL-terminated within namesz, or "" */
	uint32_t namesz, type;
	const uint8_t *desc;
	uint32_t descsz;
};

/* Walk a PT_NOTE blob: calls fn for each note, stops at the end, at a zero terminator note, or
 * at the first malformed note (error). fn returning non-NULL stops the walk with that error. */
kd_err *kd_elf_notes_walk(const void *blob, size_t len,
			  kd_err *(*fn)(void *ctx, const struct kd_elf_note *note), void *ctx);

#endif

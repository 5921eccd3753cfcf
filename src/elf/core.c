#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf64.h"

kd_err *kd_elf_parse_ehdr(const void *buf, size_t len, struct kd_elf_core *core,
			  uint16_t *phnum_field, uint64_t *shoff)
{
	memset(core, 0, sizeof(*core));
	if (len < sizeof(Elf64_Ehdr))
		return kd_err_new(EINVAL, "file too short for an ELF header (%zu bytes)", len);
	const Elf64_Ehdr *eh = buf;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return kd_err_new(EINVAL, "no ELF magic");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return kd_err_new(EINVAL, "not a 64-bit ELF file (class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return kd_err_new(EINVAL, "not a little-endian ELF file");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return kd_err_new(EINVAL, "program header size %u, expected %zu", eh->e_phentsize,
				  sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0)
		return kd_err_new(EINVAL, "no program headers");
	core->type = eh->e_type;
	core->machine = eh->e_machine;
	core->phoff = eh->e_phoff;
	core->phnum = eh->e_phnum;
	*phnum_field = eh->e_phnum;
	*shoff = eh->e_shoff;
	if (eh->e_phnum == PN_XNUM && eh->e_shoff == 0)
		return kd_err_new(EINVAL, "e_phnum is PN_XNUM but there is no section header");
	return NULL;
}

kd_err *kd_elf_xnum(const void *shdr0, size_t len, uint32_t *phnum)
{
	if (len < sizeof(Elf64_Shdr))
		return kd_err_new(EINVAL, "section header 0 is truncated");
	Elf64_Shdr sh; /* copied: the caller's buffer need not be aligned */
	memcpy(&sh, shdr0, sizeof(sh));
	if (sh.sh_info == 0 || sh.sh_info > KD_ELF_MAX_PHDRS)
		return kd_err_new(EINVAL, "implausible program header count %u", sh.sh_info);
	*phnum = sh.sh_info;
	return NULL;
}

kd_err *kd_elf_parse_phdrs(const void *buf, size_t len, struct kd_elf_core *core,
			   uint64_t file_size)
{
	if (core->phnum == 0 || core->phnum > KD_ELF_MAX_PHDRS)
		return kd_err_new(EINVAL, "implausible program header count %u", core->phnum);
	if (len / sizeof(Elf64_Phdr) < core->phnum)
		return kd_err_new(EINVAL, "program header table truncated");
	core->phdrs = calloc(core->phnum, sizeof(*core->phdrs));
	if (!core->phdrs)
		return kd_err_new(ENOMEM, "allocating %u program headers", core->phnum);
	for (uint32_t i = 0; i < core->phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, (const uint8_t *)buf + i * sizeof(ph), sizeof(ph));
		struct kd_elf_phdr *p = &core->phdrs[i];
		p->type = ph.p_type;
		p->flags = ph.p_flags;
		p->offset = ph.p_offset;
		p->vaddr = ph.p_vaddr;
		p->paddr = ph.p_paddr;
		p->filesz = ph.p_filesz;
		p->memsz = ph.p_memsz;
		if (p->type != PT_LOAD && p->type != PT_NOTE)
			continue;
		int bad_load = p->type == PT_LOAD &&
			       (p->filesz > p->memsz || p->paddr > UINT64_MAX - p->memsz);
		kd_err *e = NULL;
		if (p->offset > UINT64_MAX - p->filesz || bad_load)
			e = kd_err_new(EINVAL, "program header %u: offset %#llx size %#llx/%#llx "
				       "overflows", i, (unsigned long long)p->offset,
				       (unsigned long long)p->filesz, (unsigned long long)p->memsz);
		else if (file_size && p->offset + p->filesz > file_size && p->type == PT_NOTE)
			e = kd_err_new(EINVAL, "PT_NOTE %u ends at %#llx, past the end of the file "
				       "(%#llx)", i, (unsigned long long)(p->offset + p->filesz),
				       (unsigned long long)file_size);
		if (e) {
			kd_elf_core_free(core);
			return e;
		}
	}
	return NULL;
}

void kd_elf_core_free(struct kd_elf_core *core)
{
	free(core->phdrs);
	core->phdrs = NULL;
}

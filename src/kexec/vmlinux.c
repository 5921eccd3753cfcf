#include "kexec/vmlinux.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PHDRS 64

static kd_err *bad(const char *what)
{
	return kd_err_new(ENOEXEC, "ELF vmlinux: %s", what);
}

kd_err *kd_vmlinux_load(const uint8_t *buf, size_t len, struct kd_vmlinux *v)
{
	memset(v, 0, sizeof(*v));
	Elf64_Ehdr eh;
	if (len < sizeof(eh))
		return bad("truncated ELF header");
	memcpy(&eh, buf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		return bad("not an x86_64 ELF64 executable");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS ||
	    eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return bad("bad program header table");
	Elf64_Phdr ph[MAX_PHDRS];
	memcpy(ph, buf + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
	uint64_t lo = UINT64_MAX, hi = 0, filehi = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz || p->p_offset > len || p->p_filesz > len - p->p_offset)
			return bad("a PT_LOAD runs past the end of the file (truncated?)");
		if (p->p_paddr + p->p_memsz < p->p_paddr)
			return bad("a PT_LOAD wraps around the address space");
		if (p->p_paddr < lo)
			lo = p->p_paddr;
		if (p->p_paddr + p->p_memsz > hi)
			hi = p->p_paddr + p->p_memsz;
		if (p->p_filesz && p->p_paddr + p->p_filesz > filehi)
			filehi = p->p_paddr + p->p_filesz;
	}
	if (lo == UINT64_MAX)
		return bad("no PT_LOAD segment");
	if (hi - lo > KD_VMLINUX_MAX_SPAN)
		return bad("PT_LOAD segments span more than 1 GiB of physical memory");
	if (lo % KD_VMLINUX_ALIGN)
		return bad("the lowest PT_LOAD's physical address is not 2 MiB-aligned");
	if (eh.e_entry < lo || eh.e_entry >= hi)
		return bad("the entry point lies outside the loaded segments");
	/* overlapping PT_LOADs would make the layout depend on their order */
	for (unsigned i = 0; i < eh.e_phnum; i++)
		for (unsigned j = i + 1; j < eh.e_phnum; j++) {
			const Elf64_Phdr *a = &ph[i], *b = &ph[j];
			if (a->p_type != PT_LOAD || b->p_type != PT_LOAD || !a->p_memsz || !b->p_memsz)
				continue;
			if (a->p_paddr < b->p_paddr + b->p_memsz && b->p_paddr < a->p_paddr + a->p_memsz)
				return bad("PT_LOAD segments overlap in physical memory");
		}
	v->entry = eh.e_entry;
	v->paddr = lo;
	v->memsz = hi - lo;
	v->bufsz = filehi > lo ? filehi - lo : 0;
	v->buf = calloc(1, v->bufsz ? v->bufsz : 1);
	if (!v->buf)
		return kd_err_new(ENOMEM, "ELF vmlinux: %zu bytes", v->bufsz);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		/* the same PT_LOADs as checked above: an empty one (p_memsz 0) is skipped */
		if (p->p_type == PT_LOAD && p->p_memsz && p->p_filesz)
			memcpy(v->buf + (p->p_paddr - lo), buf + p->p_offset, p->p_filesz);
	}
	return NULL;
}

void kd_vmlinux_free(struct kd_vmlinux *v)
{
	free(v->buf);
	memset(v, 0, sizeof(*v));
}

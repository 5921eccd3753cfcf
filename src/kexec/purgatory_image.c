#include "kexec/purgatory_image.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NOT_ALLOCATED UINT64_MAX
/* A purgatory is a few KiB; anything near this is not one. */
#define MAX_IMAGE (16u << 20)
#define MAX_SECTIONS 1024

static kd_err *bad(const char *what)
{
	return kd_err_new(ENOEXEC, "purgatory object: %s", what);
}

/* Whether [off, off+len) lies inside the object. */
static int in_obj(const struct kd_purgatory *p, uint64_t off, uint64_t len)
{
	return off <= p->objlen && len <= p->objlen - off;
}

kd_err *kd_purgatory_open(const void *obj, size_t len, struct kd_purgatory *p)
{
	memset(p, 0, sizeof(*p));
	p->obj = obj;
	p->objlen = len;
	Elf64_Ehdr eh;
	if (len < sizeof(eh))
		return bad("shorter than an ELF header");
	memcpy(&eh, obj, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return bad("not a little-endian ELF64 file");
	if (eh.e_type != ET_REL)
		return bad("not a relocatable object (ET_REL)");
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > MAX_SECTIONS)
		return bad("bad section header table");
	if (!in_obj(p, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)))
		return bad("section headers past the end");
	p->machine = eh.e_machine;
	p->shnum = eh.e_shnum;
	p->sec = calloc(p->shnum, sizeof(*p->sec));
	if (!p->sec)
		return kd_err_new(ENOMEM, "purgatory object: sections");
	kd_err *e = NULL;
	uint64_t size = 0, align = 1;
	for (unsigned i = 0; i < p->shnum; i++) {
		Elf64_Shdr sh;
		memcpy(&sh, (const uint8_t *)obj + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		struct kd_purgatory_sec *s = &p->sec[i];
		*s = (struct kd_purgatory_sec){ .type = sh.sh_type, .link = sh.sh_link,
			.info = sh.sh_info, .flags = sh.sh_flags, .offset = sh.sh_offset,
			.size = sh.sh_size, .align = sh.sh_addralign ? sh.sh_addralign : 1,
			.entsize = sh.sh_entsize, .at = NOT_ALLOCATED };
		/* everything but .bss is copied from the object (a SHT_NULL that claims bytes too) */
		if (s->type != SHT_NOBITS && !in_obj(p, s->offset, s->size)) {
			e = bad("a section runs past the end");
			goto fail;
		}
		if (s->type == SHT_SYMTAB) {
			if (p->symtab || s->entsize != sizeof(Elf64_Sym) || s->link >= p->shnum) {
				e = bad("bad symbol table");
				goto fail;
			}
			p->symtab = i;
		}
		if (!(s->flags & SHF_ALLOC) || s->size == 0)
			continue;
		if (s->align & (s->align - 1) || s->align > 4096) {
			e = bad("bad section alignment");
			goto fail;
		}
		size = (size + s->align - 1) & ~(s->align - 1);
		if (s->size > MAX_IMAGE || size + s->size > MAX_IMAGE) {
			e = bad("too large");
			goto fail;
		}
		s->at = size;
		size += s->size;
		if (s->align > align)
			align = s->align;
	}
	if (!p->symtab) {
		e = bad("no symbol table");
		goto fail;
	}
	if (size == 0) {
		e = bad("nothing to load");
		goto fail;
	}
	p->image = calloc(1, size);
	if (!p->image) {
		e = kd_err_new(ENOMEM, "purgatory object: %llu bytes", (unsigned long long)size);
		goto fail;
	}
	for (unsigned i = 0; i < p->shnum; i++) {
		const struct kd_purgatory_sec *s = &p->sec[i];
		if (s->at != NOT_ALLOCATED && s->type != SHT_NOBITS)
			memcpy(p->image + s->at, p->obj + s->offset, s->size);
	}
	p->size = size;
	p->align = align;
	return NULL;
fail:
	kd_purgatory_close(p);
	return e;
}

static kd_err *get_sym(const struct kd_purgatory *p, uint64_t idx, Elf64_Sym *sym)
{
	const struct kd_purgatory_sec *st = &p->sec[p->symtab];
	if (idx >= st->size / sizeof(Elf64_Sym))
		return bad("symbol index out of range");
	memcpy(sym, p->obj + st->offset + idx * sizeof(Elf64_Sym), sizeof(*sym));
	return NULL;
}

/* The symbol's name, or NULL when its string is not inside the string table. */
static const char *sym_name(const struct kd_purgatory *p, const Elf64_Sym *sym)
{
	const struct kd_purgatory_sec *str = &p->sec[p->sec[p->symtab].link];
	if (str->type != SHT_STRTAB || sym->st_name >= str->size)
		return NULL;
	const char *s = (const char *)p->obj + str->offset + sym->st_name;
	if (!memchr(s, '\0', str->size - sym->st_name))
		return NULL;
	return s;
}

/* Physical address of a symbol in the relocated image. */
static kd_err *sym_value(const struct kd_purgatory *p, const Elf64_Sym *sym, uint64_t *v)
{
	if (sym->st_shndx == SHN_ABS) {
		*v = sym->st_value;
		return NULL;
	}
	if (sym->st_shndx == SHN_UNDEF) {
		const char *n = sym_name(p, sym);
		return kd_err_new(ENOEXEC, "purgatory object: undefined symbol %s", n ? n : "?");
	}
	if (sym->st_shndx >= p->shnum || p->sec[sym->st_shndx].at == NOT_ALLOCATED)
		return bad("a symbol in a section that is not loaded");
	*v = p->addr + p->sec[sym->st_shndx].at + sym->st_value;
	return NULL;
}

static kd_err *apply_rela(struct kd_purgatory *p, const struct kd_purgatory_sec *rs)
{
	if (rs->entsize != sizeof(Elf64_Rela) || rs->link != p->symtab || rs->info >= p->shnum)
		return bad("bad relocation section");
	const struct kd_purgatory_sec *target = &p->sec[rs->info];
	if (target->at == NOT_ALLOCATED)
		return NULL; /* relocations of sections not loaded (debug info) */
	if (target->type == SHT_NOBITS)
		return bad("relocations against .bss");
	for (uint64_t i = 0; i < rs->size / sizeof(Elf64_Rela); i++) {
		Elf64_Rela r;
		memcpy(&r, p->obj + rs->offset + i * sizeof(r), sizeof(r));
		if (r.r_offset >= target->size)
			return bad("a relocation outside its section");
		Elf64_Sym sym;
		uint64_t S = 0;
		kd_err *e = get_sym(p, ELF64_R_SYM(r.r_info), &sym);
		if (!e)
			e = sym_value(p, &sym, &S);
		uint8_t *loc = p->image + target->at + r.r_offset;
		uint64_t P = p->addr + target->at + r.r_offset;
		if (!e)
			e = kd_reloc_x86_64(ELF64_R_TYPE(r.r_info), loc, target->size - r.r_offset,
					    S, r.r_addend, P);
		if (e)
			return kd_err_wrap(e, "purgatory relocation %llu", (unsigned long long)i);
	}
	return NULL;
}

kd_err *kd_purgatory_relocate(struct kd_purgatory *p, uint64_t addr)
{
	if (p->relocated)
		return kd_err_new(EINVAL, "purgatory relocated twice");
	if (addr & (p->align - 1))
		return kd_err_new(EINVAL, "purgatory address %#llx not aligned to %llu",
				  (unsigned long long)addr, (unsigned long long)p->align);
	if (p->machine != EM_X86_64)
		return bad("not an x86_64 object");
	p->addr = addr;
	for (unsigned i = 0; i < p->shnum; i++) {
		if (p->sec[i].type == SHT_REL)
			return bad("SHT_REL relocations (x86_64 uses RELA)");
		if (p->sec[i].type != SHT_RELA)
			continue;
		kd_err *e = apply_rela(p, &p->sec[i]);
		if (e)
			return e;
	}
	p->relocated = 1;
	return NULL;
}

kd_err *kd_purgatory_symbol(const struct kd_purgatory *p, const char *name, uint64_t *offset,
			    uint64_t *size)
{
	const struct kd_purgatory_sec *st = &p->sec[p->symtab];
	for (uint64_t i = 1; i < st->size / sizeof(Elf64_Sym); i++) {
		Elf64_Sym sym;
		memcpy(&sym, p->obj + st->offset + i * sizeof(sym), sizeof(sym));
		const char *n = sym_name(p, &sym);
		if (!n || strcmp(n, name) || sym.st_shndx == SHN_UNDEF)
			continue;
		if (sym.st_shndx >= p->shnum || p->sec[sym.st_shndx].at == NOT_ALLOCATED)
			break;
		const struct kd_purgatory_sec *s = &p->sec[sym.st_shndx];
		if (sym.st_value > s->size || sym.st_size > s->size - sym.st_value)
			return kd_err_new(ENOEXEC, "purgatory object: symbol %s outside its section",
					  name);
		*offset = s->at + sym.st_value;
		*size = sym.st_size;
		return NULL;
	}
	return kd_err_new(ENOENT, "purgatory object: no symbol %s", name);
}

kd_err *kd_purgatory_set(struct kd_purgatory *p, const char *name, const void *val, size_t len)
{
	uint64_t off, size;
	kd_err *e = kd_purgatory_symbol(p, name, &off, &size);
	if (e)
		return e;
	if (size != len)
		return kd_err_new(EINVAL, "purgatory symbol %s is %llu bytes, not %zu", name,
				  (unsigned long long)size, len);
	memcpy(p->image + off, val, len);
	return NULL;
}

void kd_purgatory_close(struct kd_purgatory *p)
{
	free(p->image);
	free(p->sec);
	memset(p, 0, sizeof(*p));
}

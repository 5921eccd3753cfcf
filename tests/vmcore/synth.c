#include "synth.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void synth_init(struct synth *s, uint64_t size, int levels, uint64_t tables_at)
{
	memset(s, 0, sizeof(*s));
	s->mem = calloc(1, size);
	s->size = size;
	s->levels = levels;
	s->next_table = tables_at;
	s->pgd = s->next_table;
	s->next_table += 4096;
}

void synth_free(struct synth *s)
{
	free(s->mem);
	s->mem = NULL;
}

static uint64_t *entry(struct synth *s, uint64_t table, unsigned idx)
{
	return (uint64_t *)(s->mem + table + idx * 8);
}

void synth_map(struct synth *s, uint64_t vaddr, uint64_t paddr, uint64_t page_size)
{
	int leaf_level = page_size == (1ULL << 30) ? 3 : page_size == (1ULL << 21) ? 2 : 1;
	uint64_t table = s->pgd;
	for (int level = s->levels; level > leaf_level; level--) {
		unsigned idx = (unsigned)((vaddr >> (12 + 9 * (level - 1))) & 511);
		uint64_t *e = entry(s, table, idx);
		if (!(*e & 1)) {
			*e = s->next_table | s->sme_mask | 0x63;
			s->next_table += 4096;
		}
		table = *e & 0x000ffffffffff000ULL & ~s->sme_mask;
	}
	unsigned idx = (unsigned)((vaddr >> (12 + 9 * (leaf_level - 1))) & 511);
	*entry(s, table, idx) = paddr | s->sme_mask | 0x63 | (leaf_level > 1 ? 0x80 : 0);
}

void synth_info(struct synth *s, const char *fmt, ...)
{
	size_t at = strlen(s->vmcoreinfo);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->vmcoreinfo + at, sizeof(s->vmcoreinfo) - at, fmt, ap);
	va_end(ap);
	at = strlen(s->vmcoreinfo);
	if (at + 1 < sizeof(s->vmcoreinfo)) {
		s->vmcoreinfo[at] = '\n';
		s->vmcoreinfo[at + 1] = '\0';
	}
}

static size_t put_note(uint8_t *at, const char *name, uint32_t type, const void *desc,
		       uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint32_t hdr[3] = { namesz, descsz, type };
	memcpy(at, hdr, 12);
	memcpy(at + 12, name, namesz);
	size_t off = 12 + ((namesz + 3) & ~3u);
	memcpy(at + off, desc, descsz);
	return off + ((descsz + 3) & ~3u);
}

char *synth_write(struct synth *s, const uint64_t *ranges, size_t count)
{
	char *path = strdup("/tmp/kd-synth-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	static uint8_t notes[8192];
	memset(notes, 0, sizeof(notes));
	uint8_t prstatus[336] = { 0 };
	size_t nl = put_note(notes, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	nl += put_note(notes + nl, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	nl += put_note(notes + nl, "VMCOREINFO", 0, s->vmcoreinfo, (uint32_t)strlen(s->vmcoreinfo));

	size_t nph = 1 + count;
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)nph;
	Elf64_Phdr *ph = calloc(nph, sizeof(*ph));
	uint64_t off = 4096;
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = off;
	ph[0].p_filesz = nl;
	off += (nl + 4095) & ~4095ULL;
	for (size_t i = 0; i < count; i++) {
		uint64_t lo = ranges[2 * i], hi = ranges[2 * i + 1];
		ph[1 + i].p_type = PT_LOAD;
		ph[1 + i].p_flags = PF_R | PF_W | PF_X;
		ph[1 + i].p_offset = off;
		ph[1 + i].p_paddr = lo;
		ph[1 + i].p_vaddr = 0xffff888000000000ULL + lo;
		ph[1 + i].p_filesz = ph[1 + i].p_memsz = hi - lo;
		off += hi - lo;
	}
	if (pwrite(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    pwrite(fd, ph, nph * sizeof(*ph), sizeof(eh)) != (ssize_t)(nph * sizeof(*ph)) ||
	    pwrite(fd, notes, nl, 4096) != (ssize_t)nl)
		abort();
	for (size_t i = 0; i < count; i++) {
		uint64_t lo = ranges[2 * i], hi = ranges[2 * i + 1];
		if (pwrite(fd, s->mem + lo, hi - lo, (off_t)ph[1 + i].p_offset) != (ssize_t)(hi - lo))
			abort();
	}
	free(ph);
	close(fd);
	return path;
}

#include "kexec/crash_headers.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf/elf64.h"
#include "kexec/sysfs_file.h"

#define PHDR_SIZE sizeof(Elf64_Phdr)
#define NO_PADDR UINT64_MAX /* kcore's p_paddr for areas with no fixed physical address */

static kd_err *truncated(size_t len, size_t want, size_t *need)
{
	*need = want;
	return kd_err_new(EINVAL, "kcore headers truncated: %zu bytes, the headers need %zu", len,
			  want);
}

kd_err *kd_kcore_parse(const void *buf, size_t len, struct kd_kcore_info *ki, size_t *need)
{
	memset(ki, 0, sizeof(*ki));
	*need = 0;
	if (len < sizeof(Elf64_Ehdr))
		return truncated(len, sizeof(Elf64_Ehdr), need);
	struct kd_elf_core core;
	uint16_t phnum_field;
	uint64_t shoff;
	kd_err *e = kd_elf_parse_ehdr(buf, len, &core, &phnum_field, &shoff);
	if (e)
		return e;
	if (core.type != ET_CORE)
		return kd_err_new(EINVAL, "ELF type %u, not a core file", core.type);
	if (core.machine != EM_X86_64)
		return kd_err_new(EINVAL, "ELF machine %u, not x86_64", core.machine);
	uint64_t phnum = core.phnum;
	if (phnum_field == PN_XNUM) { /* the real count is in section header 0's sh_info */
		if (shoff > KD_KCORE_MAX_HEAD - sizeof(Elf64_Shdr))
			return kd_err_new(EINVAL, "section header at implausible offset %#llx",
					  (unsigned long long)shoff);
		if (len < shoff + sizeof(Elf64_Shdr))
			return truncated(len, (size_t)shoff + sizeof(Elf64_Shdr), need);
		uint32_t n;
		Elf64_Shdr sh; /* copied: shoff need not be aligned */
		memcpy(&sh, (const uint8_t *)buf + shoff, sizeof(sh));
		if ((e = kd_elf_xnum(&sh, sizeof(sh), &n)))
			return e;
		phnum = n;
	}
	if (core.phoff > KD_KCORE_MAX_HEAD || phnum > (KD_KCORE_MAX_HEAD - core.phoff) / PHDR_SIZE)
		return kd_err_new(EINVAL, "%llu program headers at offset %#llx: implausible",
				  (unsigned long long)phnum, (unsigned long long)core.phoff);
	size_t end = (size_t)(core.phoff + phnum * PHDR_SIZE);
	if (len < end)
		return truncated(len, end, need);

	int have_text = 0, have_ram = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, (const uint8_t *)buf + core.phoff + i * PHDR_SIZE, sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_paddr == NO_PADDR)
			continue;
		if (ph.p_vaddr >= KD_KERNEL_MAP_START && ph.p_vaddr < KD_KERNEL_MAP_END) {
			if (ph.p_memsz == 0 || ph.p_vaddr > UINT64_MAX - ph.p_memsz ||
			    ph.p_paddr > UINT64_MAX - ph.p_memsz)
				return kd_err_new(EINVAL, "kernel text segment %#llx+%#llx is malformed",
						  (unsigned long long)ph.p_vaddr,
						  (unsigned long long)ph.p_memsz);
			if (have_text && (ki->text_vaddr != ph.p_vaddr || ki->text_paddr != ph.p_paddr))
				return kd_err_new(EINVAL, "two kernel text segments (%#llx and %#llx)",
						  (unsigned long long)ki->text_vaddr,
						  (unsigned long long)ph.p_vaddr);
			ki->text_vaddr = ph.p_vaddr;
			ki->text_paddr = ph.p_paddr;
			ki->text_size = ph.p_memsz;
			have_text = 1;
		} else if (ph.p_vaddr < KD_KERNEL_MAP_START) {
			if (ph.p_vaddr < ph.p_paddr)
				return kd_err_new(EINVAL, "RAM segment at %#llx maps physical %#llx: "
						  "not a direct map", (unsigned long long)ph.p_vaddr,
						  (unsigned long long)ph.p_paddr);
			uint64_t off = ph.p_vaddr - ph.p_paddr;
			if (have_ram && off != ki->page_offset)
				return kd_err_new(EINVAL, "RAM segments disagree on the direct map base "
						  "(%#llx and %#llx)",
						  (unsigned long long)ki->page_offset,
						  (unsigned long long)off);
			ki->page_offset = off;
			have_ram = 1;
		}
	}
	if (!have_text)
		return kd_err_new(EINVAL, "no kernel text segment (PT_LOAD at %#llx-%#llx)",
				  KD_KERNEL_MAP_START, KD_KERNEL_MAP_END - 1);
	if (!have_ram)
		return kd_err_new(EINVAL, "no RAM segment with a physical address (direct map)");
	return NULL;
}

/* Up to len bytes from offset 0; *got is how many there were. */
static kd_err *read_head(int fd, const char *path, uint8_t *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t r = pread(fd, buf + *got, len - *got, (off_t)*got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kd_err_errno("reading %s", path);
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return NULL;
}

kd_err *kd_kcore_read(const char *path, struct kd_kcore_info *ki)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kd_err *e = kd_err_errno("opening %s", path);
		if (errno == EACCES || errno == EPERM)
			e = kd_err_wrap(e, "the kernel's text and direct-map addresses come from %s, "
					"readable only by root (CAP_SYS_RAWIO) and not under "
					"lockdown=confidentiality", path);
		return e;
	}
	size_t len = 4096, got = 0, need = 0;
	uint8_t *buf = NULL;
	kd_err *e = NULL;
	for (;;) {
		uint8_t *nb = realloc(buf, len);
		if (!nb) {
			e = kd_err_new(ENOMEM, "allocating %zu bytes for %s's headers", len, path);
			break;
		}
		buf = nb;
		if ((e = read_head(fd, path, buf, len, &got)))
			break;
		e = kd_kcore_parse(buf, got, ki, &need);
		/* read again only if the file had more to give than we asked for */
		if (!e || need <= len || got < len)
			break;
		kd_err_free(e);
		e = NULL;
		len = need;
	}
	free(buf);
	close(fd);
	return kd_err_wrap(e, "reading the program headers of %s", path);
}

/* An unsigned number in `base` at *s, followed by a space or the end; advances *s. */
static int parse_num(const char **s, int base, uint64_t *v)
{
	char *end;
	while (**s == ' ')
		(*s)++;
	if (!isxdigit((unsigned char)**s))
		return -1;
	errno = 0;
	unsigned long long x = strtoull(*s, &end, base);
	if (errno || end == *s || (*end && *end != ' '))
		return -1;
	*v = x;
	*s = end;
	return 0;
}

static kd_err *read_num(const char *path, int base, uint64_t *v)
{
	char buf[128];
	kd_err *e = kd_sysfs_line(path, buf, sizeof(buf));
	if (e)
		return e;
	const char *s = buf;
	if (parse_num(&s, base, v) || *s)
		return kd_err_new(EINVAL, "%s: \"%s\" is not a %s number", path, buf,
				  base == 16 ? "hexadecimal" : "decimal");
	return NULL;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

/* The cpuN directories that have crash_notes, in numeric order. */
static kd_err *list_cpus(const char *dir, unsigned **cpus, size_t *n)
{
	*cpus = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return kd_err_errno("opening %s", dir);
	size_t cap = 0;
	kd_err *e = NULL;
	struct dirent *de;
	while (!e && (de = readdir(d))) {
		const char *s = de->d_name;
		if (strncmp(s, "cpu", 3) || !isdigit((unsigned char)s[3]))
			continue;
		char *end;
		unsigned long num = strtoul(s + 3, &end, 10);
		if (*end || num > 1u << 24)
			continue;
		char path[4096 + 300];
		snprintf(path, sizeof(path), "%s/%s/crash_notes", dir, s);
		if (access(path, F_OK))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			unsigned *nc = realloc(*cpus, cap * sizeof(*nc));
			if (!nc) {
				e = kd_err_new(ENOMEM, "listing CPUs");
				break;
			}
			*cpus = nc;
		}
		(*cpus)[(*n)++] = (unsigned)num;
	}
	closedir(d);
	if (e) {
		free(*cpus);
		*cpus = NULL;
		*n = 0;
		return e;
	}
	if (*n > 1)
		qsort(*cpus, *n, sizeof(**cpus), cmp_uint);
	return NULL;
}

static kd_err *read_notes(const char *root, struct kd_crash_info *ci)
{
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s/sys/devices/system/cpu", root);
	unsigned *cpus;
	size_t n;
	kd_err *e = list_cpus(dir, &cpus, &n);
	if (e)
		return e;
	if (n == 0) {
		free(cpus);
		return kd_err_new(0, "no CPU in %s has crash_notes: the kernel was built "
				  "without CONFIG_CRASH_DUMP?", dir);
	}
	ci->notes = calloc(n, sizeof(*ci->notes));
	if (!ci->notes) {
		free(cpus);
		return kd_err_new(ENOMEM, "allocating %zu CPU notes", n);
	}
	for (size_t i = 0; !e && i < n; i++) {
		snprintf(path, sizeof(path), "%s/cpu%u/crash_notes", dir, cpus[i]);
		if ((e = read_num(path, 16, &ci->notes[i].paddr)))
			break;
		if (ci->notes[i].paddr == 0) {
			e = kd_err_new(EINVAL, "%s is 0 (read without root?)", path);
			break;
		}
		snprintf(path, sizeof(path), "%s/cpu%u/crash_notes_size", dir, cpus[i]);
		ci->notes[i].size = KD_X86_64_NOTE_BUF_SIZE;
		if (access(path, F_OK) == 0 && (e = read_num(path, 10, &ci->notes[i].size)))
			break;
		if (ci->notes[i].size == 0 || ci->notes[i].size > 1u << 20)
			e = kd_err_new(EINVAL, "%s: implausible size %llu", path,
				       (unsigned long long)ci->notes[i].size);
	}
	free(cpus);
	ci->ncpus = n;
	return e;
}

static kd_err *read_vmcoreinfo(const char *root, struct kd_crash_info *ci)
{
	char path[4096], buf[128];
	snprintf(path, sizeof(path), "%s/sys/kernel/vmcoreinfo", root);
	kd_err *e = kd_sysfs_line(path, buf, sizeof(buf));
	if (e)
		return kd_err_wrap(e, "the VMCOREINFO note's address (the kernel was built without "
				   "CONFIG_CRASH_CORE?)");
	/* "%pa %x": the address (0x-prefixed since 4.x, bare before), the size in hex */
	const char *s = buf;
	if (parse_num(&s, 16, &ci->vmcoreinfo_paddr) || parse_num(&s, 16, &ci->vmcoreinfo_size) ||
	    *s || !ci->vmcoreinfo_paddr || !ci->vmcoreinfo_size)
		return kd_err_new(EINVAL, "%s: \"%s\" is not \"ADDRESS SIZE\" in hexadecimal", path,
				  buf);
	return NULL;
}

/* System RAM as the kernel's walk_system_ram_res() finds it, minus the low 1M (always
 * reserved, the capture kernel gets its own copy of it) and every crash region. */
static kd_err *ram_ranges(const struct kd_iomem *io, const struct kd_crash_regions *cr,
			  struct kd_crash_info *ci)
{
	struct kd_mem_ranges m = { 0 };
	kd_err *e = kd_mem_ranges_from_iomem(&m, io, "System RAM", 0, UINT64_MAX);
	if (!e)
		e = kd_mem_ranges_exclude(&m, 0, (1ULL << 20) - 1);
	for (size_t i = 0; !e && i < cr->n; i++)
		e = kd_mem_ranges_exclude(&m, cr->r[i].start, cr->r[i].end);
	if (e) {
		kd_mem_ranges_free(&m);
		return e;
	}
	ci->ram = m.r;
	ci->nram = m.n;
	return NULL;
}

kd_err *kd_crash_info_read(const char *root, const struct kd_iomem *io,
			   const struct kd_crash_regions *cr, struct kd_crash_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	kd_err *e = read_notes(root, ci);
	if (!e)
		e = read_vmcoreinfo(root, ci);
	if (!e) {
		char path[4096];
		struct kd_kcore_info ki;
		snprintf(path, sizeof(path), "%s/proc/kcore", root);
		e = kd_kcore_read(path, &ki);
		ci->text_vaddr = ki.text_vaddr;
		ci->text_size = ki.text_size;
		ci->page_offset = ki.page_offset;
		size_t k = kd_iomem_find(io, "Kernel code", KD_IOMEM_NONE);
		if (!e && k == KD_IOMEM_NONE)
			e = kd_err_new(ENOENT, "no \"Kernel code\" in /proc/iomem (read without root?)");
		else if (!e && io->res[k].start != ki.text_paddr)
			e = kd_err_new(EINVAL, "\"Kernel code\" in /proc/iomem starts at %#llx but "
				       "%s maps the kernel text at physical %#llx",
				       (unsigned long long)io->res[k].start, path,
				       (unsigned long long)ki.text_paddr);
		else if (!e)
			ci->text_paddr = io->res[k].start;
	}
	if (!e)
		e = ram_ranges(io, cr, ci);
	if (e) {
		kd_crash_info_free(ci);
		return kd_err_wrap(e, "gathering what the crash headers describe");
	}
	return NULL;
}

void kd_crash_info_free(struct kd_crash_info *ci)
{
	free(ci->notes);
	free(ci->ram);
	memset(ci, 0, sizeof(*ci));
}

/* The kernel allocates the header zeroed and sets only these; e_phnum is 16 bits and PN_XNUM
 * (0xffff) means "see section header 0", which the kernel's header never has. */
#define MAX_PHDRS (PN_XNUM - 1)

kd_err *kd_crash_headers_build(const struct kd_crash_info *ci, void **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (ci->ncpus == 0)
		return kd_err_new(EINVAL, "building the crash headers: no CPU notes");
	if (ci->ncpus > MAX_PHDRS || ci->nram > MAX_PHDRS - 2 - ci->ncpus)
		return kd_err_new(E2BIG, "building the crash headers: %zu CPUs and %zu RAM ranges "
				  "need more than %u program headers", ci->ncpus, ci->nram,
				  MAX_PHDRS);
	size_t nphdr = ci->ncpus + 2 + ci->nram;
	size_t size = sizeof(Elf64_Ehdr) + nphdr * sizeof(Elf64_Phdr);
	uint8_t *b = calloc(1, size);
	if (!b)
		return kd_err_new(ENOMEM, "allocating %zu bytes of crash headers", size);

	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)nphdr;
	memcpy(b, &eh, sizeof(eh));

	Elf64_Phdr *out = (Elf64_Phdr *)(b + sizeof(Elf64_Ehdr)), ph;
	size_t k = 0;
	for (size_t i = 0; i < ci->ncpus; i++) {
		ph = (Elf64_Phdr){ .p_type = PT_NOTE };
		ph.p_offset = ph.p_paddr = ci->notes[i].paddr;
		ph.p_filesz = ph.p_memsz = ci->notes[i].size;
		memcpy(&out[k++], &ph, sizeof(ph));
	}
	ph = (Elf64_Phdr){ .p_type = PT_NOTE };
	ph.p_offset = ph.p_paddr = ci->vmcoreinfo_paddr;
	ph.p_filesz = ph.p_memsz = ci->vmcoreinfo_size;
	memcpy(&out[k++], &ph, sizeof(ph));
	/* the text mapping too, so tools that read the kernel by its link addresses can */
	ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X };
	ph.p_offset = ph.p_paddr = ci->text_paddr;
	ph.p_vaddr = ci->text_vaddr;
	ph.p_filesz = ph.p_memsz = ci->text_size;
	memcpy(&out[k++], &ph, sizeof(ph));
	for (size_t i = 0; i < ci->nram; i++) {
		ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X };
		ph.p_offset = ph.p_paddr = ci->ram[i].start;
		ph.p_vaddr = ci->ram[i].start + ci->page_offset;
		ph.p_filesz = ph.p_memsz = ci->ram[i].end - ci->ram[i].start + 1;
		memcpy(&out[k++], &ph, sizeof(ph));
	}
	*buf = b;
	*len = size;
	return NULL;
}

/* ELF vmlinux layout for kexec_load, on small ELF64 x86_64 executables built here: PT_LOADs
 * laid out by physical address (gap zeroed, bss not in the buffer but in memsz), and every
 * refusal: alignment, entry, overlap, truncation, span, no PT_LOAD, wrong kind of ELF. */
#include "kexec/vmlinux.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>

#include "test.h"

#define BASE 0x1000000ULL /* 16 MiB, as x86_64 kernels are linked */
#define FILE_MAX 0x8000

struct elf_img {
	uint8_t b[FILE_MAX];
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
};

/* An ELF header and phnum program headers at 64; data from 0x1000 filled with a pattern. */
static void make(struct elf_img *e, unsigned phnum, uint64_t entry)
{
	memset(e, 0, sizeof(*e));
	for (size_t i = 0x1000; i < FILE_MAX; i++)
		e->b[i] = (uint8_t)(i * 13 + i / 251) | 1;
	Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_entry = entry, .e_phoff = 64, .e_ehsize = 64,
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)phnum };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(e->b, &eh, sizeof(eh));
	e->eh = (Elf64_Ehdr *)e->b;
	e->ph = (Elf64_Phdr *)(e->b + 64);
	e->len = FILE_MAX;
}

static void load(struct elf_img *e, unsigned i, uint64_t off, uint64_t paddr, uint64_t filesz,
		 uint64_t memsz)
{
	e->ph[i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = off,
				 .p_vaddr = 0xffffffff80000000ULL + paddr, .p_paddr = paddr,
				 .p_filesz = filesz, .p_memsz = memsz, .p_align = 0x200000 };
}

/* The two-segment image: text at BASE (0x2000 bytes from file 0x1000), a 0x3000 gap, data
 * at BASE + 0x5000 (0x1800 bytes from file 0x3000) with 0xe800 of bss; a PT_NOTE ignored. */
static void make_two(struct elf_img *e)
{
	make(e, 3, BASE + 0x100);
	load(e, 0, 0x1000, BASE, 0x2000, 0x2000);
	e->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x1100, .p_paddr = 0x100,
				 .p_filesz = 0x40, .p_memsz = 0x40 };
	load(e, 2, 0x3000, BASE + 0x5000, 0x1800, 0x10000);
	e->len = 0x4800;
}

static void check_err_has(kd_err *e, const char *want, int line)
{
	kd_test_checks++;
	char buf[512] = "";
	if (e)
		kd_err_format(e, buf, sizeof(buf));
	if (!e || !strstr(buf, want) || kd_err_errnum(e) != ENOEXEC) {
		kd_test_failures++;
		fprintf(stderr, "  line %d: error \"%s\", expected ENOEXEC containing \"%s\"\n", line,
			buf, want);
	}
	kd_err_free(e);
}
#define REFUSED(e, want) do { struct kd_vmlinux v_; \
	check_err_has(kd_vmlinux_load((e)->b, (e)->len, &v_), want, __LINE__); \
	CHECK(v_.buf == NULL); } while (0)

static void test_layout(void)
{
	static struct elf_img e;
	make_two(&e);
	struct kd_vmlinux v;
	CHECK_OK(kd_vmlinux_load(e.b, e.len, &v));
	CHECK_U64(v.entry, BASE + 0x100);
	CHECK_U64(v.paddr, BASE);
	CHECK_U64(v.memsz, 0x15000);
	CHECK_U64(v.bufsz, 0x6800);
	CHECK(v.buf && !memcmp(v.buf, e.b + 0x1000, 0x2000));
	size_t nonzero = 0;
	for (size_t i = 0x2000; v.buf && i < 0x5000; i++)
		nonzero += v.buf[i] != 0;
	CHECK_U64(nonzero, 0);
	CHECK(v.buf && !memcmp(v.buf + 0x5000, e.b + 0x3000, 0x1800));
	kd_vmlinux_free(&v);
	CHECK(v.buf == NULL);

	/* listed high first: the same layout */
	Elf64_Phdr t = e.ph[0];
	e.ph[0] = e.ph[2];
	e.ph[2] = t;
	CHECK_OK(kd_vmlinux_load(e.b, e.len, &v));
	CHECK_U64(v.paddr, BASE);
	CHECK_U64(v.memsz, 0x15000);
	CHECK_U64(v.bufsz, 0x6800);
	CHECK(v.buf && !memcmp(v.buf + 0x5000, e.b + 0x3000, 0x1800));
	kd_vmlinux_free(&v);

	/* an empty PT_LOAD anywhere is ignored; a last segment that is all bss */
	make(&e, 3, BASE);
	load(&e, 0, 0x1000, BASE, 0x1000, 0x1000);
	load(&e, 1, 0, 0x7fff0000, 0, 0);
	load(&e, 2, 0, BASE + 0x200000, 0, 0x300000);
	CHECK_OK(kd_vmlinux_load(e.b, e.len, &v));
	CHECK_U64(v.memsz, 0x500000);
	CHECK_U64(v.bufsz, 0x1000);
	kd_vmlinux_free(&v);
	/* an empty PT_LOAD whose file bytes run far past the end is not copied (found by
	 * fuzz_vmlinux: the copy loop read p_filesz bytes the checks had skipped) */
	load(&e, 1, 0x100, BASE + 0x100000, 1ULL << 37, 0);
	CHECK_OK(kd_vmlinux_load(e.b, e.len, &v));
	CHECK_U64(v.bufsz, 0x1000);
	CHECK(v.buf && !memcmp(v.buf, e.b + 0x1000, 0x1000));
	kd_vmlinux_free(&v);
}

static void test_refusals(void)
{
	static struct elf_img e;
	make_two(&e);
	e.ph[0].p_paddr += 0x1000;
	REFUSED(&e, "not 2 MiB-aligned");

	make_two(&e);
	e.eh->e_entry = BASE + 0x15000;
	REFUSED(&e, "entry point");
	e.eh->e_entry = BASE - 1;
	REFUSED(&e, "entry point");

	make_two(&e);
	e.ph[2].p_paddr = BASE + 0x1000;
	REFUSED(&e, "overlap");
	make_two(&e);
	e.ph[2].p_paddr = BASE + 0x2000; /* touching is fine */
	struct kd_vmlinux v;
	CHECK_OK(kd_vmlinux_load(e.b, e.len, &v));
	CHECK_U64(v.bufsz, 0x3800);
	kd_vmlinux_free(&v);

	make_two(&e);
	e.len = 0x47ff; /* one byte short of the data segment */
	REFUSED(&e, "truncated");
	make_two(&e);
	e.ph[0].p_offset = UINT64_MAX - 10;
	REFUSED(&e, "truncated");
	make_two(&e);
	e.ph[0].p_filesz = 0x3000; /* more than its memsz */
	REFUSED(&e, "past the end");

	make_two(&e);
	e.ph[2].p_paddr = BASE + (1ULL << 30) - 0x10000; /* ends exactly 1 GiB up: fine */
	CHECK_OK(kd_vmlinux_load(e.b, e.len, &v));
	CHECK_U64(v.memsz, 1ULL << 30);
	kd_vmlinux_free(&v);
	e.ph[2].p_paddr += 0x1000;
	REFUSED(&e, "more than 1 GiB");
	e.ph[2].p_paddr = UINT64_MAX - 0x8000;
	REFUSED(&e, "wraps");

	make_two(&e);
	e.ph[0].p_type = PT_NOTE;
	e.ph[2].p_type = PT_DYNAMIC;
	REFUSED(&e, "no PT_LOAD");

	make_two(&e);
	e.eh->e_machine = EM_386;
	REFUSED(&e, "not an x86_64 ELF64 executable");
	make_two(&e);
	e.eh->e_ident[EI_CLASS] = ELFCLASS32;
	REFUSED(&e, "not an x86_64 ELF64 executable");
	make_two(&e);
	e.eh->e_type = ET_DYN;
	REFUSED(&e, "not an x86_64 ELF64 executable");
	make_two(&e);
	e.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	REFUSED(&e, "not an x86_64 ELF64 executable");
	make_two(&e);
	e.b[1] = 'X';
	REFUSED(&e, "not an x86_64 ELF64 executable");

	make_two(&e);
	e.eh->e_phnum = 65; /* fits in the file, but more than a vmlinux has */
	e.len = FILE_MAX;
	REFUSED(&e, "program header table");
	e.eh->e_phnum = 64;
	for (unsigned i = 3; i < 64; i++)
		e.ph[i] = (Elf64_Phdr){ .p_type = PT_NOTE };
	CHECK_OK(kd_vmlinux_load(e.b, e.len, &v));
	kd_vmlinux_free(&v);
	make_two(&e);
	e.eh->e_phnum = 0;
	REFUSED(&e, "program header table");
	make_two(&e);
	e.eh->e_phentsize = 32;
	REFUSED(&e, "program header table");
	make_two(&e);
	e.eh->e_phoff = e.len - 100; /* the table runs past the end */
	REFUSED(&e, "program header table");
	make_two(&e);
	e.len = 63;
	REFUSED(&e, "truncated ELF header");
}

TEST_MAIN(T(test_layout), T(test_refusals))

/* The ELF core header for kexec -p, built from a sysfs/procfs-shaped temporary tree (crash
 * notes, VMCOREINFO, a hand-built /proc/kcore head) and a lab guest's /proc/iomem, parsed back
 * field by field; the kcore parser alone (PN_XNUM, truncation) and the errors. */
#define _GNU_SOURCE
#include "kexec/crash_headers.h"

#include <elf.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kexec/testutil.h"
#include "test.h"

#define TEXT_VADDR 0xffffffff9a000000ULL /* a KASLR'd _text */
#define TEXT_PADDR 0x17400000ULL         /* "Kernel code" in the 1G fixture */
#define TEXT_SIZE 0x2800000ULL
#define PAGE_OFFSET 0xff2d4e8c40000000ULL /* a 5-level, randomised page_offset_base */
#define FIXTURE_1G "base/fixtures/iomem-qemu-q35-1G-6.1.txt"

static const char *root;

/* files in the fake root, checked */
static void mkdirs(const char *rel)
{
	CHECK(tu_root_mkdir(rel) == 0);
}

static void put(const char *rel, const void *data, size_t len)
{
	CHECK(tu_root_put(rel, data, len) == 0);
}

static void put_str(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

static void rm(const char *rel)
{
	tu_root_rm(rel);
}

#define KCORE_NPHDR 6

/* The head of a /proc/kcore as fs/proc/kcore.c lays it out: a PT_NOTE, then PT_LOADs for
 * vmalloc (no physical address), module space (inside the kernel mapping's 1 GiB when there is
 * no KASLR, no physical address), the text, RAM, and vmemmap. With xnum, e_phnum is PN_XNUM and
 * section header 0 (right after the ELF header) has the count. */
static size_t make_kcore(uint8_t *buf, int xnum, uint64_t text_paddr)
{
	memset(buf, 0, 4096);
	Elf64_Ehdr eh = { .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_phoff = 64, .e_ehsize = 64, .e_phentsize = 56,
			  .e_phnum = KCORE_NPHDR };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	if (xnum) {
		eh.e_phnum = PN_XNUM;
		eh.e_shoff = 64;
		eh.e_shnum = 1;
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_phoff = 64 + sizeof(Elf64_Shdr);
		Elf64_Shdr sh = { .sh_info = KCORE_NPHDR };
		memcpy(buf + 64, &sh, sizeof(sh));
	}
	memcpy(buf, &eh, sizeof(eh));
	uint8_t *p = buf + eh.e_phoff;
	Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = 0x400, .p_filesz = 0x1000 };
	memcpy(p, &note, sizeof(note));
	tu_phdr(p + 56, PT_LOAD, 0xffffb5a2c0000000ULL, UINT64_MAX, 0x200000000000ULL);
	tu_phdr(p + 112, PT_LOAD, 0xffffffffa0000000ULL, UINT64_MAX, 0x5f000000);
	tu_phdr(p + 168, PT_LOAD, TEXT_VADDR, text_paddr, TEXT_SIZE);
	tu_phdr(p + 224, PT_LOAD, PAGE_OFFSET + 0x100000, 0x100000, 0x3fedc000);
	tu_phdr(p + 280, PT_LOAD, 0xffd4000000000000ULL, UINT64_MAX, 0x1000000);
	return eh.e_phoff + KCORE_NPHDR * 56;
}

static const uint64_t note_addr[3] = { 0x3fc15a00, 0x3fc2da00, 0x3fd05a00 };

static void make_root(void)
{
	root = tu_root_new("crashhdr");
	CHECK(root != NULL);
	put_str("sys/devices/system/cpu/cpu0/crash_notes", "3fc15a00\n");
	put_str("sys/devices/system/cpu/cpu0/crash_notes_size", "368\n");
	put_str("sys/devices/system/cpu/cpu1/crash_notes", "3fc2da00\n");
	put_str("sys/devices/system/cpu/cpu1/crash_notes_size", "368\n");
	/* no crash_notes_size: the x86_64 size is assumed */
	put_str("sys/devices/system/cpu/cpu10/crash_notes", "3fd05a00\n");
	put_str("sys/devices/system/cpu/cpu2/online", "0\n"); /* no crash notes: skipped */
	mkdirs("sys/devices/system/cpu/cpufreq");
	mkdirs("sys/devices/system/cpu/cpuidle");
	put_str("sys/kernel/vmcoreinfo", "0x000000003f9c1000 1024\n");
	uint8_t kc[4096];
	size_t n = make_kcore(kc, 0, TEXT_PADDR);
	put("proc/kcore", kc, n);
}

static void drop_root(void)
{
	tu_root_drop();
}

static void check_phdr(const Elf64_Phdr *ph, uint32_t type, uint32_t flags, uint64_t offset,
		       uint64_t vaddr, uint64_t paddr, uint64_t size, int line)
{
	kd_test_checks++;
	if (ph->p_type == type && ph->p_flags == flags && ph->p_offset == offset &&
	    ph->p_vaddr == vaddr && ph->p_paddr == paddr && ph->p_filesz == size &&
	    ph->p_memsz == size && ph->p_align == 0)
		return;
	kd_test_failures++;
	fprintf(stderr, "  line %d: phdr type %u flags %#x off %#llx vaddr %#llx paddr %#llx "
		"filesz %#llx memsz %#llx align %#llx\n", line, ph->p_type, ph->p_flags,
		(unsigned long long)ph->p_offset, (unsigned long long)ph->p_vaddr,
		(unsigned long long)ph->p_paddr, (unsigned long long)ph->p_filesz,
		(unsigned long long)ph->p_memsz, (unsigned long long)ph->p_align);
}
#define CHECK_PHDR(ph, ...) check_phdr(ph, __VA_ARGS__, __LINE__)

static void read_info(const char *fixture, struct kd_crash_info *ci, kd_err **e)
{
	struct kd_iomem io;
	struct kd_crash_regions cr;
	CHECK_OK(kd_iomem_read(kd_test_fixture(fixture), &io));
	kd_crash_regions_find(&io, &cr);
	*e = kd_crash_info_read(root, &io, &cr, ci);
	kd_iomem_free(&io);
}

static void test_info_and_headers(void)
{
	make_root();
	struct kd_crash_info ci;
	kd_err *e;
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_OK(e);
	CHECK_U64(ci.ncpus, 3);
	for (size_t i = 0; i < 3 && i < ci.ncpus; i++) {
		CHECK_U64(ci.notes[i].paddr, note_addr[i]); /* cpu0, cpu1, cpu10 */
		CHECK_U64(ci.notes[i].size, 368);
	}
	CHECK_U64(ci.vmcoreinfo_paddr, 0x3f9c1000);
	CHECK_U64(ci.vmcoreinfo_size, 0x1024);
	CHECK_U64(ci.text_paddr, TEXT_PADDR);
	CHECK_U64(ci.text_vaddr, TEXT_VADDR);
	CHECK_U64(ci.text_size, TEXT_SIZE);
	CHECK_U64(ci.page_offset, PAGE_OFFSET);
	/* System RAM minus the low 1M and the crash region 2e000000-3dffffff */
	CHECK_U64(ci.nram, 2);
	if (ci.nram == 2) {
		CHECK_U64(ci.ram[0].start, 0x100000);
		CHECK_U64(ci.ram[0].end, 0x2dffffff);
		CHECK_U64(ci.ram[1].start, 0x3e000000);
		CHECK_U64(ci.ram[1].end, 0x3ffdbfff);
	}

	void *buf;
	size_t len;
	CHECK_OK(kd_crash_headers_build(&ci, &buf, &len));
	CHECK_U64(len, 64 + 7 * 56);
	if (len == 64 + 7 * 56) {
		Elf64_Ehdr eh;
		memcpy(&eh, buf, sizeof(eh));
		static const unsigned char ident[EI_NIDENT] = { 0x7f, 'E', 'L', 'F', ELFCLASS64,
								ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE };
		CHECK(!memcmp(eh.e_ident, ident, EI_NIDENT));
		CHECK_U64(eh.e_type, ET_CORE);
		CHECK_U64(eh.e_machine, EM_X86_64);
		CHECK_U64(eh.e_version, EV_CURRENT);
		CHECK_U64(eh.e_entry, 0);
		CHECK_U64(eh.e_phoff, 64);
		CHECK_U64(eh.e_shoff, 0);
		CHECK_U64(eh.e_flags, 0);
		CHECK_U64(eh.e_ehsize, 64);
		CHECK_U64(eh.e_phentsize, 56);
		CHECK_U64(eh.e_phnum, 7);
		CHECK_U64(eh.e_shentsize, 0);
		CHECK_U64(eh.e_shnum, 0);
		CHECK_U64(eh.e_shstrndx, 0);
		Elf64_Phdr ph[7];
		memcpy(ph, (uint8_t *)buf + 64, sizeof(ph));
		for (int i = 0; i < 3; i++)
			CHECK_PHDR(&ph[i], PT_NOTE, 0, note_addr[i], 0, note_addr[i], 368);
		CHECK_PHDR(&ph[3], PT_NOTE, 0, 0x3f9c1000, 0, 0x3f9c1000, 0x1024);
		CHECK_PHDR(&ph[4], PT_LOAD, PF_R | PF_W | PF_X, TEXT_PADDR, TEXT_VADDR, TEXT_PADDR,
			   TEXT_SIZE);
		CHECK_PHDR(&ph[5], PT_LOAD, PF_R | PF_W | PF_X, 0x100000, PAGE_OFFSET + 0x100000,
			   0x100000, 0x2df00000);
		CHECK_PHDR(&ph[6], PT_LOAD, PF_R | PF_W | PF_X, 0x3e000000,
			   PAGE_OFFSET + 0x3e000000, 0x3e000000, 0x1fdc000);
	}
	free(buf);
	kd_crash_info_free(&ci);
	drop_root();
}

static void test_errors(void)
{
	struct kd_crash_info ci;
	kd_err *e;
	uint8_t kc[4096];

	/* "Kernel code" elsewhere than kcore's text: both addresses named */
	make_root();
	put("proc/kcore", kc, make_kcore(kc, 0, 0x1a000000));
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "0x17400000");
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "0x1a000000");
	CHECK_U64(ci.ncpus, 0); /* nothing left behind */

	/* truncated kcore: the header promises more program headers than there are */
	(void)make_kcore(kc, 0, TEXT_PADDR);
	put("proc/kcore", kc, 64 + 3 * 56 + 10);
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "truncated");
	put("proc/kcore", kc, 20);
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "kcore");
	rm("proc/kcore");
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "proc/kcore");
	put("proc/kcore", kc, make_kcore(kc, 0, TEXT_PADDR));

	/* no "Kernel code" in iomem */
	struct kd_iomem io;
	struct kd_crash_regions cr;
	CHECK_OK(kd_iomem_parse("00100000-3ffdbfff : System RAM\n", &io));
	kd_crash_regions_find(&io, &cr);
	CHECK_ERR_HAS(kd_crash_info_read(root, &io, &cr, &ci), "Kernel code");
	kd_iomem_free(&io);

	/* vmcoreinfo missing or malformed */
	put_str("sys/kernel/vmcoreinfo", "0x3f9c1000\n");
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "vmcoreinfo");
	rm("sys/kernel/vmcoreinfo");
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "vmcoreinfo");
	put_str("sys/kernel/vmcoreinfo", "0x000000003f9c1000 1024\n");

	/* a malformed crash_notes_size, a crash_notes of 0 (read without root) */
	put_str("sys/devices/system/cpu/cpu1/crash_notes_size", "many\n");
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "cpu1/crash_notes_size");
	put_str("sys/devices/system/cpu/cpu1/crash_notes_size", "368\n");
	put_str("sys/devices/system/cpu/cpu1/crash_notes", "0\n");
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "cpu1/crash_notes");

	/* no crash notes at all */
	rm("sys/devices/system/cpu/cpu0/crash_notes");
	rm("sys/devices/system/cpu/cpu1/crash_notes");
	rm("sys/devices/system/cpu/cpu10/crash_notes");
	read_info(FIXTURE_1G, &ci, &e);
	CHECK_ERR_HAS(e, "CONFIG_CRASH_DUMP");
	drop_root();
	read_info(FIXTURE_1G, &ci, &e); /* the root is gone */
	CHECK_FAILS(e);
}

static void test_kcore_parse(void)
{
	uint8_t kc[4096];
	struct kd_kcore_info ki;
	size_t need;
	for (int xnum = 0; xnum < 2; xnum++) {
		size_t n = make_kcore(kc, xnum, TEXT_PADDR);
		CHECK_OK(kd_kcore_parse(kc, n, &ki, &need));
		CHECK_U64(ki.text_vaddr, TEXT_VADDR);
		CHECK_U64(ki.text_paddr, TEXT_PADDR);
		CHECK_U64(ki.text_size, TEXT_SIZE);
		CHECK_U64(ki.page_offset, PAGE_OFFSET);
		/* cut short: the error says how much to read */
		CHECK_FAILS(kd_kcore_parse(kc, n - 1, &ki, &need));
		CHECK_U64(need, n);
		CHECK_FAILS(kd_kcore_parse(kc, 64, &ki, &need));
		CHECK_U64(need, xnum ? 128 : n);
		CHECK_FAILS(kd_kcore_parse(kc, 10, &ki, &need));
		CHECK_U64(need, 64);
	}
	/* the real count in section header 0 is read: a count of 3 loses the text and RAM */
	size_t n = make_kcore(kc, 1, TEXT_PADDR);
	Elf64_Shdr sh = { .sh_info = 3 };
	memcpy(kc + 64, &sh, sizeof(sh));
	CHECK_FAILS(kd_kcore_parse(kc, n, &ki, &need));
	CHECK_U64(need, 0);
	/* not x86_64; not a core; no RAM segment; RAM segments disagreeing */
	n = make_kcore(kc, 0, TEXT_PADDR);
	kc[18] = EM_AARCH64;
	CHECK_FAILS(kd_kcore_parse(kc, n, &ki, &need));
	n = make_kcore(kc, 0, TEXT_PADDR);
	kc[16] = ET_EXEC;
	CHECK_FAILS(kd_kcore_parse(kc, n, &ki, &need));
	n = make_kcore(kc, 0, TEXT_PADDR);
	tu_phdr(kc + 64 + 224, PT_LOAD, PAGE_OFFSET + 0x100000, UINT64_MAX, 0x3fedc000);
	CHECK_ERR_HAS(kd_kcore_parse(kc, n, &ki, &need), "no RAM segment");
	n = make_kcore(kc, 0, TEXT_PADDR);
	tu_phdr(kc + 64 + 280, PT_LOAD, PAGE_OFFSET + 0x100001000ULL, 0x100000000ULL, 0x1000);
	CHECK_ERR_HAS(kd_kcore_parse(kc, n, &ki, &need), "disagree");
	/* the whole kcore head read back through a file, needing a second read past 4 KiB */
	uint8_t big[8192] = { 0 };
	n = make_kcore(big, 0, TEXT_PADDR);
	Elf64_Ehdr eh;
	memcpy(&eh, big, sizeof(eh));
	eh.e_phoff = 5000;
	memcpy(big, &eh, sizeof(eh));
	memmove(big + 5000, big + 64, KCORE_NPHDR * 56);
	memset(big + 64, 0, 5000 - 64);
	root = tu_root_new("kcore");
	CHECK(root != NULL);
	put("kcore", big, 5000 + KCORE_NPHDR * 56);
	char path[128];
	snprintf(path, sizeof(path), "%s/kcore", root);
	CHECK_OK(kd_kcore_read(path, &ki));
	CHECK_U64(ki.page_offset, PAGE_OFFSET);
	drop_root();
}

static void test_too_many_phdrs(void)
{
	struct kd_crash_info ci = { 0 };
	uint64_t note[2] = { 0x1000, 368 };
	ci.ncpus = 1;
	ci.notes = (void *)note;
	ci.nram = 65531; /* 1 + 1 + 1 + 65531 = 65534 headers: the most e_phnum can say */
	ci.ram = calloc(ci.nram, sizeof(*ci.ram));
	void *buf;
	size_t len;
	CHECK_OK(kd_crash_headers_build(&ci, &buf, &len));
	CHECK_U64(len, 64 + 65534 * 56);
	if (buf) {
		Elf64_Ehdr eh;
		memcpy(&eh, buf, sizeof(eh));
		CHECK_U64(eh.e_phnum, 65534);
	}
	free(buf);
	ci.nram++;
	CHECK_FAILS(kd_crash_headers_build(&ci, &buf, &len));
	CHECK(buf == NULL);
	free(ci.ram);
	ci.ncpus = 0;
	CHECK_FAILS(kd_crash_headers_build(&ci, &buf, &len));
}

TEST_MAIN(T(test_info_and_headers), T(test_errors), T(test_kcore_parse), T(test_too_many_phdrs))

/* The ELF writer: program headers checked one by one (runs, splits at excluded pages and at
 * map changes, vaddrs from the maps), then read back through the vmcore reader; PN_XNUM when
 * the segments outgrow e_phnum. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dumpfile/elfout.h"
#include "test.h"
#include "vmcore/dump.h"

static void fill(uint64_t pfn, uint8_t *p, uint32_t ps)
{
	for (uint32_t i = 0; i < ps; i++)
		p[i] = (uint8_t)(pfn * 31 + i / 7);
}

static const char NOTE[] = "\013\0\0\0\040\0\0\0\0\0\0\0VMCOREINFO\0\0"
			   "OSRELEASE=6.99-elf\nPAGESIZE=4096\n";

static void segments_and_read_back(void)
{
	char *path = kd_test_tmpfile("elfout");
	int fd = open(path, O_WRONLY | O_TRUNC);
	struct kd_sink *s = NULL;
	CHECK_OK(kd_sink_file(fd, path, &s));
	struct kd_elfout_meta m = { 4096, EM_X86_64, NOTE, sizeof(NOTE) - 1 };
	struct kd_elfout *w = NULL;
	CHECK_OK(kd_elfout_new(&m, &w));
	/* kernel text (given first: wins) inside the direct map of [0, 64 pages) */
	CHECK_OK(kd_elfout_map(w, 16 * 4096, 8 * 4096, 0xffffffff81000000ULL));
	CHECK_OK(kd_elfout_map(w, 0, 64 * 4096, 0xffff888000000000ULL));
	/* kept: 0-9, 12-29 (by bitmap, crossing the text map at 16 and 24), 70-71 (no map) */
	CHECK_OK(kd_elfout_add_run(w, 0, 10));
	uint8_t bm[4] = { 0 };
	for (int p = 12; p < 30; p++)
		bm[(p - 8) / 8] |= (uint8_t)(1u << ((p - 8) % 8));
	CHECK_OK(kd_elfout_add_bitmap(w, 8, 40, bm));
	CHECK_OK(kd_elfout_add_run(w, 70, 2));
	CHECK_FAILS(kd_elfout_add_run(w, 50, 1)); /* not increasing */
	CHECK_U64(kd_elfout_pages(w), 30);
	CHECK_OK(kd_elfout_begin(w, s));
	uint8_t page[4096];
	int kept[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
		       24, 25, 26, 27, 28, 29, 70, 71 };
	for (int i = 0; i < 30; i++) {
		fill((uint64_t)kept[i], page, 4096);
		CHECK_OK(kd_elfout_page(w, page));
	}
	CHECK_FAILS(kd_elfout_page(w, page)); /* one too many */
	kd_elfout_free(w);
	w = NULL;
	CHECK_OK(kd_elfout_new(&m, &w));
	CHECK_OK(kd_elfout_add_run(w, 0, 2));
	CHECK_OK(kd_elfout_begin(w, s));
	CHECK_OK(kd_elfout_page(w, page));
	CHECK_FAILS(kd_elfout_finish(w)); /* one page short */
	kd_elfout_free(w);
	kd_sink_free(s);
	close(fd);

	/* rewrite the good one (the short one overwrote its start) */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK_OK(kd_sink_file(fd, path, &s));
	CHECK_OK(kd_elfout_new(&m, &w));
	CHECK_OK(kd_elfout_map(w, 16 * 4096, 8 * 4096, 0xffffffff81000000ULL));
	CHECK_OK(kd_elfout_map(w, 0, 64 * 4096, 0xffff888000000000ULL));
	CHECK_OK(kd_elfout_add_run(w, 0, 10));
	CHECK_OK(kd_elfout_add_bitmap(w, 8, 40, bm));
	CHECK_OK(kd_elfout_add_run(w, 70, 2));
	CHECK_OK(kd_elfout_begin(w, s));
	for (int i = 0; i < 30; i++) {
		fill((uint64_t)kept[i], page, 4096);
		CHECK_OK(kd_elfout_page(w, page));
	}
	CHECK_OK(kd_elfout_finish(w));
	kd_elfout_free(w);
	kd_sink_free(s);
	close(fd);

	size_t len;
	uint8_t *f = kd_test_slurp(path, &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	CHECK(!memcmp(eh->e_ident, ELFMAG, 4));
	CHECK_U64(eh->e_type, ET_CORE);
	CHECK_U64(eh->e_machine, EM_X86_64);
	CHECK_U64(eh->e_phnum, 6);
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + eh->e_phoff);
	CHECK_U64(ph[0].p_type, PT_NOTE);
	CHECK_U64(ph[0].p_filesz, sizeof(NOTE) - 1);
	CHECK(!memcmp(f + ph[0].p_offset, NOTE, sizeof(NOTE) - 1));
	struct { uint64_t paddr, pages, vaddr; } want[] = {
		{ 0, 10, 0xffff888000000000ULL },
		{ 12 * 4096, 4, 0xffff888000000000ULL + 12 * 4096 },
		{ 16 * 4096, 8, 0xffffffff81000000ULL },
		{ 24 * 4096, 6, 0xffff888000000000ULL + 24 * 4096 },
		{ 70 * 4096, 2, 0 },
	};
	uint64_t off = ph[1].p_offset;
	CHECK_U64(off % 4096, 0);
	for (int i = 0; i < 5; i++) {
		CHECK_U64(ph[i + 1].p_type, PT_LOAD);
		CHECK_U64(ph[i + 1].p_paddr, want[i].paddr);
		CHECK_U64(ph[i + 1].p_vaddr, want[i].vaddr);
		CHECK_U64(ph[i + 1].p_filesz, want[i].pages * 4096);
		CHECK_U64(ph[i + 1].p_memsz, want[i].pages * 4096);
		CHECK_U64(ph[i + 1].p_offset, off);
		off += want[i].pages * 4096;
	}
	CHECK_U64(len, off);
	free(f);

	struct kd_dump *d = NULL;
	CHECK_OK(kd_dump_open(path, &d));
	if (d) {
		CHECK_STR(kd_vmcoreinfo_get(kd_dump_vmcoreinfo(d), "OSRELEASE"), "6.99-elf");
		uint8_t got[4096];
		int ok = 1;
		for (int i = 0; i < 30; i++) {
			fill((uint64_t)kept[i], page, 4096);
			kd_err *e = kd_dump_read_pages(d, (uint64_t)kept[i], 1, got);
			ok &= !e && !memcmp(got, page, 4096);
			kd_err_free(e);
		}
		CHECK(ok);
		kd_err *e = kd_dump_read_pages(d, 10, 1, got);
		CHECK(e && kd_err_errnum(e) == ENOENT);
		kd_err_free(e);
		kd_dump_close(d);
	}
	unlink(path);
	free(path);
}

/* 70000 one-page segments: e_phnum is PN_XNUM and section header 0 holds the count. */
static void many_segments_use_pn_xnum(void)
{
	char *path = kd_test_tmpfile("elfout");
	int fd = open(path, O_WRONLY | O_TRUNC);
	struct kd_sink *s = NULL;
	CHECK_OK(kd_sink_file(fd, path, &s));
	struct kd_elfout_meta m = { 1024, EM_X86_64, NULL, 0 };
	struct kd_elfout *w = NULL;
	CHECK_OK(kd_elfout_new(&m, &w));
	for (uint64_t i = 0; i < 70000; i++)
		CHECK_OK(kd_elfout_add_run(w, 2 * i, 1));
	CHECK_OK(kd_elfout_begin(w, s));
	uint8_t page[1024];
	for (uint64_t i = 0; i < 70000; i++) {
		fill(2 * i, page, 1024);
		CHECK_OK(kd_elfout_page(w, page));
	}
	CHECK_OK(kd_elfout_finish(w));
	kd_elfout_free(w);
	kd_sink_free(s);
	close(fd);
	size_t len;
	uint8_t *f = kd_test_slurp(path, &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	CHECK_U64(eh->e_phnum, PN_XNUM);
	CHECK_U64(eh->e_shnum, 1);
	Elf64_Shdr *sh = (Elf64_Shdr *)(f + eh->e_shoff);
	CHECK_U64(sh->sh_info, 70001);
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + eh->e_phoff);
	CHECK_U64(ph[70000].p_paddr, 2 * 69999 * 1024);
	uint8_t want[1024];
	fill(2 * 69999, want, 1024);
	CHECK(!memcmp(f + ph[70000].p_offset, want, 1024));
	free(f);
	unlink(path);
	free(path);
}

TEST_MAIN(T(segments_and_read_back), T(many_segments_use_pn_xnum))

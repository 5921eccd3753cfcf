/* The e820 tables the next kernel gets: the capture kernel's view built from the crash lab
 * guests' /proc/iomem (as kexec_file_load's crash_setup_memmap_entries builds it), a ,high/,low
 * pair, and the firmware map read from a /sys/firmware/memmap-shaped directory. */
#define _GNU_SOURCE
#include "kexec/e820.h"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#define RAM KD_E820_RAM
#define RES KD_E820_RESERVED

static void check_table(const struct kd_e820 *m, const struct kd_e820_entry *want, size_t n,
			int line)
{
	kd_test_checks++;
	int bad = m->n != n;
	for (size_t i = 0; !bad && i < n; i++)
		bad = m->e[i].addr != want[i].addr || m->e[i].size != want[i].size ||
		      m->e[i].type != want[i].type;
	if (!bad)
		return;
	kd_test_failures++;
	fprintf(stderr, "  line %d: e820 table differs; got %zu entries:\n", line, m->n);
	for (size_t i = 0; i < m->n; i++)
		fprintf(stderr, "    %#llx %#llx %u\n", (unsigned long long)m->e[i].addr,
			(unsigned long long)m->e[i].size, m->e[i].type);
}
#define CHECK_TABLE(m, want) check_table(m, want, sizeof(want) / sizeof(want[0]), __LINE__)

static void crash_map(const char *fixture, const struct kd_mem_range *ex, size_t nex,
		      struct kd_e820 *m)
{
	struct kd_iomem io;
	struct kd_crash_regions cr;
	CHECK_OK(kd_iomem_read(kd_test_fixture(fixture), &io));
	kd_crash_regions_find(&io, &cr);
	CHECK_OK(kd_e820_for_crash(&io, &cr, ex, nex, m));
	kd_iomem_free(&io);
}

/* What every q35 guest has besides its crash region (the 1G and 2G guests differ only in the
 * Reserved range at the top of RAM). */
#define Q35_LOW { 0x0, 0x1000, RES }, { 0x1000, 0x9ec00, RAM }, { 0x9fc00, 0x400, RES }, \
	{ 0xf0000, 0x10000, RES }
#define Q35_HIGH { 0xb0000000, 0x10000000, RES }, { 0xfed1c000, 0x4000, RES }, \
	{ 0xfffc0000, 0x40000, RES }, { 0xfd00000000, 0x300000000, RES }

static void test_q35_1g(void)
{
	struct kd_e820 m;
	/* the ELF core header segment in the middle of the region: the region is split */
	const struct kd_mem_range mid[] = { { 0x30000000, 0x30003fff } };
	crash_map("base/fixtures/iomem-qemu-q35-1G-6.1.txt", mid, 1, &m);
	const struct kd_e820_entry want_mid[] = {
		Q35_LOW,
		{ 0x2e000000, 0x2000000, RAM }, { 0x30004000, 0xdffc000, RAM },
		{ 0x3ffdc000, 0x24000, RES },
		Q35_HIGH,
	};
	CHECK_TABLE(&m, want_mid);
	kd_e820_free(&m);

	const struct kd_mem_range start[] = { { 0x2e000000, 0x2e000fff } };
	crash_map("base/fixtures/iomem-qemu-q35-1G-6.1.txt", start, 1, &m);
	const struct kd_e820_entry want_start[] = {
		Q35_LOW, { 0x2e001000, 0xffff000, RAM }, { 0x3ffdc000, 0x24000, RES }, Q35_HIGH,
	};
	CHECK_TABLE(&m, want_start);
	kd_e820_free(&m);

	const struct kd_mem_range end[] = { { 0x3dff0000, 0x3dffffff } };
	crash_map("base/fixtures/iomem-qemu-q35-1G-6.1.txt", end, 1, &m);
	const struct kd_e820_entry want_end[] = {
		Q35_LOW, { 0x2e000000, 0xfff0000, RAM }, { 0x3ffdc000, 0x24000, RES }, Q35_HIGH,
	};
	CHECK_TABLE(&m, want_end);
	kd_e820_free(&m);

	/* a 2 KiB piece left before the hole is dropped; exactly one page after another is kept;
	 * a hole reaching past the region is clipped to it */
	const struct kd_mem_range two[] = { { 0x2e000800, 0x2e001fff },
					    { 0x2e003000, 0x3dffffff + 0x1000ULL } };
	crash_map("base/fixtures/iomem-qemu-q35-1G-6.1.txt", two, 2, &m);
	const struct kd_e820_entry want_two[] = {
		Q35_LOW, { 0x2e002000, 0x1000, RAM }, { 0x3ffdc000, 0x24000, RES }, Q35_HIGH,
	};
	CHECK_TABLE(&m, want_two);
	kd_e820_free(&m);
}

static void test_q35_2g_and_512m(void)
{
	struct kd_e820 m;
	crash_map("base/fixtures/iomem-qemu-q35-2G-6.1.txt", NULL, 0, &m);
	const struct kd_e820_entry want_2g[] = {
		Q35_LOW, { 0x6e000000, 0x10000000, RAM }, { 0x7ffdc000, 0x24000, RES }, Q35_HIGH,
	};
	CHECK_TABLE(&m, want_2g);
	kd_e820_free(&m);

	/* 6.12: the Reserved inside "PCI ECAM" (renamed from MMCONFIG) is still found */
	const struct kd_mem_range hdr[] = { { 0x10fff000, 0x10ffffff } };
	crash_map("base/fixtures/iomem-qemu-q35-512M-6.12.txt", hdr, 1, &m);
	const struct kd_e820_entry want_512m[] = {
		Q35_LOW, { 0x05000000, 0xbfff000, RAM }, { 0x1ffdc000, 0x24000, RES }, Q35_HIGH,
	};
	CHECK_TABLE(&m, want_512m);
	kd_e820_free(&m);
}

static void test_dev_vm(void)
{
	struct kd_iomem io;
	struct kd_crash_regions cr;
	struct kd_e820 m;
	CHECK_OK(kd_iomem_read(kd_test_fixture("base/fixtures/iomem-dev-vm.txt"), &io));
	kd_crash_regions_find(&io, &cr);
	/* no crashkernel= on this machine */
	CHECK_FAILS(kd_e820_for_crash(&io, &cr, NULL, 0, &m));
	CHECK_U64(m.n, 0);
	/* as if a region had been reserved: Reserved ranges with non-Reserved children */
	cr.n = 1;
	cr.main = 0;
	cr.r[0].start = 0x20000000;
	cr.r[0].end = 0x2fffffff;
	CHECK_OK(kd_e820_for_crash(&io, &cr, NULL, 0, &m));
	const struct kd_e820_entry want[] = {
		{ 0x0, 0x1000, RES }, { 0x1000, 0x9ec00, RAM }, { 0x9fc00, 0x60400, RES },
		{ 0x20000000, 0x10000000, RAM }, { 0xeec00000, 0x10000000, RES },
	};
	CHECK_TABLE(&m, want);
	kd_e820_free(&m);
	kd_iomem_free(&io);
}

static void test_high_low_acpi(void)
{
	/* crashkernel=512M,high: the ,low region is RAM, whole; the high one minus the header.
	 * System RAM crossing 1 MiB is clipped; a Reserved inside a Reserved is taken once. */
	const char *text =
		"00000000-00000fff : Reserved\n"
		"00001000-007fffff : System RAM\n"
		"00800000-0080ffff : ACPI Non-volatile Storage\n"
		"00810000-bffdffff : System RAM\n"
		"  a0000000-afffffff : Crash kernel\n"
		"bffe0000-bfffffff : Reserved\n"
		"  bffe0000-bffeffff : Reserved\n"
		"c0000000-c000ffff : ACPI Tables\n"
		"100000000-43fffffff : System RAM\n"
		"  41e000000-43dffffff : Crash kernel\n";
	struct kd_iomem io;
	struct kd_crash_regions cr;
	struct kd_e820 m;
	CHECK_OK(kd_iomem_parse(text, &io));
	kd_crash_regions_find(&io, &cr);
	CHECK_U64(cr.main, 1);
	const struct kd_mem_range hdr[] = { { 0x41e000000, 0x41e000fff } };
	CHECK_OK(kd_e820_for_crash(&io, &cr, hdr, 1, &m));
	const struct kd_e820_entry want[] = {
		{ 0x0, 0x1000, RES }, { 0x1000, 0xff000, RAM }, { 0x800000, 0x10000, KD_E820_NVS },
		{ 0xa0000000, 0x10000000, RAM }, { 0xbffe0000, 0x20000, RES },
		{ 0xc0000000, 0x10000, KD_E820_ACPI }, { 0x41e001000, 0x1ffff000, RAM },
	};
	CHECK_TABLE(&m, want);
	kd_e820_free(&m);
	kd_iomem_free(&io);
}

static void test_mem_ranges_exclude(void)
{
	struct kd_mem_ranges m = { 0 };
	CHECK_OK(kd_mem_ranges_add(&m, 0x1000, 0x9ffff));
	CHECK_OK(kd_mem_ranges_add(&m, 0x100000, 0x1fffffff));
	CHECK_OK(kd_mem_ranges_add(&m, 0x20000000, 0x2fffffff));
	CHECK_OK(kd_mem_ranges_add(&m, 0x40000000, 0x4fffffff));
	/* the low 1M: the first range goes entirely */
	CHECK_OK(kd_mem_ranges_exclude(&m, 0, 0xfffff));
	CHECK_U64(m.n, 3);
	CHECK_U64(m.r[0].start, 0x100000);
	/* a hole spanning two ranges trims both */
	CHECK_OK(kd_mem_ranges_exclude(&m, 0x1ff00000, 0x200fffff));
	CHECK_U64(m.r[0].end, 0x1fefffff);
	CHECK_U64(m.r[1].start, 0x20100000);
	/* a hole in the middle splits; order is kept */
	CHECK_OK(kd_mem_ranges_exclude(&m, 0x28000000, 0x28000fff));
	CHECK_U64(m.n, 4);
	CHECK_U64(m.r[1].end, 0x27ffffff);
	CHECK_U64(m.r[2].start, 0x28001000);
	CHECK_U64(m.r[2].end, 0x2fffffff);
	CHECK_U64(m.r[3].start, 0x40000000);
	/* a hole between ranges changes nothing; one covering everything empties the list */
	CHECK_OK(kd_mem_ranges_exclude(&m, 0x30000000, 0x3fffffff));
	CHECK_U64(m.n, 4);
	CHECK_OK(kd_mem_ranges_exclude(&m, 0, UINT64_MAX));
	CHECK_U64(m.n, 0);
	kd_mem_ranges_free(&m);
}

/* A /sys/firmware/memmap-shaped tree under a temporary directory. */
static char memmap_root[64];

static void put(const char *dir, const char *file, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", memmap_root, dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", memmap_root, dir, file);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void put_entry(const char *n, const char *start, const char *end, const char *type)
{
	put(n, "start", start);
	put(n, "end", end);
	put(n, "type", type);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void test_memmap_dir(void)
{
	strcpy(memmap_root, "/tmp/kd-memmap-XXXXXX");
	CHECK(mkdtemp(memmap_root) != NULL);
	struct kd_e820 m;
	CHECK_FAILS(kd_e820_from_memmap_dir(memmap_root, &m)); /* empty */

	/* numbered as the kernel does (0, 1, ..., 9, 10, 11), addresses not in that order */
	put_entry("0", "0x0\n", "0x9fbff\n", "System RAM\n");
	put_entry("1", "0x100000000\n", "0x13fffffff\n", "System RAM\n");
	put_entry("2", "0x9fc00\n", "0x9ffff\n", "Reserved\n");
	put_entry("9", "0x100000\n", "0x3ffdbfff\n", "System RAM\n");
	put_entry("10", "0x3ffdc000\n", "0x3ffdffff\n", "ACPI Tables\n");
	put_entry("11", "0x3ffe0000\n", "0x3ffeffff\n", "ACPI Non-volatile Storage\n");
	put_entry("3", "0x140000000\n", "0x17fffffff\n", "Persistent Memory (legacy)\n");
	put_entry("4", "0x180000000\n", "0x1bfffffff\n", "Persistent Memory\n");
	put_entry("5", "0x1c0000000\n", "0x1ffffffff\n", "Soft Reserved\n");
	put_entry("6", "0x3fff0000\n", "0x3fffffff\n", "Unusable memory\n");
	put_entry("7", "0xfeffc000\n", "0xfeffffff\n", "Unknown E820 type\n");
	put("other", "start", "0x5\n"); /* not an entry */
	CHECK_OK(kd_e820_from_memmap_dir(memmap_root, &m));
	const struct kd_e820_entry want[] = {
		{ 0x0, 0x9fc00, RAM }, { 0x9fc00, 0x400, RES }, { 0x100000, 0x3fedc000, RAM },
		{ 0x3ffdc000, 0x4000, KD_E820_ACPI }, { 0x3ffe0000, 0x10000, KD_E820_NVS },
		{ 0x3fff0000, 0x10000, KD_E820_UNUSABLE }, { 0xfeffc000, 0x4000, RES },
		{ 0x100000000, 0x40000000, RAM }, { 0x140000000, 0x40000000, KD_E820_PRAM },
		{ 0x180000000, 0x40000000, KD_E820_PMEM },
		{ 0x1c0000000, 0x40000000, KD_E820_SOFT_RESERVED },
	};
	CHECK_TABLE(&m, want);
	kd_e820_free(&m);

	/* a malformed entry is an error naming it */
	put_entry("12", "zzz\n", "0x1000\n", "System RAM\n");
	CHECK_FAILS(kd_e820_from_memmap_dir(memmap_root, &m));
	put_entry("12", "0x2000\n", "0x1000\n", "System RAM\n");
	CHECK_FAILS(kd_e820_from_memmap_dir(memmap_root, &m));
	nftw(memmap_root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	CHECK_FAILS(kd_e820_from_memmap_dir(memmap_root, &m)); /* gone */
	CHECK_FAILS(kd_e820_from_memmap_dir("/nonexistent/memmap", &m));
}

static void test_add_sort(void)
{
	struct kd_e820 m = { 0 };
	for (unsigned i = 0; i < 200; i++) /* past the first allocation, reversed */
		CHECK_OK(kd_e820_add(&m, (199 - i) * 0x1000ULL, 0x1000, i % 2 ? RAM : RES));
	kd_e820_sort(&m);
	int sorted = 1;
	for (size_t i = 1; i < m.n; i++)
		sorted &= m.e[i - 1].addr < m.e[i].addr;
	CHECK(sorted);
	CHECK_U64(m.n, 200);
	CHECK_U64(kd_e820_type_of("System RAM"), RAM);
	CHECK_U64(kd_e820_type_of("something new"), RES);
	kd_e820_free(&m);
}

TEST_MAIN(T(test_q35_1g), T(test_q35_2g_and_512m), T(test_dev_vm), T(test_high_low_acpi),
	  T(test_mem_ranges_exclude), T(test_memmap_dir), T(test_add_sort))

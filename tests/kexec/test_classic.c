/* The classic kexec_load path end to end in dry-run mode (everything built and checked, no
 * syscall): a complete synthetic bzImage (the 6.1 cloud kernel's real header, a zero payload
 * of the length it declares) and a small ELF vmlinux, against a temporary root shaped like
 * /sys and /proc (firmware memmap for -l; crash notes, VMCOREINFO and a /proc/kcore head for
 * -p) and a lab guest's /proc/iomem. Checks where every segment went. */
#define _GNU_SOURCE
#include "kexec/classic.h"

#include <elf.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kexec/mem_range.h"
#include "kexec/testutil.h"
#include "test.h"

#define HEAD "kexec/fixtures/vmlinuz-6.1.0-56-cloud-amd64.head"
#define FIXTURE_1G "base/fixtures/iomem-qemu-q35-1G-6.1.txt"
#define CRASH_START 0x2e000000ULL /* "Crash kernel" in the 1G fixture */
#define CRASH_END 0x3dffffffULL
#define TEXT_PADDR 0x17400000ULL  /* "Kernel code" in the 1G fixture */
#define TEXT_VADDR 0xffffffff9a000000ULL
#define PAGE_OFFSET 0xffff888000000000ULL
#define MIB (1ULL << 20)

static const char *root;

/* a file in the fake root, checked */
static void put(const char *rel, const void *data, size_t len)
{
	CHECK(tu_root_put(rel, data, len) == 0);
}

static void put_str(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

/* A /proc/kcore head: a PT_NOTE, the kernel text mapping and the direct map of RAM. */
static void put_kcore(void)
{
	uint8_t b[64 + 3 * 56] = { 0 };
	Elf64_Ehdr eh = { .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_phoff = 64, .e_ehsize = 64, .e_phentsize = 56, .e_phnum = 3 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(b, &eh, sizeof(eh));
	Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = 0x400, .p_filesz = 0x1000 };
	memcpy(b + 64, &note, sizeof(note));
	tu_phdr(b + 120, PT_LOAD, TEXT_VADDR, TEXT_PADDR, 0x2800000);
	tu_phdr(b + 176, PT_LOAD, PAGE_OFFSET + 0x100000, 0x100000, 0x3fedc000);
	put("proc/kcore", b, sizeof(b));
}

static void put_memmap(const char *n, const char *start, const char *end, const char *type)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "sys/firmware/memmap/%s/start", n);
	put_str(rel, start);
	snprintf(rel, sizeof(rel), "sys/firmware/memmap/%s/end", n);
	put_str(rel, end);
	snprintf(rel, sizeof(rel), "sys/firmware/memmap/%s/type", n);
	put_str(rel, type);
}

static void make_root(void)
{
	root = tu_root_new("classic");
	CHECK(root != NULL);
	/* -l */
	put_memmap("0", "0x0\n", "0x9fbff\n", "System RAM\n");
	put_memmap("1", "0x9fc00\n", "0x9ffff\n", "Reserved\n");
	put_memmap("2", "0x100000\n", "0x3ffdbfff\n", "System RAM\n");
	put_memmap("3", "0x3ffdc000\n", "0x3fffffff\n", "Reserved\n");
	put_memmap("4", "0xfeffc000\n", "0xfeffffff\n", "Reserved\n");
	/* -p */
	put_str("sys/devices/system/cpu/cpu0/crash_notes", "3fc15a00\n");
	put_str("sys/devices/system/cpu/cpu0/crash_notes_size", "368\n");
	put_str("sys/devices/system/cpu/cpu1/crash_notes", "3fc2da00\n");
	put_str("sys/devices/system/cpu/cpu1/crash_notes_size", "368\n");
	put_str("sys/kernel/vmcoreinfo", "0x000000003f9c1000 1024\n");
	put_kcore();
	/* what the firmware told the running kernel */
	uint8_t bp[4096] = { 0 };
	bp[0x70] = 0xe0; /* acpi_rsdp_addr 0xf58e0 */
	bp[0x71] = 0x58;
	bp[0x72] = 0x0f;
	put("sys/kernel/boot_params/data", bp, sizeof(bp));
}

static void drop_root(void)
{
	tu_root_drop();
}

/* The .head fixture padded with zeros to setup_len + syssize * 16, opened as a kernel. */
static int open_bzimage(struct kd_kernel_image *img)
{
	size_t len;
	uint8_t *head = tu_read_file(kd_test_fixture(HEAD), 1 << 20, &len);
	CHECK(head != NULL);
	if (!head)
		return -1;
	struct kd_bzimage bz;
	CHECK_OK(kd_bzimage_parse(head, len, &bz));
	size_t total = (size_t)(bz.setup_len + bz.payload_len);
	CHECK(total > len);
	uint8_t *full = calloc(1, total);
	memcpy(full, head, len);
	const char *path = tu_write_tmp("vmlinuz", full, total);
	free(full);
	free(head);
	CHECK(path != NULL);
	CHECK_OK(kd_kernel_image_open(path, 1ULL << 30, img));
	CHECK_U64(img->kind, KD_IMAGE_BZIMAGE);
	CHECK_U64(img->size, total);
	return 0;
}

static const char *initrd_path(void)
{
	static uint8_t rd[300000];
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)i;
	return tu_write_tmp("initrd.img", rd, sizeof(rd));
}

static int find_seg(const struct kd_classic_res *r, const char *what)
{
	for (size_t i = 0; i < r->nseg; i++)
		if (!strcmp(r->seg[i].what, what))
			return (int)i;
	return -1;
}

/* Page-aligned, page-multiple, bufsz <= memsz, inside one of the ranges, no two overlapping. */
static void check_segments(const struct kd_classic_res *r, const struct kd_mem_range *in,
			   size_t nin, int line)
{
	size_t bad = 0;
	for (size_t i = 0; i < r->nseg; i++) {
		uint64_t a = r->seg[i].mem, b = a + r->seg[i].memsz - 1;
		int inside = 0;
		for (size_t k = 0; k < nin; k++)
			inside |= a >= in[k].start && b <= in[k].end;
		int ok = inside && !(a % 4096) && !(r->seg[i].memsz % 4096) && r->seg[i].memsz &&
			 r->seg[i].bufsz <= r->seg[i].memsz;
		for (size_t j = 0; j < i; j++)
			if (a <= r->seg[j].mem + r->seg[j].memsz - 1 && b >= r->seg[j].mem)
				ok = 0;
		if (!ok) {
			bad++;
			fprintf(stderr, "  line %d: segment %zu (%s) %#llx-%#llx misplaced\n", line, i,
				r->seg[i].what, (unsigned long long)a, (unsigned long long)b);
		}
	}
	kd_test_checks++;
	if (bad)
		kd_test_failures++;
}

static void check_common(const struct kd_classic_res *r)
{
	int k = find_seg(r, "kernel"), bp = find_seg(r, "boot parameters"),
	    pu = find_seg(r, "purgatory");
	CHECK(k >= 0 && bp >= 0 && pu >= 0);
	if (k < 0 || bp < 0 || pu < 0)
		return;
	CHECK_U64(r->boot_params, r->seg[bp].mem);
	CHECK(r->seg[bp].bufsz >= 4096 + 1);
	CHECK(r->entry >= r->seg[pu].mem && r->entry < r->seg[pu].mem + r->seg[pu].memsz);
}

static void test_panic_bzimage(void)
{
	make_root();
	struct kd_kernel_image img;
	if (open_bzimage(&img))
		return;
	struct kd_iomem io;
	struct kd_crash_regions cr;
	CHECK_OK(kd_iomem_read(kd_test_fixture(FIXTURE_1G), &io));
	kd_crash_regions_find(&io, &cr);
	CHECK_U64(cr.n, 1);
	struct kd_classic_req rq = { .kernel = "vmlinuz", .img = &img, .initrd = initrd_path(),
				     .cmdline = "console=ttyS0 irqpoll", .panic = 1,
				     .mem_min = 0, .mem_max = UINT64_MAX, .io = &io, .cr = &cr,
				     .root = root, .dry_run = 1 };
	struct kd_classic_res r;
	CHECK_OK(kd_kexec_classic_load(&rq, &r));
	CHECK_U64(r.nseg, 5);
	const struct kd_mem_range region = { CRASH_START, CRASH_END };
	check_segments(&r, &region, 1, __LINE__);
	check_common(&r);
	int k = find_seg(&r, "kernel"), h = find_seg(&r, "ELF core header"),
	    i = find_seg(&r, "initrd");
	CHECK(k >= 0 && h >= 0 && i >= 0);
	if (k >= 0) {
		CHECK_U64(r.seg[k].mem % img.bz.kernel_alignment, 0);
		CHECK(r.seg[k].memsz >= img.bz.init_size);
		CHECK_U64(r.seg[k].bufsz, img.size - img.bz.setup_len);
		CHECK_U64(r.kernel_entry, r.seg[k].mem + 0x200);
	}
	if (h >= 0) {
		CHECK_U64(r.elfcorehdr, r.seg[h].mem);
		CHECK(r.seg[h].bufsz > 0);
	}
	if (i >= 0)
		CHECK_U64(r.seg[i].bufsz, 300000);

	/* --mem-max below what the kernel needs in the region: nothing fits */
	rq.mem_max = CRASH_START + 32 * MIB - 1;
	kd_err *e = kd_kexec_classic_load(&rq, &r);
	char buf[1024] = "";
	CHECK(e != NULL);
	if (e)
		kd_err_format(e, buf, sizeof(buf));
	CHECK(strstr(buf, "no room for the kernel") != NULL);
	CHECK(strstr(buf, "the crash kernel region") != NULL);
	kd_err_free(e);

	/* no boot_params/data to carry over: still loads */
	char p[512];
	snprintf(p, sizeof(p), "%s/sys/kernel/boot_params/data", root);
	unlink(p);
	rq.mem_max = UINT64_MAX;
	rq.initrd = NULL;
	CHECK_OK(kd_kexec_classic_load(&rq, &r));
	CHECK_U64(r.nseg, 4);
	check_segments(&r, &region, 1, __LINE__);
	kd_iomem_free(&io);
	kd_kernel_image_close(&img);
	drop_root();
}

static const struct kd_mem_range ram[] = { { 0, 0x9fbff }, { 0x100000, 0x3ffdbfff } };

static void test_load_bzimage(void)
{
	make_root();
	struct kd_kernel_image img;
	if (open_bzimage(&img))
		return;
	struct kd_classic_req rq = { .kernel = "vmlinuz", .img = &img, .initrd = initrd_path(),
				     .cmdline = "root=/dev/vda1", .mem_min = 0,
				     .mem_max = UINT64_MAX, .root = root, .dry_run = 1 };
	struct kd_classic_res r;
	CHECK_OK(kd_kexec_classic_load(&rq, &r));
	CHECK_U64(r.nseg, 4); /* kernel, initrd, boot parameters, purgatory */
	check_segments(&r, ram, 2, __LINE__);
	check_common(&r);
	CHECK_U64(r.elfcorehdr, 0);
	CHECK(find_seg(&r, "ELF core header") < 0);
	int k = find_seg(&r, "kernel");
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK(r.seg[k].mem >= img.bz.pref_address);
		CHECK_U64(r.seg[k].mem % img.bz.kernel_alignment, 0);
		CHECK(r.seg[k].memsz >= img.bz.init_size);
		CHECK_U64(r.kernel_entry, r.seg[k].mem + 0x200);
	}
	for (size_t i = 0; i < r.nseg; i++)
		CHECK(r.seg[i].mem >= MIB); /* nothing in the first MiB */

	/* --mem-min/--mem-max respected */
	rq.mem_min = 0x10000000;
	rq.mem_max = 0x1fffffff;
	CHECK_OK(kd_kexec_classic_load(&rq, &r));
	const struct kd_mem_range lim = { 0x10000000, 0x1fffffff };
	check_segments(&r, &lim, 1, __LINE__);

	/* --mem-max too low for the kernel's init_size */
	rq.mem_min = 0;
	rq.mem_max = 0x2000000 - 1;
	kd_err *e = kd_kexec_classic_load(&rq, &r);
	char buf[1024] = "";
	CHECK(e != NULL);
	if (e)
		kd_err_format(e, buf, sizeof(buf));
	CHECK(strstr(buf, "no room for the kernel") != NULL);
	CHECK(strstr(buf, "System RAM") != NULL);
	CHECK(strstr(buf, "--mem-min/--mem-max") != NULL);
	kd_err_free(e);
	kd_kernel_image_close(&img);
	drop_root();
}

/* An ELF vmlinux: one PT_LOAD of 0x1000 file bytes and 2 MiB of memory at paddr. */
static int open_vmlinux(uint64_t paddr, uint64_t entry, struct kd_kernel_image *img)
{
	uint8_t b[0x2000] = { 0 };
	Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_entry = entry, .e_phoff = 64, .e_ehsize = 64, .e_phentsize = 56,
			  .e_phnum = 1 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(b, &eh, sizeof(eh));
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000,
			  .p_vaddr = 0xffffffff80000000ULL + paddr, .p_paddr = paddr,
			  .p_filesz = 0x1000, .p_memsz = 2 * MIB, .p_align = 2 * MIB };
	memcpy(b + 64, &ph, sizeof(ph));
	memset(b + 0x1000, 0x90, 0x1000);
	const char *path = tu_write_tmp("vmlinux", b, sizeof(b));
	CHECK(path != NULL);
	kd_err *e = kd_kernel_image_open(path, 1ULL << 30, img);
	CHECK_OK(e);
	if (e)
		return -1;
	CHECK_U64(img->kind, KD_IMAGE_ELF_VMLINUX);
	return 0;
}

static void test_load_vmlinux(void)
{
	make_root();
	struct kd_kernel_image img;
	if (open_vmlinux(16 * MIB, 16 * MIB + 0x40, &img))
		return;
	struct kd_classic_req rq = { .kernel = "vmlinux", .img = &img, .cmdline = "quiet",
				     .mem_min = 0, .mem_max = UINT64_MAX, .root = root,
				     .dry_run = 1 };
	struct kd_classic_res r;
	CHECK_OK(kd_kexec_classic_load(&rq, &r));
	CHECK_U64(r.nseg, 3);
	check_segments(&r, ram, 2, __LINE__);
	check_common(&r);
	int k = find_seg(&r, "kernel");
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK_U64(r.seg[k].mem, 16 * MIB); /* where it was linked */
		CHECK_U64(r.seg[k].memsz, 2 * MIB);
		CHECK_U64(r.seg[k].bufsz, 0x1000);
	}
	CHECK_U64(r.kernel_entry, 16 * MIB + 0x40);

	/* where it was linked is below --mem-min: moved by a 2 MiB multiple, entry with it */
	rq.mem_min = 0x5100000;
	CHECK_OK(kd_kexec_classic_load(&rq, &r));
	k = find_seg(&r, "kernel");
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK_U64(r.seg[k].mem, 0x5200000);
		CHECK_U64(r.kernel_entry, 0x5200000 + 0x40);
	}
	const struct kd_mem_range lim = { 0x5100000, 0x3ffdbfff };
	check_segments(&r, &lim, 1, __LINE__);
	kd_kernel_image_close(&img);

	/* a broken one is refused before anything is placed */
	if (!open_vmlinux(16 * MIB + 0x1000, 16 * MIB + 0x1040, &img)) {
		kd_err *e = kd_kexec_classic_load(&rq, &r);
		char buf[512] = "";
		CHECK(e != NULL);
		if (e)
			kd_err_format(e, buf, sizeof(buf));
		CHECK(strstr(buf, "2 MiB") != NULL);
		CHECK_U64(r.nseg, 0);
		kd_err_free(e);
		kd_kernel_image_close(&img);
	}
	drop_root();
}

TEST_MAIN(T(test_panic_bzimage), T(test_load_bzimage), T(test_load_vmlinux))

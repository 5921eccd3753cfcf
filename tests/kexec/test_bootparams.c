/* The x86 zero page for kexec_load, built with the setup header of a real bzImage (Debian's
 * 6.1 cloud kernel) and read back at the boot protocol's offsets: the copied header, the fields
 * the loader sets, the command line, a high initrd, the e820 table and its SETUP_E820_EXT
 * overflow, ext_mem_k/alt_mem_k, what is carried over from the running kernel's boot_params
 * (and what is not), and the minimal header of an ELF vmlinux. */
#include "kexec/bootparams_x86_64.h"

#include <stdlib.h>

#include "test.h"
#include "kexec/testutil.h"

#define FIXTURE "kexec/fixtures/vmlinuz-6.1.0-56-cloud-amd64.head"
#define HDR_END (0x202 + 0x6a) /* the jump at 0x200 in this image: eb 6a */

static uint64_t get(const uint8_t *b, size_t off, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, b + off, n);
	return v;
}

static uint8_t *load_fixture(size_t *len)
{
	uint8_t *img = tu_read_file(kd_test_fixture(FIXTURE), 1 << 20, len);
	CHECK(img != NULL);
	CHECK(img && *len >= 0x1000 && img[0x201] == 0x6a);
	return img;
}

/* n entries: low RAM, a reserved hole, RAM from 1 MiB, then reserved pieces above 4G. */
static void make_e820(struct kd_e820 *m, size_t n)
{
	memset(m, 0, sizeof(*m));
	CHECK_OK(kd_e820_add(m, 0, 0x9fc00, KD_E820_RAM));
	CHECK_OK(kd_e820_add(m, 0x9fc00, 0x400, KD_E820_RESERVED));
	CHECK_OK(kd_e820_add(m, 0x100000, 0x3fedc000, KD_E820_RAM));
	for (size_t i = 3; i < n; i++)
		CHECK_OK(kd_e820_add(m, 0x100000000ULL + i * 0x10000, 0x1000,
				     i % 2 ? KD_E820_RESERVED : KD_E820_ACPI));
}

static uint8_t *build(const struct kd_bootparams_req *rq, uint64_t addr)
{
	size_t n = kd_bootparams_size(rq);
	uint8_t *b = malloc(n); /* exactly: ASan sees any write past it */
	CHECK(b != NULL);
	memset(b, 0xee, n);
	CHECK_OK(kd_bootparams_build(rq, addr, b));
	return b;
}

static void check_e820_entry(const uint8_t *at, const struct kd_e820_entry *e, int line)
{
	kd_test_checks++;
	if (get(at, 0, 8) == e->addr && get(at, 8, 8) == e->size && get(at, 16, 4) == e->type)
		return;
	kd_test_failures++;
	fprintf(stderr, "  line %d: e820 entry %#llx+%#llx type %llu, expected %#llx+%#llx %u\n",
		line, (unsigned long long)get(at, 0, 8), (unsigned long long)get(at, 8, 8),
		(unsigned long long)get(at, 16, 4), (unsigned long long)e->addr,
		(unsigned long long)e->size, e->type);
}

static int loader_field(size_t off)
{
	return off == 0x210 || off == 0x211 || (off >= 0x214 && off < 0x220) ||
	       (off >= 0x228 && off < 0x22c) || (off >= 0x250 && off < 0x258);
}

static void test_bzimage_header_and_fields(void)
{
	size_t len;
	uint8_t *img = load_fixture(&len);
	if (!img)
		return;
	struct kd_e820 m;
	make_e820(&m, 3);
	const char *cmd = "console=ttyS0 root=/dev/vda1";
	const uint64_t addr = 0x100005000ULL;
	struct kd_bootparams_req rq = { .image = img, .image_len = len, .cmdline = cmd,
					.kernel_addr = 0x1000000, .initrd_addr = 0x123456000ULL,
					.initrd_size = 0x100001000ULL, .e820 = &m };
	size_t size = kd_bootparams_size(&rq);
	CHECK_U64(size, 4096 + 32); /* 29 bytes of command line, in 16-byte units */
	uint8_t *bp = build(&rq, addr);
	/* the header, as in the image, except the fields the loader sets */
	int same = 1;
	for (size_t i = KD_BP_HDR; i < HDR_END; i++)
		if (!loader_field(i) && bp[i] != img[i])
			same = 0;
	CHECK(same);
	CHECK_U64(get(bp, KD_BP_BOOT_FLAG, 2), 0xaa55);
	CHECK(!memcmp(bp + KD_BP_HEADER_MAGIC, "HdrS", 4));
	CHECK_U64(get(bp, KD_BP_VERSION, 2), get(img, 0x206, 2));
	CHECK_U64(get(bp, KD_BP_KERNEL_ALIGNMENT, 4), 0x200000);
	CHECK_U64(bp[HDR_END], 0); /* nothing past the header */
	CHECK_U64(bp[KD_BP_TYPE_OF_LOADER], 0xd0);
	CHECK_U64(bp[KD_BP_LOADFLAGS], 0);
	CHECK_U64(get(bp, KD_BP_CODE32_START, 4), 0x1000000);
	CHECK_U64(get(bp, KD_BP_CMD_LINE_PTR, 4), 0x00006000);
	CHECK_U64(get(bp, KD_BP_EXT_CMD_LINE_PTR, 4), 1);
	CHECK_STR((const char *)bp + 4096, cmd);
	CHECK_U64(get(bp, KD_BP_RAMDISK_IMAGE, 4), 0x23456000);
	CHECK_U64(get(bp, KD_BP_EXT_RAMDISK_IMAGE, 4), 1);
	CHECK_U64(get(bp, KD_BP_RAMDISK_SIZE, 4), 0x1000);
	CHECK_U64(get(bp, KD_BP_EXT_RAMDISK_SIZE, 4), 1);
	CHECK_U64(get(bp, KD_BP_SETUP_DATA, 8), 0);
	CHECK_U64(bp[KD_BP_E820_ENTRIES], 3);
	for (size_t i = 0; i < 3; i++)
		check_e820_entry(bp + KD_BP_E820_TABLE + i * 20, &m.e[i], __LINE__);
	static const uint8_t zero[20];
	CHECK(!memcmp(bp + KD_BP_E820_TABLE + 3 * 20, zero, 20));
	/* RAM from 1 MiB to 0x3ffdc000: 0xffb70 KiB above 1 MiB, ext_mem_k capped at 0xfc00 */
	CHECK_U64(get(bp, KD_BP_EXT_MEM_K, 2), 0xfc00);
	CHECK_U64(get(bp, KD_BP_ALT_MEM_K, 4), 0xffb70);
	/* no running boot_params: no screen, no RSDP, no EDD */
	CHECK_U64(get(bp, KD_BP_ACPI_RSDP, 8), 0);
	CHECK_U64(get(bp, 0, 2), 0); /* screen_info's orig_x/orig_y */
	CHECK_U64(bp[KD_BP_EDDBUF_ENTRIES], 0);
	free(bp);

	/* no initrd, no command line, below 4G */
	rq.cmdline = NULL;
	rq.initrd_addr = rq.initrd_size = 0;
	kd_e820_free(&m);
	make_e820(&m, 3);
	m.e[2].size = 0x700000; /* RAM up to 8 MiB: 7 MiB above 1 MiB */
	CHECK_U64(kd_bootparams_size(&rq), 4096 + 16);
	bp = build(&rq, 0x2000000);
	CHECK_U64(get(bp, KD_BP_CMD_LINE_PTR, 4), 0x2001000);
	CHECK_U64(get(bp, KD_BP_EXT_CMD_LINE_PTR, 4), 0);
	CHECK_U64(bp[4096], 0);
	CHECK_U64(get(bp, KD_BP_RAMDISK_IMAGE, 4), 0);
	CHECK_U64(get(bp, KD_BP_RAMDISK_SIZE, 4), 0);
	CHECK_U64(get(bp, KD_BP_EXT_MEM_K, 2), 7 * 1024);
	CHECK_U64(get(bp, KD_BP_ALT_MEM_K, 4), 7 * 1024);
	free(bp);
	kd_e820_free(&m);
	free(img);
}

static void test_e820_ext(void)
{
	size_t len;
	uint8_t *img = load_fixture(&len);
	if (!img)
		return;
	struct kd_e820 m;
	make_e820(&m, 130);
	const uint64_t addr = 0x3d000000;
	struct kd_bootparams_req rq = { .image = img, .image_len = len, .cmdline = "console=ttyS0",
					.kernel_addr = 0x2e000000, .e820 = &m };
	/* 14 bytes of command line -> 16, then the setup_data header and two entries */
	CHECK_U64(kd_bootparams_size(&rq), 4096 + 16 + 16 + 2 * 20);
	uint8_t *bp = build(&rq, addr);
	CHECK_U64(bp[KD_BP_E820_ENTRIES], 128);
	for (size_t i = 0; i < 128; i++)
		check_e820_entry(bp + KD_BP_E820_TABLE + i * 20, &m.e[i], __LINE__);
	const size_t sd = 4096 + 16;
	CHECK_U64(get(bp, KD_BP_SETUP_DATA, 8), addr + sd);
	CHECK_U64(get(bp, sd, 8), 0);          /* next */
	CHECK_U64(get(bp, sd + 8, 4), KD_BP_SETUP_E820_EXT);
	CHECK_U64(get(bp, sd + 12, 4), 2 * 20); /* len */
	check_e820_entry(bp + sd + 16, &m.e[128], __LINE__);
	check_e820_entry(bp + sd + 36, &m.e[129], __LINE__);
	CHECK_STR((const char *)bp + 4096, "console=ttyS0");
	free(bp);

	/* exactly 128: no setup_data */
	m.n = 128;
	CHECK_U64(kd_bootparams_size(&rq), 4096 + 16);
	bp = build(&rq, addr);
	CHECK_U64(bp[KD_BP_E820_ENTRIES], 128);
	CHECK_U64(get(bp, KD_BP_SETUP_DATA, 8), 0);
	free(bp);
	m.n = 130;
	kd_e820_free(&m);
	free(img);
}

static int carried(size_t off)
{
	return (off < 0x40 && off != 2 && off != 3) || (off >= 0x70 && off < 0x78) || off == 0x1e9 || off == 0x1ea ||
	       (off >= 0x23c && off < 0x248) || (off >= 0x290 && off < 0x2d0) ||
	       (off >= 0xd00 && off < 0xd00 + 6 * 82);
}

static void test_carry_over(void)
{
	size_t len;
	uint8_t *img = load_fixture(&len);
	if (!img)
		return;
	uint8_t run[4096];
	for (size_t i = 0; i < sizeof(run); i++)
		run[i] = (uint8_t)(i * 7 + 3) | 1; /* never 0 */
	struct kd_e820 m;
	make_e820(&m, 3);
	struct kd_bootparams_req rq = { .image = img, .image_len = len, .cmdline = "quiet",
					.kernel_addr = 0x1000000, .e820 = &m };
	uint8_t *plain = build(&rq, 0x5000000);
	rq.running = run;
	rq.running_len = sizeof(run);
	uint8_t *bp = build(&rq, 0x5000000);
	/* screen_info, but for ext_mem_k (0x02) inside it, which is ours */
	CHECK(!memcmp(bp, run, 2) && !memcmp(bp + 4, run + 4, 0x3c));
	CHECK_U64(get(bp, KD_BP_EXT_MEM_K, 2), get(plain, KD_BP_EXT_MEM_K, 2));
	CHECK_U64(get(bp, KD_BP_ACPI_RSDP, 8), get(run, KD_BP_ACPI_RSDP, 8));
	CHECK_U64(get(bp, KD_BP_HARDWARE_SUBARCH, 4), get(run, KD_BP_HARDWARE_SUBARCH, 4));
	CHECK_U64(bp[KD_BP_EDDBUF_ENTRIES], run[KD_BP_EDDBUF_ENTRIES]);
	CHECK_U64(bp[KD_BP_EDD_MBR_SIG_ENTRIES], run[KD_BP_EDD_MBR_SIG_ENTRIES]);
	CHECK(!memcmp(bp + KD_BP_EDD_MBR_SIG_BUF, run + KD_BP_EDD_MBR_SIG_BUF, 64));
	CHECK(!memcmp(bp + KD_BP_EDDBUF, run + KD_BP_EDDBUF, 6 * 82));
	/* nothing else: not its e820 table, its count, its sentinel, its setup header */
	size_t differ = 0;
	for (size_t i = 0; i < 4096; i++)
		if (!carried(i) && bp[i] != plain[i])
			differ++;
	CHECK_U64(differ, 0);
	CHECK_U64(bp[0x1ef], 0); /* sentinel */
	CHECK_U64(bp[KD_BP_E820_ENTRIES], 3);
	check_e820_entry(bp + KD_BP_E820_TABLE, &m.e[0], __LINE__);
	CHECK_U64(get(bp, KD_BP_E820_TABLE + 3 * 20, 8), 0);
	CHECK_U64(bp[KD_BP_TYPE_OF_LOADER], 0xd0);
	free(bp);

	/* a short one is not used */
	rq.running_len = 4095;
	bp = build(&rq, 0x5000000);
	CHECK(!memcmp(bp, plain, 4096));
	free(bp);
	free(plain);
	kd_e820_free(&m);
	free(img);
}

static void test_elf_vmlinux_header(void)
{
	struct kd_e820 m;
	make_e820(&m, 3);
	struct kd_bootparams_req rq = { .image = NULL, .cmdline = "x", .kernel_addr = 0x1000000,
					.e820 = &m };
	CHECK_U64(kd_bootparams_size(&rq), 4096 + 16);
	uint8_t *bp = build(&rq, 0x10000);
	CHECK_U64(get(bp, KD_BP_BOOT_FLAG, 2), 0xaa55);
	CHECK(!memcmp(bp + KD_BP_HEADER_MAGIC, "HdrS", 4));
	CHECK_U64(get(bp, KD_BP_VERSION, 2), 0x020f);
	CHECK_U64(get(bp, KD_BP_KERNEL_ALIGNMENT, 4), 0x200000);
	CHECK_U64(get(bp, KD_BP_CMDLINE_SIZE, 4), 2047);
	CHECK_U64(get(bp, KD_BP_XLOADFLAGS, 2), 3);
	CHECK_U64(bp[KD_BP_TYPE_OF_LOADER], 0xd0);
	CHECK_U64(get(bp, KD_BP_CODE32_START, 4), 0x1000000);
	CHECK_U64(get(bp, KD_BP_CMD_LINE_PTR, 4), 0x11000);
	CHECK_STR((const char *)bp + 4096, "x");
	CHECK_U64(bp[KD_BP_E820_ENTRIES], 3);
	free(bp);
	kd_e820_free(&m);
}

static void test_bad_header(void)
{
	uint8_t img[0x300] = { 0 };
	struct kd_e820 m;
	make_e820(&m, 3);
	struct kd_bootparams_req rq = { .image = img, .image_len = 0x201, .e820 = &m };
	uint8_t *bp = malloc(kd_bootparams_size(&rq));
	CHECK_FAILS(kd_bootparams_build(&rq, 0x10000, bp));
	rq.image_len = sizeof(img);
	img[0x201] = 0x90; /* header past 0x290 */
	CHECK_FAILS(kd_bootparams_build(&rq, 0x10000, bp));
	img[0x201] = 0x6a;
	rq.image_len = 0x260; /* header past the image */
	CHECK_FAILS(kd_bootparams_build(&rq, 0x10000, bp));
	rq.image_len = sizeof(img);
	CHECK_OK(kd_bootparams_build(&rq, 0x10000, bp));
	free(bp);
	kd_e820_free(&m);
}

TEST_MAIN(T(test_bzimage_header_and_fields), T(test_e820_ext), T(test_carry_over),
	  T(test_elf_vmlinux_header), T(test_bad_header))

/* Kernel image detection on real bzImage headers (Debian's 6.1 and 6.12 kernels: fixtures of
 * their setup code, and the whole lab kernels when the lab cache has them), on their gzip, xz
 * and zstd-compressed copies, and on files that are not kernels. */
#include "kexec/image.h"

#include <elf.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "testutil.h"

#define LAB_KERNELS "/var/cache/kdumpkit-lab/*/root/boot/vmlinuz-*"

struct head {
	const char *file, *release;
	uint32_t init_size;
};
static const struct head heads[] = {
	{ "kexec/fixtures/vmlinuz-6.1.0-56-cloud-amd64.head", "6.1.0-56-cloud-amd64", 0x3378000 },
	{ "kexec/fixtures/vmlinuz-6.12.117+deb12-cloud-amd64.head", "6.12.117+deb12-cloud-amd64",
	  0x37dc000 },
};
#define NHEADS (sizeof(heads) / sizeof(heads[0]))

static uint8_t *load_head(const struct head *h, size_t *len)
{
	return tu_read_file(kd_test_fixture(h->file), 1 << 20, len);
}

static int starts_with(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

static void test_fixture_headers(void)
{
	for (size_t i = 0; i < NHEADS; i++) {
		size_t len;
		uint8_t *b = load_head(&heads[i], &len);
		CHECK(b && len == 20480);
		if (!b)
			continue;
		CHECK(kd_bzimage_is(b, len));
		struct kd_bzimage bz;
		CHECK_OK(kd_bzimage_parse(b, len, &bz));
		CHECK_U64(bz.version, 0x020f);
		CHECK_U64(bz.setup_sects, 39);
		CHECK_U64(bz.setup_len, 20480);
		CHECK_U64(bz.init_size, heads[i].init_size);
		CHECK_U64(bz.kernel_alignment, 0x200000);
		CHECK_U64(bz.cmdline_size, 2047);
		CHECK_U64(bz.pref_address, 0x1000000);
		CHECK(bz.relocatable);
		CHECK(bz.loadflags & KD_BZ_LOADED_HIGH);
		CHECK_U64(bz.xloadflags, 0x7f); /* 64-bit, above 4G, EFI handover, 5-level... */
		CHECK(starts_with(bz.kernel_version, heads[i].release));
		CHECK(strstr(bz.kernel_version, "debian-kernel@lists.debian.org") != NULL);
		/* the head alone is a truncated kernel; with its payload's length it is whole */
		CHECK_FAILS(kd_bzimage_check_file_load(&bz, len));
		CHECK_OK(kd_bzimage_check_file_load(&bz, bz.setup_len + bz.payload_len));
		/* the header is all the parser needs: the version string is left out, not misread */
		CHECK_OK(kd_bzimage_parse(b, KD_BZ_HEADER_LEN, &bz));
		CHECK_U64(bz.init_size, heads[i].init_size);
		CHECK_STR(bz.kernel_version, "");
		CHECK_FAILS(kd_bzimage_parse(b, KD_BZ_HEADER_LEN - 1, &bz));
		free(b);
	}
}

static void test_refused_by_kexec_file_load(void)
{
	size_t len;
	uint8_t *b = load_head(&heads[0], &len);
	if (!b) {
		CHECK(b != NULL);
		return;
	}
	struct kd_bzimage bz;
	uint8_t *m = malloc(len);
	/* protocol 2.11: too old */
	memcpy(m, b, len);
	m[0x206] = 0x0b;
	CHECK_OK(kd_bzimage_parse(m, len, &bz));
	CHECK_FAILS(kd_bzimage_check_file_load(&bz, 1ULL << 30));
	/* a zImage (not loaded high) */
	memcpy(m, b, len);
	m[0x211] &= (uint8_t)~KD_BZ_LOADED_HIGH;
	CHECK_OK(kd_bzimage_parse(m, len, &bz));
	CHECK_FAILS(kd_bzimage_check_file_load(&bz, 1ULL << 30));
	/* a 32-bit kernel */
	memcpy(m, b, len);
	m[0x236] &= (uint8_t)~(KD_BZ_XLF_KERNEL_64 | KD_BZ_XLF_CAN_BE_LOADED_ABOVE_4G);
	CHECK_OK(kd_bzimage_parse(m, len, &bz));
	kd_err *e = kd_bzimage_check_file_load(&bz, 1ULL << 30);
	CHECK(e && kd_err_errnum(e) == ENOEXEC);
	kd_err_free(e);
	/* no boot flag: "HdrS" alone is not a boot sector */
	memcpy(m, b, len);
	m[0x1fe] = 0;
	CHECK(!kd_bzimage_is(m, len));
	CHECK_FAILS(kd_bzimage_parse(m, len, &bz));
	/* a version-string offset pointing past the setup code is ignored */
	memcpy(m, b, len);
	m[0x20e] = 0xff;
	m[0x20f] = 0x7f;
	CHECK_OK(kd_bzimage_parse(m, len, &bz));
	CHECK_STR(bz.kernel_version, "");
	free(m);
	free(b);
}

static void test_compressed_heads(void)
{
	static const enum kd_compression fm[] = { KD_COMP_GZIP, KD_COMP_XZ, KD_COMP_ZSTD };
	for (size_t i = 0; i < NHEADS; i++) {
		size_t len;
		uint8_t *b = load_head(&heads[i], &len);
		if (!b) {
			CHECK(b != NULL);
			continue;
		}
		for (size_t f = 0; f < 3; f++) {
			size_t clen;
			uint8_t *c = tu_compress(fm[f], b, len, &clen);
			const char *p = tu_write_tmp("head.z", c, clen);
			struct kd_kernel_image img;
			CHECK_OK(kd_kernel_image_open(p, KD_DECOMPRESS_MAX, &img));
			CHECK(img.kind == KD_IMAGE_BZIMAGE);
			CHECK(img.compression == fm[f]);
			CHECK_U64(img.size, len);
			CHECK_U64(img.file_size, clen);
			CHECK(starts_with(img.bz.kernel_version, heads[i].release));
			char d[96];
			CHECK(strstr(kd_kernel_image_describe(&img, d, sizeof(d)),
				     kd_compression_name(fm[f])) != NULL);
			kd_kernel_image_close(&img);
			/* compressed twice is not a kernel */
			size_t c2len;
			uint8_t *c2 = tu_compress(KD_COMP_GZIP, c, clen, &c2len);
			p = tu_write_tmp("head.z.gz", c2, c2len);
			kd_err *e = kd_kernel_image_open(p, KD_DECOMPRESS_MAX, &img);
			char msg[256];
			kd_err_format(e, msg, sizeof(msg));
			CHECK(e && strstr(msg, "compressed twice"));
			kd_err_free(e);
			free(c2);
			free(c);
		}
		free(b);
	}
}

/* The whole lab kernels, as they are and compressed each way. */
static void test_lab_kernels(void)
{
	glob_t g;
	int found = glob(LAB_KERNELS, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
	if (!found) {
		/* no lab cache here: the fixture heads must at least read as truncated kernels */
		printf("  no lab kernels under %s: checking the fixture heads only\n", LAB_KERNELS);
		for (size_t i = 0; i < NHEADS; i++) {
			struct kd_kernel_image img;
			CHECK_OK(kd_kernel_image_open(kd_test_fixture(heads[i].file), KD_DECOMPRESS_MAX,
						      &img));
			CHECK_FAILS(kd_bzimage_check_file_load(&img.bz, img.size));
			kd_kernel_image_close(&img);
		}
		return;
	}
	for (int i = 0; i < found; i++) {
		const char *path = g.gl_pathv[i];
		const char *release = strstr(path, "vmlinuz-") + 8;
		struct kd_kernel_image img;
		CHECK_OK(kd_kernel_image_open(path, KD_DECOMPRESS_MAX, &img));
		CHECK(img.kind == KD_IMAGE_BZIMAGE && img.compression == KD_COMP_NONE);
		CHECK(starts_with(img.bz.kernel_version, release));
		CHECK_OK(kd_bzimage_check_file_load(&img.bz, img.size));
		/* a signed Debian kernel carries its PE signature after the payload */
		CHECK(img.size >= img.bz.setup_len + img.bz.payload_len);
		kd_kernel_image_close(&img);
		size_t len;
		uint8_t *b = tu_read_file(path, 256u << 20, &len);
		static const enum kd_compression fm[] = { KD_COMP_GZIP, KD_COMP_XZ, KD_COMP_ZSTD };
		/* every format on the first kernel; the CPU is shared, one is enough for the rest */
		for (size_t f = 0; b && f < (i == 0 ? 3u : 1u); f++) {
			size_t clen;
			uint8_t *c = tu_compress(fm[f], b, len, &clen);
			const char *p = tu_write_tmp("vmlinuz.z", c, clen);
			CHECK_OK(kd_kernel_image_open(p, KD_DECOMPRESS_MAX, &img));
			CHECK(img.kind == KD_IMAGE_BZIMAGE && img.compression == fm[f]);
			CHECK_U64(img.size, len);
			CHECK_OK(kd_bzimage_check_file_load(&img.bz, img.size));
			/* what the syscall would read is the kernel, byte for byte */
			size_t olen;
			uint8_t *o = tu_read_fd(img.fd, &olen);
			CHECK(o && olen == len && !memcmp(o, b, len));
			free(o);
			kd_kernel_image_close(&img);
			/* a decompression cap below the kernel's size refuses it */
			kd_err *e = kd_kernel_image_open(p, len / 2, &img);
			CHECK(e && kd_err_errnum(e) == E2BIG);
			kd_err_free(e);
			free(c);
		}
		free(b);
	}
	globfree(&g);
}

/* A minimal ELF64 header + one program header. */
static size_t make_elf(uint8_t *b, unsigned cls, unsigned machine, unsigned type, uint64_t vaddr)
{
	memset(b, 0, 512);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = (uint8_t)cls;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	eh->e_type = (Elf64_Half)type;
	eh->e_machine = (Elf64_Half)machine;
	eh->e_entry = 0x1000000;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 1;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + sizeof(Elf64_Ehdr));
	ph->p_type = PT_LOAD;
	ph->p_vaddr = vaddr;
	return 512;
}

static void expect_refusal(const char *name, const void *buf, size_t len, const char *needle)
{
	const char *p = tu_write_tmp(name, buf, len);
	struct kd_kernel_image img;
	kd_err *e = kd_kernel_image_open(p, KD_DECOMPRESS_MAX, &img);
	char msg[512] = "";
	kd_err_format(e, msg, sizeof(msg));
	CHECK(e != NULL);
	if (!strstr(msg, needle)) {
		fprintf(stderr, "  %s: \"%s\" lacks \"%s\"\n", name, msg, needle);
		CHECK(strstr(msg, needle) != NULL);
	}
	CHECK(strstr(msg, p) != NULL); /* the message names the file */
	kd_err_free(e);
}

static void test_not_kernels(void)
{
	uint8_t b[4096];
	expect_refusal("empty", "", 0, "empty file");
	expect_refusal("text", "console=ttyS0 root=/dev/vda\n", 28, "not a kernel image");
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7919 >> 3);
	expect_refusal("random", b, sizeof(b), "not a kernel image");
	memset(b, 0, sizeof(b));
	b[0] = 'M';
	b[1] = 'Z';
	expect_refusal("pe", b, sizeof(b), "PE/EFI");
	make_elf(b, ELFCLASS64, EM_X86_64, ET_DYN, 0);
	expect_refusal("pie", b, 512, "shared object or PIE");
	make_elf(b, ELFCLASS64, EM_X86_64, ET_EXEC, 0x400000);
	expect_refusal("program", b, 512, "a program, not a kernel");
	make_elf(b, ELFCLASS64, EM_AARCH64, ET_EXEC, 0xffff800008000000ULL);
	expect_refusal("arm64", b, 512, "not x86_64");
	make_elf(b, ELFCLASS32, EM_386, ET_EXEC, 0xc1000000);
	expect_refusal("elf32", b, 512, "32-bit");
	make_elf(b, ELFCLASS64, EM_X86_64, ET_EXEC, 0xffffffff81000000ULL);
	((Elf64_Ehdr *)b)->e_phoff = 1u << 20; /* program headers past what is read */
	expect_refusal("phoff", b, 512, "program headers");
	expect_refusal("truncated-elf", b, 40, "truncated ELF header");
	size_t glen;
	uint8_t *gz = tu_compress(KD_COMP_GZIP, "not a kernel at all", 19, &glen);
	expect_refusal("text.gz", gz, glen, "not a kernel image");
	expect_refusal("broken.gz", gz, glen / 2, "gzip");
	free(gz);

	struct kd_kernel_image img;
	kd_err *e = kd_kernel_image_open("/nonexistent/vmlinuz", KD_DECOMPRESS_MAX, &img);
	CHECK(e && kd_err_errnum(e) == ENOENT);
	kd_err_free(e);
	e = kd_kernel_image_open("/tmp", KD_DECOMPRESS_MAX, &img);
	CHECK(e && kd_err_errnum(e) == EINVAL); /* a directory */
	kd_err_free(e);
}

static void test_elf_vmlinux(void)
{
	uint8_t b[512];
	make_elf(b, ELFCLASS64, EM_X86_64, ET_EXEC, 0xffffffff81000000ULL);
	const char *p = tu_write_tmp("vmlinux", b, sizeof(b));
	struct kd_kernel_image img;
	CHECK_OK(kd_kernel_image_open(p, KD_DECOMPRESS_MAX, &img));
	CHECK(img.kind == KD_IMAGE_ELF_VMLINUX);
	CHECK_U64(img.elf_entry, 0x1000000);
	char d[96];
	CHECK_STR(kd_kernel_image_describe(&img, d, sizeof(d)), "ELF vmlinux");
	kd_kernel_image_close(&img);
	CHECK(img.fd == -1);
}

TEST_MAIN(T(test_fixture_headers), T(test_refused_by_kexec_file_load), T(test_compressed_heads),
	  T(test_lab_kernels), T(test_not_kernels), T(test_elf_vmlinux))

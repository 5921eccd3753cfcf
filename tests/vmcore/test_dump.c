#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "synth.h"
#include "test.h"
#include "vmcore/dump.h"

#define M (1ULL << 20)
#define KTEXT 0xffffffff81000000ULL   /* a kernel image at phys 16M */
#define VMALLOC 0xffffc90000000000ULL

/* 32M of memory, a kernel image at 16M mapped with 2M pages, page tables at 22M (inside the
 * image, so the root is a kernel symbol), a direct map of the first 1G as one 1G leaf, and one
 * 4K vmalloc page pointing at phys 20M + 4K. Dumped: [0, 4M) and [16M, 32M). */
static void with_tables_inside_kernel_image(int levels, uint64_t sme)
{
	/* direct-map bases as the kernel picks them without KASLR */
	const uint64_t DIRECT = levels == 5 ? 0xff11000000000000ULL : 0xffff888000000000ULL;
	struct synth s;
	synth_init(&s, 32 * M, levels, 22 * M);
	s.sme_mask = sme;
	for (uint64_t off = 0; off < 8 * M; off += 2 * M)
		synth_map(&s, KTEXT + off, 16 * M + off, 2 * M);
	synth_map(&s, DIRECT, 0, 1ULL << 30);
	synth_map(&s, VMALLOC, 20 * M + 4096, 4096);
	synth_info(&s, "OSRELEASE=6.99.0-synthetic");
	synth_info(&s, "SYMBOL(init_top_pgt)=%llx", (unsigned long long)(KTEXT + (s.pgd - 16 * M)));
	synth_info(&s, "NUMBER(phys_base)=0");
	synth_info(&s, "NUMBER(pgtable_l5_enabled)=%d", levels == 5);
	if (sme)
		synth_info(&s, "NUMBER(sme_mask)=%llu", (unsigned long long)sme);
	memcpy(s.mem + 16 * M + 0x1234, "kernel data", 12);
	memcpy(s.mem + 20 * M + 4096 + 100, "vmalloc data", 13);
	memcpy(s.mem + 3 * M - 3, "straddle", 9);
	uint64_t ranges[] = { 0, 4 * M, 16 * M, 32 * M };
	char *path = synth_write(&s, ranges, 2);

	struct kd_dump *d = NULL;
	CHECK_OK(kd_dump_open(path, &d));
	if (d) {
		CHECK_STR(kd_dump_format(d), "ELF");
		const struct kd_vmcoreinfo *vi = kd_dump_vmcoreinfo(d);
		CHECK(vi != NULL);
		CHECK_STR(kd_vmcoreinfo_get(vi, "OSRELEASE"), "6.99.0-synthetic");
		const struct kd_note *notes;
		CHECK_U64(kd_dump_notes(d, &notes), 3);
		CHECK_U64(notes[0].type, 1);
		CHECK_STR(notes[2].name, "VMCOREINFO");
		struct kd_mem m = kd_dump_mem(d);
		char buf[32] = "";
		CHECK_OK(kd_mem_read(&m, KTEXT + 0x1234, buf, 12));
		CHECK_STR(buf, "kernel data");
		CHECK_OK(kd_mem_read(&m, VMALLOC + 100, buf, 13));
		CHECK_STR(buf, "vmalloc data");
		CHECK_OK(kd_mem_read(&m, DIRECT + 3 * M - 3, buf, 9));
		CHECK_STR(buf, "straddle");
		CHECK_OK(m.read_phys(m.ctx, 16 * M + 0x1234, buf, 12));
		CHECK_STR(buf, "kernel data");
		/* not mapped, not canonical, mapped but not in the dump */
		kd_err *e = kd_mem_read(&m, VMALLOC + 8192, buf, 4);
		CHECK_U64(kd_err_errnum(e), EFAULT);
		kd_err_free(e);
		e = kd_mem_read(&m, 0x0000900000000000ULL + (levels == 5 ? 0x0100000000000000ULL : 0),
				buf, 4);
		CHECK(e != NULL);
		kd_err_free(e);
		e = kd_mem_read(&m, DIRECT + 8 * M, buf, 4); /* phys 8M: between the PT_LOADs */
		CHECK_U64(kd_err_errnum(e), EFAULT);
		char msg[256];
		kd_err_format(e, msg, sizeof(msg));
		CHECK(strstr(msg, "physical address 0x800000 is not in the dump") != NULL);
		kd_err_free(e);
		/* a read running off the end of the first PT_LOAD fails whole */
		e = m.read_phys(m.ctx, 4 * M - 4, buf, 8);
		CHECK(e != NULL);
		kd_err_free(e);
		kd_dump_close(d);
	}
	unlink(path);
	free(path);
	synth_free(&s);
}

static void four_level(void) { with_tables_inside_kernel_image(4, 0); }
static void five_level(void) { with_tables_inside_kernel_image(5, 0); }
static void sme_bit_is_masked(void) { with_tables_inside_kernel_image(4, 1ULL << 47); }

static void missing_translation_info_is_explained(void)
{
	struct synth s;
	synth_init(&s, 4 * M, 4, 2 * M);
	synth_info(&s, "OSRELEASE=6.99.0-synthetic");
	uint64_t ranges[] = { 0, 4 * M };
	char *path = synth_write(&s, ranges, 1);
	struct kd_dump *d = NULL;
	CHECK_OK(kd_dump_open(path, &d)); /* physical reads still work */
	if (d) {
		struct kd_mem m = kd_dump_mem(d);
		char buf[4];
		CHECK_OK(m.read_phys(m.ctx, 0, buf, 4));
		kd_err *e = kd_mem_read(&m, KTEXT, buf, 4);
		char msg[256];
		kd_err_format(e, msg, sizeof(msg));
		CHECK(strstr(msg, "VMCOREINFO has no NUMBER(phys_base)") != NULL);
		kd_err_free(e);
		kd_dump_close(d);
	}
	unlink(path);
	free(path);
	synth_free(&s);
}

static char *write_bytes(const void *data, size_t len)
{
	char *path = strdup("/tmp/kd-bad-XXXXXX");
	int fd = mkstemp(path);
	if (write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

static void bad_files(void)
{
	struct kd_dump *d;
	CHECK_FAILS(kd_dump_open("/nonexistent/vmcore", &d));
	const char *cases[] = { "", "hello world, not a dump", "\177ELF", "KDUMP   " };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = write_bytes(cases[i], strlen(cases[i]));
		CHECK_FAILS(kd_dump_open(p, &d));
		unlink(p);
		free(p);
	}
	/* a valid core truncated at every length up to its notes must fail cleanly */
	struct synth s;
	synth_init(&s, 1 * M, 4, 512 * 1024);
	synth_info(&s, "OSRELEASE=x");
	uint64_t ranges[] = { 0, 64 * 1024 };
	char *path = synth_write(&s, ranges, 1);
	int fd = open(path, O_RDONLY);
	static uint8_t whole[8192];
	CHECK(read(fd, whole, sizeof(whole)) == sizeof(whole));
	close(fd);
	int failures = 0;
	for (size_t len = 0; len < 4096 + 200; len += 7) {
		char *p = write_bytes(whole, len);
		kd_err *e = kd_dump_open(p, &d);
		if (e)
			failures++;
		else
			kd_dump_close(d);
		kd_err_free(e);
		unlink(p);
		free(p);
	}
	CHECK_U64(failures, (4096 + 200 + 6) / 7);
	/* e_phnum absurd, phentsize wrong */
	Elf64_Ehdr *eh = (Elf64_Ehdr *)whole;
	eh->e_phentsize = 32;
	char *p = write_bytes(whole, sizeof(whole));
	CHECK_FAILS(kd_dump_open(p, &d));
	unlink(p);
	free(p);
	unlink(path);
	free(path);
	synth_free(&s);
}

/* /proc/vmcore's shape: the kernel text's PT_LOAD inside the System RAM one, a RAM range
 * ending mid-page. Physical reads anywhere in RAM, page bitmaps and page reads all see one
 * view of memory. */
static void overlapping_segments_and_page_api(void)
{
	struct synth s;
	synth_init(&s, 16 * M, 4, 15 * M);
	for (uint64_t a = 0; a < 16 * M; a += 4096)
		memcpy(s.mem + a, &a, sizeof(a));
	synth_info(&s, "OSRELEASE=6.99.0-synthetic");
	/* RAM [1M, 10M - 0x400), text [4M, 6M) inside it, text [12M, 13M) at the start of
	 * RAM [12M, 16M) and listed first, as KASLR and /proc/vmcore can have them */
	uint64_t ranges[] = { 12 * M, 13 * M, 1 * M, 10 * M - 0x400, 4 * M, 6 * M, 12 * M, 16 * M };
	char *path = synth_write(&s, ranges, 4);
	struct kd_dump *d = NULL;
	CHECK_OK(kd_dump_open(path, &d));
	if (d) {
		uint64_t v = 0;
		struct kd_mem m = kd_dump_mem(d);
		CHECK_OK(m.read_phys(m.ctx, 8 * M, &v, 8)); /* past the text, inside RAM */
		CHECK_U64(v, 8 * M);
		CHECK_OK(m.read_phys(m.ctx, 14 * M, &v, 8)); /* past the second text alias */
		CHECK_U64(v, 14 * M);
		CHECK_U64(kd_dump_page_size(d), 4096);
		CHECK_U64(kd_dump_max_pfn(d), 16 * M / 4096);
		uint8_t ex[512], held[512];
		CHECK_OK(kd_dump_pfn_bitmaps(d, 0, 4096, ex, held));
		unsigned n = 0;
		for (unsigned i = 0; i < 4096; i++)
			n += (held[i / 8] >> (i % 8)) & 1;
		/* [1M, 10M) (the last page partly) and [12M, 16M) */
		CHECK_U64(n, (10 * M - 1 * M) / 4096 + (4 * M) / 4096);
		CHECK((held[256 / 8] & 1) != 0);             /* pfn 256 = 1M held */
		CHECK(!(held[255 / 8] & (1u << 7)));       /* pfn 255 not */
		uint8_t *buf = malloc(9 * M);
		CHECK_OK(kd_dump_read_pages(d, 256, (9 * M) / 4096, buf));
		unsigned bad = 0;
		for (uint64_t a = 1 * M; a < 10 * M - 4096; a += 4096)
			bad += memcmp(buf + (a - 1 * M), s.mem + a, 4096) != 0;
		CHECK_U64(bad, 0);
		/* the partial last page reads its tail as zeros */
		uint8_t zero[0x400] = { 0 };
		CHECK(!memcmp(buf + 9 * M - 0x400, zero, 0x400));
		CHECK(!memcmp(buf + 9 * M - 4096, s.mem + 10 * M - 4096, 4096 - 0x400));
		kd_err *e = kd_dump_read_pages(d, 10 * M / 4096, 1, buf); /* the hole */
		CHECK(e && kd_err_errnum(e) == ENOENT);
		kd_err_free(e);
		free(buf);
		kd_dump_close(d);
	}
	unlink(path);
	free(path);
	synth_free(&s);
}

TEST_MAIN(T(four_level), T(five_level), T(sme_bit_is_masked),
	  T(missing_translation_info_is_explained), T(bad_files),
	  T(overlapping_segments_and_page_api))

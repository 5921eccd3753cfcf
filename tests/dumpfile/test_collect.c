/* The collector on synthetic ELF cores: every kept page reads back identical through the
 * kdump-compressed reader, zero pages become the shared zero page, threads and the bitmap
 * store do not change a byte, a failed write or read leaves the header marked incomplete, and without
 * a classifier nothing but zero pages is dropped. (Real kernels: tests/lab/check_collector.py.) */
#define _GNU_SOURCE /* pread64 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "dumpfile/collect.h"
#include "test.h"
#include "vmcore/synth.h"

#define MEM (16u << 20)
#define PS 4096u

/* Held ranges: a hole at [8M, 9M) and the first page missing, as on real machines. */
static const uint64_t ranges[] = { 0x1000, 8u << 20, 9u << 20, MEM };

static int is_zero_pfn(uint64_t pfn) { return pfn % 3 == 0; }

static void fill(struct synth *s)
{
	uint32_t x = 12345;
	for (uint64_t pfn = 0; pfn < (15u << 20) / PS; pfn++) {
		uint8_t *p = s->mem + pfn * PS;
		if (is_zero_pfn(pfn))
			memset(p, 0, PS);
		else if (pfn % 3 == 1)
			for (unsigned i = 0; i < PS; i++) /* incompressible */
				p[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
		else
			for (unsigned i = 0; i < PS; i++) /* compressible */
				p[i] = (uint8_t)("kdumpkit collector "[i % 19] + (pfn & 7));
	}
}

static int page_is_zero(const uint8_t *p)
{
	for (unsigned i = 0; i < PS; i++)
		if (p[i])
			return 0;
	return 1;
}

static char *make_core(struct synth *s)
{
	synth_init(s, MEM, 4, 15u << 20);
	synth_map(s, SYNTH_START_KERNEL_MAP, 0, 2u << 20);
	fill(s);
	synth_info(s, "OSRELEASE=6.1.0-synthetic");
	synth_info(s, "PAGESIZE=4096");
	return synth_write(s, ranges, 2);
}

static int held(uint64_t pfn)
{
	uint64_t a = pfn * PS;
	return (a >= ranges[0] && a < ranges[1]) || (a >= ranges[2] && a < ranges[3]);
}

static kd_err *collect_to(const char *core, const char *out, const struct kd_collect_opts *o,
			  struct kd_collect_stats *st)
{
	struct kd_dump *in;
	kd_err *e = kd_dump_open(core, &in);
	if (e)
		return e;
	int fd = open(out, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	struct kd_sink *sink = NULL;
	e = fd < 0 ? kd_err_errno("open %s", out) : kd_sink_file(fd, out, &sink);
	if (!e)
		e = kd_collect(in, sink, o, st);
	kd_sink_free(sink);
	if (fd >= 0)
		close(fd);
	kd_dump_close(in);
	return e;
}

static void check_readback(struct synth *s, const char *out)
{
	struct kd_dump *d;
	CHECK_OK(kd_dump_open(out, &d));
	if (!d)
		return;
	CHECK_STR(kd_dump_format(d), "kdump-compressed");
	uint8_t page[PS];
	unsigned bad = 0, missing = 0;
	for (uint64_t pfn = 0; pfn < MEM / PS; pfn++) {
		kd_err *e = kd_dump_read_pages(d, pfn, 1, page);
		if (!held(pfn)) {
			missing += e != NULL;
			kd_err_free(e);
			continue;
		}
		if (e || memcmp(page, s->mem + pfn * PS, PS))
			bad++;
		kd_err_free(e);
	}
	CHECK_U64(bad, 0);
	CHECK_U64(missing, 1 + 256); /* pfn 0 and the 1M hole */
	kd_dump_close(d);
}

static void test_roundtrip_each_codec(void)
{
	static const enum kd_codec codecs[] = { KD_CODEC_NONE, KD_CODEC_ZLIB, KD_CODEC_LZO,
						KD_CODEC_SNAPPY, KD_CODEC_ZSTD };
	struct synth s;
	char *core = make_core(&s);
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		char *out = kd_test_tmpfile("collect");
		struct kd_collect_opts o = { .dump_level = 1, .codec = codecs[i], .cycle_pfns = 1024 };
		struct kd_collect_stats st;
		CHECK_OK(collect_to(core, out, &o, &st));
		uint64_t nheld = 0, nzero = 0;
		for (uint64_t pfn = 0; pfn < MEM / PS; pfn++)
			if (held(pfn)) {
				nheld++;
				nzero += page_is_zero(s.mem + pfn * PS);
			}
		CHECK_U64(st.held, nheld);
		CHECK_U64(st.dumped, nheld);
		CHECK_U64(st.zero, nzero);
		CHECK(!st.classified); /* no mem_section in a synthetic core */
		if (codecs[i] == KD_CODEC_NONE)
			CHECK_U64(st.raw, nheld - nzero);
		else
			CHECK(st.raw > 0 && st.raw < nheld - nzero); /* random pages stay raw */
		check_readback(&s, out);
		unlink(out);
		free(out);
	}
	unlink(core);
	free(core);
	synth_free(&s);
}

static void test_threads_and_store_change_nothing(void)
{
	struct synth s;
	char *core = make_core(&s);
	struct kd_collect_opts variants[] = {
		{ .dump_level = 31, .codec = KD_CODEC_LZO, .cycle_pfns = 1024 },
		{ .dump_level = 31, .codec = KD_CODEC_LZO, .cycle_pfns = 1024, .threads = 2 },
		{ .dump_level = 31, .codec = KD_CODEC_LZO, .cycle_pfns = 1024, .threads = 3 },
		/* a bitmap store too small: every cycle recomputed in pass 2 */
		{ .dump_level = 31, .codec = KD_CODEC_LZO, .cycle_pfns = 1024, .keep_bitmap_max = 1 },
		{ .dump_level = 31, .codec = KD_CODEC_LZO, .cycle_pfns = 1024, .keep_bitmap_max = 1,
		  .threads = 2 },
	};
	uint8_t *first = NULL;
	size_t first_len = 0;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		char *out = kd_test_tmpfile("collect");
		struct kd_collect_stats st;
		CHECK_OK(collect_to(core, out, &variants[i], &st));
		size_t len;
		uint8_t *b = kd_test_slurp(out, &len);
		CHECK(b != NULL);
		if (!first) {
			first = b;
			first_len = len;
			check_readback(&s, out);
		} else {
			CHECK(b && len == first_len && !memcmp(b, first, len));
			free(b);
		}
		unlink(out);
		free(out);
	}
	free(first);
	unlink(core);
	free(core);
	synth_free(&s);
}

static void test_dry_run_writes_nothing(void)
{
	struct synth s;
	char *core = make_core(&s);
	struct kd_dump *in;
	CHECK_OK(kd_dump_open(core, &in));
	struct kd_collect_opts o = { .dump_level = 1, .codec = KD_CODEC_ZSTD, .dry_run = 1 };
	struct kd_collect_stats st;
	CHECK_OK(kd_collect(in, NULL, &o, &st));
	CHECK(st.dumped > 0 && st.data_bytes > 0);
	kd_dump_close(in);
	unlink(core);
	free(core);
	synth_free(&s);
}

static uint32_t status_of(const char *path)
{
	uint32_t st = 0;
	int fd = open(path, O_RDONLY);
	/* disk_dump_header.status: after signature, version, utsname and the timestamp */
	if (fd < 0 || pread(fd, &st, 4, 424) != 4)
		st = 0xffffffff;
	if (fd >= 0)
		close(fd);
	return st;
}

/* This binary's pread64 (what pread is with 64-bit offsets): the real system call, except that
 * page-sized reads at or past fail_reads_from fail with EIO, as a bad page of /proc/vmcore or
 * a bad sector under a dump file would. */
static off64_t fail_reads_from = -1;

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	if (fail_reads_from >= 0 && n >= PS && off >= fail_reads_from) {
		errno = EIO;
		return -1;
	}
	return syscall(SYS_pread64, fd, buf, n, off);
}

static uint64_t dumped_pages(const char *core, const struct kd_collect_opts *o)
{
	char *out = kd_test_tmpfile("collect");
	struct kd_collect_stats st = { 0 };
	CHECK_OK(collect_to(core, out, o, &st));
	unlink(out);
	free(out);
	return st.dumped;
}

/* A write that fails half way (a file that cannot grow past 64 KiB: EFBIG, like ENOSPC) or a
 * read that fails half way (EIO): the error comes back naming what failed, the other workers
 * stop, and the header stays marked incomplete. */
static void failure_with(unsigned threads, int reading)
{
	struct synth s;
	char *core = make_core(&s);
	char *out = kd_test_tmpfile("collect");
	struct kd_collect_opts o = { .dump_level = 0, .codec = KD_CODEC_NONE, .cycle_pfns = 1024,
				     .threads = threads };
	uint64_t all = dumped_pages(core, &o);
	struct rlimit old, lim = { 64 << 10, 64 << 10 };
	getrlimit(RLIMIT_FSIZE, &old);
	void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
	if (reading) {
		fail_reads_from = 6 << 20; /* in the first held range, past its first MiBs */
	} else {
		lim.rlim_max = old.rlim_max;
		setrlimit(RLIMIT_FSIZE, &lim);
	}
	struct kd_collect_stats st = { 0 };
	kd_err *e = collect_to(core, out, &o, &st);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_sig);
	fail_reads_from = -1;
	CHECK(e != NULL);
	if (e) {
		char msg[512];
		kd_err_format(e, msg, sizeof(msg));
		if (reading) {
			CHECK_U64(kd_err_errnum(e), EIO);
			CHECK(strstr(msg, "reading pages") != NULL);
		} else {
			CHECK_U64(kd_err_errnum(e), EFBIG);
			CHECK(strstr(msg, out) != NULL); /* names the file */
		}
		kd_err_free(e);
	}
	CHECK((status_of(out) & 0x8) != 0);
	CHECK(st.dumped < all); /* the workers stopped */
	unlink(out);
	free(out);
	unlink(core);
	free(core);
	synth_free(&s);
}

/* one thread, and the pipeline (the failing worker stops the others) */
static void test_failed_write_is_marked_incomplete(void)
{
	for (unsigned t = 1; t <= 3; t++)
		failure_with(t, 0);
}

static void test_failed_read_is_marked_incomplete(void)
{
	for (unsigned t = 1; t <= 3; t++)
		failure_with(t, 1);
}

static void test_levels(void)
{
	CHECK(kd_collect_excludes(2, KD_PAGE_CACHE));
	CHECK(!kd_collect_excludes(2, KD_PAGE_CACHE_PRIVATE));
	CHECK(kd_collect_excludes(4, KD_PAGE_CACHE_PRIVATE));
	CHECK(kd_collect_excludes(8, KD_PAGE_USER));
	CHECK(kd_collect_excludes(16, KD_PAGE_FREE));
	CHECK(!kd_collect_excludes(15, KD_PAGE_FREE));
	CHECK(kd_collect_excludes(0, KD_PAGE_HWPOISON));
	CHECK(kd_collect_excludes(0, KD_PAGE_OFFLINE));
	CHECK(!kd_collect_excludes(31, KD_PAGE_UNKNOWN));
	CHECK(!kd_collect_excludes(31, KD_PAGE_KEEP));
	CHECK(!kd_collect_excludes(31, KD_PAGE_NO_STRUCT));
}

/* -E: an ELF dump; its data pages read back, zero pages are left out of the file (they read as
 * zeros to ELF readers: memsz past filesz) and so are not "held" for our reader. */
static void test_elf_output(void)
{
	struct synth s;
	char *core = make_core(&s);
	char *out = kd_test_tmpfile("collect");
	struct kd_collect_opts o = { .dump_level = 1, .elf = 1, .cycle_pfns = 1024 };
	struct kd_collect_stats st;
	CHECK_OK(collect_to(core, out, &o, &st));
	struct kd_dump *d = NULL;
	CHECK_OK(kd_dump_open(out, &d));
	if (d) {
		CHECK_STR(kd_dump_format(d), "ELF");
		uint8_t page[PS];
		unsigned bad = 0, zero = 0, nz = 0;
		for (uint64_t pfn = 0; pfn < MEM / PS; pfn++) {
			if (!held(pfn))
				continue;
			kd_err *e = kd_dump_read_pages(d, pfn, 1, page);
			if (page_is_zero(s.mem + pfn * PS)) {
				nz++;
				zero += e != NULL;
			} else if (e || memcmp(page, s.mem + pfn * PS, PS)) {
				bad++;
			}
			kd_err_free(e);
		}
		CHECK_U64(bad, 0);
		CHECK_U64(zero, nz);
		CHECK_U64(st.zero, nz);
		kd_dump_close(d);
	}
	unlink(out);
	free(out);
	unlink(core);
	free(core);
	synth_free(&s);
}

/* The pipeline where the input wants one reader (a kdump-compressed dump, filtered again) and
 * with ELF output: any thread count writes one thread's file. */
static void test_threads_on_other_inputs_and_outputs(void)
{
	struct synth s;
	char *core = make_core(&s);
	char *kd = kd_test_tmpfile("collect");
	struct kd_collect_opts first = { .dump_level = 1, .codec = KD_CODEC_ZLIB, .cycle_pfns = 1024 };
	struct kd_collect_stats st;
	CHECK_OK(collect_to(core, kd, &first, &st));
	struct { const char *in; struct kd_collect_opts o; } runs[] = {
		{ kd, { .dump_level = 31, .codec = KD_CODEC_LZO, .cycle_pfns = 1024 } },
		{ core, { .dump_level = 1, .elf = 1, .cycle_pfns = 1024 } },
	};
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		char *one = kd_test_tmpfile("collect");
		CHECK_OK(collect_to(runs[r].in, one, &runs[r].o, &st));
		CHECK(st.dumped > 0);
		for (unsigned t = 2; t <= 4; t++) {
			char *many = kd_test_tmpfile("collect");
			struct kd_collect_opts o = runs[r].o;
			o.threads = t;
			CHECK_OK(collect_to(runs[r].in, many, &o, &st));
			CHECK(kd_test_same_file(one, many));
			unlink(many);
			free(many);
		}
		unlink(one);
		free(one);
	}
	unlink(kd);
	free(kd);
	unlink(core);
	free(core);
	synth_free(&s);
}

static void quiet(void) { kd_log_set_level(KD_LOG_ERROR); }

static void test_setup(void) { quiet(); CHECK(1); }

TEST_MAIN(T(test_setup), T(test_levels), T(test_roundtrip_each_codec),
	  T(test_threads_and_store_change_nothing), T(test_dry_run_writes_nothing),
	  T(test_failed_write_is_marked_incomplete), T(test_failed_read_is_marked_incomplete),
	  T(test_elf_output),
	  T(test_threads_on_other_inputs_and_outputs))

/* The kdump-compressed writer and its sinks, checked field by field against the format, then
 * read back with the vmcore reader (every codec, file and flattened sinks, -R reassembly), and
 * the failure paths: a dump cut off or hitting a full disk keeps its incomplete flag. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dumpfile/kdump.h"
#include "dumpfile/sink.h"
#include "test.h"
#include "vmcore/dump.h"
#include "vmcore/kdump_format.h"

#define PS 4096
#define MAPNR 1003          /* not a multiple of 8: the last bitmap byte is partial */
#define EXISTS_END 950

static int exists(uint64_t pfn) { return pfn < EXISTS_END && !(pfn >= 300 && pfn < 340); }
static int dumped(uint64_t pfn) { return exists(pfn) && pfn % 3 != 0; }
static int zero(uint64_t pfn) { return pfn % 10 == 1; }

static void page_of(uint64_t pfn, uint8_t *p)
{
	if (zero(pfn)) {
		memset(p, 0, PS);
		return;
	}
	if (pfn % 7 == 2) { /* incompressible: stored raw */
		uint64_t x = pfn * 0x9e3779b97f4a7c15ULL + 1;
		for (int i = 0; i < PS; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[i] = (uint8_t)x;
		}
		return;
	}
	for (int i = 0; i < PS; i++)
		p[i] = (uint8_t)("page %llu of the test dump "[i % 26]);
	snprintf((char *)p, 32, "pfn %llu", (unsigned long long)pfn);
}

/* An ELF note: name, type, desc, 4-byte aligned. */
static size_t put_note(uint8_t *b, const char *name, uint32_t type, const void *desc, uint32_t dsz)
{
	uint32_t nsz = (uint32_t)strlen(name) + 1, h[3] = { nsz, dsz, type };
	size_t npad = (nsz + 3) & ~3u, dpad = (dsz + 3) & ~3u;
	memset(b, 0, 12 + npad + dpad);
	memcpy(b, h, 12);
	memcpy(b + 12, name, nsz);
	memcpy(b + 12 + npad, desc, dsz);
	return 12 + npad + dpad;
}

static const char VMCI[] = "OSRELEASE=6.99.0-test\nPAGESIZE=4096\nNUMBER(phys_base)=16777216\n";

static size_t make_notes(uint8_t *b, size_t *vmci_at)
{
	uint8_t prs[336] = { 0 };
	size_t n = put_note(b, "CORE", 1, prs, sizeof(prs));
	n += put_note(b + n, "CORE", 1, prs, sizeof(prs));
	*vmci_at = n + 12 + 12; /* header + "VMCOREINFO\0" padded to 12 */
	n += put_note(b + n, "VMCOREINFO", 0, VMCI, (uint32_t)strlen(VMCI));
	return n;
}

/* Write the test dump with codec c through sink s; stop after `stop_after` pages if >= 0
 * (no finish). Returns the writer's first error. */
static kd_err *write_dump(struct kd_sink *s, enum kd_codec c, long stop_after, int *zero_pages)
{
	static uint8_t notes[2048];
	size_t vmci_at;
	size_t nlen = make_notes(notes, &vmci_at);
	struct kd_kdump_meta m = { .page_size = PS, .max_mapnr = MAPNR, .nr_cpus = 2,
				   .dump_level = 31, .phys_base = 16 << 20, .time_sec = 1700000000,
				   .time_usec = 5, .notes = notes, .notes_len = nlen,
				   .vmcoreinfo = (const char *)notes + vmci_at,
				   .vmcoreinfo_len = strlen(VMCI), .codec = c };
	strcpy(m.utsname[0], "Linux");
	strcpy(m.utsname[2], "6.99.0-test");
	strcpy(m.utsname[4], "x86_64");
	for (uint64_t p = 0; p < MAPNR; p++)
		m.num_dumpable += (uint64_t)dumped(p);
	struct kd_kdump *w = NULL;
	kd_err *e = kd_kdump_begin(s, &m, &w);
	if (e)
		return e;
	struct kd_codec_ctx *ctx = NULL;
	if (c != KD_CODEC_NONE && (e = kd_codec_ctx_new(c, &ctx))) {
		kd_kdump_free(w);
		return e;
	}
	static uint8_t page[PS], out[PS * 2];
	long written = 0;
	*zero_pages = 0;
	/* two cycles: [0, 512) and [512, MAPNR) */
	uint64_t cuts[] = { 0, 512, MAPNR };
	for (int cy = 0; cy < 2 && !e; cy++) {
		uint8_t bm1[64] = { 0 }, bm2[64] = { 0 };
		for (uint64_t p = cuts[cy]; p < cuts[cy + 1]; p++) {
			if (exists(p))
				bm1[(p - cuts[cy]) / 8] |= (uint8_t)(1u << ((p - cuts[cy]) % 8));
			if (dumped(p))
				bm2[(p - cuts[cy]) / 8] |= (uint8_t)(1u << ((p - cuts[cy]) % 8));
		}
		if ((e = kd_kdump_bitmaps(w, cuts[cy], cuts[cy + 1], bm1, bm2)))
			break;
		for (uint64_t p = cuts[cy]; p < cuts[cy + 1] && !e; p++) {
			if (!dumped(p))
				continue;
			if (stop_after >= 0 && written == stop_after) {
				e = kd_kdump_abort(w); /* keep what was written, still incomplete */
				goto out;
			}
			written++;
			page_of(p, page);
			if (zero(p)) {
				(*zero_pages)++;
				e = kd_kdump_zero_page(w);
				continue;
			}
			size_t n = sizeof(out);
			if (ctx && !(e = kd_codec_compress(ctx, page, PS, out, &n)) && n < PS)
				e = kd_kdump_page(w, out, n, c);
			else if (!e)
				e = kd_kdump_page(w, page, PS, KD_CODEC_NONE);
		}
	}
	if (!e)
		e = kd_kdump_finish(w);
out:
	kd_codec_ctx_free(ctx);
	kd_kdump_free(w);
	return e;
}

static uint32_t flag_of(enum kd_codec c)
{
	static const uint32_t f[] = { 0, KD_DH_COMPRESSED_ZLIB, KD_DH_COMPRESSED_LZO,
				      KD_DH_COMPRESSED_SNAPPY, KD_DH_COMPRESSED_ZSTD };
	return f[c];
}

/* The file, field by field. */
static void check_layout(const char *path, enum kd_codec c, int zero_pages)
{
	size_t len;
	uint8_t *f = kd_test_slurp(path, &len);
	struct kd_disk_dump_header dh;
	struct kd_kdump_sub_header kh;
	memcpy(&dh, f, sizeof(dh));
	memcpy(&kh, f + PS, sizeof(kh));
	CHECK(!memcmp(dh.signature, "KDUMP   ", 8));
	CHECK_U64(dh.header_version, 6);
	CHECK_STR(dh.utsname[0], "Linux");
	CHECK_STR(dh.utsname[2], "6.99.0-test");
	CHECK_STR(dh.utsname[4], "x86_64");
	CHECK_U64(dh.tv_sec, 1700000000);
	CHECK_U64(dh.tv_usec, 5);
	CHECK_U64(dh.status, flag_of(c)); /* finished: no incomplete flag */
	CHECK_U64(dh.block_size, PS);
	CHECK_U64(dh.sub_hdr_size, 1);    /* 104 + ~800 bytes of notes */
	CHECK_U64(dh.bitmap_blocks, 2);   /* 1003 bits fit one block each */
	CHECK_U64(dh.max_mapnr, MAPNR);
	CHECK_U64(dh.nr_cpus, 2);
	CHECK_U64(kh.phys_base, 16 << 20);
	CHECK_U64(kh.dump_level, 31);
	CHECK_U64(kh.split, 0);
	CHECK_U64(kh.offset_note, PS + 104);
	uint8_t notes[2048];
	size_t vmci_at, nlen = make_notes(notes, &vmci_at);
	CHECK_U64(kh.size_note, nlen);
	CHECK(!memcmp(f + kh.offset_note, notes, nlen));
	CHECK_U64(kh.offset_vmcoreinfo, PS + 104 + vmci_at);
	CHECK_U64(kh.size_vmcoreinfo, strlen(VMCI));
	CHECK(!memcmp(f + kh.offset_vmcoreinfo, VMCI, strlen(VMCI)));
	CHECK_U64(kh.max_mapnr_64, MAPNR);
	/* bitmaps at block 2 and 3, exact bits, nothing past max_mapnr */
	const uint8_t *bm1 = f + 2 * PS, *bm2 = f + 3 * PS;
	int bits_ok = 1;
	uint64_t ndump = 0;
	for (uint64_t p = 0; p < PS * 8; p++) {
		int b1 = bm1[p / 8] >> (p % 8) & 1, b2 = bm2[p / 8] >> (p % 8) & 1;
		if (b1 != (p < MAPNR && exists(p)) || b2 != (p < MAPNR && dumped(p)))
			bits_ok = 0;
		ndump += (uint64_t)b2;
	}
	CHECK(bits_ok);
	/* descriptors at block 4, then the zero page, then data */
	uint64_t desc_off = 4 * PS, zero_off = desc_off + ndump * 24;
	struct kd_page_desc pd;
	int descs_ok = 1, zeros = 0;
	uint64_t next = zero_off + PS, i = 0;
	for (uint64_t p = 0; p < MAPNR; p++) {
		if (!dumped(p))
			continue;
		memcpy(&pd, f + desc_off + i++ * 24, 24);
		if (pd.offset == zero_off) {
			zeros++;
			descs_ok &= pd.size == PS && pd.flags == 0;
			continue;
		}
		/* data packed in pfn order; raw pages flag 0, compressed ones the codec's */
		descs_ok &= pd.offset == next && pd.page_flags == 0;
		descs_ok &= pd.size == PS ? pd.flags == 0 : pd.flags == flag_of(c);
		next += pd.size;
	}
	CHECK(descs_ok);
	CHECK_U64(zeros, zero_pages);
	CHECK_U64(len, next);
	int zero_ok = 1;
	for (int b = 0; b < PS; b++)
		zero_ok &= f[zero_off + b] == 0;
	CHECK(zero_ok);
	free(f);
}

/* Read every page back through the vmcore reader. */
static void check_read_back(const char *path, const char *format)
{
	struct kd_dump *d = NULL;
	CHECK_OK(kd_dump_open(path, &d));
	if (!d)
		return;
	CHECK_STR(kd_dump_format(d), format);
	CHECK_U64(kd_dump_page_size(d), PS);
	CHECK_U64(kd_dump_max_pfn(d), MAPNR);
	uint32_t level = 0;
	CHECK(kd_dump_level(d, &level) == 1);
	CHECK_U64(level, 31);
	CHECK(!kd_dump_incomplete(d));
	const struct kd_note *notes;
	CHECK_U64(kd_dump_notes(d, &notes), 3);
	CHECK_STR(kd_vmcoreinfo_get(kd_dump_vmcoreinfo(d), "OSRELEASE"), "6.99.0-test");
	uint8_t ex[128], held[128];
	CHECK_OK(kd_dump_pfn_bitmaps(d, 0, 1024, ex, held));
	int bits_ok = 1;
	for (uint64_t p = 0; p < 1024; p++)
		bits_ok &= (ex[p / 8] >> (p % 8) & 1) == (p < MAPNR && exists(p)) &&
			   (held[p / 8] >> (p % 8) & 1) == (p < MAPNR && dumped(p));
	CHECK(bits_ok);
	static uint8_t want[PS], got[PS * 2];
	int pages_ok = 1, excluded_ok = 1;
	for (uint64_t p = 0; p < MAPNR; p++) {
		kd_err *e = kd_dump_read_pages(d, p, 1, got);
		if (dumped(p)) {
			page_of(p, want);
			pages_ok &= !e && !memcmp(want, got, PS);
		} else {
			char msg[256] = "";
			if (e)
				kd_err_format(e, msg, sizeof(msg));
			excluded_ok &= e && kd_err_errnum(e) == ENOENT &&
				       strstr(msg, "excluded from the dump") != NULL;
		}
		kd_err_free(e);
	}
	CHECK(pages_ok);
	CHECK(excluded_ok);
	/* physical reads straddling pages 4 and 5 (both dumped) */
	struct kd_mem m = kd_dump_mem(d);
	CHECK_OK(m.read_phys(m.ctx, 5 * PS - 8, got, 16));
	uint8_t p4[PS], p5[PS];
	page_of(4, p4);
	page_of(5, p5);
	CHECK(!memcmp(got, p4 + PS - 8, 8) && !memcmp(got + 8, p5, 8));
	CHECK_FAILS(m.read_phys(m.ctx, 3 * PS, got, 4)); /* pfn 3 excluded */
	kd_dump_close(d);
}

static void round_trip_every_codec(void)
{
	for (int c = KD_CODEC_NONE; c <= KD_CODEC_ZSTD; c++) {
		char *path = kd_test_tmpfile("kdump");
		int fd = open(path, O_WRONLY | O_TRUNC);
		struct kd_sink *s = NULL;
		CHECK_OK(kd_sink_file(fd, path, &s));
		int zeros = 0;
		CHECK_OK(write_dump(s, (enum kd_codec)c, -1, &zeros));
		kd_sink_free(s);
		close(fd);
		check_layout(path, (enum kd_codec)c, zeros);
		check_read_back(path, "kdump-compressed");
		unlink(path);
		free(path);
	}
}

static void flattened_round_trip(void)
{
	char *plain = kd_test_tmpfile("kdump"), *flat = kd_test_tmpfile("kdump"), *back = kd_test_tmpfile("kdump");
	int zeros;
	int fd = open(plain, O_WRONLY | O_TRUNC);
	struct kd_sink *s = NULL;
	CHECK_OK(kd_sink_file(fd, plain, &s));
	CHECK_OK(write_dump(s, KD_CODEC_ZSTD, -1, &zeros));
	kd_sink_free(s);
	close(fd);
	fd = open(flat, O_WRONLY | O_TRUNC);
	s = NULL;
	CHECK_OK(kd_sink_flat(fd, flat, &s));
	CHECK_OK(write_dump(s, KD_CODEC_ZSTD, -1, &zeros));
	kd_sink_free(s);
	close(fd);
	/* the stream: header, records, end marker */
	size_t flen;
	uint8_t *f = kd_test_slurp(flat, &flen);
	CHECK(!memcmp(f, "makedumpfile", 13));
	CHECK_U64(be64toh(*(uint64_t *)(f + 16)), 1);
	CHECK_U64(be64toh(*(uint64_t *)(f + 24)), 1);
	CHECK(flen > 4096 + 16);
	CHECK_U64(*(uint64_t *)(f + flen - 16), UINT64_MAX);
	CHECK_U64(*(uint64_t *)(f + flen - 8), UINT64_MAX);
	free(f);
	/* read in place through the record index */
	check_read_back(flat, "flattened");
	/* -R: reassembled, byte for byte the file sink's output */
	int in = open(flat, O_RDONLY), out = open(back, O_WRONLY | O_TRUNC);
	CHECK_OK(kd_flat_reassemble(in, flat, out, back));
	close(in);
	close(out);
	size_t a, b;
	uint8_t *x = kd_test_slurp(plain, &a), *y = kd_test_slurp(back, &b);
	CHECK_U64(a, b);
	CHECK(a == b && !memcmp(x, y, a));
	free(x);
	free(y);
	/* -R from a pipe, as `makedumpfile -R out < stream` gets it */
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		size_t n;
		uint8_t *st = kd_test_slurp(flat, &n);
		for (size_t at = 0; at < n; ) {
			ssize_t w = write(pfd[1], st + at, n - at < 777 ? n - at : 777);
			if (w <= 0)
				_exit(1);
			at += (size_t)w;
		}
		_exit(0);
	}
	close(pfd[1]);
	out = open(back, O_WRONLY | O_TRUNC);
	CHECK_OK(kd_flat_reassemble(pfd[0], "a pipe", out, back));
	close(pfd[0]);
	close(out);
	int status;
	waitpid(pid, &status, 0);
	y = kd_test_slurp(back, &b);
	x = kd_test_slurp(plain, &a);
	CHECK(a == b && !memcmp(x, y, a));
	free(x);
	free(y);
	/* a stream cut before its end marker is an error for -R */
	in = open(flat, O_RDONLY);
	struct stat st;
	fstat(in, &st);
	int cut = open(plain, O_WRONLY | O_TRUNC);
	uint8_t *all = malloc((size_t)st.st_size);
	CHECK(read(in, all, (size_t)st.st_size) == st.st_size);
	CHECK(write(cut, all, (size_t)st.st_size - 100) == st.st_size - 100);
	close(cut);
	close(in);
	free(all);
	in = open(plain, O_RDONLY);
	out = open(back, O_WRONLY | O_TRUNC);
	CHECK_FAILS(kd_flat_reassemble(in, plain, out, back));
	close(in);
	close(out);
	unlink(plain);
	unlink(flat);
	unlink(back);
	free(plain);
	free(flat);
	free(back);
}

static uint32_t status_of(const char *path)
{
	size_t len;
	uint8_t *f = kd_test_slurp(path, &len);
	uint32_t st = 0;
	if (len >= 428)
		memcpy(&st, f + 424, 4);
	free(f);
	return st;
}

static void cut_off_dump_stays_incomplete(void)
{
	char *path = kd_test_tmpfile("kdump");
	int fd = open(path, O_WRONLY | O_TRUNC);
	struct kd_sink *s = NULL;
	CHECK_OK(kd_sink_file(fd, path, &s));
	int zeros;
	CHECK_OK(write_dump(s, KD_CODEC_LZO, 100, &zeros)); /* stops after 100 pages, no finish */
	kd_sink_free(s);
	close(fd);
	CHECK_U64(status_of(path), KD_DH_COMPRESSED_LZO | KD_DH_COMPRESSED_INCOMPLETE);
	struct kd_dump *d = NULL;
	CHECK_OK(kd_dump_open(path, &d));
	if (d) {
		CHECK(kd_dump_incomplete(d));
		uint8_t page[PS], want[PS];
		CHECK_OK(kd_dump_read_pages(d, 2, 1, page)); /* written before the cut */
		page_of(2, want);
		CHECK(!memcmp(page, want, PS));
		kd_err *e = kd_dump_read_pages(d, 400, 1, page); /* marked, never written */
		char msg[256] = "";
		if (e)
			kd_err_format(e, msg, sizeof(msg));
		CHECK(e && kd_err_errnum(e) == ENOENT && strstr(msg, "incomplete"));
		if (!strstr(msg, "incomplete"))
			fprintf(stderr, "  got: %s\n", msg);
		kd_err_free(e);
		kd_dump_close(d);
	}
	unlink(path);
	free(path);
}

static void misuse_is_refused(void)
{
	char *path = kd_test_tmpfile("kdump");
	int fd = open(path, O_RDWR | O_TRUNC);
	struct kd_sink *s = NULL;
	CHECK_OK(kd_sink_file(fd, path, &s));
	struct kd_kdump_meta m = { .page_size = PS, .max_mapnr = 64, .num_dumpable = 2,
				   .codec = KD_CODEC_ZLIB, .dump_level = 1 };
	struct kd_kdump *w = NULL;
	uint8_t bm[8] = { 3 }, page[PS] = { 1 };
	/* without -d bit 1 there is no shared zero page to point at */
	m.dump_level = 0;
	CHECK_OK(kd_kdump_begin(s, &m, &w));
	CHECK_OK(kd_kdump_bitmaps(w, 0, 64, bm, bm));
	CHECK_FAILS(kd_kdump_zero_page(w));
	kd_kdump_free(w);
	m.dump_level = 1;
	w = NULL;
	CHECK_OK(kd_kdump_begin(s, &m, &w));
	CHECK_FAILS(kd_kdump_bitmaps(w, 8, 64, bm, bm));    /* not starting at 0 */
	CHECK_FAILS(kd_kdump_page(w, page, PS, KD_CODEC_NONE)); /* stopped after an error */
	CHECK_FAILS(kd_kdump_finish(w));
	kd_kdump_free(w);
	CHECK_U64(status_of(path), KD_DH_COMPRESSED_ZLIB | KD_DH_COMPRESSED_INCOMPLETE);
	w = NULL;
	CHECK_OK(kd_kdump_begin(s, &m, &w));
	CHECK_OK(kd_kdump_bitmaps(w, 0, 64, bm, bm));
	CHECK_OK(kd_kdump_zero_page(w));
	CHECK_FAILS(kd_kdump_finish(w));                     /* one page missing */
	kd_kdump_free(w);
	CHECK_U64(status_of(path), KD_DH_COMPRESSED_ZLIB | KD_DH_COMPRESSED_INCOMPLETE);
	/* more than 2^32 pfns: the header's 32-bit max_mapnr saturates, max_mapnr_64 holds it */
	m.max_mapnr = (1ULL << 32) + 8;
	w = NULL;
	CHECK_OK(kd_kdump_begin(s, &m, &w));
	kd_kdump_free(w);
	struct kd_disk_dump_header dh;
	struct kd_kdump_sub_header kh;
	CHECK(pread(fd, &dh, sizeof(dh), 0) == sizeof(dh));
	CHECK(pread(fd, &kh, sizeof(kh), PS) == sizeof(kh));
	CHECK_U64(dh.max_mapnr, UINT32_MAX);
	CHECK_U64(kh.max_mapnr_64, (1ULL << 32) + 8);
	CHECK_U64(dh.bitmap_blocks, 2 * ((1ULL << 32) / (PS * 8) + 1));
	CHECK_FAILS(kd_kdump_begin(s, &(struct kd_kdump_meta){ .page_size = 3000,
							       .max_mapnr = 8 }, &w));
	kd_sink_free(s);
	close(fd);
	unlink(path);
	free(path);
}

/* A file-size limit stands in for a full disk: the write fails (EFBIG, SIGXFSZ ignored), the
 * error names the file and offset, and the header keeps its incomplete flag. */
static void full_disk_is_an_error(void)
{
	char *path = kd_test_tmpfile("kdump");
	int fd = open(path, O_WRONLY | O_TRUNC);
	struct kd_sink *s = NULL;
	CHECK_OK(kd_sink_file(fd, path, &s));
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 64 * 1024;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	int zeros;
	kd_err *e = write_dump(s, KD_CODEC_NONE, -1, &zeros);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, prev);
	CHECK(e != NULL);
	if (e) {
		char msg[512];
		kd_err_format(e, msg, sizeof(msg));
		CHECK(strstr(msg, path) != NULL);
		CHECK(strstr(msg, "at offset 0x") != NULL);
		CHECK_U64(kd_err_errnum(e), EFBIG);
		kd_err_free(e);
	}
	kd_sink_free(s);
	close(fd);
	CHECK_U64(status_of(path), KD_DH_COMPRESSED_INCOMPLETE);
	unlink(path);
	free(path);
}

TEST_MAIN(T(round_trip_every_codec), T(flattened_round_trip), T(cut_off_dump_stays_incomplete),
	  T(misuse_is_refused), T(full_disk_is_an_error))

/* The kdump-compressed and flattened readers on hand-built files: the layout read field by
 * field (bitmaps, descriptor ranks, the zero page, notes, VMCOREINFO, dump level), and hostile or
 * damaged files refused with an error instead of read wrong: truncated bitmaps, bad block sizes,
 * descriptors pointing past the end or claiming too much, corrupt compressed data; flattened
 * streams whose records overlap (the later wins), leave holes, or run past the end. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"
#include "vmcore/dump.h"
#include "vmcore/kdump_format.h"

#define PS 4096
#define MAPNR 16

static const char VMCI[] = "OSRELEASE=6.99-hand\nPAGESIZE=4096\n";

struct img {
	uint8_t *b;
	size_t len;
	uint64_t desc_off, data_off;
};

/* Pages 1, 2, 5, 9 dumped (of 0-11 existing): 1 raw, 2 the zero page, 5 zlib, 9 raw. */
static void build(struct img *im, int version)
{
	im->len = 16 * PS;
	im->b = calloc(1, im->len);
	struct kd_disk_dump_header dh = { .header_version = version, .block_size = PS,
					  .sub_hdr_size = version >= 2 ? 1 : 0,
					  .bitmap_blocks = 2, .max_mapnr = MAPNR, .nr_cpus = 1,
					  .status = KD_DH_COMPRESSED_ZLIB };
	memcpy(dh.signature, "KDUMP   ", 8);
	strcpy(dh.utsname[4], "x86_64");
	uint64_t bm = (uint64_t)(1 + dh.sub_hdr_size) * PS;
	if (version >= 2) {
		struct kd_kdump_sub_header kh = { .phys_base = 0x1000000, .dump_level = 17,
						  .max_mapnr_64 = MAPNR };
		/* one VMCOREINFO note after the sub header */
		uint8_t *n = im->b + PS + sizeof(kh);
		uint32_t h[3] = { 11, (uint32_t)strlen(VMCI), 0 };
		memcpy(n, h, 12);
		memcpy(n + 12, "VMCOREINFO", 11);
		memcpy(n + 24, VMCI, strlen(VMCI));
		kh.offset_note = PS + sizeof(kh);
		kh.size_note = 24 + ((strlen(VMCI) + 3) & ~3u);
		kh.offset_vmcoreinfo = kh.offset_note + 24;
		kh.size_vmcoreinfo = strlen(VMCI);
		memcpy(im->b + PS, &kh, sizeof(kh));
	}
	memcpy(im->b, &dh, sizeof(dh));
	im->b[bm] = 0xff;               /* 1st bitmap: pfns 0-11 */
	im->b[bm + 1] = 0x0f;
	im->b[bm + PS] = 0x26;          /* 2nd bitmap: 1, 2, 5 */
	im->b[bm + PS + 1] = 0x02;      /* and 9 */
	im->desc_off = bm + 2 * PS;
	uint64_t zero = im->desc_off + 4 * 24, at = zero + PS;
	struct kd_page_desc d[4];
	d[1] = (struct kd_page_desc){ zero, PS, 0, 0 };
	/* page 1: raw 'A's; page 5: zlib of 'B's; page 9: raw 'C's */
	memset(im->b + at, 'A', PS);
	d[0] = (struct kd_page_desc){ at, PS, 0, 0 };
	at += PS;
	uint8_t page[PS];
	memset(page, 'B', PS);
	uLongf zl = 2 * PS;
	compress2(im->b + at, &zl, page, PS, 1);
	d[2] = (struct kd_page_desc){ at, (uint32_t)zl, KD_DH_COMPRESSED_ZLIB, 0 };
	at += zl;
	memset(im->b + at, 'C', PS);
	d[3] = (struct kd_page_desc){ at, PS, 0, 0 };
	at += PS;
	memcpy(im->b + im->desc_off, d, sizeof(d));
	im->data_off = zero;
	im->len = at;
}

static char *save(const void *b, size_t len)
{
	char *p = strdup("/tmp/kd-test-kdump-dump-XXXXXX");
	int fd = mkstemp(p);
	if (write(fd, b, len) != (ssize_t)len)
		abort();
	close(fd);
	return p;
}

/* Open, expecting failure containing `what` (NULL: expect success and return the dump). */
static struct kd_dump *open_img(const void *b, size_t len, const char *what)
{
	char *p = save(b, len);
	struct kd_dump *d = NULL;
	kd_err *e = kd_dump_open(p, &d);
	unlink(p);
	free(p);
	if (what) {
		char msg[512] = "";
		if (e)
			kd_err_format(e, msg, sizeof(msg));
		CHECK(e != NULL);
		CHECK(strstr(msg, what) != NULL);
		if (e && !strstr(msg, what))
			fprintf(stderr, "  got: %s\n", msg);
		kd_err_free(e);
		kd_dump_close(d);
		return NULL;
	}
	CHECK_OK(e);
	return d;
}

static int page_is(struct kd_dump *d, uint64_t pfn, int c)
{
	uint8_t p[PS];
	kd_err *e = kd_dump_read_pages(d, pfn, 1, p);
	if (e) {
		kd_err_free(e);
		return 0;
	}
	for (int i = 0; i < PS; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

static int read_fails(struct kd_dump *d, uint64_t pfn, int errnum, const char *what)
{
	uint8_t p[PS];
	kd_err *e = kd_dump_read_pages(d, pfn, 1, p);
	char msg[512] = "";
	if (e)
		kd_err_format(e, msg, sizeof(msg));
	int ok = e && (!errnum || kd_err_errnum(e) == errnum) && strstr(msg, what);
	if (!ok)
		fprintf(stderr, "  pfn %llu: got \"%s\"\n", (unsigned long long)pfn, msg);
	kd_err_free(e);
	return ok;
}

static void reads_a_hand_built_file(void)
{
	struct img im;
	build(&im, 6);
	struct kd_dump *d = open_img(im.b, im.len, NULL);
	if (d) {
		CHECK_STR(kd_dump_format(d), "kdump-compressed");
		CHECK_U64(kd_dump_page_size(d), PS);
		CHECK_U64(kd_dump_max_pfn(d), MAPNR);
		uint32_t lvl = 0;
		CHECK(kd_dump_level(d, &lvl));
		CHECK_U64(lvl, 17);
		CHECK_STR(kd_vmcoreinfo_get(kd_dump_vmcoreinfo(d), "OSRELEASE"), "6.99-hand");
		const struct kd_note *notes;
		CHECK_U64(kd_dump_notes(d, &notes), 1);
		uint8_t ex[2], held[2];
		CHECK_OK(kd_dump_pfn_bitmaps(d, 0, 16, ex, held));
		CHECK_U64(ex[0] | ex[1] << 8, 0x0fff);
		CHECK_U64(held[0] | held[1] << 8, 0x0226);
		CHECK(page_is(d, 1, 'A'));
		CHECK(page_is(d, 2, 0));
		CHECK(page_is(d, 5, 'B'));
		CHECK(page_is(d, 9, 'C'));
		CHECK(read_fails(d, 3, ENOENT, "page 0x3 was excluded from the dump"));
		CHECK(read_fails(d, 12, ENOENT, "excluded"));
		CHECK(read_fails(d, 16, ENOENT, "past the end"));
		/* a physical read across pages 1 and 2 */
		struct kd_mem m = kd_dump_mem(d);
		uint8_t b[8];
		CHECK_OK(m.read_phys(m.ctx, 2 * PS - 4, b, 8));
		CHECK(!memcmp(b, "AAAA\0\0\0\0", 8));
		kd_dump_close(d);
	}
	/* version 1: no sub header, so no notes and no dump level */
	free(im.b);
	build(&im, 1);
	d = open_img(im.b, im.len, NULL);
	if (d) {
		uint32_t lvl;
		CHECK(!kd_dump_level(d, &lvl));
		CHECK(kd_dump_vmcoreinfo(d) == NULL);
		CHECK(page_is(d, 9, 'C'));
		kd_dump_close(d);
	}
	free(im.b);
}

static void damaged_files_are_refused(void)
{
	struct img im;
	build(&im, 6);
	struct kd_disk_dump_header *dh = (struct kd_disk_dump_header *)im.b;
	open_img(im.b, 3 * PS, "2nd bitmap");                   /* cut inside the bitmaps */
	open_img(im.b, 200, "kdump header");                      /* cut inside the header */
	dh->block_size = 3000;
	open_img(im.b, im.len, "block size 3000");
	dh->block_size = PS;
	dh->bitmap_blocks = 3;
	open_img(im.b, im.len, "bitmap blocks");
	dh->bitmap_blocks = 2;
	dh->header_version = 99;
	open_img(im.b, im.len, "version 99");
	dh->header_version = 6;
	/* a sub header claiming more pfns than the bitmaps hold: the bitmaps win */
	struct kd_kdump_sub_header *kh = (struct kd_kdump_sub_header *)(im.b + PS);
	kh->max_mapnr_64 = 1ULL << 40;
	struct kd_dump *d = open_img(im.b, im.len, NULL);
	if (d) {
		CHECK_U64(kd_dump_max_pfn(d), PS * 8);
		kd_dump_close(d);
	}
	kh->max_mapnr_64 = MAPNR;
	kh->size_note = 1ULL << 40;
	open_img(im.b, im.len, "notes");
	kh->size_note = 24 + ((strlen(VMCI) + 3) & ~3u);

	struct kd_page_desc *pd = (struct kd_page_desc *)(im.b + im.desc_off);
	struct kd_page_desc keep = pd[0];
	pd[0].size = PS + 1;                                      /* more than a page */
	d = open_img(im.b, im.len, NULL);
	if (d) {
		CHECK(read_fails(d, 1, EINVAL, "corrupt dump"));
		kd_dump_close(d);
	}
	pd[0] = keep;
	pd[0].offset = 1ULL << 40;                                /* past the end */
	d = open_img(im.b, im.len, NULL);
	if (d) {
		CHECK(read_fails(d, 1, 0, "page 0x1"));
		CHECK(page_is(d, 9, 'C'));                          /* the others still read */
		kd_dump_close(d);
	}
	pd[0] = keep;
	im.b[pd[2].offset + 4] ^= 0xff;                          /* corrupt zlib data */
	d = open_img(im.b, im.len, NULL);
	if (d) {
		CHECK(read_fails(d, 5, 0, "zlib"));
		kd_dump_close(d);
	}
	im.b[pd[2].offset + 4] ^= 0xff;
	/* never-written descriptors of an incomplete dump are missing pages, not zeros */
	dh->status |= KD_DH_COMPRESSED_INCOMPLETE;
	memset(&pd[3], 0, sizeof(pd[3]));
	d = open_img(im.b, im.len, NULL);
	if (d) {
		CHECK(kd_dump_incomplete(d));
		CHECK(read_fails(d, 9, ENOENT, "the dump is incomplete"));
		CHECK(page_is(d, 5, 'B'));
		kd_dump_close(d);
	}
	/* too many descriptors for the file */
	memset(im.b + 3 * PS, 0xff, 2);
	open_img(im.b, im.desc_off + 100, "page descriptors");
	free(im.b);
}

/* A flattened stream: each record carries bytes [off, off + len) of its own source image. */
struct rec { const uint8_t *src; uint64_t off, len; };

static size_t flatten(const struct rec *r, int n, uint8_t *out, int end_marker)
{
	memset(out, 0, 4096);
	memcpy(out, "makedumpfile", 12);
	uint64_t one = htobe64(1);
	memcpy(out + 16, &one, 8);
	memcpy(out + 24, &one, 8);
	size_t at = 4096;
	for (int i = 0; i < n; i++) {
		uint64_t h[2] = { htobe64(r[i].off), htobe64(r[i].len) };
		memcpy(out + at, h, 16);
		memcpy(out + at + 16, r[i].src + r[i].off, r[i].len);
		at += 16 + r[i].len;
	}
	if (end_marker) {
		memset(out + at, 0xff, 16);
		at += 16;
	}
	return at;
}

static void flattened_records_overlap_and_leave_holes(void)
{
	struct img im;
	build(&im, 6);
	uint8_t *stale = malloc(im.len), *out = malloc(im.len + 64 * 1024);
	memcpy(stale, im.b, im.len);
	((struct kd_disk_dump_header *)stale)->header_version = 99;
	uint64_t L = im.len, mid = im.desc_off + 2 * PS + 100;
	/* the stale header first, rewritten at the end (as writers finish); the data in two
	 * pieces out of order; [PS + 200, 2 * PS) written by no record: a hole, read as zeros */
	struct rec r[] = { { stale, 0, PS + 200 }, { im.b, mid, L - mid },
			   { im.b, 2 * PS, 2 * PS }, { im.b, im.desc_off, mid - im.desc_off },
			   { im.b, 0, 464 } };
	size_t n = flatten(r, 5, out, 1);
	struct kd_dump *d = open_img(out, n, NULL);
	if (d) {
		CHECK_STR(kd_dump_format(d), "flattened");
		CHECK_U64(kd_dump_max_pfn(d), MAPNR);
		CHECK(page_is(d, 1, 'A'));
		CHECK(page_is(d, 2, 0));
		CHECK(page_is(d, 5, 'B'));
		CHECK(page_is(d, 9, 'C'));
		CHECK_STR(kd_vmcoreinfo_get(kd_dump_vmcoreinfo(d), "OSRELEASE"), "6.99-hand");
		kd_dump_close(d);
	}
	/* without the final header record the stale one stands: refused */
	n = flatten(r, 4, out, 1);
	open_img(out, n, "version 99");
	/* a record running past the end of the file */
	n = flatten(r + 1, 4, out, 0);
	open_img(out, n - 40, "flattened record");
	/* no kdump inside */
	struct rec junk = { im.b, 100, 50 };
	n = flatten(&junk, 1, out, 1);
	open_img(out, n, "neither");
	free(stale);
	free(out);
	free(im.b);
}

TEST_MAIN(T(reads_a_hand_built_file), T(damaged_files_are_refused),
	  T(flattened_records_overlap_and_leave_holes))

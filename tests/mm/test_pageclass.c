/* The classifier on a model kernel (fakemm.c): every class in both page-type encodings (6.1's
 * ~PG_x in _mapcount, 6.12's PGTY_x << 24), buddy blocks of several orders, compound pages
 * (THP, page-cache folios, hugetlb, the kernel's own), holes in mem_section, unreadable and
 * garbage struct pages, VMCOREINFO that lacks what a class needs, misaligned calls. */
#include <errno.h>
#include <stdlib.h>

#include "fakemm.h"
#include "mm/mm_priv.h"
#include "test.h"

#define ANON(x) (0xffff888002000000ull + (x) * 0x100 + 1)
#define FILEMAP 0xffff888004000000ull

static struct kd_mm *open_mm(struct fakemm *f, const char *omit)
{
	struct kd_mm *mm = NULL;
	CHECK_OK(kd_mm_open(fm_finish(f, omit), f->max_pfn, &mm));
	return mm;
}

/* Classify [0, max_pfn) in cycles of `cycle` pfns. */
static uint8_t *classify_all(struct fakemm *f, struct kd_mm *mm, uint64_t cycle)
{
	uint8_t *cls = malloc(f->max_pfn);
	memset(cls, 0xee, f->max_pfn);
	for (uint64_t s = 0; s < f->max_pfn; s += cycle) {
		uint64_t e = s + cycle < f->max_pfn ? s + cycle : f->max_pfn;
		CHECK_OK(kd_mm_classify(mm, s, e, cls + s));
	}
	return cls;
}

static uint64_t count(const uint8_t *cls, uint64_t a, uint64_t b, enum kd_page_class c)
{
	uint64_t n = 0;
	for (uint64_t i = a; i < b; i++)
		n += cls[i] == c;
	return n;
}

/* The same population of pages in either flavor; checks what each must be. */
static void populate(struct fakemm *f)
{
	uint64_t lru = fm_pg(f, "lru"), priv = fm_pg(f, "private");
	uint64_t swc = fm_pg(f, "swapcache"), swb = fm_pg(f, "swapbacked");
	fm_set_flags(f, 100, lru);
	fm_set_mapping(f, 100, FILEMAP);
	fm_set_flags(f, 101, lru | priv);
	fm_set_mapping(f, 101, FILEMAP);
	fm_set_flags(f, 102, lru | swb);
	fm_set_mapping(f, 102, ANON(1));
	fm_set_flags(f, 103, swc | swb); /* swap cache, not mapped */
	fm_set_mapping(f, 103, FILEMAP);
	fm_set_flags(f, 104, swc); /* PG_owner_priv_1 of a non-swapbacked page: not swap cache */
	fm_set_mapping(f, 104, FILEMAP);
	fm_set_flags(f, 105, lru | swc | swb);
	fm_set_mapping(f, 105, ANON(2));
	if (f->flavor == 61) {
		fm_set_flags(f, 106, fm_pg(f, "slab"));
		fm_set_mapcount(f, 106, (uint32_t)-129); /* slab reuses the word: not free */
		fm_set_private(f, 106, 3);
		fm_set_mapcount(f, 107, (uint32_t)-257);
	} else {
		fm_set_mapcount(f, 106, 0xf5000000u);
		fm_set_mapcount(f, 107, 0xf1000000u);
	}
	fm_set_mapping(f, 108, FILEMAP | 3); /* KSM */
	fm_set_mapping(f, 109, FILEMAP | 2); /* movable, not LRU (zsmalloc, balloon) */
	fm_set_flags(f, 110, lru | fm_pg(f, "hwpoison"));
	fm_set_mapping(f, 110, FILEMAP);
	fm_set_flags(f, 111, fm_pg(f, "reserved"));
	fm_set_mapcount(f, 112, 3); /* mapped thrice, no mapping: kept */

	/* buddy blocks */
	fm_buddy(f, 1024, 10);
	fm_buddy(f, 2048, 0);
	fm_buddy(f, 2050, 1);
	fm_buddy(f, 2056, 3);
	fm_buddy(f, 2064, 12); /* larger than the largest order */
	fm_buddy(f, 2073, 1);  /* misaligned */
	fm_buddy(f, 3072, 9);
	fm_buddy(f, 3584, 9);

	/* compound pages */
	fm_compound(f, 4096, 9, 0); /* THP */
	fm_set_flags(f, 4096, fm_pg(f, "head") | lru | swb);
	fm_set_mapping(f, 4096, ANON(3));
	fm_compound(f, 8192, 2, 0); /* page-cache folio with private data */
	fm_set_flags(f, 8192, fm_pg(f, "head") | lru | priv);
	fm_set_mapping(f, 8192, FILEMAP);
	fm_compound(f, 12288, 2, 0); /* the kernel's own (large kmalloc) */
	fm_compound(f, 12292, 2, 0); /* slab */
	if (f->flavor == 61)
		fm_set_flags(f, 12292, fm_pg(f, "head") | fm_pg(f, "slab"));
	else
		fm_set_mapcount(f, 12292, 0xf5000000u);
	fm_compound(f, 16384, 9, 1); /* hugetlb on hugetlbfs */
	fm_set_mapping(f, 16384, FILEMAP);
	/* hugetlb of 2^13 pages in section 1: its tails span 8 cycles */
	fm_compound(f, 32768, 13, 1);
	fm_set_mapping(f, 32768, ANON(4));
	/* section 3 (its section_mem_map has the ZONE_DEVICE taint bit) */
	fm_set_flags(f, 3 * FM_SECTION_PFNS + 5, lru);
	fm_set_mapping(f, 3 * FM_SECTION_PFNS + 5, FILEMAP);
}

static void check_population(struct fakemm *f, const uint8_t *cls)
{
	CHECK_U64(cls[0], KD_PAGE_KEEP);
	CHECK_U64(cls[100], KD_PAGE_CACHE);
	CHECK_U64(cls[101], KD_PAGE_CACHE_PRIVATE);
	CHECK_U64(cls[102], KD_PAGE_USER);
	CHECK_U64(cls[103], KD_PAGE_CACHE);
	CHECK_U64(cls[104], KD_PAGE_KEEP);
	CHECK_U64(cls[105], KD_PAGE_USER);
	CHECK_U64(cls[106], KD_PAGE_KEEP);
	CHECK_U64(cls[107], KD_PAGE_OFFLINE);
	CHECK_U64(cls[108], KD_PAGE_USER);
	CHECK_U64(cls[109], KD_PAGE_KEEP);
	/* Debian's 6.1 exports no PG_hwpoison (no CONFIG_MEMORY_FAILURE): a page cache page there */
	CHECK_U64(cls[110], f->flavor == 61 ? KD_PAGE_CACHE : KD_PAGE_HWPOISON);
	CHECK_U64(cls[111], KD_PAGE_KEEP);
	CHECK_U64(cls[112], KD_PAGE_KEEP);

	CHECK_U64(count(cls, 1024, 2048, KD_PAGE_FREE), 1024);
	CHECK_U64(cls[2048], KD_PAGE_FREE);
	CHECK_U64(cls[2049], KD_PAGE_KEEP);
	CHECK_U64(count(cls, 2050, 2052, KD_PAGE_FREE), 2);
	CHECK_U64(cls[2052], KD_PAGE_KEEP);
	CHECK_U64(count(cls, 2056, 2064, KD_PAGE_FREE), 8);
	CHECK_U64(cls[2064], KD_PAGE_UNKNOWN);
	CHECK_U64(cls[2065], KD_PAGE_KEEP);
	CHECK_U64(cls[2073], KD_PAGE_UNKNOWN);
	CHECK_U64(cls[2074], KD_PAGE_KEEP);
	CHECK_U64(count(cls, 3072, 4096, KD_PAGE_FREE), 1024);
	CHECK_U64(count(cls, 2048, 3072, KD_PAGE_FREE), 11);

	CHECK_U64(count(cls, 4096, 4608, KD_PAGE_USER), 512);
	CHECK_U64(cls[4608], KD_PAGE_KEEP);
	CHECK_U64(count(cls, 8192, 8196, KD_PAGE_CACHE_PRIVATE), 4);
	CHECK_U64(count(cls, 12288, 12296, KD_PAGE_KEEP), 8);
	CHECK_U64(count(cls, 16384, 16896, KD_PAGE_USER), 512);
	CHECK_U64(count(cls, 32768, 32768 + 8192, KD_PAGE_USER), 8192);
	CHECK_U64(cls[32768 + 8192], KD_PAGE_KEEP);

	uint64_t hole = FM_HOLE_SECTION * FM_SECTION_PFNS;
	CHECK_U64(count(cls, hole, hole + FM_SECTION_PFNS, KD_PAGE_NO_STRUCT), FM_SECTION_PFNS);
	CHECK_U64(cls[3 * FM_SECTION_PFNS + 5], KD_PAGE_CACHE);
	CHECK_U64(cls[3 * FM_SECTION_PFNS + 6], KD_PAGE_KEEP);
}

static void run_flavor(int flavor)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, flavor);
	populate(&f);
	struct kd_mm *mm = open_mm(&f, NULL);
	if (!mm) {
		fm_free(&f);
		return;
	}
	CHECK_U64(kd_mm_cycle_align(mm), 1024);
	f.reads = 0;
	uint8_t *cls = classify_all(&f, mm, 1024);
	check_population(&f, cls);
	/* the invalid buddy orders are the first things not understood */
	CHECK(strstr(kd_mm_problem(mm), "pfn 0x810: free block of order 12") != NULL);
	/* batched: one read per cycle of a present section, plus the hugetlb head for 7 cycles */
	CHECK(f.reads <= 96 + 7 + 4);
	struct kd_mm_stats st;
	kd_mm_stats(mm, &st);
	CHECK_U64(st.pages[KD_PAGE_NO_STRUCT], FM_SECTION_PFNS);
	CHECK_U64(st.pages[KD_PAGE_FREE], 1024 + 11 + 1024);
	CHECK_U64(st.read_errors, 0);
	uint64_t total = 0;
	for (int c = 0; c < KD_PAGE_NCLASSES; c++)
		total += st.pages[c];
	CHECK_U64(total, f.max_pfn);

	/* one call over everything gives the same as cycles */
	uint8_t *all = malloc(f.max_pfn);
	CHECK_OK(kd_mm_classify(mm, 0, f.max_pfn, all));
	CHECK(!memcmp(all, cls, f.max_pfn));
	free(all);
	free(cls);
	kd_mm_close(mm);
	fm_free(&f);
}

static void classes_61(void)
{
	run_flavor(61);
}

static void classes_612(void)
{
	run_flavor(612);
}

static void names(void)
{
	CHECK_STR(kd_page_class_name(KD_PAGE_CACHE_PRIVATE), "cache_private");
	CHECK_STR(kd_page_class_name(KD_PAGE_NO_STRUCT), "no_struct");
	CHECK_STR(kd_page_class_name(KD_PAGE_NCLASSES), "?");
}

static void misaligned(void)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 612);
	f.max_pfn -= 3; /* the last cycle ends at max_pfn, not a multiple */
	struct kd_mm *mm = open_mm(&f, NULL);
	if (!mm) {
		fm_free(&f);
		return;
	}
	uint8_t *cls = malloc(f.max_pfn + 2048);
	CHECK_FAILS(kd_mm_classify(mm, 1, 1024, cls));
	CHECK_FAILS(kd_mm_classify(mm, 0, 1000, cls));
	CHECK_FAILS(kd_mm_classify(mm, 1024, 0, cls));
	CHECK_FAILS(kd_mm_classify(mm, 0, f.max_pfn + 3, cls));
	CHECK_FAILS(kd_mm_classify(mm, f.max_pfn + 3, f.max_pfn + 3 + 1024, cls));
	CHECK_OK(kd_mm_classify(mm, 0, 0, cls));
	CHECK_OK(kd_mm_classify(mm, f.max_pfn + 3 - 1024, f.max_pfn, cls));
	CHECK_U64(cls[0], KD_PAGE_KEEP);
	CHECK_U64(cls[1020], KD_PAGE_KEEP);
	free(cls);
	kd_mm_close(mm);
	fm_free(&f);
}

/* 6.12's page types leave the low 24 bits to the owner; the old encodings compare exactly. */
static void page_type_encodings(void)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 612);
	fm_set_mapcount(&f, 64, 0xf0000000u | 0x1234);
	fm_set_private(&f, 64, 2);
	fm_set_mapcount(&f, 128, 0xf1000000u | 7);
	fm_set_mapcount(&f, 192, 0xff000000u); /* mapcount underflow, no type */
	fm_set_mapcount(&f, 193, 0xf2000000u); /* page table */
	/* unaccepted memory: a MAX_PAGE_ORDER block */
	fm_vi(&f, "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944");
	fm_set_mapcount(&f, 5120, 0xf7000000u);
	struct kd_mm *mm = open_mm(&f, NULL);
	if (mm) {
		uint8_t *cls = classify_all(&f, mm, 1024);
		CHECK_U64(count(cls, 64, 68, KD_PAGE_FREE), 4);
		CHECK_U64(cls[128], KD_PAGE_OFFLINE);
		CHECK_U64(cls[192], KD_PAGE_KEEP);
		CHECK_U64(cls[193], KD_PAGE_KEEP);
		CHECK_U64(count(cls, 5120, 6144, KD_PAGE_FREE), 1024);
		CHECK_STR(kd_mm_problem(mm), "");
		free(cls);
		kd_mm_close(mm);
	}
	fm_free(&f);

	fm_init(&f);
	fm_kernel(&f, 61);
	fm_set_mapcount(&f, 64, (uint32_t)-129 & ~1u); /* not exactly the buddy value */
	fm_set_private(&f, 64, 2);
	fm_buddy(&f, 68, 2);
	if ((mm = open_mm(&f, NULL))) {
		uint8_t *cls = classify_all(&f, mm, 1024);
		CHECK_U64(cls[64], KD_PAGE_KEEP);
		CHECK_U64(count(cls, 68, 72, KD_PAGE_FREE), 4);
		free(cls);
		kd_mm_close(mm);
	}
	fm_free(&f);
}

static void tails_with_bad_heads(void)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 612);
	fm_put64(&f, fm_page(&f, 200) + 8, fm_page(&f, 199) | 1); /* 199 is no head */
	fm_put64(&f, fm_page(&f, 201) + 8, fm_page(&f, 202) | 1); /* head after the tail */
	fm_put64(&f, fm_page(&f, 203) + 8, (fm_page(&f, 190) + 8) | 1); /* not a struct page */
	fm_put64(&f, fm_page(&f, 204) + 8, 0x1001); /* nowhere */
	fm_buddy(&f, 256, 0); /* a buddy page pretending to head tails */
	fm_set_flags(&f, 256, fm_pg(&f, "head"));
	fm_put64(&f, fm_page(&f, 257) + 8, fm_page(&f, 256) | 1);
	/* head in the hole section's range: unreadable */
	uint64_t t = 3 * FM_SECTION_PFNS + 1;
	fm_put64(&f, fm_page(&f, t) + 8, fm_page(&f, t - 2000) | 1);
	struct kd_mm *mm = open_mm(&f, NULL);
	if (mm) {
		uint8_t *cls = classify_all(&f, mm, 1024);
		CHECK_U64(cls[200], KD_PAGE_UNKNOWN);
		CHECK(strstr(kd_mm_problem(mm), "is not a head page") != NULL);
		CHECK_U64(cls[201], KD_PAGE_UNKNOWN);
		CHECK_U64(cls[203], KD_PAGE_UNKNOWN);
		CHECK_U64(cls[204], KD_PAGE_UNKNOWN);
		CHECK_U64(cls[256], KD_PAGE_FREE);
		CHECK_U64(cls[257], KD_PAGE_UNKNOWN);
		CHECK_U64(cls[t], KD_PAGE_UNKNOWN);
		CHECK_U64(cls[t + 1], KD_PAGE_KEEP);
		free(cls);
		kd_mm_close(mm);
	}
	fm_free(&f);
}

/* struct pages that cannot be read are UNKNOWN; their neighbours are still classified, with
 * a bounded number of reads. */
static void unreadable_struct_pages(void)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 612);
	populate(&f);
	f.hole_start = fm_page(&f, 5000);
	f.hole_end = fm_page(&f, 5100) + 8;
	struct kd_mm *mm = open_mm(&f, NULL);
	if (mm) {
		uint8_t *cls = classify_all(&f, mm, 1024);
		/* a dump lacks a page of the memory map at a time: 64 struct pages */
		CHECK_U64(count(cls, 4992, 5120, KD_PAGE_UNKNOWN), 128);
		CHECK_U64(cls[4991], KD_PAGE_KEEP);
		CHECK_U64(cls[5120], KD_PAGE_KEEP);
		CHECK_U64(cls[100], KD_PAGE_CACHE);
		CHECK(strstr(kd_mm_problem(mm), "struct pages of pfns") != NULL ||
		      strstr(kd_mm_problem(mm), "free block") != NULL);
		struct kd_mm_stats st;
		kd_mm_stats(mm, &st);
		CHECK(st.read_errors > 0);
		CHECK(st.reads < 96 + 256 + 8);
		free(cls);
		kd_mm_close(mm);
	}
	fm_free(&f);
}

/* A compound head that cannot be read leaves all its tails unknown, in every cycle. */
static void unreadable_head(void)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 61);
	fm_compound(&f, 32768, 13, 1);
	f.hole_start = fm_page(&f, 32768);
	f.hole_end = f.hole_start + 64;
	struct kd_mm *mm = open_mm(&f, NULL);
	if (mm) {
		uint8_t *cls = classify_all(&f, mm, 1024);
		CHECK_U64(count(cls, 32768, 32768 + 8192, KD_PAGE_UNKNOWN), 8192);
		CHECK_U64(cls[32768 + 8192], KD_PAGE_KEEP);
		CHECK(strstr(kd_mm_problem(mm), "struct pages of pfns 0x8000-") != NULL);
		free(cls);
		kd_mm_close(mm);
	}
	fm_free(&f);
}

/* Garbage struct pages: never a crash, every class valid, every free block sane. */
static void garbage(void)
{
	for (int flavor = 61; flavor <= 612; flavor += 551) {
		struct fakemm f;
		fm_init(&f);
		fm_kernel(&f, flavor);
		uint64_t x = 0x2545f4914f6cdd1dull;
		for (uint64_t a = fm_page(&f, 0); a < fm_page(&f, 2 * FM_SECTION_PFNS); a += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			uint64_t v = x;
			/* make some words look like what the classifier looks for */
			switch (x % 8) {
			case 0: v = fm_page(&f, (x >> 8) % (2 * FM_SECTION_PFNS)) | 1; break;
			case 1: v = (x & 0xff) < 128 ? 0xf0000000u : (uint32_t)-129; break;
			case 2: v = x % 16; break;
			default: break;
			}
			fm_put64(&f, a, v);
		}
		struct kd_mm *mm = open_mm(&f, NULL);
		if (!mm) {
			fm_free(&f);
			continue;
		}
		uint8_t *cls = classify_all(&f, mm, 1024);
		CHECK_U64(count(cls, 0, f.max_pfn, 0xee), 0);
		int bad = 0;
		for (uint64_t p = 0; p < f.max_pfn; p++)
			bad += cls[p] >= KD_PAGE_NCLASSES;
		CHECK(bad == 0);
		CHECK(count(cls, 0, 2 * FM_SECTION_PFNS, KD_PAGE_UNKNOWN) > 0);
		CHECK(kd_mm_problem(mm)[0] != '\0');
		free(cls);
		kd_mm_close(mm);
		fm_free(&f);
	}
}

/* What VMCOREINFO lacks decides what can be recognized. */
static void missing_vmcoreinfo(void)
{
	static const char *const fatal[] = {
		"SYMBOL(mem_section)", "LENGTH(mem_section)", "SIZE(page)", "OFFSET(page.flags)",
		"OFFSET(page.compound_head)", "NUMBER(PG_lru)", "NUMBER(PG_head_mask)",
		"NUMBER(SECTION_SIZE_BITS)", "OFFSET(page._mapcount)",
	};
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct fakemm f;
		fm_init(&f);
		fm_kernel(&f, 612);
		struct kd_mm *mm = NULL;
		CHECK_FAILS(kd_mm_open(fm_finish(&f, fatal[i]), f.max_pfn, &mm));
		CHECK(mm == NULL);
		fm_free(&f);
	}

	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 61);
	fm_buddy(&f, 0, 2);
	struct kd_mm *mm = open_mm(&f, "NUMBER(PG_slab)");
	if (mm) {
		uint8_t cls[1024];
		CHECK_OK(kd_mm_classify(mm, 0, 1024, cls));
		CHECK_U64(cls[0], KD_PAGE_KEEP);
		CHECK(strstr(kd_mm_problem(mm), "free pages are kept") != NULL);
		kd_mm_close(mm);
	}
	mm = open_mm(&f, "NUMBER(PAGE_BUDDY");
	if (mm) {
		uint8_t cls[1024];
		CHECK_OK(kd_mm_classify(mm, 0, 1024, cls));
		CHECK_U64(cls[0], KD_PAGE_KEEP);
		CHECK(strstr(kd_mm_problem(mm), "PAGE_BUDDY_MAPCOUNT_VALUE") != NULL);
		kd_mm_close(mm);
	}
	/* bad values */
	fm_vi(&f, "NUMBER(PG_lru)=64");
	CHECK_FAILS(kd_mm_open(fm_finish(&f, NULL), f.max_pfn, &mm));
	fm_free(&f);

	fm_init(&f);
	fm_kernel(&f, 61);
	fm_vi(&f, "LENGTH(mem_section)=7");
	CHECK_FAILS(kd_mm_open(fm_finish(&f, NULL), f.max_pfn, &mm));
	fm_free(&f);

	fm_init(&f);
	fm_kernel(&f, 61);
	f.mem.vmcoreinfo = NULL;
	CHECK_FAILS(kd_mm_open(&f.mem, f.max_pfn, &mm));
	fm_free(&f);

	/* a mem_section with nothing present */
	fm_init(&f);
	fm_kernel(&f, 61);
	for (unsigned s = 0; s < 4; s++)
		fm_put64(&f, f.sections + 16 * s, 0);
	CHECK_FAILS(kd_mm_open(fm_finish(&f, NULL), f.max_pfn, &mm));
	fm_free(&f);
}

/* 6.6-6.8: hugetlb is PG_hugetlb in the flags of the folio's second page (no destructor). */
static void hugetlb_second_page_flag(void)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 61);
	fm_vi(&f, "NUMBER(PG_hugetlb)=5");
	fm_compound(&f, 512, 9, 0);
	fm_set_flags(&f, 513, 1ull << 5);
	fm_set_mapping(&f, 512, FILEMAP);
	fm_compound(&f, 1024, 9, 0); /* not hugetlb: the kernel's own */
	struct kd_mm *mm = open_mm(&f, "OFFSET(page.compound_dtor)");
	if (mm) {
		uint8_t *cls = classify_all(&f, mm, 1024);
		CHECK_U64(count(cls, 512, 1024, KD_PAGE_USER), 512);
		CHECK_U64(count(cls, 1024, 1536, KD_PAGE_KEEP), 512);
		CHECK_STR(kd_mm_problem(mm), "");
		free(cls);
		kd_mm_close(mm);
	}
	/* and with no way to tell hugetlb at all, that is said */
	mm = open_mm(&f, "NUMBER(PG_hugetlb)");
	if (mm) {
		CHECK(strstr(kd_mm_problem(mm), "hugetlb") == NULL); /* the destructor is there */
		kd_mm_close(mm);
	}
	fm_free(&f);
	fm_init(&f);
	fm_kernel(&f, 612);
	if ((mm = open_mm(&f, "NUMBER(PAGE_HUGETLB"))) {
		CHECK(strstr(kd_mm_problem(mm), "hugetlb") != NULL);
		kd_mm_close(mm);
	}
	fm_free(&f);
}

/* Before 4.15, SYMBOL(mem_section) was the address of the pointer to the roots. */
static void old_mem_section_symbol(void)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 61);
	uint64_t ptr = 0xffffffff82000000ull;
	fm_region(&f, ptr, 8);
	fm_put64(&f, ptr, f.roots);
	fm_vi(&f, "SYMBOL(mem_section)=%llx", (unsigned long long)ptr);
	fm_set_flags(&f, 7, fm_pg(&f, "lru"));
	struct kd_mm *mm = open_mm(&f, NULL);
	if (mm) {
		uint8_t cls[1024];
		CHECK_OK(kd_mm_classify(mm, 0, 1024, cls));
		CHECK_U64(cls[7], KD_PAGE_CACHE);
		CHECK_STR(kd_mm_problem(mm), "");
		kd_mm_close(mm);
	}
	fm_free(&f);
}

static void section_flag_bits(void)
{
	CHECK_U64(kd_mm_section_flag_bits("4.9.0-19-amd64"), 2);
	CHECK_U64(kd_mm_section_flag_bits("4.19.0-27-amd64"), 3);
	CHECK_U64(kd_mm_section_flag_bits("5.10.0-33-amd64"), 4);
	CHECK_U64(kd_mm_section_flag_bits("6.1.0-56-cloud-amd64"), 5);
	CHECK_U64(kd_mm_section_flag_bits("6.12.117+deb12-cloud-amd64"), 5);
	CHECK_U64(kd_mm_section_flag_bits("6.16.3"), 6);
	CHECK_U64(kd_mm_section_flag_bits("weird"), 6);
	CHECK_U64(kd_mm_section_flag_bits(NULL), 6);
}

/* Sections past max_pfn are not read; max_pfn past the table is NO_STRUCT. */
static void max_pfn_bounds(void)
{
	struct fakemm f;
	fm_init(&f);
	fm_kernel(&f, 612);
	struct kd_mm *mm = NULL;
	CHECK_OK(kd_mm_open(fm_finish(&f, NULL), FM_SECTION_PFNS, &mm));
	if (mm) {
		uint8_t *cls = malloc(FM_SECTION_PFNS);
		CHECK_OK(kd_mm_classify(mm, 0, FM_SECTION_PFNS, cls));
		CHECK_U64(count(cls, 0, FM_SECTION_PFNS, KD_PAGE_KEEP), FM_SECTION_PFNS);
		CHECK_FAILS(kd_mm_classify(mm, 0, FM_SECTION_PFNS + 1024, cls));
		free(cls);
		kd_mm_close(mm);
	}
	uint64_t big = 8ull * FM_SECTION_PFNS;
	CHECK_OK(kd_mm_open(&f.mem, big, &mm));
	if (mm) {
		uint8_t *cls = malloc(big);
		CHECK_OK(kd_mm_classify(mm, 0, big, cls));
		CHECK_U64(count(cls, 4 * FM_SECTION_PFNS, big, KD_PAGE_NO_STRUCT), 4 * FM_SECTION_PFNS);
		free(cls);
		kd_mm_close(mm);
	}
	fm_free(&f);
}

TEST_MAIN(T(names), T(classes_61), T(classes_612), T(misaligned), T(page_type_encodings),
	  T(tails_with_bad_heads), T(unreadable_struct_pages), T(unreadable_head), T(garbage), T(missing_vmcoreinfo),
	  T(hugetlb_second_page_flag), T(old_mem_section_symbol), T(section_flag_bits), T(max_pfn_bounds))

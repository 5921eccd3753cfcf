#include "fakemm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kd_err *fm_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	struct fakemm *f = ctx;
	f->reads++;
	if (f->hole_start < f->hole_end && addr < f->hole_end && addr + len > f->hole_start)
		return kd_err_new(EIO, "%#llx+%zu is excluded", (unsigned long long)addr, len);
	for (int i = 0; i < f->nr; i++) {
		const struct fm_region *r = &f->r[i];
		if (addr >= r->base && addr - r->base <= r->size && len <= r->size - (addr - r->base)) {
			memcpy(out, r->buf + (addr - r->base), len);
			return NULL;
		}
	}
	return kd_err_new(EFAULT, "address %#llx+%zu is not in the dump", (unsigned long long)addr,
			  len);
}

void fm_init(struct fakemm *f)
{
	memset(f, 0, sizeof(*f));
	fake_vmcoreinfo_init(&f->vi);
	f->mem.read_virt = fm_read;
	f->mem.read_phys = fm_read;
	f->mem.ctx = f;
}

void fm_free(struct fakemm *f)
{
	for (int i = 0; i < f->nr; i++)
		free(f->r[i].buf);
	fake_vmcoreinfo_free(&f->vi);
	memset(f, 0, sizeof(*f));
}

unsigned char *fm_region(struct fakemm *f, uint64_t base, size_t size)
{
	if (f->nr == FM_MAX_REGIONS)
		abort();
	struct fm_region *r = &f->r[f->nr++];
	r->base = base;
	r->size = size;
	r->buf = calloc(1, size ? size : 1);
	if (!r->buf)
		abort();
	return r->buf;
}

void fm_vi(struct fakemm *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fake_vmcoreinfo_add(&f->vi, fmt, ap);
	va_end(ap);
}

struct kd_mem *fm_finish(struct fakemm *f, const char *omit)
{
	f->mem.vmcoreinfo = fake_vmcoreinfo_parse(&f->vi, omit);
	return &f->mem;
}

void fm_put(struct fakemm *f, uint64_t addr, const void *p, size_t n)
{
	for (int i = 0; i < f->nr; i++) {
		struct fm_region *r = &f->r[i];
		if (addr >= r->base && addr - r->base <= r->size && n <= r->size - (addr - r->base)) {
			memcpy(r->buf + (addr - r->base), p, n);
			return;
		}
	}
	fprintf(stderr, "fm_put outside the fake memory: %#llx\n", (unsigned long long)addr);
	abort();
}

void fm_put64(struct fakemm *f, uint64_t addr, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	fm_put(f, addr, b, 8);
}

void fm_put32(struct fakemm *f, uint64_t addr, uint32_t v)
{
	unsigned char b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	fm_put(f, addr, b, 4);
}

void fm_put8(struct fakemm *f, uint64_t addr, uint8_t v)
{
	fm_put(f, addr, &v, 1);
}

/* struct page, as both Debian kernels lay it out (SIZE(page) 64) */
enum { OFF_FLAGS = 0, OFF_LRU = 8, OFF_CHEAD = 8, OFF_DTOR = 16, OFF_ORDER = 17,
       OFF_MAPPING = 24, OFF_PRIVATE = 40, OFF_MAPCOUNT = 48, OFF_REFCOUNT = 52, SZ_PAGE = 64 };

uint64_t fm_page(const struct fakemm *f, uint64_t pfn)
{
	return f->vmemmap + pfn * SZ_PAGE;
}

uint64_t fm_pg(const struct fakemm *f, const char *name)
{
	static const struct { const char *name; int b61, b612; } bits[] = {
		{ "lru", 4, 5 }, { "private", 13, 14 }, { "swapcache", 10, 10 },
		{ "swapbacked", 19, 17 }, { "slab", 9, -1 }, { "hwpoison", -1, 20 },
		{ "head", 16, 6 }, { "reserved", 10, 9 },
	};
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (!strcmp(bits[i].name, name)) {
			int b = f->flavor == 61 ? bits[i].b61 : bits[i].b612;
			return b < 0 ? 0 : 1ull << b;
		}
	abort();
}

void fm_set_flags(struct fakemm *f, uint64_t pfn, uint64_t flags)
{
	fm_put64(f, fm_page(f, pfn) + OFF_FLAGS, flags);
}

void fm_set_mapping(struct fakemm *f, uint64_t pfn, uint64_t mapping)
{
	fm_put64(f, fm_page(f, pfn) + OFF_MAPPING, mapping);
}

void fm_set_private(struct fakemm *f, uint64_t pfn, uint64_t v)
{
	fm_put64(f, fm_page(f, pfn) + OFF_PRIVATE, v);
}

void fm_set_mapcount(struct fakemm *f, uint64_t pfn, uint32_t v)
{
	fm_put32(f, fm_page(f, pfn) + OFF_MAPCOUNT, v);
}

void fm_buddy(struct fakemm *f, uint64_t pfn, unsigned order)
{
	fm_set_mapcount(f, pfn, f->flavor == 61 ? (uint32_t)-129 : 0xf0000000u);
	fm_set_private(f, pfn, order);
	/* the head's lru links it into the free list: pointers, bit 0 clear */
	fm_put64(f, fm_page(f, pfn) + OFF_LRU, 0xffff888000300000ull);
}

void fm_compound(struct fakemm *f, uint64_t pfn, unsigned order, int hugetlb)
{
	uint64_t head = fm_page(f, pfn);
	fm_set_flags(f, pfn, fm_pg(f, "head"));
	for (uint64_t i = 1; i < (1ull << order); i++) {
		fm_put64(f, fm_page(f, pfn + i) + OFF_CHEAD, head | 1);
		fm_set_mapping(f, pfn + i, 0x400); /* TAIL_MAPPING: not anon */
	}
	if (f->flavor == 61) {
		fm_put8(f, fm_page(f, pfn + 1) + OFF_DTOR, hugetlb ? 2 : 1);
		fm_put8(f, fm_page(f, pfn + 1) + OFF_ORDER, (uint8_t)order);
	} else {
		fm_set_flags(f, pfn + 1, order); /* folio order in the second page's flags */
		if (hugetlb)
			fm_set_mapcount(f, pfn, 0xf4000000u);
	}
}

static void kernel(struct fakemm *f, int flavor, unsigned section_bits)
{
	f->flavor = flavor;
	f->section_pfns = 1ull << (section_bits - 12);
	f->max_pfn = 4ull * f->section_pfns;
	f->vmemmap = 0xffffea0000000000ull;
	f->roots = 0xffff888000100000ull;
	f->sections = 0xffff888000200000ull;
	fm_region(f, f->roots, 2048 * 8);
	fm_region(f, f->sections, 4096);
	fm_put64(f, f->roots, f->sections);
	for (unsigned s = 0; s < 4; s++) {
		uint64_t ent = f->sections + 16 * s;
		if (s == FM_HOLE_SECTION) {
			fm_put64(f, ent, 0); /* not present */
			continue;
		}
		/* PRESENT | HAS_MEM_MAP | ONLINE | EARLY (| ZONE_DEVICE taint: bit 4) */
		fm_put64(f, ent, f->vmemmap | 0xf | (s == 3 ? 0x10 : 0));
		/* sections 0 and 1 in one region, so writes may span them */
		if (s == 1)
			continue;
		uint64_t n = (s == 0 ? 2 : 1) * f->section_pfns;
		unsigned char *b = fm_region(f, fm_page(f, s * f->section_pfns), n * SZ_PAGE);
		for (uint64_t p = 0; p < n; p++)
			memset(b + p * SZ_PAGE + OFF_MAPCOUNT, 0xff, 4); /* _mapcount -1 */
	}
	fm_vi(f, "OSRELEASE=%s", flavor == 61 ? "6.1.0-56-cloud-amd64" : "6.12.117+deb12-cloud-amd64");
	fm_vi(f, "PAGESIZE=4096");
	fm_vi(f, "SYMBOL(mem_section)=%llx", (unsigned long long)f->roots);
	fm_vi(f, "LENGTH(mem_section)=2048");
	fm_vi(f, "SIZE(mem_section)=16");
	fm_vi(f, "OFFSET(mem_section.section_mem_map)=0");
	fm_vi(f, "NUMBER(SECTION_SIZE_BITS)=%u", section_bits);
	fm_vi(f, "NUMBER(MAX_PHYSMEM_BITS)=%u", section_bits + 19); /* 2048 roots */
	fm_vi(f, "SIZE(page)=64");
	fm_vi(f, "OFFSET(page.flags)=0");
	fm_vi(f, "OFFSET(page._refcount)=52");
	fm_vi(f, "OFFSET(page.mapping)=24");
	fm_vi(f, "OFFSET(page.lru)=8");
	fm_vi(f, "OFFSET(page._mapcount)=48");
	fm_vi(f, "OFFSET(page.private)=40");
	fm_vi(f, "OFFSET(page.compound_head)=8");
	fm_vi(f, "LENGTH(zone.free_area)=11");
	if (flavor == 61) {
		fm_vi(f, "OFFSET(page.compound_dtor)=16");
		fm_vi(f, "OFFSET(page.compound_order)=17");
		fm_vi(f, "NUMBER(PG_lru)=4");
		fm_vi(f, "NUMBER(PG_private)=13");
		fm_vi(f, "NUMBER(PG_swapcache)=10");
		fm_vi(f, "NUMBER(PG_swapbacked)=19");
		fm_vi(f, "NUMBER(PG_slab)=9");
		fm_vi(f, "NUMBER(PG_head_mask)=65536");
		fm_vi(f, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129");
		fm_vi(f, "NUMBER(HUGETLB_PAGE_DTOR)=2");
		fm_vi(f, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257");
	} else {
		fm_vi(f, "SYMBOL(vmemmap)=%llx", (unsigned long long)f->vmemmap);
		fm_vi(f, "NUMBER(PG_lru)=5");
		fm_vi(f, "NUMBER(PG_private)=14");
		fm_vi(f, "NUMBER(PG_swapcache)=10");
		fm_vi(f, "NUMBER(PG_swapbacked)=17");
		fm_vi(f, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376");
		fm_vi(f, "NUMBER(PG_hwpoison)=20");
		fm_vi(f, "NUMBER(PG_head_mask)=64");
		fm_vi(f, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456");
		fm_vi(f, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592");
		fm_vi(f, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240");
	}
}

void fm_kernel(struct fakemm *f, int flavor)
{
	kernel(f, flavor, 27);
}

void fm_kernel_small(struct fakemm *f, int flavor)
{
	kernel(f, flavor, 22);
}

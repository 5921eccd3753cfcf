/* mem_section: where each section's struct pages are (SPARSEMEM, EXTREME or static).
 *
 * SPARSEMEM_EXTREME (every x86_64 kernel): SYMBOL(mem_section) is the root array (since 4.15;
 * before, the address of the pointer to it), LENGTH(mem_section) roots, each pointing to
 * PAGE_SIZE / SIZE(mem_section) sections. A static mem_section is one flat array of
 * 2^(MAX_PHYSMEM_BITS - SECTION_SIZE_BITS) sections.
 *
 * section_mem_map holds the section's mem_map encoded relative to its first pfn
 * (mem_map - section_nr_to_pfn(nr), in struct page units: mm/sparse.c sparse_encode_mem_map),
 * so the struct page of pfn p is at (section_mem_map & SECTION_MAP_MASK) + p * SIZE(page); with
 * SPARSEMEM_VMEMMAP that base is vmemmap itself. The low bits are flags: bit 0 PRESENT,
 * bit 1 HAS_MEM_MAP, then IS_ONLINE, IS_EARLY, TAINT_ZONE_DEVICE, IS_VMEMMAP_PREINIT as they
 * were added (kd_mm_section_flag_bits). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm_priv.h"

#define SECTION_MARKED_PRESENT 1u
#define SECTION_HAS_MEM_MAP 2u
/* 4M sections of 128 MiB: 512 TiB. A larger max_pfn is not a machine we dump. */
#define MAX_SECTIONS (1ull << 22)

/* SECTION_MAP_LAST_BIT over time: PRESENT and HAS_MEM_MAP (2); IS_ONLINE in 4.13 (3);
 * IS_EARLY in 5.3 (4); TAINT_ZONE_DEVICE in 5.12 (5; conditional on CONFIG_ZONE_DEVICE since
 * 5.18); IS_VMEMMAP_PREINIT in 6.15 (6, with CONFIG_SPARSEMEM_VMEMMAP_PREINIT). Clearing the
 * most a version may have is exact: the encoded map is at least 64-byte aligned (page aligned
 * in practice), so the bits past the flags are zero anyway. */
unsigned kd_mm_section_flag_bits(const char *osrelease)
{
	unsigned maj, min;
	if (!osrelease || sscanf(osrelease, "%u.%u", &maj, &min) != 2)
		return 6;
	unsigned v = maj * 1000 + min;
	if (v < 4013)
		return 2;
	if (v < 5003)
		return 3;
	if (v < 5012)
		return 4;
	if (v < 6015)
		return 5;
	return 6;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct sec_geom {
	uint64_t ssz, off, per_root, nroots;
	uint64_t mask;
	int extreme;
};

static void decode(struct kd_mm *mm, const struct sec_geom *g, uint64_t nr, const uint8_t *ent,
		   uint64_t *present)
{
	uint64_t smm = le64(ent + g->off);
	if ((smm & (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP)) !=
	    (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP)) {
		mm->sec_state[nr] = KD_SEC_NONE;
		return;
	}
	uint64_t map = smm & g->mask;
	if (!map) {
		kd_mm_note(mm, "section %llu is present with a null mem_map",
			   (unsigned long long)nr);
		mm->sec_state[nr] = KD_SEC_BAD;
		return;
	}
	mm->sec_map[nr] = map;
	mm->sec_state[nr] = KD_SEC_MAP;
	(*present)++;
}

/* Read the sections [first, first + n) stored contiguously at addr. */
static void read_run(struct kd_mm *mm, const struct sec_geom *g, uint64_t addr, uint64_t first,
		     uint64_t n, uint8_t *tmp, uint64_t *present)
{
	kd_err *e = mm->mem.read_virt(mm->mem.ctx, addr, tmp, (size_t)(n * g->ssz));
	if (e) {
		char why[200];
		kd_err_format(e, why, sizeof(why));
		kd_mm_note(mm, "mem_section entries %llu-%llu at %#llx: %s",
			   (unsigned long long)first, (unsigned long long)(first + n - 1),
			   (unsigned long long)addr, why);
		kd_err_free(e);
		memset(mm->sec_state + first, KD_SEC_BAD, (size_t)n);
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		decode(mm, g, first + i, tmp + i * g->ssz, present);
}

/* Walk the table at `table`; returns the number of sections with a mem_map. */
static kd_err *walk(struct kd_mm *mm, const struct sec_geom *g, uint64_t table, uint64_t *present)
{
	*present = 0;
	memset(mm->sec_state, KD_SEC_NONE, (size_t)mm->nr_sections);
	/* a run of sections read at once: one root's worth, or 4096 of a static table */
	uint64_t run = g->extreme ? g->per_root : 4096;
	uint8_t *tmp = malloc((size_t)(run * g->ssz));
	if (!tmp)
		return kd_err_new(ENOMEM, "reading mem_section");
	kd_err *e = NULL;
	if (g->extreme) {
		uint64_t nroots = (mm->nr_sections + g->per_root - 1) / g->per_root;
		uint8_t *roots = malloc((size_t)nroots * 8);
		if (!roots) {
			free(tmp);
			return kd_err_new(ENOMEM, "reading mem_section");
		}
		e = mm->mem.read_virt(mm->mem.ctx, table, roots, (size_t)nroots * 8);
		if (e)
			e = kd_err_wrap(e, "reading %llu mem_section roots at %#llx",
					(unsigned long long)nroots, (unsigned long long)table);
		for (uint64_t r = 0; !e && r < nroots; r++) {
			uint64_t root = le64(roots + r * 8);
			uint64_t first = r * g->per_root;
			uint64_t n = mm->nr_sections - first < g->per_root ? mm->nr_sections - first
									   : g->per_root;
			if (root)
				read_run(mm, g, root, first, n, tmp, present);
		}
		free(roots);
	} else {
		for (uint64_t first = 0; first < mm->nr_sections; first += run) {
			uint64_t n = mm->nr_sections - first < run ? mm->nr_sections - first : run;
			read_run(mm, g, table + first * g->ssz, first, n, tmp, present);
		}
	}
	free(tmp);
	return e;
}

static kd_err *get(const struct kd_vmcoreinfo *vi, const char *what, const char *name,
		   uint64_t *out)
{
	kd_err *e;
	if (!strcmp(what, "SYMBOL"))
		e = kd_vmcoreinfo_symbol(vi, name, out);
	else if (!strcmp(what, "LENGTH"))
		e = kd_vmcoreinfo_length(vi, name, out);
	else if (!strcmp(what, "SIZE"))
		e = kd_vmcoreinfo_size(vi, name, out);
	else if (!strcmp(what, "OFFSET"))
		e = kd_vmcoreinfo_offset(vi, name, out);
	else {
		int64_t v;
		e = kd_vmcoreinfo_number(vi, name, &v);
		if (!e && v < 0)
			return kd_err_new(EINVAL, "NUMBER(%s)=%lld is negative", name, (long long)v);
		*out = (uint64_t)v;
	}
	return kd_err_wrap(e, "%s(%s)", what, name);
}

kd_err *kd_mm_read_sections(struct kd_mm *mm, const struct kd_vmcoreinfo *vi)
{
	uint64_t table, len, sbits, pbits;
	struct sec_geom g = { 0 };
	kd_err *e;
	if ((e = get(vi, "SYMBOL", "mem_section", &table)) ||
	    (e = get(vi, "LENGTH", "mem_section", &len)) ||
	    (e = get(vi, "SIZE", "mem_section", &g.ssz)) ||
	    (e = get(vi, "OFFSET", "mem_section.section_mem_map", &g.off)) ||
	    (e = get(vi, "NUMBER", "SECTION_SIZE_BITS", &sbits)) ||
	    (e = get(vi, "NUMBER", "MAX_PHYSMEM_BITS", &pbits)))
		return e;
	if (sbits <= mm->page_shift || sbits >= pbits || pbits > 64 || pbits - sbits > 40)
		return kd_err_new(EINVAL, "SECTION_SIZE_BITS=%llu and MAX_PHYSMEM_BITS=%llu do not "
				  "describe sections of %u-byte pages", (unsigned long long)sbits,
				  (unsigned long long)pbits, 1u << mm->page_shift);
	if (g.ssz < 8 || g.ssz > 256 || g.off > g.ssz - 8)
		return kd_err_new(EINVAL, "SIZE(mem_section)=%llu with section_mem_map at %llu",
				  (unsigned long long)g.ssz, (unsigned long long)g.off);
	uint64_t total = 1ull << (pbits - sbits);
	g.per_root = (1ull << mm->page_shift) / g.ssz;
	if (len && len <= total && len * g.per_root == total && g.per_root > 1)
		g.extreme = 1;
	else if (len != total)
		return kd_err_new(EINVAL, "LENGTH(mem_section)=%llu fits neither SPARSEMEM_EXTREME "
				  "(%llu roots) nor a static table (%llu sections)",
				  (unsigned long long)len, (unsigned long long)(total / g.per_root),
				  (unsigned long long)total);
	g.mask = ~((1ull << kd_mm_section_flag_bits(kd_vmcoreinfo_get(vi, "OSRELEASE"))) - 1);

	mm->section_pfn_shift = (unsigned)(sbits - mm->page_shift);
	uint64_t need = (mm->max_pfn >> mm->section_pfn_shift) +
			!!(mm->max_pfn & ((1ull << mm->section_pfn_shift) - 1));
	if (need > total)
		need = total;
	if (need > MAX_SECTIONS)
		return kd_err_new(EINVAL, "max_pfn %#llx needs %llu sections: more than supported",
				  (unsigned long long)mm->max_pfn, (unsigned long long)need);
	mm->nr_sections = need;
	mm->sec_map = calloc((size_t)need + 1, sizeof(*mm->sec_map));
	mm->sec_state = calloc((size_t)need + 1, 1);
	if (!mm->sec_map || !mm->sec_state)
		return kd_err_new(ENOMEM, "mem_section table of %llu sections",
				  (unsigned long long)need);
	if (!need)
		return NULL;

	uint64_t present;
	char before[sizeof(mm->problem)];
	memcpy(before, mm->problem, sizeof(before));
	if ((e = walk(mm, &g, table, &present)))
		return e;
	if (!present && g.extreme) {
		/* before 4.15 SYMBOL(mem_section) was the address of the pointer to the roots */
		uint8_t p[8];
		kd_err *e2 = mm->mem.read_virt(mm->mem.ctx, table, p, 8);
		if (!e2 && le64(p)) {
			char first[sizeof(mm->problem)];
			memcpy(first, mm->problem, sizeof(first));
			memcpy(mm->problem, before, sizeof(before));
			e2 = walk(mm, &g, le64(p), &present);
			if (e2 || !present) {
				memcpy(mm->problem, first, sizeof(first));
				present = 0;
			}
		}
		kd_err_free(e2);
	}
	if (!present)
		return kd_err_new(ENOENT, "mem_section at %#llx describes no memory below pfn %#llx",
				  (unsigned long long)table, (unsigned long long)mm->max_pfn);
	return NULL;
}

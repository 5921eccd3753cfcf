/* The per-pfn decision, from the struct pages read a batch at a time.
 *
 * For a page that is not a compound tail, in this order:
 *   PG_hwpoison                                   -> HWPOISON (never read it)
 *   page type offline                             -> OFFLINE
 *   PG_slab or page type slab                     -> KEEP (slab reuses mapping/private/_mapcount)
 *   page type buddy                               -> FREE, the 2^private block it heads
 *   page type unaccepted                          -> FREE, its 2^max_order block
 *   hugetlb (page type; PG_hugetlb or compound_dtor of the second page before 6.9) -> USER
 *   mapping & PAGE_MAPPING_ANON (anon, KSM, anon swapcache)                 -> USER
 *   PG_lru, or PG_swapcache with PG_swapbacked    -> CACHE_PRIVATE if PG_private, else CACHE
 *   anything else                                 -> KEEP
 * A tail page (compound_head & 1) takes the class of its head: THP and large folios, hugetlb,
 * and compound pages of the kernel alike. A head that is not one, a buddy block of impossible
 * order, a struct page that cannot be read: UNKNOWN, kept, with the reason in kd_mm_problem(). */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm_priv.h"

/* struct pages read at once: 1 MiB of 64-byte struct pages, a multiple of any cycle_align. */
#define BATCH_PAGES 16384
/* The largest compound page a tail may belong to (x86_64 1 GiB hugetlb is 2^18 pages). */
#define MAX_COMPOUND_ORDER 20

static const char *const class_names[KD_PAGE_NCLASSES] = {
	[KD_PAGE_KEEP] = "keep",
	[KD_PAGE_CACHE] = "cache",
	[KD_PAGE_CACHE_PRIVATE] = "cache_private",
	[KD_PAGE_USER] = "user",
	[KD_PAGE_FREE] = "free",
	[KD_PAGE_HWPOISON] = "hwpoison",
	[KD_PAGE_OFFLINE] = "offline",
	[KD_PAGE_UNKNOWN] = "unknown",
	[KD_PAGE_NO_STRUCT] = "no_struct",
};

const char *kd_page_class_name(enum kd_page_class c)
{
	return (unsigned)c < KD_PAGE_NCLASSES ? class_names[c] : "?";
}

void kd_mm_note(struct kd_mm *mm, const char *fmt, ...)
{
	if (mm->problem[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(mm->problem, sizeof(mm->problem), fmt, ap);
	va_end(ap);
}

const char *kd_mm_problem(const struct kd_mm *mm)
{
	return mm->problem;
}

void kd_mm_stats(const struct kd_mm *mm, struct kd_mm_stats *out)
{
	*out = mm->st;
}

uint64_t kd_mm_cycle_align(const struct kd_mm *mm)
{
	return 1ull << mm->max_order;
}

/* Little-endian loads from a struct page (the dump's byte order, x86_64's). */
static uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static int has_type(const struct kd_page_type *t, uint32_t page_type)
{
	if (!t->known)
		return 0;
	if (t->top_byte)
		return page_type >> 24 == t->value >> 24;
	return page_type == t->value;
}

kd_err *kd_mm_open(const struct kd_mem *mem, uint64_t max_pfn, struct kd_mm **out)
{
	*out = NULL;
	const struct kd_vmcoreinfo *vi = mem->vmcoreinfo;
	if (!vi)
		return kd_err_new(ENOENT, "page classification needs VMCOREINFO; the dump has none");
	struct kd_mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		return kd_err_new(ENOMEM, "page classifier");
	mm->mem = *mem;
	mm->max_pfn = max_pfn;
	uint64_t psz = 4096;
	kd_err *e = kd_vmcoreinfo_dec(vi, "PAGESIZE", &psz);
	if (e && kd_err_errnum(e) == ENOENT) {
		kd_err_free(e);
		e = NULL;
	}
	if (!e && (psz < 4096 || psz > 65536 || (psz & (psz - 1))))
		e = kd_err_new(EINVAL, "PAGESIZE=%llu", (unsigned long long)psz);
	if (!e) {
		while ((1ull << mm->page_shift) < psz)
			mm->page_shift++;
		e = kd_mm_read_layout(mm, vi);
	}
	if (!e)
		e = kd_mm_read_sections(mm, vi);
	if (!e) {
		mm->batch_pages = BATCH_PAGES;
		mm->buf = malloc(mm->batch_pages * mm->sz_page);
		mm->ok = malloc(mm->batch_pages);
		if (!mm->buf || !mm->ok)
			e = kd_err_new(ENOMEM, "struct page batch");
	}
	if (e) {
		kd_mm_close(mm);
		return kd_err_wrap(e, "reading the kernel's memory map");
	}
	*out = mm;
	return NULL;
}

void kd_mm_close(struct kd_mm *mm)
{
	if (!mm)
		return;
	free(mm->sec_map);
	free(mm->sec_state);
	free(mm->buf);
	free(mm->ok);
	free(mm);
}

/* The fields of one struct page. */
struct pg {
	uint64_t flags, mapping, private_, chead;
	uint32_t type; /* _mapcount / page_type */
};

static void load(const struct kd_mm *mm, const uint8_t *p, struct pg *g)
{
	g->flags = ld64(p + mm->off_flags);
	g->mapping = ld64(p + mm->off_mapping);
	g->private_ = ld64(p + mm->off_private);
	g->chead = ld64(p + mm->off_chead);
	g->type = ld32(p + mm->off_mapcount);
}

/* Hugetlb head? `second` is the struct page after it (NULL: not readable). */
static int is_hugetlb(struct kd_mm *mm, const struct pg *g, const uint8_t *second)
{
	if (mm->ty_hugetlb.known)
		return has_type(&mm->ty_hugetlb, g->type);
	if (!(g->flags & mm->pg_head) || (!mm->pg_hugetlb && mm->off_dtor < 0))
		return 0;
	if (!second) {
		kd_mm_note(mm, "the second struct page of a compound page could not be read");
		return 0;
	}
	if (mm->pg_hugetlb)
		return (ld64(second + mm->off_flags) & mm->pg_hugetlb) != 0;
	return second[mm->off_dtor] == mm->hugetlb_dtor;
}

/* The class of a page that is not a tail. *order gets the size of a free block it heads. */
static enum kd_page_class classify_head(struct kd_mm *mm, uint64_t pfn, const struct pg *g,
					const uint8_t *second, unsigned *order)
{
	*order = 0;
	if (g->flags & mm->pg_hwpoison)
		return KD_PAGE_HWPOISON;
	if (has_type(&mm->ty_offline, g->type))
		return KD_PAGE_OFFLINE;
	if ((g->flags & mm->pg_slab) || has_type(&mm->ty_slab, g->type))
		return KD_PAGE_KEEP;
	if (has_type(&mm->ty_buddy, g->type)) {
		if (g->private_ > mm->max_order || (pfn & ((1ull << g->private_) - 1))) {
			kd_mm_note(mm, "pfn %#llx: free block of order %llu (largest %u, or misaligned)",
				   (unsigned long long)pfn, (unsigned long long)g->private_,
				   mm->max_order);
			return KD_PAGE_UNKNOWN;
		}
		*order = (unsigned)g->private_;
		return KD_PAGE_FREE;
	}
	if (has_type(&mm->ty_unaccepted, g->type)) {
		/* never accepted by the guest: a whole MAX_PAGE_ORDER block of nothing */
		if (pfn & ((1ull << mm->max_order) - 1)) {
			kd_mm_note(mm, "pfn %#llx: unaccepted block is misaligned",
				   (unsigned long long)pfn);
			return KD_PAGE_UNKNOWN;
		}
		*order = mm->max_order;
		return KD_PAGE_FREE;
	}
	if (is_hugetlb(mm, g, second))
		return KD_PAGE_USER;
	if (g->mapping & 1) /* PAGE_MAPPING_ANON */
		return KD_PAGE_USER;
	if ((g->flags & mm->pg_lru) ||
	    ((g->flags & mm->pg_swapcache) &&
	     (!mm->swapbacked_known || (g->flags & mm->pg_swapbacked))))
		return (g->flags & mm->pg_private) ? KD_PAGE_CACHE_PRIVATE : KD_PAGE_CACHE;
	return KD_PAGE_KEEP;
}

/* The class a compound head at `head` gives its tails. `batch`/`bstart`/`bn`: the struct pages
 * at hand, at virtual address bstart. */
static enum kd_page_class classify_tail(struct kd_mm *mm, uint64_t pfn, uint64_t tail_addr,
					uint64_t head, const uint8_t *batch, uint64_t bstart,
					size_t bn)
{
	if (mm->head_valid && mm->head_addr == head)
		return mm->head_cls;
	const uint64_t sz = mm->sz_page;
	if (head >= tail_addr || (tail_addr - head) % sz ||
	    (tail_addr - head) / sz > (1ull << MAX_COMPOUND_ORDER)) {
		kd_mm_note(mm, "pfn %#llx: compound_head %#llx is not a struct page before it",
			   (unsigned long long)pfn, (unsigned long long)head);
		return KD_PAGE_UNKNOWN;
	}
	/* the head must be the struct page of a pfn that has one */
	uint64_t hpfn = pfn - (tail_addr - head) / sz;
	uint64_t hsec = hpfn >> mm->section_pfn_shift;
	if (hpfn > pfn || hsec >= mm->nr_sections || mm->sec_state[hsec] != KD_SEC_MAP ||
	    mm->sec_map[hsec] + hpfn * sz != head) {
		kd_mm_note(mm, "pfn %#llx: compound_head %#llx is not the struct page of a pfn",
			   (unsigned long long)pfn, (unsigned long long)head);
		return KD_PAGE_UNKNOWN;
	}
	uint8_t tmp[2 * 512];
	const uint8_t *hp = NULL, *second = NULL;
	if (head >= bstart && head - bstart < bn * sz) {
		size_t i = (size_t)((head - bstart) / sz);
		if (mm->ok[i]) {
			hp = batch + i * sz;
			second = i + 1 < bn && mm->ok[i + 1] ? hp + sz : NULL;
		}
	}
	if (!hp) {
		mm->st.reads++;
		kd_err *e = mm->mem.read_virt(mm->mem.ctx, head, tmp, 2 * sz);
		if (!e) {
			hp = tmp;
			second = tmp + sz;
		} else {
			kd_err_free(e);
			mm->st.read_errors++;
			mm->st.reads++;
			if ((e = mm->mem.read_virt(mm->mem.ctx, head, tmp, sz))) {
				char why[160];
				kd_err_format(e, why, sizeof(why));
				kd_err_free(e);
				mm->st.read_errors++;
				kd_mm_note(mm, "pfn %#llx: reading its compound head: %s",
					   (unsigned long long)pfn, why);
				return KD_PAGE_UNKNOWN;
			}
			hp = tmp;
		}
	}
	struct pg g;
	load(mm, hp, &g);
	enum kd_page_class c;
	unsigned order;
	if (!(g.flags & mm->pg_head) || (g.chead & 1)) {
		kd_mm_note(mm, "pfn %#llx: its compound head %#llx is not a head page",
			   (unsigned long long)pfn, (unsigned long long)head);
		c = KD_PAGE_UNKNOWN;
	} else {
		/* a poisoned head does not poison its tails; the tail's own flag was checked */
		g.flags &= ~mm->pg_hwpoison;
		c = classify_head(mm, pfn, &g, second, &order);
		if (c == KD_PAGE_FREE || c == KD_PAGE_OFFLINE) {
			/* free and offline pages are never compound */
			kd_mm_note(mm, "pfn %#llx: compound head %#llx is marked %s",
				   (unsigned long long)pfn, (unsigned long long)head,
				   kd_page_class_name(c));
			c = KD_PAGE_UNKNOWN;
		}
	}
	mm->head_valid = 1;
	mm->head_addr = head;
	mm->head_cls = (uint8_t)c;
	return c;
}

/* Read n struct pages at addr into mm->buf; mm->ok[i] says which could be read. A dump lacks
 * memory a page at a time, so when the batch cannot be read whole, it is read again one page of
 * the memory map at a time, and a struct page is readable when every piece of it was. */
static void read_batch(struct kd_mm *mm, uint64_t pfn, uint64_t addr, size_t n)
{
	const size_t sz = mm->sz_page;
	const uint64_t psz = 1ull << mm->page_shift;
	mm->st.reads++;
	kd_err *e = mm->mem.read_virt(mm->mem.ctx, addr, mm->buf, n * sz);
	memset(mm->ok, 1, n);
	if (!e)
		return;
	char why[200];
	kd_err_format(e, why, sizeof(why));
	kd_err_free(e);
	mm->st.read_errors++;
	const uint64_t end = addr + n * sz;
	for (uint64_t a = addr; a < end;) {
		uint64_t b = (a | (psz - 1)) + 1;
		if (b > end || b < a)
			b = end;
		mm->st.reads++;
		e = mm->mem.read_virt(mm->mem.ctx, a, mm->buf + (a - addr), (size_t)(b - a));
		if (e) {
			kd_err_free(e);
			mm->st.read_errors++;
			memset(mm->ok + (a - addr) / sz, 0, (size_t)((b - 1 - addr) / sz - (a - addr) / sz + 1));
		}
		a = b;
	}
	kd_mm_note(mm, "struct pages of pfns %#llx-%#llx: %s", (unsigned long long)pfn,
		   (unsigned long long)(pfn + n - 1), why);
}

/* Classify [start, end) inside one section that has a mem_map. */
static void classify_run(struct kd_mm *mm, uint64_t map, uint64_t start, uint64_t end,
			 uint8_t *cls)
{
	const uint64_t sz = mm->sz_page;
	uint64_t free_until = start;
	for (uint64_t b = start; b < end; b += mm->batch_pages) {
		size_t n = end - b < mm->batch_pages ? (size_t)(end - b) : mm->batch_pages;
		uint64_t baddr = map + b * sz;
		if (free_until >= b + n) {
			memset(cls, KD_PAGE_FREE, n);
			cls += n;
			continue;
		}
		read_batch(mm, b, baddr, n);
		for (size_t i = 0; i < n; i++) {
			uint64_t pfn = b + i;
			if (pfn < free_until) {
				cls[i] = KD_PAGE_FREE;
				continue;
			}
			if (!mm->ok[i]) {
				cls[i] = KD_PAGE_UNKNOWN;
				continue;
			}
			const uint8_t *p = mm->buf + i * sz;
			struct pg g;
			load(mm, p, &g);
			if (g.chead & 1) {
				cls[i] = (g.flags & mm->pg_hwpoison)
						 ? KD_PAGE_HWPOISON
						 : (uint8_t)classify_tail(mm, pfn, baddr + i * sz,
									  g.chead - 1, mm->buf, baddr, n);
				continue;
			}
			unsigned order;
			const uint8_t *second = i + 1 < n && mm->ok[i + 1] ? p + sz : NULL;
			cls[i] = (uint8_t)classify_head(mm, pfn, &g, second, &order);
			if (cls[i] == KD_PAGE_FREE)
				free_until = pfn + (1ull << order);
		}
		cls += n;
	}
}

kd_err *kd_mm_classify(struct kd_mm *mm, uint64_t start, uint64_t end, uint8_t *cls)
{
	uint64_t align = kd_mm_cycle_align(mm);
	if (start > end || end > mm->max_pfn || start % align || (end % align && end != mm->max_pfn))
		return kd_err_new(EINVAL, "classifying pfns [%#llx, %#llx): the range must lie below "
				  "max_pfn %#llx with its ends multiples of %#llx",
				  (unsigned long long)start, (unsigned long long)end,
				  (unsigned long long)mm->max_pfn, (unsigned long long)align);
	/* a tail's head from an earlier call may have been rewritten since: look it up afresh */
	mm->head_valid = 0;
	uint64_t per = 1ull << mm->section_pfn_shift;
	uint8_t *out = cls;
	for (uint64_t a = start; a < end;) {
		uint64_t nr = a >> mm->section_pfn_shift;
		uint64_t b = (nr + 1) * per;
		if (b > end || b < a)
			b = end;
		enum kd_section_state st = nr < mm->nr_sections ? mm->sec_state[nr] : KD_SEC_NONE;
		if (st == KD_SEC_MAP)
			classify_run(mm, mm->sec_map[nr], a, b, out);
		else
			memset(out, st == KD_SEC_BAD ? KD_PAGE_UNKNOWN : KD_PAGE_NO_STRUCT,
			       (size_t)(b - a));
		out += b - a;
		a = b;
	}
	for (uint64_t i = 0; i < end - start; i++)
		mm->st.pages[cls[i] < KD_PAGE_NCLASSES ? cls[i] : KD_PAGE_UNKNOWN]++;
	return NULL;
}

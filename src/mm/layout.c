/* The struct page layout, page->flags bits and page-type encodings of the dead kernel, from
 * VMCOREINFO alone. What 6.1 and 6.12 export differs:
 *   6.1:  PG_slab, PAGE_BUDDY/OFFLINE_MAPCOUNT_VALUE = ~PG_x (-129, -257), compound_dtor/order
 *         and HUGETLB_PAGE_DTOR (hugetlb is a destructor of the compound page).
 *   6.12: no PG_slab, no compound_dtor; PAGE_{BUDDY,OFFLINE,HUGETLB,SLAB}_MAPCOUNT_VALUE =
 *         PGTY_x << 24 (page types in the top byte of page_type); PG_hwpoison when
 *         CONFIG_MEMORY_FAILURE. */
#include <errno.h>
#include <string.h>

#include "mm/mm_priv.h"

static kd_err *need_offset(const struct kd_vmcoreinfo *vi, const char *name, uint32_t sz_page,
			   uint32_t *out)
{
	uint64_t v;
	kd_err *e = kd_vmcoreinfo_offset(vi, name, &v);
	if (e)
		return kd_err_wrap(e, "OFFSET(%s)", name);
	if (v > sz_page || sz_page - v < 8)
		return kd_err_new(EINVAL, "OFFSET(%s)=%llu does not fit a word in SIZE(page)=%u",
				  name, (unsigned long long)v, sz_page);
	*out = (uint32_t)v;
	return NULL;
}

/* NUMBER(PG_x) as a mask; 0 when absent. An exported bit number outside the word is an error. */
static kd_err *flag_mask(const struct kd_vmcoreinfo *vi, const char *name, int required,
			 uint64_t *out)
{
	int64_t bit;
	*out = 0;
	kd_err *e = kd_vmcoreinfo_number(vi, name, &bit);
	if (e) {
		if (kd_err_errnum(e) == ENOENT && !required) {
			kd_err_free(e);
			return NULL;
		}
		return kd_err_wrap(e, "NUMBER(%s)", name);
	}
	if (bit < 0 || bit > 63)
		return kd_err_new(EINVAL, "NUMBER(%s)=%lld is not a bit of page->flags", name,
				  (long long)bit);
	*out = 1ull << bit;
	return NULL;
}

static kd_err *page_type(const struct kd_vmcoreinfo *vi, const char *name, struct kd_page_type *t)
{
	int64_t v;
	memset(t, 0, sizeof(*t));
	kd_err *e = kd_vmcoreinfo_number(vi, name, &v);
	if (e) {
		if (kd_err_errnum(e) == ENOENT) {
			kd_err_free(e);
			return NULL;
		}
		return kd_err_wrap(e, "NUMBER(%s)", name);
	}
	if (v < INT32_MIN || v > (int64_t)UINT32_MAX)
		return kd_err_new(EINVAL, "NUMBER(%s)=%lld does not fit page_type", name, (long long)v);
	t->value = (uint32_t)v;
	/* A page type is never a plausible mapcount: it has the top bit set. */
	if (!(t->value & 0x80000000u))
		return kd_err_new(EINVAL, "NUMBER(%s)=%lld is not a page type", name, (long long)v);
	t->known = 1;
	t->top_byte = (t->value & 0x00ffffffu) == 0 && (t->value >> 24) != 0xff;
	return NULL;
}

kd_err *kd_mm_read_layout(struct kd_mm *mm, const struct kd_vmcoreinfo *vi)
{
	uint64_t v;
	kd_err *e = kd_vmcoreinfo_size(vi, "page", &v);
	if (e)
		return kd_err_wrap(e, "SIZE(page)");
	/* 64-bit struct page: at least flags, 5 words of union, _mapcount and _refcount */
	if (v < 56 || v > 512)
		return kd_err_new(EINVAL, "SIZE(page)=%llu is not a 64-bit struct page",
				  (unsigned long long)v);
	mm->sz_page = (uint32_t)v;
	if ((e = need_offset(vi, "page.flags", mm->sz_page, &mm->off_flags)) ||
	    (e = need_offset(vi, "page.mapping", mm->sz_page, &mm->off_mapping)) ||
	    (e = need_offset(vi, "page.private", mm->sz_page, &mm->off_private)) ||
	    (e = need_offset(vi, "page.compound_head", mm->sz_page, &mm->off_chead)))
		return e;
	if ((e = kd_vmcoreinfo_offset(vi, "page._mapcount", &v)))
		return kd_err_wrap(e, "OFFSET(page._mapcount)");
	if (v > mm->sz_page - 4)
		return kd_err_new(EINVAL, "OFFSET(page._mapcount)=%llu is outside SIZE(page)=%u",
				  (unsigned long long)v, mm->sz_page);
	mm->off_mapcount = (uint32_t)v;

	mm->off_dtor = -1;
	mm->hugetlb_dtor = -1;
	int64_t dtor;
	e = kd_vmcoreinfo_offset(vi, "page.compound_dtor", &v);
	if (!e)
		e = kd_vmcoreinfo_number(vi, "HUGETLB_PAGE_DTOR", &dtor);
	if (!e && v < mm->sz_page && dtor >= 0 && dtor < 256) {
		mm->off_dtor = (int64_t)v;
		mm->hugetlb_dtor = dtor;
	}
	kd_err_free(e);

	if ((e = flag_mask(vi, "PG_lru", 1, &mm->pg_lru)) ||
	    (e = flag_mask(vi, "PG_private", 1, &mm->pg_private)) ||
	    (e = flag_mask(vi, "PG_swapcache", 0, &mm->pg_swapcache)) ||
	    (e = flag_mask(vi, "PG_swapbacked", 0, &mm->pg_swapbacked)) ||
	    (e = flag_mask(vi, "PG_slab", 0, &mm->pg_slab)) ||
	    (e = flag_mask(vi, "PG_hwpoison", 0, &mm->pg_hwpoison)) ||
	    (e = flag_mask(vi, "PG_hugetlb", 0, &mm->pg_hugetlb)))
		return e;
	/* PG_head_mask is the mask itself, not a bit number */
	int64_t hm;
	if ((e = kd_vmcoreinfo_number(vi, "PG_head_mask", &hm)))
		return kd_err_wrap(e, "NUMBER(PG_head_mask)");
	if (hm <= 0 || (hm & (hm - 1)))
		return kd_err_new(EINVAL, "NUMBER(PG_head_mask)=%lld is not one bit", (long long)hm);
	mm->pg_head = (uint64_t)hm;
	mm->swapbacked_known = mm->pg_swapbacked != 0;

	if ((e = page_type(vi, "PAGE_BUDDY_MAPCOUNT_VALUE", &mm->ty_buddy)) ||
	    (e = page_type(vi, "PAGE_OFFLINE_MAPCOUNT_VALUE", &mm->ty_offline)) ||
	    (e = page_type(vi, "PAGE_SLAB_MAPCOUNT_VALUE", &mm->ty_slab)) ||
	    (e = page_type(vi, "PAGE_HUGETLB_MAPCOUNT_VALUE", &mm->ty_hugetlb)) ||
	    (e = page_type(vi, "PAGE_UNACCEPTED_MAPCOUNT_VALUE", &mm->ty_unaccepted)))
		return e;

	/* Buddy pages, in the old encodings, share _mapcount's word with slab's own fields: without
	 * a way to tell slab pages, a slab page could pass for a free block. */
	if (!mm->ty_buddy.known)
		kd_mm_note(mm, "VMCOREINFO has no NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE): free pages are kept");
	else if (!mm->ty_buddy.top_byte && !mm->pg_slab && !mm->ty_slab.known) {
		kd_mm_note(mm, "VMCOREINFO tells neither PG_slab nor PAGE_SLAB_MAPCOUNT_VALUE: free "
			   "pages are kept");
		mm->ty_buddy.known = 0;
	}
	if (!mm->ty_hugetlb.known && !mm->pg_hugetlb && mm->off_dtor < 0)
		kd_mm_note(mm, "VMCOREINFO does not tell hugetlb pages apart: those not mapped "
			   "anonymously are kept");

	/* The largest buddy block: LENGTH(zone.free_area) is the number of orders. */
	mm->max_order = 10;
	e = kd_vmcoreinfo_length(vi, "zone.free_area", &v);
	if (!e && v >= 1 && v <= 21)
		mm->max_order = (unsigned)v - 1;
	kd_err_free(e);
	return NULL;
}

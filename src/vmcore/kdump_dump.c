/* The kdump-compressed backend: makedumpfile's default output, QEMU's dump-guest-memory -z/-l/-s
 * (kdump-zlib, kdump-lzo, kdump-snappy), and the same inside a flattened stream (flat_dump.c
 * maps offsets; every read here goes through kd_dump_pread). Layout: vmcore/kdump_format.h.
 *
 * Both bitmaps are read at open (they bound what a hostile header can claim: they must lie in
 * the file). A page's descriptor index is its rank in the 2nd bitmap, found with a prefix count
 * per 4096 pfns. Decompressed pages and descriptor blocks are cached: the printk and page-table
 * walks read many small pieces of the same pages.
 *
 * QEMU's files (dump-guest-memory -z/-l/-s; QEMU 7.2 writes them flattened) differ from
 * makedumpfile's: dump_level 1, bitmaps sized for the whole guest-physical space, and a sub
 * header phys_base that QEMU parsed from VMCOREINFO's decimal NUMBER(phys_base) as hex. The
 * address translation takes phys_base from VMCOREINFO (x86_64.c), never from the sub
 * header. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "vmcore/dump_priv.h"
#include "vmcore/kdump_format.h"

#define MAX_NOTES_BYTES (64u << 20)
#define RANK_SPAN 4096            /* pfns per prefix count */
#define PAGE_CACHE 64             /* decompressed pages, direct-mapped by pfn */
#define DESC_CACHE 256            /* descriptors per cached block */
#define NCODECS 5

struct kdump_state {
	struct kd_disk_dump_header dh;
	struct kd_kdump_sub_header kh;
	int have_kh;
	uint64_t bitmap_len;          /* bytes of each bitmap as read (may be < on-disk length) */
	uint8_t *bm1, *bm2;
	uint64_t *rank;               /* set bits of bm2 before pfn i * RANK_SPAN */
	uint64_t desc_off, ndescs;
	/* descriptor block cache */
	struct kd_page_desc descs[DESC_CACHE];
	uint64_t desc_block;          /* first index cached, UINT64_MAX: none */
	size_t desc_count;
	/* page cache */
	uint8_t *pages;               /* PAGE_CACHE * page_size */
	uint64_t page_pfn[PAGE_CACHE];
	uint8_t page_valid[PAGE_CACHE];
	uint8_t *cbuf;                /* compressed data of one page */
	size_t cbuf_len;
	struct kd_codec_ctx *codec[NCODECS];
};

static const struct kd_format_ops kdump_ops;

static int bit(const uint8_t *bm, uint64_t i) { return bm[i / 8] >> (i % 8) & 1; }

static uint64_t rank_of(const struct kdump_state *k, uint64_t pfn)
{
	uint64_t r = k->rank[pfn / RANK_SPAN];
	uint64_t i = pfn / RANK_SPAN * RANK_SPAN;
	for (; i + 64 <= pfn; i += 64) {
		uint64_t w;
		memcpy(&w, k->bm2 + i / 8, 8);
		r += (uint64_t)__builtin_popcountll(w);
	}
	for (; i < pfn; i++)
		r += (uint64_t)bit(k->bm2, i);
	return r;
}

static kd_err *read_region(struct kd_dump *d, uint64_t off, uint64_t len, const char *what,
			   void **out)
{
	if (d->file_size && (off > d->file_size || len > d->file_size - off))
		return kd_err_new(EINVAL, "%s (%#llx bytes at %#llx) lies past the end of the file "
				  "(%#llx bytes)", what, (unsigned long long)len,
				  (unsigned long long)off, (unsigned long long)d->file_size);
	uint8_t *p = malloc(len ? (size_t)len : 1);
	if (!p)
		return kd_err_new(ENOMEM, "reading %s", what);
	kd_err *e = kd_dump_pread(d, off, p, (size_t)len);
	if (e) {
		free(p);
		return kd_err_wrap(e, "%s", what);
	}
	*out = p;
	return NULL;
}

kd_err *kd_dump_open_kdump(struct kd_dump *d, const uint8_t *head, size_t head_len)
{
	if (!d->format)
		d->format = "kdump-compressed";
	struct kdump_state *k = calloc(1, sizeof(*k));
	if (!k)
		return kd_err_new(ENOMEM, "kdump state");
	d->fmt = k;
	d->ops = &kdump_ops;
	k->desc_block = UINT64_MAX;
	if (head_len < sizeof(k->dh))
		return kd_err_new(EINVAL, "kdump header: the file is %zu bytes", head_len);
	memcpy(&k->dh, head, sizeof(k->dh));
	struct kd_disk_dump_header *dh = &k->dh;
	if (dh->header_version < 1 || dh->header_version > 64)
		return kd_err_new(ENOTSUP, "kdump header version %d", dh->header_version);
	uint32_t bs = (uint32_t)dh->block_size;
	if (dh->block_size < 1024 || bs > (1u << 20) || (bs & (bs - 1)))
		return kd_err_new(EINVAL, "kdump block size %d is not a power of two in 1K..1M",
				  dh->block_size);
	if (dh->sub_hdr_size < 0 || dh->bitmap_blocks == 0 || dh->bitmap_blocks % 2)
		return kd_err_new(EINVAL, "kdump header: sub header of %d blocks, %u bitmap blocks",
				  dh->sub_hdr_size, dh->bitmap_blocks);
	d->page_size = bs;
	for (int i = 0; i < 6; i++)
		dh->utsname[i][64] = 0;
	if (!strcmp(dh->utsname[4], "x86_64"))
		d->arch = &kd_arch_x86_64;

	uint64_t max_mapnr = dh->max_mapnr;
	kd_err *e;
	if (dh->sub_hdr_size > 0) {
		if ((e = kd_dump_pread(d, bs, &k->kh, sizeof(k->kh))))
			return kd_err_wrap(e, "kdump sub header");
		k->have_kh = 1;
		if (dh->header_version >= 6 && k->kh.max_mapnr_64)
			max_mapnr = k->kh.max_mapnr_64;
	}
	/* the bitmaps: bitmap_blocks / 2 blocks each, after the sub header */
	uint64_t bm_off = (1 + (uint64_t)dh->sub_hdr_size) * bs;
	uint64_t bm_len = (uint64_t)dh->bitmap_blocks / 2 * bs;
	if (max_mapnr > bm_len * 8)
		max_mapnr = bm_len * 8; /* a header claiming more than its bitmaps: believe these */
	d->max_pfn = max_mapnr;
	k->bitmap_len = (max_mapnr + 7) / 8;
	if ((e = read_region(d, bm_off, k->bitmap_len, "1st bitmap", (void **)&k->bm1)) ||
	    (e = read_region(d, bm_off + bm_len, k->bitmap_len, "2nd bitmap", (void **)&k->bm2)))
		return e;
	if (max_mapnr % 8) { /* bits past max_mapnr do not count */
		k->bm1[k->bitmap_len - 1] &= (uint8_t)((1u << (max_mapnr % 8)) - 1);
		k->bm2[k->bitmap_len - 1] &= (uint8_t)((1u << (max_mapnr % 8)) - 1);
	}
	size_t nrank = (size_t)(max_mapnr / RANK_SPAN + 1);
	k->rank = malloc(nrank * sizeof(*k->rank));
	if (!k->rank)
		return kd_err_new(ENOMEM, "kdump bitmap index");
	uint64_t total = 0;
	for (size_t r = 0; r < nrank; r++) {
		k->rank[r] = total;
		uint64_t a = (uint64_t)r * RANK_SPAN / 8, b = a + RANK_SPAN / 8;
		if (b > k->bitmap_len)
			b = k->bitmap_len;
		for (uint64_t i = a; i < b; i++)
			total += (uint64_t)__builtin_popcount(k->bm2[i]);
	}
	k->ndescs = total;
	k->desc_off = bm_off + 2 * bm_len;
	if (d->file_size && (k->desc_off > d->file_size ||
			     total > (d->file_size - k->desc_off) / sizeof(struct kd_page_desc)))
		return kd_err_new(EINVAL, "kdump: %llu page descriptors at %#llx do not fit in the "
				  "file", (unsigned long long)total, (unsigned long long)k->desc_off);

	/* notes (version 4+) and VMCOREINFO (version 3+) from the sub header area */
	if (k->have_kh && dh->header_version >= 4 && k->kh.size_note) {
		if (k->kh.size_note > MAX_NOTES_BYTES)
			return kd_err_new(EINVAL, "kdump notes of %llu bytes",
					  (unsigned long long)k->kh.size_note);
		void *blob;
		if ((e = read_region(d, k->kh.offset_note, k->kh.size_note, "kdump notes", &blob)))
			return e;
		if ((e = kd_dump_take_notes(d, blob, (size_t)k->kh.size_note)))
			return kd_err_wrap(e, "kdump notes");
	}
	if (!d->vmcoreinfo && k->have_kh && dh->header_version >= 3 && k->kh.size_vmcoreinfo) {
		if (k->kh.size_vmcoreinfo > MAX_NOTES_BYTES)
			return kd_err_new(EINVAL, "kdump VMCOREINFO of %llu bytes",
					  (unsigned long long)k->kh.size_vmcoreinfo);
		void *text;
		if ((e = read_region(d, k->kh.offset_vmcoreinfo, k->kh.size_vmcoreinfo,
				     "kdump VMCOREINFO", &text)))
			return e;
		e = kd_vmcoreinfo_parse(text, (size_t)k->kh.size_vmcoreinfo, &d->vmcoreinfo);
		free(text);
		if (e)
			return kd_err_wrap(e, "kdump VMCOREINFO");
	}
	if (k->have_kh) {
		d->has_dump_level = 1;
		d->dump_level = (uint32_t)k->kh.dump_level;
		d->phys_base = k->kh.phys_base;
	}
	d->incomplete = !!(dh->status & KD_DH_COMPRESSED_INCOMPLETE);
	k->pages = malloc((size_t)PAGE_CACHE * bs);
	k->cbuf_len = (size_t)bs * 2;
	k->cbuf = malloc(k->cbuf_len);
	if (!k->pages || !k->cbuf)
		return kd_err_new(ENOMEM, "kdump page cache");
	return NULL;
}

static kd_err *get_desc(struct kd_dump *d, uint64_t idx, struct kd_page_desc *out)
{
	struct kdump_state *k = d->fmt;
	if (k->desc_block == UINT64_MAX || idx < k->desc_block || idx >= k->desc_block + k->desc_count) {
		uint64_t first = idx / DESC_CACHE * DESC_CACHE;
		uint64_t n = k->ndescs - first < DESC_CACHE ? k->ndescs - first : DESC_CACHE;
		k->desc_block = UINT64_MAX;
		kd_err *e = kd_dump_pread(d, k->desc_off + first * sizeof(*out), k->descs,
					  (size_t)n * sizeof(*out));
		if (e)
			return kd_err_wrap(e, "page descriptor %llu", (unsigned long long)idx);
		k->desc_block = first;
		k->desc_count = (size_t)n;
	}
	*out = k->descs[idx - k->desc_block];
	return NULL;
}

static enum kd_codec codec_of(uint32_t flags)
{
	if (flags & KD_DH_COMPRESSED_ZLIB) return KD_CODEC_ZLIB;
	if (flags & KD_DH_COMPRESSED_LZO) return KD_CODEC_LZO;
	if (flags & KD_DH_COMPRESSED_SNAPPY) return KD_CODEC_SNAPPY;
	if (flags & KD_DH_COMPRESSED_ZSTD) return KD_CODEC_ZSTD;
	return KD_CODEC_NONE;
}

/* One page into out (page_size bytes). */
static kd_err *load_page(struct kd_dump *d, uint64_t pfn, uint8_t *out)
{
	struct kdump_state *k = d->fmt;
	uint32_t ps = d->page_size;
	if (pfn >= d->max_pfn || !bit(k->bm2, pfn))
		return kd_err_new(ENOENT, "page %#llx was excluded from the dump",
				  (unsigned long long)pfn);
	struct kd_page_desc pd = { 0 };
	uint64_t idx = rank_of(k, pfn);
	kd_err *e = get_desc(d, idx, &pd);
	if (e)
		return kd_err_wrap(e, "page %#llx", (unsigned long long)pfn);
	if (pd.offset == 0 && pd.size == 0 && d->incomplete)
		return kd_err_new(ENOENT, "page %#llx was not written: the dump is incomplete",
				  (unsigned long long)pfn);
	enum kd_codec c = codec_of(pd.flags);
	if (pd.size == 0 || pd.size > ps || (c == KD_CODEC_NONE && pd.size != ps))
		return kd_err_new(EINVAL, "page %#llx: descriptor %llu says %u bytes, flags %#x "
				  "(corrupt dump)", (unsigned long long)pfn, (unsigned long long)idx,
				  pd.size, pd.flags);
	if (c == KD_CODEC_NONE) {
		e = kd_dump_pread(d, pd.offset, out, ps);
		return kd_err_wrap(e, "page %#llx", (unsigned long long)pfn);
	}
	if ((e = kd_dump_pread(d, pd.offset, k->cbuf, pd.size)))
		return kd_err_wrap(e, "page %#llx", (unsigned long long)pfn);
	if (!k->codec[c] && (e = kd_codec_ctx_new(c, &k->codec[c])))
		return e;
	size_t n = ps;
	e = kd_codec_decompress(k->codec[c], k->cbuf, pd.size, out, &n);
	return kd_err_wrap(e, "page %#llx (%u bytes of %s at %#llx)", (unsigned long long)pfn,
			   pd.size, kd_codec_name(c), (unsigned long long)pd.offset);
}

static kd_err *cached_page(struct kd_dump *d, uint64_t pfn, const uint8_t **out)
{
	struct kdump_state *k = d->fmt;
	size_t slot = (size_t)(pfn % PAGE_CACHE);
	uint8_t *p = k->pages + slot * d->page_size;
	if (!k->page_valid[slot] || k->page_pfn[slot] != pfn) {
		k->page_valid[slot] = 0;
		kd_err *e = load_page(d, pfn, p);
		if (e)
			return e;
		k->page_valid[slot] = 1;
		k->page_pfn[slot] = pfn;
	}
	*out = p;
	return NULL;
}

static kd_err *kdump_read_phys(struct kd_dump *d, uint64_t paddr, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint32_t ps = d->page_size;
	while (len) {
		uint64_t pfn = paddr / ps, in = paddr % ps;
		size_t n = ps - in < len ? (size_t)(ps - in) : len;
		const uint8_t *page;
		kd_err *e = cached_page(d, pfn, &page);
		if (e)
			return kd_err_wrap(e, "physical address %#llx", (unsigned long long)paddr);
		memcpy(p, page + in, n);
		p += n;
		len -= n;
		paddr += n;
	}
	return NULL;
}

static void copy_bits(uint8_t *dst, const uint8_t *src, uint64_t start, uint64_t end)
{
	/* start is a multiple of 8 */
	uint64_t full = (end - start) / 8;
	memcpy(dst, src + start / 8, (size_t)full);
	for (uint64_t i = start + full * 8; i < end; i++)
		if (bit(src, i))
			dst[(i - start) / 8] |= (uint8_t)(1u << ((i - start) % 8));
}

static kd_err *kdump_pfn_bitmaps(struct kd_dump *d, uint64_t start, uint64_t end,
				 uint8_t *exists, uint8_t *held)
{
	struct kdump_state *k = d->fmt;
	if (exists)
		copy_bits(exists, k->bm1, start, end);
	if (held)
		copy_bits(held, k->bm2, start, end);
	return NULL;
}

static kd_err *kdump_read_pages(struct kd_dump *d, uint64_t pfn, size_t n, void *buf)
{
	uint8_t *out = buf;
	for (size_t i = 0; i < n; i++) {
		/* whole-page reads bypass the cache: the collector reads each page once */
		kd_err *e = load_page(d, pfn + i, out + i * (size_t)d->page_size);
		if (e)
			return e;
	}
	return NULL;
}

static void kdump_close(struct kd_dump *d)
{
	struct kdump_state *k = d->fmt;
	if (!k)
		return;
	free(k->bm1);
	free(k->bm2);
	free(k->rank);
	free(k->pages);
	free(k->cbuf);
	for (int i = 0; i < NCODECS; i++)
		kd_codec_ctx_free(k->codec[i]);
	free(k);
	d->fmt = NULL;
}

static const struct kd_format_ops kdump_ops = {
	.read_phys = kdump_read_phys,
	.pfn_bitmaps = kdump_pfn_bitmaps,
	.read_pages = kdump_read_pages,
	.close = kdump_close,
};

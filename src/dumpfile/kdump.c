/* The kdump-compressed writer. Layout and field meanings: vmcore/kdump_format.h.
 *
 * Descriptors and page data are gathered in buffers and written in big pieces. Any failed write
 * makes the writer refuse everything after it, so a failed dump keeps its incomplete flag. */
#define _GNU_SOURCE /* memmem */
#include "dumpfile/kdump.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vmcore/kdump_format.h"

#define DESC_BUF 4096          /* descriptors per write */
#define DATA_BUF (2u << 20)    /* page data per write */

struct kd_kdump {
	struct kd_sink *sink;
	struct kd_disk_dump_header dh;
	uint32_t page_size, codec_flag;
	uint64_t max_mapnr, num_dumpable;
	uint64_t bitmap_off, bitmap_len; /* 1st bitmap; the 2nd follows it */
	uint64_t desc_off, zero_off;
	int has_zero;              /* the shared zero page is written (dump level has bit 1) */
	uint64_t bitmaps_done;           /* pfns whose bitmap bits were written */
	uint64_t dumpable_seen;          /* bits set in the 2nd bitmap so far */
	uint64_t pages;                  /* descriptors given so far */
	struct kd_page_desc *descs;      /* buffered: descriptors [desc_first, pages) */
	uint64_t desc_first;
	uint8_t *data;                   /* buffered: data bytes [data_first, data_first + data_len) */
	uint64_t data_first;
	size_t data_len;
	kd_err *failed;                  /* sticky: why the writer stopped (kept for messages) */
};

static uint64_t div_up(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

static uint32_t codec_flag(enum kd_codec c)
{
	switch (c) {
	case KD_CODEC_ZLIB: return KD_DH_COMPRESSED_ZLIB;
	case KD_CODEC_LZO: return KD_DH_COMPRESSED_LZO;
	case KD_CODEC_SNAPPY: return KD_DH_COMPRESSED_SNAPPY;
	case KD_CODEC_ZSTD: return KD_DH_COMPRESSED_ZSTD;
	case KD_CODEC_NONE: break;
	}
	return 0;
}

/* Remember the first failure; later calls report it again instead of writing. */
static kd_err *fail(struct kd_kdump *w, kd_err *e)
{
	if (e && !w->failed) {
		char msg[512];
		kd_err_format(e, msg, sizeof(msg));
		w->failed = kd_err_new(kd_err_errnum(e), "%s", msg);
	}
	return e;
}

static kd_err *stopped(struct kd_kdump *w)
{
	if (!w->failed)
		return NULL;
	char msg[512];
	kd_err_format(w->failed, msg, sizeof(msg));
	return kd_err_new(kd_err_errnum(w->failed), "the dump writer stopped after an error: %s",
			  msg);
}

kd_err *kd_kdump_begin(struct kd_sink *s, const struct kd_kdump_meta *m, struct kd_kdump **out)
{
	uint32_t ps = m->page_size;
	if (ps < 1024 || ps > (1u << 20) || (ps & (ps - 1)))
		return kd_err_new(EINVAL, "kdump header: page size %u is not a power of two in "
				  "1K..1M", ps);
	if (!m->max_mapnr || m->num_dumpable > m->max_mapnr)
		return kd_err_new(EINVAL, "kdump header: %llu dumpable pages of max_mapnr %llu",
				  (unsigned long long)m->num_dumpable,
				  (unsigned long long)m->max_mapnr);
	uint64_t bits_per_block = (uint64_t)ps * 8;
	uint64_t bm_blocks = div_up(m->max_mapnr, bits_per_block);
	if (bm_blocks * 2 > UINT32_MAX)
		return kd_err_new(EINVAL, "kdump header: max_mapnr %llu needs too many bitmap blocks",
				  (unsigned long long)m->max_mapnr);

	/* VMCOREINFO is normally a note inside the blob: point at it there, as makedumpfile
	 * does; otherwise it follows the notes. */
	const uint8_t *notes = m->notes;
	size_t notes_len = m->notes ? m->notes_len : 0;
	uint64_t vmci_in_notes = UINT64_MAX;
	if (m->vmcoreinfo && m->vmcoreinfo_len && notes_len) {
		const uint8_t *v = (const uint8_t *)m->vmcoreinfo;
		if (v >= notes && v + m->vmcoreinfo_len <= notes + notes_len)
			vmci_in_notes = (uint64_t)(v - notes);
		else {
			const void *hit = memmem(notes, notes_len, v, m->vmcoreinfo_len);
			if (hit)
				vmci_in_notes = (uint64_t)((const uint8_t *)hit - notes);
		}
	}
	size_t extra_vmci = (m->vmcoreinfo && vmci_in_notes == UINT64_MAX) ? m->vmcoreinfo_len : 0;
	uint64_t sub_bytes = sizeof(struct kd_kdump_sub_header) + notes_len + extra_vmci;
	uint64_t sub_blocks = div_up(sub_bytes, ps);
	if (sub_blocks > INT32_MAX)
		return kd_err_new(EINVAL, "kdump header: %zu bytes of notes", notes_len);

	struct kd_kdump *w = calloc(1, sizeof(*w));
	if (!w)
		return kd_err_new(ENOMEM, "kdump writer");
	w->descs = malloc(DESC_BUF * sizeof(*w->descs));
	w->data = malloc(DATA_BUF);
	uint8_t *blk = calloc(1, (size_t)sub_blocks * ps);
	if (!w->descs || !w->data || !blk) {
		free(blk);
		kd_kdump_free(w);
		return kd_err_new(ENOMEM, "kdump writer");
	}
	w->sink = s;
	w->page_size = ps;
	w->codec_flag = codec_flag(m->codec);
	w->max_mapnr = m->max_mapnr;
	w->num_dumpable = m->num_dumpable;
	w->bitmap_off = (1 + sub_blocks) * ps;
	w->bitmap_len = bm_blocks * ps;
	w->desc_off = w->bitmap_off + 2 * w->bitmap_len;
	w->zero_off = w->desc_off + m->num_dumpable * sizeof(struct kd_page_desc);

	struct kd_disk_dump_header *dh = &w->dh;
	memcpy(dh->signature, KD_KDUMP_SIGNATURE, KD_KDUMP_SIG_LEN);
	dh->header_version = KD_KDUMP_VERSION;
	for (int i = 0; i < 6; i++) {
		memcpy(dh->utsname[i], m->utsname[i], 64);
		dh->utsname[i][64] = 0;
	}
	dh->tv_sec = m->time_sec;
	dh->tv_usec = m->time_usec;
	dh->status = w->codec_flag | KD_DH_COMPRESSED_INCOMPLETE;
	dh->block_size = (int32_t)ps;
	dh->sub_hdr_size = (int32_t)sub_blocks;
	dh->bitmap_blocks = (uint32_t)(bm_blocks * 2);
	dh->max_mapnr = m->max_mapnr > UINT32_MAX ? UINT32_MAX : (uint32_t)m->max_mapnr;
	dh->nr_cpus = m->nr_cpus;

	struct kd_kdump_sub_header kh = { 0 };
	kh.phys_base = m->phys_base;
	kh.dump_level = (int32_t)m->dump_level;
	kh.max_mapnr_64 = m->max_mapnr;
	uint64_t after_kh = (uint64_t)ps + sizeof(kh);
	if (notes_len) {
		kh.offset_note = after_kh;
		kh.size_note = notes_len;
		memcpy(blk + sizeof(kh), notes, notes_len);
	}
	if (m->vmcoreinfo && m->vmcoreinfo_len) {
		kh.size_vmcoreinfo = m->vmcoreinfo_len;
		if (vmci_in_notes != UINT64_MAX) {
			kh.offset_vmcoreinfo = after_kh + vmci_in_notes;
		} else {
			kh.offset_vmcoreinfo = after_kh + notes_len;
			memcpy(blk + sizeof(kh) + notes_len, m->vmcoreinfo, m->vmcoreinfo_len);
		}
	}
	memcpy(blk, &kh, sizeof(kh));

	/* the header block (marked incomplete), the sub header and notes, the zero page */
	uint8_t *hb = calloc(1, ps);
	kd_err *e = hb ? NULL : kd_err_new(ENOMEM, "kdump writer");
	if (!e) {
		memcpy(hb, dh, sizeof(*dh));
		e = kd_err_wrap(kd_sink_write(s, 0, hb, ps), "kdump header");
	}
	if (!e)
		e = kd_err_wrap(kd_sink_write(s, ps, blk, (size_t)sub_blocks * ps),
				"kdump sub header and notes");
	free(hb);
	free(blk);
	if (e) {
		kd_kdump_free(w);
		return e;
	}
	/* the shared zero page leads the data only when zero pages are excluded (-d bit 1): at
	 * other levels no descriptor can point at it, and makedumpfile leaves it out too */
	w->data_first = w->zero_off;
	kd_sink_streaming(w->sink, w->zero_off); /* page data: written once, in order */
	w->has_zero = (m->dump_level & 1) != 0;
	memset(w->data, 0, ps);
	w->data_len = w->has_zero ? ps : 0;
	*out = w;
	return NULL;
}

kd_err *kd_kdump_bitmaps(struct kd_kdump *w, uint64_t start, uint64_t end, const uint8_t *bm1,
			 const uint8_t *bm2)
{
	kd_err *e = stopped(w);
	if (e)
		return e;
	if (start != w->bitmaps_done || end <= start || end > w->max_mapnr)
		return fail(w, kd_err_new(EINVAL, "kdump bitmaps: cycle %#llx-%#llx after %#llx "
					  "(cycles must be in order and within max_mapnr %#llx)",
					  (unsigned long long)start, (unsigned long long)end,
					  (unsigned long long)w->bitmaps_done,
					  (unsigned long long)w->max_mapnr));
	size_t bytes = (size_t)div_up(end - start, 8);
	/* bits past `end` in the last byte must stay clear: the readers count them */
	uint8_t tail_mask = (end - start) % 8 ? (uint8_t)((1u << ((end - start) % 8)) - 1) : 0xff;
	uint64_t count = 0;
	for (size_t i = 0; i + 1 < bytes; i++)
		count += (uint64_t)__builtin_popcount(bm2[i]);
	count += (uint64_t)__builtin_popcount(bm2[bytes - 1] & tail_mask);
	if (count > w->num_dumpable - w->dumpable_seen)
		return fail(w, kd_err_new(EINVAL, "kdump bitmaps: cycle %#llx-%#llx dumps more pages "
					  "than the %llu announced", (unsigned long long)start,
					  (unsigned long long)end,
					  (unsigned long long)w->num_dumpable));
	uint64_t at = start / 8;
	if (tail_mask == 0xff) {
		e = kd_sink_write(w->sink, w->bitmap_off + at, bm1, bytes);
		if (!e)
			e = kd_sink_write(w->sink, w->bitmap_off + w->bitmap_len + at, bm2, bytes);
	} else {
		uint8_t *t = malloc(bytes * 2);
		if (!t)
			return fail(w, kd_err_new(ENOMEM, "kdump bitmaps"));
		memcpy(t, bm1, bytes);
		memcpy(t + bytes, bm2, bytes);
		t[bytes - 1] &= tail_mask;
		t[2 * bytes - 1] &= tail_mask;
		e = kd_sink_write(w->sink, w->bitmap_off + at, t, bytes);
		if (!e)
			e = kd_sink_write(w->sink, w->bitmap_off + w->bitmap_len + at, t + bytes, bytes);
		free(t);
	}
	if (e)
		return fail(w, kd_err_wrap(e, "kdump bitmaps for pfns %#llx-%#llx",
					   (unsigned long long)start, (unsigned long long)end));
	w->bitmaps_done = end;
	w->dumpable_seen += count;
	return NULL;
}

static kd_err *flush_data(struct kd_kdump *w)
{
	if (!w->data_len)
		return NULL;
	kd_err *e = kd_sink_write(w->sink, w->data_first, w->data, w->data_len);
	if (e)
		return fail(w, kd_err_wrap(e, "kdump page data"));
	w->data_first += w->data_len;
	w->data_len = 0;
	return NULL;
}

static kd_err *flush_descs(struct kd_kdump *w)
{
	size_t n = (size_t)(w->pages - w->desc_first);
	if (!n)
		return NULL;
	kd_err *e = kd_sink_write(w->sink, w->desc_off + w->desc_first * sizeof(*w->descs),
				  w->descs, n * sizeof(*w->descs));
	if (e)
		return fail(w, kd_err_wrap(e, "kdump page descriptors %llu-%llu",
					   (unsigned long long)w->desc_first,
					   (unsigned long long)(w->pages - 1)));
	w->desc_first = w->pages;
	return NULL;
}

static kd_err *add_desc(struct kd_kdump *w, uint64_t off, size_t len, uint32_t flags)
{
	if (w->pages >= w->dumpable_seen)
		return fail(w, kd_err_new(EINVAL, "kdump page %llu: more pages than the bitmaps "
					  "written so far dump (%llu)",
					  (unsigned long long)w->pages,
					  (unsigned long long)w->dumpable_seen));
	w->descs[w->pages - w->desc_first] = (struct kd_page_desc){ off, (uint32_t)len, flags, 0 };
	w->pages++;
	if (w->pages - w->desc_first == DESC_BUF)
		return flush_descs(w);
	return NULL;
}

kd_err *kd_kdump_zero_page(struct kd_kdump *w)
{
	kd_err *e = stopped(w);
	if (!e && !w->has_zero)
		e = fail(w, kd_err_new(EINVAL, "kdump writer: a shared zero page, but the dump level "
				       "has no bit 1 (zero pages are only shared then)"));
	return e ? e : add_desc(w, w->zero_off, w->page_size, 0);
}

kd_err *kd_kdump_page(struct kd_kdump *w, const void *data, size_t len, enum kd_codec how)
{
	kd_err *e = stopped(w);
	if (e)
		return e;
	uint32_t flag = codec_flag(how);
	if (how == KD_CODEC_NONE ? len != w->page_size : (len == 0 || len >= w->page_size))
		return fail(w, kd_err_new(EINVAL, "kdump page %llu: %zu bytes stored as %s",
					  (unsigned long long)w->pages, len, kd_codec_name(how)));
	if (flag && flag != w->codec_flag)
		return fail(w, kd_err_new(EINVAL, "kdump page %llu: codec %s, the header says "
					  "otherwise", (unsigned long long)w->pages,
					  kd_codec_name(how)));
	if (w->data_len + len > DATA_BUF && (e = flush_data(w)))
		return e;
	uint64_t off = w->data_first + w->data_len;
	if ((e = add_desc(w, off, len, flag)))
		return e;
	memcpy(w->data + w->data_len, data, len);
	w->data_len += len;
	return NULL;
}

kd_err *kd_kdump_finish(struct kd_kdump *w)
{
	kd_err *e = stopped(w);
	if (e)
		return e;
	if (w->bitmaps_done != w->max_mapnr || w->dumpable_seen != w->num_dumpable ||
	    w->pages != w->num_dumpable)
		return fail(w, kd_err_new(EINVAL, "kdump: finishing with bitmaps for %llu of %llu "
					  "pfns, %llu of %llu dumpable pages marked and %llu "
					  "written; the dump stays marked incomplete",
					  (unsigned long long)w->bitmaps_done,
					  (unsigned long long)w->max_mapnr,
					  (unsigned long long)w->dumpable_seen,
					  (unsigned long long)w->num_dumpable,
					  (unsigned long long)w->pages));
	if ((e = flush_data(w)) || (e = flush_descs(w)))
		return e;
	/* everything is written and on disk: only now may the header say so */
	if ((e = kd_sink_sync(w->sink)))
		return fail(w, kd_err_wrap(e, "before completing the kdump header"));
	w->dh.status &= ~(uint32_t)KD_DH_COMPRESSED_INCOMPLETE;
	e = kd_sink_write(w->sink, 0, &w->dh, sizeof(w->dh));
	if (!e)
		e = kd_sink_finish(w->sink);
	return fail(w, kd_err_wrap(e, "completing the kdump header"));
}

kd_err *kd_kdump_abort(struct kd_kdump *w)
{
	kd_err *e = stopped(w);
	if (e)
		return e;
	if ((e = flush_data(w)) || (e = flush_descs(w)))
		return e;
	/* nothing more may be written, finish included */
	w->failed = kd_err_new(ECANCELED, "the dump was abandoned (left incomplete)");
	return NULL;
}

void kd_kdump_free(struct kd_kdump *w)
{
	if (!w)
		return;
	kd_err_free(w->failed);
	free(w->descs);
	free(w->data);
	free(w);
}

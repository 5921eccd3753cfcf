/* The lockless printk ringbuffer (Linux 5.10+, kernel/printk/printk_ringbuffer.h).
 *
 * SYMBOL(prb) is the pointer `prb`, which points at a struct printk_ringbuffer:
 *   desc_ring:      count_bits, descs[1 << count_bits], infos[1 << count_bits], head_id, tail_id
 *   text_data_ring: size_bits, data[1 << size_bits]
 * A record id selects descs[id % count] and infos[id % count]. The descriptor's state_var holds
 * the id it currently describes and, in its two top bits, its state; only committed (1) and
 * finalized (2) records are readable. Its text block [begin, next) is given as logical positions
 * in the data ring: the block starts with the record id (one long), the text follows; a block
 * that would cross the end of the ring is stored at its start instead (begin's offset is then
 * past next's), and begin == next means a record without text.
 * Records run from tail_id to head_id inclusive, the oldest first, as vmcore-dmesg walks them. */
#include <errno.h>
#include <stdlib.h>

#include "printk/internal.h"

struct lockless {
	uint64_t descs, infos, data;
	uint64_t count, size; /* descriptors; bytes of text data */
	uint64_t id_mask;     /* ids are the state_var's bits below the two state bits */
	unsigned state_shift;
	uint64_t desc_size, info_size;
	uint64_t off_state, off_begin, off_next; /* within a prb_desc */
	uint64_t off_seq, off_ts, off_text_len, off_caller;
	int has_caller;
	char *text;
	unsigned unreadable; /* descriptors in a row whose state could not be read */
};

enum { DESC_COMMITTED = 1, DESC_FINALIZED = 2 };

/* The largest rings accepted: log_buf_len is at most 2^31 and there is one descriptor per
 * 2^5 bytes of it (PRB_AVGBITS). */
#define MAX_COUNT_BITS 26
#define MAX_SIZE_BITS 31
/* This many unreadable descriptors in a row: the descriptor array itself is not in the dump
 * (or descs is garbage); the walk stops rather than fail on each of up to 2^26. */
#define MAX_UNREADABLE 1024

static kd_err *layout(struct kd_pk_walk *w, struct lockless *l, uint64_t *rb, uint64_t *desc_ring,
		      uint64_t *text_ring, uint64_t *off_head, uint64_t *off_tail)
{
	uint64_t off_rb_desc, off_rb_text, off_count, off_descs, off_infos, off_size, off_data;
	uint64_t off_counter, off_text_lpos, off_lpos_begin, off_lpos_next, prb;
	kd_err *e;
	if ((e = kd_pk_symbol(w, "prb", &prb)))
		return e;
	w->long_size = kd_pk_long_size(prb);
	if ((e = kd_pk_size(w, "prb_desc", &l->desc_size)) ||
	    (e = kd_pk_size(w, "printk_info", &l->info_size)) ||
	    (e = kd_pk_offset(w, "printk_ringbuffer.desc_ring", &off_rb_desc)) ||
	    (e = kd_pk_offset(w, "printk_ringbuffer.text_data_ring", &off_rb_text)) ||
	    (e = kd_pk_offset(w, "prb_desc_ring.count_bits", &off_count)) ||
	    (e = kd_pk_offset(w, "prb_desc_ring.descs", &off_descs)) ||
	    (e = kd_pk_offset(w, "prb_desc_ring.infos", &off_infos)) ||
	    (e = kd_pk_offset(w, "prb_desc_ring.head_id", off_head)) ||
	    (e = kd_pk_offset(w, "prb_desc_ring.tail_id", off_tail)) ||
	    (e = kd_pk_offset(w, "prb_data_ring.size_bits", &off_size)) ||
	    (e = kd_pk_offset(w, "prb_data_ring.data", &off_data)) ||
	    (e = kd_pk_offset(w, "atomic_long_t.counter", &off_counter)) ||
	    (e = kd_pk_offset(w, "prb_desc.state_var", &l->off_state)) ||
	    (e = kd_pk_offset(w, "prb_desc.text_blk_lpos", &off_text_lpos)) ||
	    (e = kd_pk_offset(w, "prb_data_blk_lpos.begin", &off_lpos_begin)) ||
	    (e = kd_pk_offset(w, "prb_data_blk_lpos.next", &off_lpos_next)) ||
	    (e = kd_pk_offset(w, "printk_info.seq", &l->off_seq)) ||
	    (e = kd_pk_offset(w, "printk_info.ts_nsec", &l->off_ts)) ||
	    (e = kd_pk_offset(w, "printk_info.text_len", &l->off_text_len)))
		return e;
	/* caller_id (CONFIG_PRINTK_CALLER data) is only passed on; vmcore-dmesg does not print it */
	kd_err *opt = kd_pk_offset(w, "printk_info.caller_id", &l->off_caller);
	l->has_caller = !opt;
	kd_err_free(opt);

	l->off_state += off_counter;
	l->off_begin = off_text_lpos + off_lpos_begin;
	l->off_next = off_text_lpos + off_lpos_next;
	off_head[0] += off_counter;
	off_tail[0] += off_counter;
	if (l->off_state + w->long_size > l->desc_size || l->off_begin + w->long_size > l->desc_size ||
	    l->off_next + w->long_size > l->desc_size)
		return kd_err_new(0, "VMCOREINFO SIZE(prb_desc)=%llu is smaller than its fields",
				  (unsigned long long)l->desc_size);
	if (l->off_seq + 8 > l->info_size || l->off_ts + 8 > l->info_size ||
	    l->off_text_len + 2 > l->info_size || (l->has_caller && l->off_caller + 4 > l->info_size))
		return kd_err_new(0, "VMCOREINFO SIZE(printk_info)=%llu is smaller than its fields",
				  (unsigned long long)l->info_size);

	if ((e = kd_pk_ulong(w, prb, rb)))
		return kd_err_wrap(e, "reading the pointer prb at %#llx", (unsigned long long)prb);
	*desc_ring = *rb + off_rb_desc;
	*text_ring = *rb + off_rb_text;
	uint32_t count_bits, size_bits;
	if ((e = kd_pk_u32(w, *desc_ring + off_count, &count_bits)) ||
	    (e = kd_pk_ulong(w, *desc_ring + off_descs, &l->descs)) ||
	    (e = kd_pk_ulong(w, *desc_ring + off_infos, &l->infos)))
		return kd_err_wrap(e, "reading the descriptor ring at %#llx",
				   (unsigned long long)*desc_ring);
	if ((e = kd_pk_u32(w, *text_ring + off_size, &size_bits)) ||
	    (e = kd_pk_ulong(w, *text_ring + off_data, &l->data)))
		return kd_err_wrap(e, "reading the text data ring at %#llx",
				   (unsigned long long)*text_ring);
	if (count_bits > MAX_COUNT_BITS)
		return kd_err_new(0, "the descriptor ring claims 2^%u descriptors", count_bits);
	if (size_bits > MAX_SIZE_BITS || (1ULL << size_bits) <= w->long_size)
		return kd_err_new(0, "the text data ring claims 2^%u bytes", size_bits);
	l->count = 1ULL << count_bits;
	l->size = 1ULL << size_bits;
	l->state_shift = w->long_size * 8 - 2;
	l->id_mask = (1ULL << l->state_shift) - 1;
	return NULL;
}

/* One record; the ones that are not committed are skipped as vmcore-dmesg skips them. */
static kd_err *record(struct kd_pk_walk *w, struct lockless *l, uint64_t id)
{
	uint64_t idx = id & (l->count - 1);
	uint64_t desc = l->descs + idx * l->desc_size, info = l->infos + idx * l->info_size;
	kd_err *e;

	/* Only the fields are read, not whole structs: SIZE(printk_info) includes dev_info. */
	uint64_t state_var, begin, next;
	if ((e = kd_pk_ulong(w, desc + l->off_state, &state_var))) {
		kd_pk_damage_err(w, e, "descriptor %llu", (unsigned long long)id);
		l->unreadable++;
		return NULL;
	}
	l->unreadable = 0;
	uint64_t sv_id = state_var & l->id_mask, state = (state_var >> l->state_shift) & 3;
	if (sv_id != id || (state != DESC_COMMITTED && state != DESC_FINALIZED)) {
		w->st->skipped++;
		return NULL;
	}
	uint64_t seq = 0, ts = 0;
	uint16_t text_len = 0;
	uint32_t caller = 0;
	if ((e = kd_pk_ulong(w, desc + l->off_begin, &begin)) ||
	    (e = kd_pk_ulong(w, desc + l->off_next, &next)) ||
	    (e = kd_pk_u64(w, info + l->off_seq, &seq)) ||
	    (e = kd_pk_u64(w, info + l->off_ts, &ts)) ||
	    (e = kd_pk_u16(w, info + l->off_text_len, &text_len)) ||
	    (l->has_caller && (e = kd_pk_u32(w, info + l->off_caller, &caller)))) {
		kd_pk_damage_err(w, e, "record %llu", (unsigned long long)id);
		return NULL;
	}

	struct kd_printk_record r = {
		.kind = KD_PRINTK_RECORD, .seq = seq, .ts_nsec = ts, .text = l->text,
		.has_caller_id = l->has_caller, .caller_id = caller,
	};
	uint64_t b = begin & (l->size - 1), n = next & (l->size - 1);
	if (b != n) {
		if (b > n) /* wrapped: the block was placed at the start of the ring */
			b = 0;
		b += w->long_size; /* the block starts with the record's id */
		if (b > n) {
			kd_pk_damage(w, "record seq %llu: text block [%#llx, %#llx) is too short for "
				     "its header", (unsigned long long)seq, (unsigned long long)begin,
				     (unsigned long long)next);
			return NULL;
		}
		r.len = text_len;
		if (n - b < r.len) {
			/* vmcore-dmesg shows what the block holds */
			r.len = n - b;
			r.truncated = 1;
			kd_pk_damage(w, "record seq %llu: text_len %u exceeds its data block (%llu "
				     "bytes); shown truncated", (unsigned long long)seq, text_len,
				     (unsigned long long)(n - b));
		}
		if (r.len && (e = kd_mem_read(w->mem, l->data + b, l->text, r.len))) {
			kd_pk_damage_err(w, e, "record seq %llu: reading %zu bytes of text at %#llx",
					 (unsigned long long)seq, r.len,
					 (unsigned long long)(l->data + b));
			return NULL;
		}
	}
	return kd_pk_emit(w, &r);
}

kd_err *kd_pk_walk_lockless(struct kd_pk_walk *w)
{
	struct lockless l = { 0 };
	uint64_t rb = 0, desc_ring = 0, text_ring = 0, off_head = 0, off_tail = 0, head, tail;
	kd_err *e = layout(w, &l, &rb, &desc_ring, &text_ring, &off_head, &off_tail);
	if (e)
		return kd_err_wrap(e, "locating the printk ringbuffer");
	if ((e = kd_pk_ulong(w, desc_ring + off_head, &head)) ||
	    (e = kd_pk_ulong(w, desc_ring + off_tail, &tail)))
		return kd_err_wrap(e, "reading head_id/tail_id of the descriptor ring");
	if ((head & ~l.id_mask) || (tail & ~l.id_mask))
		kd_pk_damage(w, "head_id %#llx or tail_id %#llx has state bits set",
			     (unsigned long long)head, (unsigned long long)tail);
	head &= l.id_mask;
	tail &= l.id_mask;
	/* More ids than descriptors cannot all be present: show the newest that can be. */
	uint64_t n = (head - tail) & l.id_mask;
	if (n >= l.count) {
		kd_pk_damage(w, "tail_id %llu and head_id %llu are %llu apart, more than the %llu "
			     "descriptors; showing the newest", (unsigned long long)tail,
			     (unsigned long long)head, (unsigned long long)n,
			     (unsigned long long)l.count);
		n = l.count - 1;
		tail = (head - n) & l.id_mask;
	}
	l.text = malloc(KD_PK_TEXT_MAX);
	if (!l.text)
		return kd_err_new(ENOMEM, "reading the printk ringbuffer");
	for (uint64_t i = 0; i <= n && !e; i++) {
		e = record(w, &l, (tail + i) & l.id_mask);
		if (l.unreadable >= MAX_UNREADABLE && i < n) {
			w->st->damaged += n - i; /* counted as lost; the first reason is kept */
			break;
		}
	}
	free(l.text);
	return e;
}

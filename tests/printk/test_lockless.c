/* The lockless ringbuffer (5.10+) on synthetic memory laid out as the kernel lays it out, with
 * the offsets of Debian's 6.12 (64-bit) and of a 32-bit build. Records are written the way the
 * kernel's data_alloc() writes them, so wrapping follows the kernel's rules. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fakemem.h"
#include "test.h"

struct lk {
	struct fake_mem f;
	int ls;            /* long size */
	uint64_t prb, rb, descs, infos, data;
	unsigned count_bits, size_bits;
	uint64_t next_id, head_lpos;
	int have_tail;
	uint64_t tail_id;
};

enum { RESERVED = 0, COMMITTED = 1, FINALIZED = 2, REUSABLE = 3 };

/* offsets within struct printk_ringbuffer / prb_desc_ring / prb_data_ring */
static uint64_t off_head(const struct lk *l) { return l->ls == 8 ? 24 : 12; }
static uint64_t off_tail(const struct lk *l) { return l->ls == 8 ? 32 : 16; }
static uint64_t text_ring(const struct lk *l) { return l->rb + (l->ls == 8 ? 48 : 20); }
static uint64_t desc_size(const struct lk *l) { return (uint64_t)l->ls * 3; }
#define INFO_SIZE 88

static void put_long(struct lk *l, uint64_t a, uint64_t v)
{
	if (l->ls == 8)
		fake_put64(&l->f, a, v);
	else
		fake_put32(&l->f, a, (uint32_t)v);
}

static void lk_init(struct lk *l, int ls, unsigned count_bits, unsigned size_bits,
		    uint64_t first_id, uint64_t first_lpos)
{
	memset(l, 0, sizeof(*l));
	l->ls = ls;
	uint64_t base = ls == 8 ? 0xffffffff81000000ULL : 0xc1000000ULL;
	fake_init(&l->f, base, 0x20000);
	l->prb = base + 0x40;
	l->rb = base + 0x100;
	l->descs = base + 0x1000;
	l->infos = base + 0x4000;
	l->data = base + 0x10000;
	l->count_bits = count_bits;
	l->size_bits = size_bits;
	l->next_id = first_id;
	l->head_lpos = first_lpos;
	put_long(l, l->prb, l->rb);
	fake_put32(&l->f, l->rb, count_bits);
	put_long(l, l->rb + (uint64_t)ls, l->descs);
	put_long(l, l->rb + 2 * (uint64_t)ls, l->infos);
	fake_put32(&l->f, text_ring(l), size_bits);
	put_long(l, text_ring(l) + (uint64_t)ls, l->data);

	struct fake_mem *f = &l->f;
	fake_vi(f, "OSRELEASE=6.12.0-test");
	fake_vi(f, "SYMBOL(prb)=%llx", (unsigned long long)l->prb);
	fake_vi(f, "SIZE(printk_ringbuffer)=%d", ls == 8 ? 88 : 44);
	fake_vi(f, "OFFSET(printk_ringbuffer.desc_ring)=0");
	fake_vi(f, "OFFSET(printk_ringbuffer.text_data_ring)=%d", ls == 8 ? 48 : 20);
	fake_vi(f, "OFFSET(prb_desc_ring.count_bits)=0");
	fake_vi(f, "OFFSET(prb_desc_ring.descs)=%d", ls);
	fake_vi(f, "OFFSET(prb_desc_ring.infos)=%d", 2 * ls);
	fake_vi(f, "OFFSET(prb_desc_ring.head_id)=%d", (int)off_head(l));
	fake_vi(f, "OFFSET(prb_desc_ring.tail_id)=%d", (int)off_tail(l));
	fake_vi(f, "SIZE(prb_desc)=%d", 3 * ls);
	fake_vi(f, "OFFSET(prb_desc.state_var)=0");
	fake_vi(f, "OFFSET(prb_desc.text_blk_lpos)=%d", ls);
	fake_vi(f, "OFFSET(prb_data_blk_lpos.begin)=0");
	fake_vi(f, "OFFSET(prb_data_blk_lpos.next)=%d", ls);
	fake_vi(f, "SIZE(printk_info)=%d", INFO_SIZE);
	fake_vi(f, "OFFSET(printk_info.seq)=0");
	fake_vi(f, "OFFSET(printk_info.ts_nsec)=8");
	fake_vi(f, "OFFSET(printk_info.text_len)=16");
	fake_vi(f, "OFFSET(printk_info.caller_id)=20");
	fake_vi(f, "OFFSET(prb_data_ring.size_bits)=0");
	fake_vi(f, "OFFSET(prb_data_ring.data)=%d", ls);
	fake_vi(f, "OFFSET(atomic_long_t.counter)=0");
	fake_vi(f, "CRASHTIME=1795383435");
}

static uint64_t id_mask(const struct lk *l)
{
	return l->ls == 8 ? (1ULL << 62) - 1 : (1ULL << 30) - 1;
}

static void put_desc(struct lk *l, uint64_t id, int state, uint64_t begin, uint64_t next)
{
	uint64_t d = l->descs + (id & ((1ULL << l->count_bits) - 1)) * desc_size(l);
	uint64_t shift = (uint64_t)l->ls * 8 - 2;
	put_long(l, d, ((uint64_t)state << shift) | (id & id_mask(l)));
	put_long(l, d + (uint64_t)l->ls, begin);
	put_long(l, d + 2 * (uint64_t)l->ls, next);
}

static void put_info(struct lk *l, uint64_t id, uint64_t seq, uint64_t ts, uint16_t text_len,
		     uint32_t caller)
{
	uint64_t i = l->infos + (id & ((1ULL << l->count_bits) - 1)) * INFO_SIZE;
	fake_put64(&l->f, i, seq);
	fake_put64(&l->f, i + 8, ts);
	fake_put16(&l->f, i + 16, text_len);
	fake_put32(&l->f, i + 20, caller);
}

/* As the kernel's data_alloc()/get_next_lpos(): the id, then the text, padded to a long; a
 * block that would reach the end of the ring goes to its start. Returns the new record's id. */
static uint64_t lk_log(struct lk *l, int state, uint64_t ts, const char *text, size_t len)
{
	uint64_t id = l->next_id & id_mask(l), seq = id; /* seq == id is enough here */
	uint64_t size = 1ULL << l->size_bits;
	if (!len) { /* data-less: NO_LPOS */
		put_desc(l, id, state, 3, 3);
	} else {
		uint64_t bsize = ((uint64_t)l->ls + len + (uint64_t)l->ls - 1) & ~((uint64_t)l->ls - 1);
		uint64_t begin = l->head_lpos, next = begin + bsize, at = begin & (size - 1);
		if ((begin >> l->size_bits) != (next >> l->size_bits)) {
			next = (next & ~(size - 1)) + bsize;
			at = 0;
		}
		put_long(l, l->data + at, id);
		fake_put(&l->f, l->data + at + (uint64_t)l->ls, text, len);
		put_desc(l, id, state, begin, next);
		l->head_lpos = next;
	}
	put_info(l, id, seq, ts, (uint16_t)len, 0x80000000u | (uint32_t)id);
	put_long(l, l->rb + off_head(l), id);
	if (!l->have_tail) {
		put_long(l, l->rb + off_tail(l), id);
		l->have_tail = 1;
	}
	l->next_id = id + 1;
	return id;
}

static void set_tail(struct lk *l, uint64_t id)
{
	put_long(l, l->rb + off_tail(l), id);
}

static void check_output(struct lk *l, const char *omit, const char *want, const char *want_err)
{
	fake_finish(&l->f, omit);
	char *err;
	struct kd_printk_stats st;
	char *out = fake_dmesg(&l->f, &err, &st);
	CHECK_STR(out, want);
	if (want_err) {
		CHECK(err != NULL);
		if (err && !strstr(err, want_err)) {
			CHECK_STR(err, want_err);
		}
	} else {
		CHECK_STR(err ? err : "(no error)", "(no error)");
	}
	CHECK(st.format == KD_PRINTK_LOCKLESS);
	free(out);
	free(err);
}

static void basic_records(void)
{
	struct lk l;
	lk_init(&l, 8, 4, 10, 0, 0);
	lk_log(&l, FINALIZED, 0, "Linux version 6.12.0", 20);
	lk_log(&l, FINALIZED, 1500000000ULL, "two\nlines", 9);
	/* tab and CR are white space: as they are; 0x01, 0x7f, 0xe9 are escaped */
	lk_log(&l, FINALIZED, 12345678901ULL, "a\tb\rc\x01\x7f\xe9", 8);
	lk_log(&l, FINALIZED, 2000000999ULL, "", 0); /* data-less: an empty line */
	lk_log(&l, COMMITTED, 123456789012345678ULL, "committed", 9);
	check_output(&l, NULL,
		     "[    0.000000] Linux version 6.12.0\n"
		     "[    1.500000] two\nlines\n"
		     "[   12.345678] a\tb\rc\\x01\\x7f\\xe9\n"
		     "[    2.000000] \n"
		     "[123456789.012345] committed\n", NULL);
	fake_free(&l.f);
}

/* The callback sees raw text, seq, caller_id; an error from it stops the walk. */
struct collect {
	int n, stop_at;
	uint64_t seq[8];
	uint32_t caller[8];
	char text[8][32];
};

static kd_err *collect_fn(void *arg, const struct kd_printk_record *r)
{
	struct collect *c = arg;
	if (c->n == c->stop_at)
		return kd_err_new(ECANCELED, "stop");
	c->seq[c->n] = r->seq;
	c->caller[c->n] = r->has_caller_id ? r->caller_id : 0;
	snprintf(c->text[c->n], sizeof(c->text[0]), "%.*s", (int)r->len, r->text);
	c->n++;
	return NULL;
}

static void callback_records(void)
{
	struct lk l;
	lk_init(&l, 8, 3, 9, 100, 0);
	lk_log(&l, FINALIZED, 5, "one", 3);
	lk_log(&l, FINALIZED, 6, "t\x02o", 3);
	lk_log(&l, FINALIZED, 7, "three", 5);
	struct kd_mem *m = fake_finish(&l.f, NULL);
	struct collect c = { .stop_at = -1 };
	struct kd_printk_stats st;
	CHECK_OK(kd_printk_walk(m, collect_fn, &c, &st));
	CHECK_U64(c.n, 3);
	CHECK_U64(st.shown, 3);
	CHECK_U64(st.damaged, 0);
	CHECK_U64(c.seq[0], 100);
	CHECK_U64(c.seq[2], 102);
	CHECK_U64(c.caller[1], 0x80000065);
	CHECK_STR(c.text[1], "t\x02o");
	CHECK_STR(c.text[2], "three");

	struct collect c2 = { .stop_at = 1 };
	kd_err *e = kd_printk_walk(m, collect_fn, &c2, &st);
	CHECK(e && kd_err_errnum(e) == ECANCELED);
	kd_err_free(e);
	CHECK_U64(c2.n, 1);
	fake_free(&l.f);
}

/* Ids past the descriptor count, a text ring that wrapped several times, one block placed at
 * the start because it would have crossed the end, the oldest records overwritten. */
static void wrapped_rings(void)
{
	struct lk l;
	/* 8 descriptors, 256 bytes of text; lpos starts 5 wraps in, 40 bytes before the end */
	lk_init(&l, 8, 3, 8, 8 * 7 + 5, 5 * 256 + 216);
	lk_log(&l, FINALIZED, 1000, "fits before the end", 19);   /* 8+19 -> 32 bytes: 216..248 */
	lk_log(&l, FINALIZED, 2000, "wraps to the start", 18);    /* 248+32 crosses: at 0 */
	lk_log(&l, FINALIZED, 3000, "after the wrap", 14);
	for (int i = 0; i < 6; i++) {
		char t[16];
		int n = snprintf(t, sizeof(t), "msg %d", i);
		lk_log(&l, FINALIZED, 4000 + (uint64_t)i * 1000, t, (size_t)n);
	}
	/* 9 records in 8 descriptors: the first one's descriptor now holds the last; the kernel's
	 * tail then points at the second */
	set_tail(&l, 8 * 7 + 6);
	check_output(&l, NULL,
		     "[    0.000002] wraps to the start\n"
		     "[    0.000003] after the wrap\n"
		     "[    0.000004] msg 0\n"
		     "[    0.000005] msg 1\n"
		     "[    0.000006] msg 2\n"
		     "[    0.000007] msg 3\n"
		     "[    0.000008] msg 4\n"
		     "[    0.000009] msg 5\n", NULL);
	fake_free(&l.f);
}

/* Descriptors a writer held at the crash, or free ones, or ones describing another id, are
 * skipped without a word, as vmcore-dmesg skips them. */
static void uncommitted_skipped(void)
{
	struct lk l;
	lk_init(&l, 8, 3, 10, 40, 0);
	lk_log(&l, REUSABLE, 1, "free", 4);
	lk_log(&l, FINALIZED, 2, "kept", 4);
	uint64_t other = lk_log(&l, FINALIZED, 3, "other id", 8);
	put_desc(&l, other, FINALIZED, 0, 0);
	uint64_t d = l.descs + (other & 7) * desc_size(&l);
	put_long(&l, d, (2ULL << 62) | (other + 8)); /* a stale id from the next round */
	lk_log(&l, FINALIZED, 4, "kept too", 8);
	lk_log(&l, RESERVED, 5, "being written", 13);
	fake_finish(&l.f, NULL);
	char *err;
	struct kd_printk_stats st;
	char *out = fake_dmesg(&l.f, &err, &st);
	CHECK_STR(out, "[    0.000000] kept\n[    0.000000] kept too\n");
	CHECK(err == NULL);
	CHECK_U64(st.skipped, 3);
	CHECK_U64(st.shown, 2);
	free(out);
	free(err);
	fake_free(&l.f);
}

/* text_len larger than the block: vmcore-dmesg shows what the block holds; so do we, and say so. */
static void text_len_beyond_block(void)
{
	struct lk l;
	lk_init(&l, 8, 3, 10, 0, 0);
	lk_log(&l, FINALIZED, 1, "first", 5);
	uint64_t id = lk_log(&l, FINALIZED, 2, "short", 5); /* block: 8 + 8 bytes */
	put_info(&l, id, id, 2, 500, 0);
	lk_log(&l, FINALIZED, 3, "third", 5);
	/* the block holds "short" and 3 bytes of padding (zeros): escaped like any byte */
	check_output(&l, NULL,
		     "[    0.000000] first\n"
		     "[    0.000000] short\\x00\\x00\\x00\n"
		     "[    0.000000] third\n",
		     "1 record of the lockless ringbuffer could not be shown in full; the first: "
		     "record seq 1: text_len 500 exceeds its data block (8 bytes); shown truncated");
	fake_free(&l.f);
}

static void corrupt_descriptors(void)
{
	struct lk l;
	lk_init(&l, 8, 3, 8, 0, 0);
	lk_log(&l, FINALIZED, 1, "good", 4);
	uint64_t bad = lk_log(&l, FINALIZED, 2, "bad lpos", 8);
	/* next's offset 4 is before begin's header ends: the block cannot hold an id */
	put_desc(&l, bad, FINALIZED, 256 + 200, 512 + 4);
	lk_log(&l, FINALIZED, 3, "good again", 10);
	check_output(&l, NULL, "[    0.000000] good\n[    0.000000] good again\n",
		     "text block [0x1c8, 0x204) is too short for its header");

	/* an unreadable descriptor (excluded page) loses that record only */
	l.f.hole_start = l.descs + desc_size(&l);
	l.f.hole_end = l.f.hole_start + 1;
	check_output(&l, NULL, "[    0.000000] good\n[    0.000000] good again\n",
		     "descriptor 1: reading 8 bytes at");
	/* unreadable text */
	l.f.hole_start = l.data + 8;
	l.f.hole_end = l.data + 9;
	check_output(&l, NULL, "[    0.000000] good again\n", "record seq 0: reading 4 bytes of text");
	fake_free(&l.f);
}

/* head_id/tail_id from garbage: never more than one pass over the descriptors. */
static void ids_out_of_range(void)
{
	struct lk l;
	lk_init(&l, 8, 3, 10, 0, 0);
	for (int i = 0; i < 3; i++)
		lk_log(&l, FINALIZED, 1, "x", 1);
	set_tail(&l, 0x123456789ULL); /* "tail" far after head: would walk 2^62 ids */
	l.f.reads = 0;
	check_output(&l, NULL, "[    0.000000] x\n[    0.000000] x\n[    0.000000] x\n",
		     "are 4611686013540669561 apart, more than the 8 descriptors; showing the newest");
	CHECK(l.f.reads < 8 * 8 + 40);
	/* state bits in head_id */
	put_long(&l, l.rb + off_head(&l), (3ULL << 62) | 2);
	set_tail(&l, 0);
	check_output(&l, NULL, "[    0.000000] x\n[    0.000000] x\n[    0.000000] x\n",
		     "has state bits set");
	fake_free(&l.f);
}

static void missing_keys(void)
{
	static const char *const keys[] = {
		"OFFSET(prb_desc_ring.tail_id)", "SIZE(printk_info)", "OFFSET(printk_info.text_len)",
		"OFFSET(atomic_long_t.counter)", "OFFSET(prb_data_ring.data)",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct lk l;
		lk_init(&l, 8, 3, 10, 0, 0);
		lk_log(&l, FINALIZED, 1, "x", 1);
		char want[128];
		snprintf(want, sizeof(want), "VMCOREINFO has no %s", keys[i]);
		check_output(&l, keys[i], "", want);
		fake_free(&l.f);
	}
	/* caller_id is optional */
	struct lk l;
	lk_init(&l, 8, 3, 10, 0, 0);
	lk_log(&l, FINALIZED, 1, "x", 1);
	check_output(&l, "OFFSET(printk_info.caller_id)", "[    0.000000] x\n", NULL);
	fake_free(&l.f);
}

static void bad_control_data(void)
{
	struct lk l;
	lk_init(&l, 8, 3, 10, 0, 0);
	lk_log(&l, FINALIZED, 1, "x", 1);
	fake_put32(&l.f, l.rb, 200); /* count_bits */
	check_output(&l, NULL, "", "the descriptor ring claims 2^200 descriptors");
	fake_put32(&l.f, l.rb, 3);
	fake_put32(&l.f, text_ring(&l), 0xffffffff);
	check_output(&l, NULL, "", "the text data ring claims 2^4294967295 bytes");
	fake_put32(&l.f, text_ring(&l), 10);
	put_long(&l, l.prb, 0x1234); /* prb points nowhere */
	check_output(&l, NULL, "", "reading the descriptor ring at 0x1234");
	fake_free(&l.f);
}

/* descs pointing outside the dump with a million descriptors: a bounded number of reads. */
static void unreadable_descriptors(void)
{
	struct lk l;
	lk_init(&l, 8, 20, 10, 0, 0);
	put_long(&l, l.rb + 8, 0xffff888000000000ULL); /* descs */
	put_long(&l, l.rb + off_tail(&l), 0);
	put_long(&l, l.rb + off_head(&l), (1 << 20) - 1);
	l.f.reads = 0;
	fake_finish(&l.f, NULL);
	char *err;
	struct kd_printk_stats st;
	char *out = fake_dmesg(&l.f, &err, &st);
	CHECK_STR(out, "");
	CHECK_U64(st.damaged, 1 << 20);
	CHECK(l.f.reads < 1100);
	CHECK(err && strstr(err, "1048576 records of the lockless ringbuffer could not be shown in "
			    "full; the first: descriptor 0: reading 8 bytes at 0xffff888000000000"));
	free(out);
	free(err);
	fake_free(&l.f);
}

/* A 32-bit kernel: 4-byte longs, 30-bit ids, state in bits 30-31. */
static void thirty_two_bit(void)
{
	struct lk l;
	lk_init(&l, 4, 2, 7, (1ULL << 30) - 2, 3 * 128 + 100);
	lk_log(&l, FINALIZED, 1000000, "id 2^30-2", 9);
	lk_log(&l, COMMITTED, 2000000, "id 2^30-1, wraps", 16); /* 116+20 crosses: at 0 */
	lk_log(&l, FINALIZED, 3000000, "id 0 wraps", 10);       /* ids wrap at 2^30 */
	lk_log(&l, FINALIZED, 4000000, "id 1", 4);
	check_output(&l, NULL,
		     "[    0.001000] id 2^30-2\n"
		     "[    0.002000] id 2^30-1, wraps\n"
		     "[    0.003000] id 0 wraps\n"
		     "[    0.004000] id 1\n", NULL);
	fake_free(&l.f);
}

TEST_MAIN(T(basic_records), T(callback_records), T(wrapped_rings), T(uncommitted_skipped),
	  T(text_len_beyond_block), T(corrupt_descriptors), T(ids_out_of_range), T(missing_keys),
	  T(bad_control_data), T(unreadable_descriptors), T(thirty_two_bit))

/* The structured log_buf (3.5-5.9) on synthetic memory: struct printk_log as x86_64 lays it out
 * (ts_nsec@0, len@8, text_len@10, dict_len@12; 16 bytes; records 8-aligned), written with the
 * kernel's log_store() wrap rule: a record that does not fit with one more header behind it
 * leaves a zeroed header (len 0) and goes to offset 0. */
#include <stdlib.h>
#include <string.h>

#include "fakemem.h"
#include "test.h"

#define HDR 16

struct sl {
	struct fake_mem f;
	uint64_t sym_buf, sym_len, sym_first, sym_next, buf;
	uint32_t len, next;
};

static void sl_init(struct sl *s, uint32_t buf_len, uint32_t first, int old_names)
{
	memset(s, 0, sizeof(*s));
	uint64_t base = 0xffffffff81000000ULL;
	fake_init(&s->f, base, 0x1000 + buf_len);
	s->sym_buf = base + 0x10;
	s->sym_len = base + 0x18;
	s->sym_first = base + 0x20;
	s->sym_next = base + 0x28;
	s->buf = base + 0x1000;
	s->len = buf_len;
	s->next = first;
	fake_put64(&s->f, s->sym_buf, s->buf);
	fake_put32(&s->f, s->sym_len, buf_len);
	fake_put32(&s->f, s->sym_first, first);
	fake_put32(&s->f, s->sym_next, first);
	const char *st = old_names ? "log" : "printk_log";
	fake_vi(&s->f, "OSRELEASE=4.19.0-test");
	fake_vi(&s->f, "SYMBOL(log_buf)=%llx", (unsigned long long)s->sym_buf);
	fake_vi(&s->f, "SYMBOL(log_buf_len)=%llx", (unsigned long long)s->sym_len);
	fake_vi(&s->f, "SYMBOL(log_first_idx)=%llx", (unsigned long long)s->sym_first);
	fake_vi(&s->f, "SYMBOL(log_next_idx)=%llx", (unsigned long long)s->sym_next);
	fake_vi(&s->f, "SIZE(%s)=%d", st, HDR);
	fake_vi(&s->f, "OFFSET(%s.ts_nsec)=0", st);
	fake_vi(&s->f, "OFFSET(%s.len)=8", st);
	fake_vi(&s->f, "OFFSET(%s.text_len)=10", st);
}

static void put_hdr(struct sl *s, uint32_t idx, uint64_t ts, uint16_t len, uint16_t text_len,
		    uint16_t dict_len)
{
	fake_put64(&s->f, s->buf + idx, ts);
	fake_put16(&s->f, s->buf + idx + 8, len);
	fake_put16(&s->f, s->buf + idx + 10, text_len);
	fake_put16(&s->f, s->buf + idx + 12, dict_len);
}

/* Returns the record's index. */
static uint32_t sl_log(struct sl *s, uint64_t ts, const char *text, const char *dict)
{
	size_t tl = strlen(text), dl = dict ? strlen(dict) + 1 : 0;
	uint32_t size = (uint32_t)((HDR + tl + dl + 7) & ~7u);
	if (s->next + size + HDR > s->len) {
		put_hdr(s, s->next, 0, 0, 0, 0);
		s->next = 0;
	}
	uint32_t at = s->next;
	put_hdr(s, at, ts, (uint16_t)size, (uint16_t)tl, (uint16_t)dl);
	fake_put(&s->f, s->buf + at + HDR, text, tl);
	if (dl)
		fake_put(&s->f, s->buf + at + HDR + tl, dict, dl);
	s->next += size;
	fake_put32(&s->f, s->sym_next, s->next);
	return at;
}

static void check_output(struct sl *s, const char *omit, const char *want, const char *want_err)
{
	fake_finish(&s->f, omit);
	char *err;
	struct kd_printk_stats st;
	char *out = fake_dmesg(&s->f, &err, &st);
	CHECK_STR(out, want);
	if (want_err) {
		CHECK(err && strstr(err, want_err));
		if (!err || !strstr(err, want_err))
			fprintf(stderr, "  error: %s\n  wanted: %s\n", err ? err : "(none)", want_err);
	} else {
		CHECK_STR(err ? err : "(no error)", "(no error)");
	}
	CHECK(st.format == KD_PRINTK_STRUCTURED);
	free(out);
	free(err);
}

static void basic_records(void)
{
	struct sl s;
	sl_init(&s, 512, 0, 0);
	sl_log(&s, 0, "Linux version 4.19.0", NULL);
	/* the dictionary is not shown */
	sl_log(&s, 3141592653ULL, "e1000e 0000:00:19.0: link up", "SUBSYSTEM=pci\0DEVICE=+pci:0");
	sl_log(&s, 99999999999ULL, "bell\a and \xff", NULL);
	sl_log(&s, 100000000000ULL, "", NULL);
	check_output(&s, NULL,
		     "[    0.000000] Linux version 4.19.0\n"
		     "[    3.141592] e1000e 0000:00:19.0: link up\n"
		     "[   99.999999] bell\\x07 and \\xff\n"
		     "[  100.000000] \n", NULL);
	fake_free(&s.f);
}

struct kinds {
	int n;
	int kind[8];
	uint64_t seq[8];
};

static kd_err *kinds_fn(void *arg, const struct kd_printk_record *r)
{
	struct kinds *k = arg;
	if (k->n < 8) {
		k->kind[k->n] = (int)r->kind;
		k->seq[k->n] = r->seq;
	}
	k->n++;
	return NULL;
}

/* The buffer wrapped: log_first_idx is past log_next_idx, and the zero-length header at the
 * wrap point comes out as an empty line with timestamp 0, exactly as vmcore-dmesg prints it. */
static void wrapped_buffer(void)
{
	struct sl s;
	sl_init(&s, 256, 160, 0);
	/* stale bytes where older, overwritten records were */
	for (uint32_t i = 0; i < 160; i++)
		fake_put(&s.f, s.buf + i, "\xaa", 1);
	sl_log(&s, 1000000000, "oldest, at 160", NULL); /* 16+14 -> 32: 160..192 */
	sl_log(&s, 2000000000, "second, at 192", NULL); /* 192..224 */
	sl_log(&s, 3000000000, "third, at 0 ", NULL);   /* 224+32+16 > 256: marker at 224 */
	sl_log(&s, 4000000000, "newest, at 32", NULL);
	check_output(&s, NULL,
		     "[    1.000000] oldest, at 160\n"
		     "[    2.000000] second, at 192\n"
		     "[    0.000000] \n"
		     "[    3.000000] third, at 0 \n"
		     "[    4.000000] newest, at 32\n", NULL);

	/* the callback is told which line is the marker */
	fake_finish(&s.f, NULL);
	struct kd_printk_stats st;
	struct kinds k = { .n = 0 };
	CHECK_OK(kd_printk_walk(&s.f.mem, kinds_fn, &k, &st));
	CHECK_U64(k.n, 5);
	CHECK_U64(k.kind[2], KD_PRINTK_WRAP_MARKER);
	CHECK_U64(k.kind[3], KD_PRINTK_RECORD);
	CHECK_U64(k.seq[3], 3);
	fake_free(&s.f);
}

/* Kernels 3.5-3.10 export struct log, not struct printk_log. */
static void old_names(void)
{
	struct sl s;
	sl_init(&s, 256, 0, 1);
	sl_log(&s, 5000, "struct log", NULL);
	check_output(&s, NULL, "[    0.000005] struct log\n", NULL);
	fake_free(&s.f);
}

static void corrupt_records(void)
{
	struct sl s;
	sl_init(&s, 256, 0, 0);
	sl_log(&s, 1, "one", NULL);
	uint32_t two = sl_log(&s, 2, "two", NULL);
	sl_log(&s, 3, "three", NULL);
	/* text_len past the record: shown up to the record's end, and reported */
	put_hdr(&s, two, 2, 24, 40, 0);
	check_output(&s, NULL, "[    0.000000] one\n[    0.000000] two\\x00\\x00\\x00\\x00\\x00\n"
		     "[    0.000000] three\n",
		     "1 record of the structured log_buf could not be shown in full; the first: "
		     "record at log_buf+24: text_len 40 exceeds its length 24; shown truncated");
	/* a length shorter than a header: the rest cannot be found */
	put_hdr(&s, two, 2, 4, 3, 0);
	check_output(&s, NULL, "[    0.000000] one\n",
		     "record at log_buf+24: length 4 does not fit log_buf");
	/* log_next_idx inside a record: the chain never reaches it, and the walk ends */
	put_hdr(&s, two, 2, 24, 3, 0);
	fake_put32(&s.f, s.sym_next, 30);
	put_hdr(&s, 72, 9, 200, 1, 0);
	check_output(&s, NULL, "[    0.000000] one\n[    0.000000] two\n[    0.000000] three\n",
		     "record at log_buf+72: length 200 does not fit log_buf");
	/* a zero-length header at 0 with log_first_idx 0: a loop; bounded */
	put_hdr(&s, 0, 0, 0, 0, 0);
	check_output(&s, NULL, "[    0.000000] \n[    0.000000] \n",
		     "the records from log_first_idx 0 do not lead to log_next_idx 30");
	/* an excluded page under a header */
	fake_free(&s.f);
	sl_init(&s, 256, 0, 0);
	sl_log(&s, 1, "one", NULL);
	sl_log(&s, 2, "two", NULL);
	s.f.hole_start = s.buf + 30;
	s.f.hole_end = s.buf + 31;
	check_output(&s, NULL, "[    0.000000] one\n", "record at log_buf+24: page at");
	fake_free(&s.f);
}

static void bad_control_data(void)
{
	struct sl s;
	sl_init(&s, 256, 0, 0);
	sl_log(&s, 1, "one", NULL);
	check_output(&s, "SIZE(printk_log)", "", "VMCOREINFO has no SIZE(printk_log)");
	check_output(&s, "OFFSET(printk_log.text_len)", "",
		     "VMCOREINFO has no OFFSET(printk_log.text_len)");
	check_output(&s, "SYMBOL(log_next_idx)", "", "VMCOREINFO has no SYMBOL(log_next_idx)");
	fake_put32(&s.f, s.sym_first, 4096);
	check_output(&s, NULL, "", "log_first_idx 4096 or log_next_idx 24 is outside the 256-byte");
	fake_put32(&s.f, s.sym_first, 0);
	fake_put32(&s.f, s.sym_len, 0);
	check_output(&s, NULL, "", "log_buf_len is 0");
	fake_free(&s.f);
}

TEST_MAIN(T(basic_records), T(wrapped_buffer), T(old_names), T(corrupt_records),
	  T(bad_control_data))

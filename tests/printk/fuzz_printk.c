/* libFuzzer: the three log readers over fuzzed dead-kernel memory.
 *
 * Input: one mode byte, then the memory image, mapped at a kernel address. The mode's low two
 * bits pick a layout (0 lockless 64-bit, 1 lockless 32-bit, 2 structured log_buf, 3 plain
 * log_buf) with a fixed VMCOREINFO whose symbols point into the image; so the ring's metadata
 * (pointers, count_bits, head/tail ids, state bits, lpos, text_len, log_first_idx, ...) and its
 * text all come from the fuzzer. With bit 7 set, the VMCOREINFO is instead the text up to the
 * first NUL, and the image follows it (missing and malformed keys).
 * Properties: the walk ends (libFuzzer's timeout), no record is longer than a u16 allows, the
 * damage count and its reason agree, and formatting every record works. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakemem.h"

#define B64 0xffffffff81000000ULL
#define B32 0xc1000000ULL

static void lockless_vi(struct fake_mem *f, int ls)
{
	fake_vi(f, "SYMBOL(prb)=%llx", (unsigned long long)f->base);
	fake_vi(f, "SIZE(printk_ringbuffer)=%d", ls == 8 ? 88 : 44);
	fake_vi(f, "OFFSET(printk_ringbuffer.desc_ring)=0");
	fake_vi(f, "OFFSET(printk_ringbuffer.text_data_ring)=%d", ls == 8 ? 48 : 20);
	fake_vi(f, "OFFSET(prb_desc_ring.count_bits)=0");
	fake_vi(f, "OFFSET(prb_desc_ring.descs)=%d", ls);
	fake_vi(f, "OFFSET(prb_desc_ring.infos)=%d", 2 * ls);
	fake_vi(f, "OFFSET(prb_desc_ring.head_id)=%d", 3 * ls);
	fake_vi(f, "OFFSET(prb_desc_ring.tail_id)=%d", 4 * ls);
	fake_vi(f, "SIZE(prb_desc)=%d", 3 * ls);
	fake_vi(f, "OFFSET(prb_desc.state_var)=0");
	fake_vi(f, "OFFSET(prb_desc.text_blk_lpos)=%d", ls);
	fake_vi(f, "OFFSET(prb_data_blk_lpos.begin)=0");
	fake_vi(f, "OFFSET(prb_data_blk_lpos.next)=%d", ls);
	fake_vi(f, "SIZE(printk_info)=88");
	fake_vi(f, "OFFSET(printk_info.seq)=0");
	fake_vi(f, "OFFSET(printk_info.ts_nsec)=8");
	fake_vi(f, "OFFSET(printk_info.text_len)=16");
	fake_vi(f, "OFFSET(printk_info.caller_id)=20");
	fake_vi(f, "OFFSET(prb_data_ring.size_bits)=0");
	fake_vi(f, "OFFSET(prb_data_ring.data)=%d", ls);
	fake_vi(f, "OFFSET(atomic_long_t.counter)=0");
}

static void structured_vi(struct fake_mem *f)
{
	fake_vi(f, "SYMBOL(log_buf)=%llx", (unsigned long long)f->base);
	fake_vi(f, "SYMBOL(log_buf_len)=%llx", (unsigned long long)f->base + 8);
	fake_vi(f, "SYMBOL(log_first_idx)=%llx", (unsigned long long)f->base + 12);
	fake_vi(f, "SYMBOL(log_next_idx)=%llx", (unsigned long long)f->base + 16);
	fake_vi(f, "SIZE(printk_log)=16");
	fake_vi(f, "OFFSET(printk_log.ts_nsec)=0");
	fake_vi(f, "OFFSET(printk_log.len)=8");
	fake_vi(f, "OFFSET(printk_log.text_len)=10");
}

static void legacy_vi(struct fake_mem *f)
{
	fake_vi(f, "SYMBOL(log_buf)=%llx", (unsigned long long)f->base);
	fake_vi(f, "SYMBOL(log_end)=%llx", (unsigned long long)f->base + 8);
	fake_vi(f, "SYMBOL(log_buf_len)=%llx", (unsigned long long)f->base + 12);
}

static FILE *sink;

static kd_err *check_record(void *arg, const struct kd_printk_record *r)
{
	(void)arg;
	if (r->len > 65536 || (r->len && !r->text))
		abort();
	return kd_printk_format_record(r, sink);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	unsigned mode = data[0];
	data++;
	size--;
	const uint8_t *vi_text = NULL;
	size_t vi_len = 0;
	if (mode & 0x80) {
		const uint8_t *nul = memchr(data, 0, size);
		if (!nul)
			return 0;
		vi_text = data;
		vi_len = (size_t)(nul - data);
		size -= vi_len + 1;
		data = nul + 1;
	}
	struct fake_mem f;
	fake_init(&f, (mode & 3) == 1 ? B32 : B64, size);
	if (size)
		memcpy(f.buf, data, size);
	if (vi_text) {
		char *t = malloc(vi_len + 1);
		memcpy(t, vi_text, vi_len);
		t[vi_len] = '\0';
		fake_vi(&f, "%s", t);
		free(t);
	} else {
		switch (mode & 3) {
		case 0: lockless_vi(&f, 8); break;
		case 1: lockless_vi(&f, 4); break;
		case 2: structured_vi(&f); break;
		default: legacy_vi(&f); break;
		}
	}
	fake_finish(&f, NULL);
	struct kd_printk_stats st;
	kd_err *e = kd_printk_walk(&f.mem, check_record, NULL, &st);
	if ((st.damaged == 0) != (st.problem[0] == '\0'))
		abort();
	kd_err_free(e);
	fake_free(&f);
	return 0;
}

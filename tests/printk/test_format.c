/* The text form of a record (vmcore-dmesg's), the choice of layout, and the dump-level errors. */
#include <stdlib.h>
#include <string.h>

#include "fakemem.h"
#include "test.h"

static char *fmt(const struct kd_printk_record *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	CHECK_OK(kd_printk_format_record(r, m));
	fclose(m);
	return out;
}

static void timestamps(void)
{
	static const struct { uint64_t ns; const char *want; } cases[] = {
		{ 0, "[    0.000000] x\n" },
		{ 999, "[    0.000000] x\n" },          /* below a microsecond: truncated */
		{ 1999, "[    0.000001] x\n" },
		{ 999999999, "[    0.999999] x\n" },
		{ 99999000000000ULL, "[99999.000000] x\n" },
		{ 100000000000000ULL, "[100000.000000] x\n" }, /* wider than 5 digits */
		{ UINT64_MAX, "[18446744073.709551] x\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kd_printk_record r = { .ts_nsec = cases[i].ns, .text = "x", .len = 1 };
		char *s = fmt(&r);
		CHECK_STR(s, cases[i].want);
		free(s);
	}
}

/* Every byte value: printable ASCII and \t \n \v \f \r as they are, everything else \xNN. */
static void escaping(void)
{
	char text[256];
	for (int i = 0; i < 256; i++)
		text[i] = (char)i;
	struct kd_printk_record r = { .text = text, .len = 256 };
	char *s = fmt(&r);
	char want[2048], *w = want;
	w += sprintf(w, "[    0.000000] ");
	for (int i = 0; i < 256; i++) {
		if ((i >= 0x20 && i < 0x7f) || (i >= 9 && i <= 13))
			*w++ = (char)i;
		else
			w += sprintf(w, "\\x%02x", i);
	}
	strcpy(w, "\n");
	CHECK_STR(s, want);
	CHECK(strstr(s, "\\x00\\x01") && strstr(s, "\\x08\t\n\v\f\r\\x0e") && strstr(s, "~\\x7f\\x80"));
	free(s);

	/* a long record of escaped bytes crosses the 4 KiB formatting buffer */
	char *big = malloc(65535);
	memset(big, 0xfe, 65535);
	r.text = big;
	r.len = 65535;
	s = fmt(&r);
	CHECK_U64(strlen(s), 15 + 4 * 65535 + 1);
	CHECK(!strncmp(s + 15 + 4 * 65534, "\\xfe\n", 6));
	free(s);
	free(big);

	/* raw pieces (plain log_buf) are not touched */
	struct kd_printk_record raw = { .kind = KD_PRINTK_RAW, .text = "<6>a\x01\n", .len = 7 };
	s = fmt(&raw);
	CHECK_STR(s, "<6>a\x01\n");
	free(s);
}

static void detection(void)
{
	struct fake_mem f;
	fake_init(&f, 0xffffffff81000000ULL, 64);
	char *err;
	struct kd_printk_stats st;

	char *out = fake_dmesg(&f, &err, &st); /* no VMCOREINFO at all */
	CHECK_STR(out, "");
	CHECK_STR(err, "the dump has no VMCOREINFO: the kernel log cannot be found");
	free(out);
	free(err);

	fake_vi(&f, "OSRELEASE=6.1.0");
	fake_vi(&f, "SYMBOL(init_uts_ns)=ffffffff82000000");
	fake_finish(&f, NULL);
	CHECK(kd_printk_detect(f.vi.vi) == KD_PRINTK_NONE);
	out = fake_dmesg(&f, &err, &st);
	CHECK_STR(err, "VMCOREINFO has none of SYMBOL(prb), SYMBOL(log_first_idx), SYMBOL(log_buf): "
		  "the kernel log cannot be found");
	free(out);
	free(err);

	/* the order vmcore-dmesg uses: prb, then log_first_idx, then log_buf */
	fake_vi(&f, "SYMBOL(log_buf)=ffffffff82000010");
	fake_finish(&f, NULL);
	CHECK(kd_printk_detect(f.vi.vi) == KD_PRINTK_LEGACY);
	fake_vi(&f, "SYMBOL(log_first_idx)=ffffffff82000020");
	fake_finish(&f, NULL);
	CHECK(kd_printk_detect(f.vi.vi) == KD_PRINTK_STRUCTURED);
	fake_vi(&f, "SYMBOL(prb)=ffffffff82000030");
	fake_finish(&f, NULL);
	CHECK(kd_printk_detect(f.vi.vi) == KD_PRINTK_LOCKLESS);
	CHECK_STR(kd_printk_format_name(KD_PRINTK_LOCKLESS), "lockless ringbuffer");
	/* a missing key is named, wrapped in what was being done */
	out = fake_dmesg(&f, &err, &st);
	CHECK_STR(err, "locating the printk ringbuffer: VMCOREINFO has no SIZE(prb_desc)");
	free(out);
	free(err);
	fake_free(&f);
}

/* A full disk shows as an error, not as silence. */
static void write_failure(void)
{
	FILE *full = fopen("/dev/full", "w");
	if (!full) {
		CHECK(1);
		return;
	}
	struct fake_mem f;
	fake_init(&f, 0xffffffff81000000ULL, 0x1000);
	fake_put64(&f, f.base + 0x10, f.base + 0x100);
	fake_put32(&f, f.base + 0x18, 10);
	fake_put32(&f, f.base + 0x20, 64);
	fake_put(&f, f.base + 0x100, "0123456789", 10);
	fake_vi(&f, "SYMBOL(log_buf)=ffffffff81000010");
	fake_vi(&f, "SYMBOL(log_end)=ffffffff81000018");
	fake_vi(&f, "SYMBOL(log_buf_len)=ffffffff81000020");
	fake_finish(&f, NULL);
	kd_err *e = kd_printk_write(&f.mem, full, NULL);
	CHECK(e != NULL);
	char buf[256];
	kd_err_format(e, buf, sizeof(buf));
	CHECK(strstr(buf, "writing the kernel log") != NULL);
	kd_err_free(e);
	fclose(full);
	fake_free(&f);
}

TEST_MAIN(T(timestamps), T(escaping), T(detection), T(write_failure))

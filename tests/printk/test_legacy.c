/* The plain log_buf of kernels before 3.5: text in a ring, log_end counting every character ever
 * written. vmcore-dmesg prints min(log_end, log_buf_len) characters ending at log_end, raw. */
#include <stdlib.h>
#include <string.h>

#include "fakemem.h"
#include "test.h"

struct lg {
	struct fake_mem f;
	uint64_t sym_buf, sym_end, sym_len, buf;
};

static void lg_init(struct lg *l, int bits, uint32_t len, uint32_t end)
{
	uint64_t base = bits == 64 ? 0xffffffff81000000ULL : 0xc1000000ULL;
	fake_init(&l->f, base, 0x1000 + len);
	l->sym_buf = base + 0x10;
	l->sym_end = base + 0x18;
	l->sym_len = base + 0x20;
	l->buf = base + 0x1000;
	if (bits == 64)
		fake_put64(&l->f, l->sym_buf, l->buf);
	else
		fake_put32(&l->f, l->sym_buf, (uint32_t)l->buf);
	fake_put32(&l->f, l->sym_end, end);
	fake_put32(&l->f, l->sym_len, len);
	fake_vi(&l->f, "OSRELEASE=2.6.32-test");
	fake_vi(&l->f, "SYMBOL(log_buf)=%llx", (unsigned long long)l->sym_buf);
	fake_vi(&l->f, "SYMBOL(log_end)=%llx", (unsigned long long)l->sym_end);
	fake_vi(&l->f, "SYMBOL(log_buf_len)=%llx", (unsigned long long)l->sym_len);
	fake_vi(&l->f, "SYMBOL(logged_chars)=%llx", (unsigned long long)(base + 0x28));
}

static char *run(struct lg *l, const char *omit, char **err, struct kd_printk_stats *st)
{
	fake_finish(&l->f, omit);
	return fake_dmesg(&l->f, err, st);
}

static void not_wrapped(void)
{
	struct lg l;
	/* raw: level prefixes and control bytes are written as they are */
	const char text[] = "<6>Linux version 2.6.32\n<4>odd \x01 byte\n";
	lg_init(&l, 64, 128, (uint32_t)strlen(text));
	fake_put(&l.f, l.buf, text, strlen(text));
	fake_put(&l.f, l.buf + strlen(text), "unwritten", 9);
	char *err;
	struct kd_printk_stats st;
	char *out = run(&l, NULL, &err, &st);
	CHECK_STR(out, text);
	CHECK(err == NULL);
	CHECK(st.format == KD_PRINTK_LEGACY);
	free(out);
	free(err);
	fake_free(&l.f);
}

static void wrapped(void)
{
	struct lg l;
	/* 32 bytes, log_end = 3*32 + 10: the oldest byte is at 10 */
	lg_init(&l, 32, 32, 3 * 32 + 10);
	fake_put(&l.f, l.buf, "AAAAAAAAA\nBBBBBBBBBBBBBBBBBBBBB\n", 32);
	char *err;
	struct kd_printk_stats st;
	char *out = run(&l, NULL, &err, &st);
	CHECK_STR(out, "BBBBBBBBBBBBBBBBBBBBB\nAAAAAAAAA\n");
	CHECK(err == NULL);
	free(out);
	free(err);
	fake_free(&l.f);
}

/* Larger than the pieces it is passed on in (64 KiB), with a hole: the rest is still shown. */
static void large_with_hole(void)
{
	struct lg l;
	uint32_t len = 200000;
	lg_init(&l, 64, len, 5 * len + 150000);
	char *want = malloc(len + 1);
	for (uint32_t i = 0; i < len; i++) {
		char c = (char)('a' + (i * 7 + i / 26) % 26);
		fake_put(&l.f, l.buf + i, &c, 1);
	}
	memcpy(want, l.f.buf + 0x1000 + 150000, len - 150000);
	memcpy(want + len - 150000, l.f.buf + 0x1000, 150000);
	want[len] = '\0';
	char *err;
	struct kd_printk_stats st;
	char *out = run(&l, NULL, &err, &st);
	CHECK(out && strlen(out) == len && !strcmp(out, want));
	CHECK(err == NULL);
	free(out);
	free(err);
	/* the second 64 KiB piece of the tail part (from 150000) cannot be read */
	l.f.hole_start = l.buf + 5000;
	l.f.hole_end = l.buf + 5001;
	out = run(&l, NULL, &err, &st);
	CHECK_U64(strlen(out), len - 65536);
	CHECK(!strncmp(out, want, len - 150000));
	CHECK(!strcmp(out + len - 150000, want + len - 150000 + 65536));
	CHECK(err && strstr(err, "1 record of the plain log_buf could not be shown in full; the "
			    "first: 65536 bytes of log_buf at 0xffffffff81001000: page at"));
	free(out);
	free(err);
	free(want);
	fake_free(&l.f);
}

static void bad_control_data(void)
{
	struct lg l;
	lg_init(&l, 64, 0, 10);
	char *err;
	struct kd_printk_stats st;
	char *out = run(&l, NULL, &err, &st);
	CHECK_STR(out, "");
	CHECK_STR(err, "log_buf_len is 0");
	free(out);
	free(err);
	fake_put32(&l.f, l.sym_len, 0x80000000u);
	out = run(&l, NULL, &err, &st);
	CHECK_STR(err, "log_buf_len is -2147483648");
	free(out);
	free(err);
	out = run(&l, "SYMBOL(log_end)", &err, &st);
	CHECK_STR(err, "locating the plain log_buf: VMCOREINFO has no SYMBOL(log_end)");
	free(out);
	free(err);
	/* log_buf points outside the dump */
	fake_put32(&l.f, l.sym_len, 64);
	fake_put64(&l.f, l.sym_buf, 0x1000);
	out = run(&l, NULL, &err, &st);
	CHECK_STR(out, "");
	CHECK(err && strstr(err, "10 bytes of log_buf at 0x1000: address 0x1000+10 is not in the dump"));
	free(out);
	free(err);
	fake_free(&l.f);
}

TEST_MAIN(T(not_wrapped), T(wrapped), T(large_with_hole), T(bad_control_data))

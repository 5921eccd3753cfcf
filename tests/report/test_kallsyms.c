/* kallsyms decoding on synthetic tables: the three address encodings, one- and two-byte name
 * lengths, lookup as the kernel's kallsyms_lookup() answers it, and damaged tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ksynth.h"
#include "report/kallsyms.h"
#include "test.h"

#define T0 KS_TEXT
static const struct ks_sym text_syms[] = {
	{ "T_stext", T0 },
	{ "Tstartup_64", T0 },            /* alias of _stext: lookups name the first */
	{ "Tkdlab_do_oops", T0 + 0x100 },  /* multi-char tokens */
	{ "tdo_crash_stuff", T0 + 0x180 },
	{ "Tsys_write", T0 + 0x1f0 },
	{ "T_etext", T0 + 0x1000 },
	{ "D_sinittext_data", T0 + 0x1800 },
	{ "B_end", T0 + 0x3000 },
};
#define NTEXT (sizeof(text_syms) / sizeof(text_syms[0]))

static struct kd_kallsyms *load(struct fake_mem *f, const struct ks_sym *s, size_t n,
				enum ks_encoding enc, uint64_t stext)
{
	fake_init(f, KS_BASE, KS_SIZE);
	ks_build(f, s, n, enc, T0, stext);
	struct kd_kallsyms *ks = NULL;
	CHECK_OK(kd_kallsyms_load(fake_finish(f, NULL), &ks));
	return ks;
}

static void check_text_lookups(struct kd_kallsyms *ks)
{
	struct kd_ksym s;
	CHECK(!kd_kallsyms_lookup(ks, T0 + 0x150, &s));
	CHECK_STR(s.name, "kdlab_do_oops");
	CHECK(s.type == 'T');
	CHECK_U64(s.offset, 0x50);
	CHECK_U64(s.size, 0x80);
	CHECK(!kd_kallsyms_lookup(ks, T0 + 0x10, &s));
	CHECK_STR(s.name, "_stext");
	CHECK_U64(s.size, 0x100);
	CHECK(!kd_kallsyms_lookup(ks, T0 + 0x180, &s));
	CHECK_STR(s.name, "do_crash_stuff");
	CHECK(s.type == 't');
	CHECK_U64(s.offset, 0);
	CHECK(kd_kallsyms_lookup(ks, T0 - 1, &s) == -1);      /* below _stext */
	CHECK(kd_kallsyms_lookup(ks, T0 + 0x3000, &s) == -1); /* at _end: outside the image */
	CHECK(kd_kallsyms_is_text(ks, T0 + 0x1ff));
	CHECK(!kd_kallsyms_is_text(ks, T0 + 0x1000));
	char buf[128];
	kd_kallsyms_format(ks, T0 + 0x1f5, buf, sizeof(buf));
	CHECK_STR(buf, "sys_write+0x5/0xe10");
	kd_kallsyms_format(ks, 0xffffffffc0001000ull, buf, sizeof(buf));
	CHECK_STR(buf, "0xffffffffc0001000");
	uint64_t a;
	CHECK(!kd_kallsyms_find(ks, "sys_write", &a));
	CHECK_U64(a, T0 + 0x1f0);
	CHECK(kd_kallsyms_find(ks, "no_such_symbol", &a) == -1);
}

static void relative(void)
{
	struct fake_mem f;
	struct kd_kallsyms *ks = load(&f, text_syms, NTEXT, KS_RELATIVE, T0);
	if (ks) {
		int v;
		CHECK_STR(kd_kallsyms_encoding(ks, &v), "relative");
		CHECK(v == 1);
		CHECK_U64(kd_kallsyms_count(ks), NTEXT);
		check_text_lookups(ks);
	}
	kd_kallsyms_free(ks);
	fake_free(&f);
}

static void absolute_percpu(void)
{
	/* per-cpu symbols at small absolute addresses come first, as on x86_64 SMP */
	struct ks_sym s[NTEXT + 2] = { { "Dfixed_percpu_data", 0 }, { "Dcpu_tss_rw", 0x6000 } };
	memcpy(s + 2, text_syms, sizeof(text_syms));
	struct fake_mem f;
	struct kd_kallsyms *ks = load(&f, s, NTEXT + 2, KS_ABS_PERCPU, T0);
	if (ks) {
		int v;
		CHECK_STR(kd_kallsyms_encoding(ks, &v), "absolute-percpu");
		CHECK(v == 1);
		check_text_lookups(ks);
		uint64_t a;
		CHECK(!kd_kallsyms_find(ks, "cpu_tss_rw", &a));
		CHECK_U64(a, 0x6000);
	}
	kd_kallsyms_free(ks);
	fake_free(&f);
	/* without SYMBOL(_stext) the sign of the offsets decides, unverified */
	ks = load(&f, s, NTEXT + 2, KS_ABS_PERCPU, 0);
	if (ks) {
		int v;
		CHECK_STR(kd_kallsyms_encoding(ks, &v), "absolute-percpu");
		CHECK(v == 0);
		check_text_lookups(ks);
	}
	kd_kallsyms_free(ks);
	fake_free(&f);
}

static void absolute(void)
{
	struct fake_mem f;
	struct kd_kallsyms *ks = load(&f, text_syms, NTEXT, KS_ABSOLUTE, T0);
	if (ks) {
		int v;
		CHECK_STR(kd_kallsyms_encoding(ks, &v), "absolute");
		CHECK(v == 1);
		check_text_lookups(ks);
	}
	kd_kallsyms_free(ks);
	fake_free(&f);
}

/* Names of 128 tokens and more take a two-byte length (6.1+); the next name must still be
 * found where it starts. */
static void long_names(void)
{
	static char longname[400];
	longname[0] = 'T';
	for (size_t i = 1; i < 300; i++)
		longname[i] = (char)('a' + i % 26);
	longname[300] = 0;
	struct ks_sym s[] = {
		{ "T_stext", T0 }, { longname, T0 + 0x10 }, { "Tafter_long", T0 + 0x20 },
		{ "T_etext", T0 + 0x100 },
	};
	struct fake_mem f;
	struct kd_kallsyms *ks = load(&f, s, 4, KS_RELATIVE, T0);
	if (ks) {
		struct kd_ksym k;
		CHECK(!kd_kallsyms_lookup(ks, T0 + 0x18, &k));
		CHECK(k.name && strlen(k.name) == 299 && !strcmp(k.name, longname + 1));
		CHECK(!kd_kallsyms_lookup(ks, T0 + 0x21, &k));
		CHECK_STR(k.name, "after_long");
		CHECK_U64(k.size, 0xe0);
	}
	kd_kallsyms_free(ks);
	fake_free(&f);
}

static void missing_symbols(void)
{
	struct fake_mem f;
	fake_init(&f, KS_BASE, KS_SIZE);
	ks_build(&f, text_syms, NTEXT, KS_RELATIVE, T0, T0);
	struct kd_kallsyms *ks = (void *)1;
	kd_err *e = kd_kallsyms_load(fake_finish(&f, "SYMBOL(kallsyms_names)"), &ks);
	CHECK(e != NULL);
	CHECK(ks == NULL);
	char buf[256] = "";
	kd_err_format(e, buf, sizeof(buf));
	CHECK(strstr(buf, "kallsyms_names") != NULL);
	CHECK(kd_err_errnum(e) == ENOENT);
	kd_err_free(e);
	fake_free(&f);

	fake_init(&f, KS_BASE, KS_SIZE);
	ks_build(&f, text_syms, NTEXT, KS_RELATIVE, T0, T0);
	CHECK_FAILS(kd_kallsyms_load(fake_finish(&f, "SYMBOL(kallsyms_offsets)"), &ks));
	fake_free(&f);
}

static void damaged(void)
{
	struct fake_mem f;
	struct kd_kallsyms *ks;
	/* a symbol count no kernel has */
	fake_init(&f, KS_BASE, KS_SIZE);
	ks_build(&f, text_syms, NTEXT, KS_RELATIVE, T0, T0);
	fake_put32(&f, KS_NUM_SYMS, 0xffffffffu);
	CHECK_FAILS(kd_kallsyms_load(fake_finish(&f, NULL), &ks));
	fake_free(&f);
	/* more symbols than names: the decoder runs into the zero bytes after the table */
	fake_init(&f, KS_BASE, KS_SIZE);
	ks_build(&f, text_syms, NTEXT, KS_RELATIVE, T0, T0);
	fake_put32(&f, KS_NUM_SYMS, 5000);
	CHECK_FAILS(kd_kallsyms_load(fake_finish(&f, NULL), &ks));
	fake_free(&f);
	/* an unreadable page in the names */
	fake_init(&f, KS_BASE, KS_SIZE);
	uint64_t end = ks_build(&f, text_syms, NTEXT, KS_RELATIVE, T0, T0);
	f.hole_start = KS_NAMES + 4;
	f.hole_end = end;
	CHECK_FAILS(kd_kallsyms_load(fake_finish(&f, NULL), &ks));
	fake_free(&f);
	/* names that run past the mapped memory */
	fake_init(&f, KS_BASE, KS_SIZE);
	ks_build(&f, text_syms, NTEXT, KS_RELATIVE, T0, T0);
	memset(f.buf + (KS_NAMES - KS_BASE), 0x7f, KS_SIZE - (KS_NAMES - KS_BASE));
	fake_put32(&f, KS_NUM_SYMS, 4000); /* 4000 names of 128 bytes: past the end */
	CHECK_FAILS(kd_kallsyms_load(fake_finish(&f, NULL), &ks));
	fake_free(&f);
	/* a token without its terminator */
	fake_init(&f, KS_BASE, KS_SIZE);
	ks_build(&f, text_syms, NTEXT, KS_RELATIVE, T0, T0);
	memset(f.buf + (KS_TOKEN_TABLE - KS_BASE), 'x', KS_OFFSETS - KS_TOKEN_TABLE);
	CHECK_FAILS(kd_kallsyms_load(fake_finish(&f, NULL), &ks));
	fake_free(&f);
}

TEST_MAIN(T(relative), T(absolute_percpu), T(absolute), T(long_names), T(missing_symbols),
	  T(damaged))

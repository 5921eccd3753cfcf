/* libFuzzer target: the kallsyms reader on arbitrary table memory. The input's first byte
 * picks the encoding (relative / absolute-percpu tables or kallsyms_addresses) and whether
 * VMCOREINFO states _stext; the rest is the memory the tables live in (ksynth.h layout), so
 * the counts, token index, names and offsets are all the fuzzer's. Lookups then go through
 * addresses taken from the input. */
#include <stdint.h>
#include <string.h>

#include "ksynth.h"
#include "report/kallsyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum ks_encoding enc = (data[0] & 1) ? KS_ABSOLUTE : KS_RELATIVE;
	uint64_t stext = (data[0] & 2) ? KS_TEXT : 0;
	data++, size--;
	struct fake_mem f;
	fake_init(&f, KS_BASE, KS_SIZE);
	memcpy(f.buf, data, size < KS_SIZE ? size : KS_SIZE);
	ks_vmcoreinfo(&f, enc, stext);
	struct kd_kallsyms *ks = NULL;
	kd_err *e = kd_kallsyms_load(fake_finish(&f, NULL), &ks);
	kd_err_free(e);
	if (ks) {
		char buf[KD_KALLSYMS_NAME_MAX + 64];
		struct kd_ksym s;
		uint64_t probes[] = { KS_TEXT, KS_TEXT + 0x100, 0, ~0ull, KS_BASE };
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			if (!kd_kallsyms_lookup(ks, probes[i], &s) && strlen(s.name) > KD_KALLSYMS_NAME_MAX + 1)
				__builtin_trap();
			kd_kallsyms_format(ks, probes[i], buf, sizeof(buf));
			(void)kd_kallsyms_is_text(ks, probes[i]);
		}
		uint64_t a;
		(void)kd_kallsyms_find(ks, "_stext", &a);
		int v;
		(void)kd_kallsyms_encoding(ks, &v);
		kd_kallsyms_free(ks);
	}
	fake_free(&f);
	return 0;
}

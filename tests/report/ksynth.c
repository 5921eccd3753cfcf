#include "ksynth.h"

#include <string.h>

static const char *const multi[] = { "", "kdlab_", "do_", "_crash", "sys" };

void ks_vmcoreinfo(struct fake_mem *f, enum ks_encoding enc, uint64_t stext)
{
	fake_vi(f, "OSRELEASE=6.1.0-synthetic");
	fake_vi(f, "SYMBOL(kallsyms_num_syms)=%llx", (unsigned long long)KS_NUM_SYMS);
	fake_vi(f, "SYMBOL(kallsyms_names)=%llx", (unsigned long long)KS_NAMES);
	fake_vi(f, "SYMBOL(kallsyms_token_table)=%llx", (unsigned long long)KS_TOKEN_TABLE);
	fake_vi(f, "SYMBOL(kallsyms_token_index)=%llx", (unsigned long long)KS_TOKEN_INDEX);
	if (enc == KS_ABSOLUTE) {
		fake_vi(f, "SYMBOL(kallsyms_addresses)=%llx", (unsigned long long)KS_OFFSETS);
	} else {
		fake_vi(f, "SYMBOL(kallsyms_offsets)=%llx", (unsigned long long)KS_OFFSETS);
		fake_vi(f, "SYMBOL(kallsyms_relative_base)=%llx", (unsigned long long)KS_REL_BASE);
	}
	if (stext)
		fake_vi(f, "SYMBOL(_stext)=%llx", (unsigned long long)stext);
}

uint64_t ks_build(struct fake_mem *f, const struct ks_sym *syms, size_t n, enum ks_encoding enc,
		  uint64_t rel_base, uint64_t stext)
{
	/* token table: byte b is the character b, except 0x01-0x04 (multi-char) and 0 (unused) */
	uint64_t t = KS_TOKEN_TABLE;
	for (int b = 0; b < 256; b++) {
		fake_put16(f, KS_TOKEN_INDEX + 2 * (uint64_t)b, (uint16_t)(t - KS_TOKEN_TABLE));
		char tok[16] = "";
		if (b >= 1 && b <= 4)
			strcpy(tok, multi[b]);
		else if (b)
			tok[0] = (char)b;
		fake_put(f, t, tok, strlen(tok) + 1);
		t += strlen(tok) + 1;
	}
	fake_put32(f, KS_NUM_SYMS, (uint32_t)n);
	fake_put64(f, KS_REL_BASE, rel_base);
	uint64_t p = KS_NAMES;
	for (size_t i = 0; i < n; i++) {
		unsigned char enc_name[1024];
		size_t len = 0;
		for (const char *c = syms[i].name; *c && len < sizeof(enc_name);) {
			int used = 0;
			for (int m = 1; m <= 4 && !used; m++)
				if (!strncmp(c, multi[m], strlen(multi[m]))) {
					enc_name[len++] = (unsigned char)m;
					c += strlen(multi[m]);
					used = 1;
				}
			if (!used)
				enc_name[len++] = (unsigned char)*c++;
		}
		unsigned char hdr[2];
		if (len < 128) {
			hdr[0] = (unsigned char)len;
			fake_put(f, p, hdr, 1);
			p += 1;
		} else { /* 6.1+: two bytes, low 7 bits first with bit 7 set */
			hdr[0] = (unsigned char)(0x80 | (len & 0x7f));
			hdr[1] = (unsigned char)(len >> 7);
			fake_put(f, p, hdr, 2);
			p += 2;
		}
		fake_put(f, p, enc_name, len);
		p += len;
		uint64_t a = syms[i].addr;
		if (enc == KS_ABSOLUTE) {
			fake_put64(f, KS_OFFSETS + 8 * i, a);
		} else if (enc == KS_RELATIVE) {
			fake_put32(f, KS_OFFSETS + 4 * i, (uint32_t)(a - rel_base));
		} else { /* per-cpu (small) addresses as themselves, the rest base - 1 - offset */
			int32_t o = a < 0x80000000u ? (int32_t)a : (int32_t)(rel_base - 1 - a);
			fake_put32(f, KS_OFFSETS + 4 * i, (uint32_t)o);
		}
	}
	ks_vmcoreinfo(f, enc, stext);
	return p;
}

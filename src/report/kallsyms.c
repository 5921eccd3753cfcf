/* kallsyms from the dump: see kallsyms.h for the table layout. */
#include "report/kallsyms.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmcore/vmcoreinfo.h"

/* Real name tables are ~2 MiB (~5 MiB expanded); anything far beyond that, compressed or
 * expanded, is a damaged dump, not a kernel. */
#define NAMES_MAX_BYTES (64u << 20)
/* A token is a few characters; the table's longest is well below this. */
#define TOKEN_MAX 128

enum encoding { ENC_RELATIVE, ENC_ABS_PERCPU, ENC_ABSOLUTE };

struct entry {
	uint64_t addr;
	uint32_t idx;      /* position in the kernel's table: ties at one address go to the lowest */
	uint32_t name_off; /* into names; the type character is names[name_off - 1] */
};

struct kd_kallsyms {
	size_t n;
	struct entry *by_addr; /* sorted by (addr, idx) */
	char *names;           /* "Tname\0" per symbol, in table order */
	size_t names_len;
	enum encoding enc;
	int verified;
	uint64_t stext, etext, sinittext, einittext, end; /* 0 when not in the table */
};

/* A one-page cache over read_virt, for the byte-at-a-time name decoding. */
struct cursor {
	const struct kd_mem *mem;
	uint64_t base;
	int valid;
	uint8_t page[4096];
};

static kd_err *cursor_byte(struct cursor *c, uint64_t va, uint8_t *out)
{
	if (!c->valid || va < c->base || va - c->base >= sizeof(c->page)) {
		uint64_t base = va & ~(uint64_t)(sizeof(c->page) - 1);
		c->valid = 0;
		kd_err *e = kd_mem_read(c->mem, base, c->page, sizeof(c->page));
		if (e)
			return e;
		c->base = base;
		c->valid = 1;
	}
	*out = c->page[va - c->base];
	return NULL;
}

/* VMCOREINFO's SYMBOL(name), when present and well-formed. */
static int vi_symbol(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out)
{
	kd_err *e = kd_vmcoreinfo_symbol(vi, name, out);
	kd_err_free(e);
	return !e;
}

static kd_err *need_symbol(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out)
{
	kd_err *e = kd_vmcoreinfo_symbol(vi, name, out);
	return e ? kd_err_wrap(e, "VMCOREINFO SYMBOL(%s)", name) : NULL;
}

struct tokens {
	char text[256][TOKEN_MAX + 1];
	uint8_t len[256];
};

static kd_err *read_tokens(const struct kd_mem *mem, uint64_t table, uint64_t index,
			   struct tokens *t)
{
	uint16_t idx[256];
	kd_err *e = kd_mem_read(mem, index, idx, sizeof(idx));
	if (e)
		return kd_err_wrap(e, "reading kallsyms_token_index at %#" PRIx64, index);
	struct cursor c = { .mem = mem };
	for (int i = 0; i < 256; i++) {
		uint64_t va = table + idx[i];
		size_t n = 0;
		for (;;) {
			uint8_t b;
			e = cursor_byte(&c, va + n, &b);
			if (e)
				return kd_err_wrap(e, "reading kallsyms token %d at %#" PRIx64, i, va);
			if (!b)
				break;
			if (n == TOKEN_MAX)
				return kd_err_new(EINVAL, "kallsyms token %d at %#" PRIx64
						  " is not terminated within %d bytes", i, va, TOKEN_MAX);
			t->text[i][n++] = (char)b;
		}
		t->text[i][n] = 0;
		t->len[i] = (uint8_t)n;
	}
	return NULL;
}

static kd_err *grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return NULL;
	size_t nc = *cap ? *cap : 1 << 16;
	while (nc < need)
		nc *= 2;
	char *p = realloc(*buf, nc);
	if (!p)
		return kd_err_new(ENOMEM, "kallsyms names (%zu bytes)", nc);
	*buf = p;
	*cap = nc;
	return NULL;
}

/* Expand the compressed names: "Tname\0" per symbol into ks->names, the start of each name
 * (after the type) into name_off[]. */
static kd_err *read_names(const struct kd_mem *mem, uint64_t names, const struct tokens *t,
			  struct kd_kallsyms *ks, uint32_t *name_off)
{
	struct cursor c = { .mem = mem };
	uint64_t pos = names;
	size_t cap = 0;
	kd_err *e = NULL;
	for (size_t i = 0; i < ks->n; i++) {
		if (pos - names > NAMES_MAX_BYTES || ks->names_len > NAMES_MAX_BYTES)
			return kd_err_new(EINVAL, "kallsyms_names: more than %u bytes for %zu symbols",
					  NAMES_MAX_BYTES, ks->n);
		uint8_t b0, b1 = 0;
		if ((e = cursor_byte(&c, pos, &b0)))
			goto read_fail;
		size_t len = b0;
		if (b0 & 0x80) {
			if ((e = cursor_byte(&c, pos + 1, &b1)))
				goto read_fail;
			len = (b0 & 0x7fu) | ((size_t)b1 << 7);
			pos++;
		}
		pos++;
		if (!len)
			return kd_err_new(EINVAL, "kallsyms_names: symbol %zu at %#" PRIx64
					  " has an empty name", i, pos - 1);
		if ((e = grow(&ks->names, &cap, ks->names_len + KD_KALLSYMS_NAME_MAX + TOKEN_MAX + 2)))
			return e;
		char *out = ks->names + ks->names_len;
		size_t olen = 0;
		for (size_t j = 0; j < len; j++) {
			uint8_t tok;
			if ((e = cursor_byte(&c, pos + j, &tok)))
				goto read_fail;
			size_t tl = t->len[tok];
			if (olen + tl > KD_KALLSYMS_NAME_MAX + 1)
				tl = olen < KD_KALLSYMS_NAME_MAX + 1 ? KD_KALLSYMS_NAME_MAX + 1 - olen : 0;
			memcpy(out + olen, t->text[tok], tl);
			olen += tl;
		}
		pos += len;
		if (!olen) { /* tokens that expand to nothing: keep a placeholder type */
			out[olen++] = '?';
		}
		out[olen] = 0;
		name_off[i] = (uint32_t)(ks->names_len + 1);
		ks->names_len += olen + 1;
	}
	return NULL;
read_fail:
	return kd_err_wrap(e, "reading kallsyms_names at %#" PRIx64, pos);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static uint64_t decode_offset(enum encoding enc, uint64_t base, int32_t off)
{
	if (enc == ENC_RELATIVE)
		return base + (uint32_t)off;
	return off >= 0 ? (uint64_t)off : base - 1 + (uint64_t)(-(int64_t)off);
}

static size_t find_index(const struct kd_kallsyms *ks, const uint32_t *name_off, const char *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (!strcmp(ks->names + name_off[i], name))
			return i;
	return SIZE_MAX;
}

kd_err *kd_kallsyms_load(const struct kd_mem *mem, struct kd_kallsyms **out)
{
	*out = NULL;
	const struct kd_vmcoreinfo *vi = mem->vmcoreinfo;
	if (!vi)
		return kd_err_new(ENOENT, "no VMCOREINFO: kallsyms cannot be found");
	uint64_t a_num, a_names, a_ttab, a_tidx, a_offsets = 0, a_base = 0, a_addresses = 0;
	kd_err *e;
	if ((e = need_symbol(vi, "kallsyms_num_syms", &a_num)) ||
	    (e = need_symbol(vi, "kallsyms_names", &a_names)) ||
	    (e = need_symbol(vi, "kallsyms_token_table", &a_ttab)) ||
	    (e = need_symbol(vi, "kallsyms_token_index", &a_tidx)))
		goto fail_missing;
	enum encoding enc = ENC_RELATIVE;
	if (kd_vmcoreinfo_get(vi, "SYMBOL(kallsyms_offsets)")) {
		if ((e = need_symbol(vi, "kallsyms_offsets", &a_offsets)) ||
		    (e = need_symbol(vi, "kallsyms_relative_base", &a_base)))
			goto fail_missing;
	} else if (kd_vmcoreinfo_get(vi, "SYMBOL(kallsyms_addresses)")) {
		if ((e = need_symbol(vi, "kallsyms_addresses", &a_addresses)))
			goto fail_missing;
		enc = ENC_ABSOLUTE;
	} else {
		e = kd_err_new(ENOENT, "VMCOREINFO has neither SYMBOL(kallsyms_offsets) nor "
				       "SYMBOL(kallsyms_addresses)");
		goto fail_missing;
	}

	uint32_t num;
	if ((e = kd_mem_read(mem, a_num, &num, sizeof(num))))
		return kd_err_wrap(e, "reading kallsyms_num_syms at %#" PRIx64, a_num);
	if (num == 0 || num > KD_KALLSYMS_MAX_SYMS)
		return kd_err_new(EINVAL, "kallsyms_num_syms is %" PRIu32 " (expected 1..%u)", num,
				  KD_KALLSYMS_MAX_SYMS);

	struct kd_kallsyms *ks = calloc(1, sizeof(*ks));
	struct tokens *tok = malloc(sizeof(*tok));
	uint32_t *name_off = calloc(num, sizeof(*name_off));
	void *raw = malloc((size_t)num * (enc == ENC_ABSOLUTE ? 8 : 4));
	if (!ks || !tok || !name_off || !raw) {
		e = kd_err_new(ENOMEM, "kallsyms tables for %" PRIu32 " symbols", num);
		goto out;
	}
	ks->n = num;
	if ((e = read_tokens(mem, a_ttab, a_tidx, tok)) ||
	    (e = read_names(mem, a_names, tok, ks, name_off)))
		goto out;

	uint64_t base = 0;
	if (enc == ENC_ABSOLUTE) {
		if ((e = kd_mem_read(mem, a_addresses, raw, (size_t)num * 8))) {
			e = kd_err_wrap(e, "reading kallsyms_addresses at %#" PRIx64, a_addresses);
			goto out;
		}
	} else {
		if ((e = kd_mem_read(mem, a_base, &base, sizeof(base)))) {
			e = kd_err_wrap(e, "reading kallsyms_relative_base at %#" PRIx64, a_base);
			goto out;
		}
		if ((e = kd_mem_read(mem, a_offsets, raw, (size_t)num * 4))) {
			e = kd_err_wrap(e, "reading kallsyms_offsets at %#" PRIx64, a_offsets);
			goto out;
		}
		/* Which of the two offset encodings: _stext's address must come out as the one
		 * VMCOREINFO states; failing that, the absolute-percpu form makes nearly every
		 * offset negative. */
		const int32_t *off = raw;
		uint64_t want;
		size_t si = find_index(ks, name_off, "_stext");
		if (si != SIZE_MAX && vi_symbol(vi, "_stext", &want)) {
			if (decode_offset(ENC_RELATIVE, base, off[si]) == want) {
				enc = ENC_RELATIVE;
				ks->verified = 1;
			} else if (decode_offset(ENC_ABS_PERCPU, base, off[si]) == want) {
				enc = ENC_ABS_PERCPU;
				ks->verified = 1;
			}
		}
		if (!ks->verified) {
			size_t neg = 0;
			for (size_t i = 0; i < num; i++)
				neg += off[i] < 0;
			enc = neg > num / 2 ? ENC_ABS_PERCPU : ENC_RELATIVE;
		}
	}
	ks->enc = enc;
	if (enc == ENC_ABSOLUTE) {
		uint64_t want;
		size_t si = find_index(ks, name_off, "_stext");
		ks->verified = si != SIZE_MAX && vi_symbol(vi, "_stext", &want) &&
			       ((const uint64_t *)raw)[si] == want;
	}

	ks->by_addr = malloc((size_t)num * sizeof(*ks->by_addr));
	if (!ks->by_addr) {
		e = kd_err_new(ENOMEM, "kallsyms index for %" PRIu32 " symbols", num);
		goto out;
	}
	for (size_t i = 0; i < num; i++) {
		uint64_t a = enc == ENC_ABSOLUTE ? ((const uint64_t *)raw)[i]
						 : decode_offset(enc, base, ((const int32_t *)raw)[i]);
		ks->by_addr[i] = (struct entry){ .addr = a, .idx = (uint32_t)i, .name_off = name_off[i] };
	}
	qsort(ks->by_addr, num, sizeof(*ks->by_addr), cmp_entry);

	static const struct { const char *name; size_t off; } bounds[] = {
		{ "_stext", offsetof(struct kd_kallsyms, stext) },
		{ "_etext", offsetof(struct kd_kallsyms, etext) },
		{ "_sinittext", offsetof(struct kd_kallsyms, sinittext) },
		{ "_einittext", offsetof(struct kd_kallsyms, einittext) },
		{ "_end", offsetof(struct kd_kallsyms, end) },
	};
	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++)
		kd_kallsyms_find(ks, bounds[b].name, (uint64_t *)((char *)ks + bounds[b].off));
out:
	free(tok);
	free(name_off);
	free(raw);
	if (e) {
		kd_kallsyms_free(ks);
		return e;
	}
	*out = ks;
	return NULL;
fail_missing:
	return kd_err_wrap(e, "kallsyms tables not exported (VMCOREINFO has them from Linux 6.0)");
}

void kd_kallsyms_free(struct kd_kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->by_addr);
	free(ks->names);
	free(ks);
}

size_t kd_kallsyms_count(const struct kd_kallsyms *ks)
{
	return ks ? ks->n : 0;
}

const char *kd_kallsyms_encoding(const struct kd_kallsyms *ks, int *verified)
{
	if (verified)
		*verified = ks->verified;
	switch (ks->enc) {
	case ENC_RELATIVE: return "relative";
	case ENC_ABS_PERCPU: return "absolute-percpu";
	default: return "absolute";
	}
}

static int in_image(const struct kd_kallsyms *ks, uint64_t addr)
{
	if (ks->stext && addr < ks->stext)
		return 0;
	if (ks->end && addr >= ks->end)
		return 0;
	return 1;
}

int kd_kallsyms_lookup(const struct kd_kallsyms *ks, uint64_t addr, struct kd_ksym *out)
{
	if (!ks || !ks->n || !in_image(ks, addr))
		return -1;
	/* the last entry with entry.addr <= addr */
	size_t lo = 0, hi = ks->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ks->by_addr[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	size_t i = lo - 1;
	uint64_t start = ks->by_addr[i].addr;
	while (i && ks->by_addr[i - 1].addr == start)
		i--;
	const struct entry *en = &ks->by_addr[i];
	out->name = ks->names + en->name_off;
	out->type = ks->names[en->name_off - 1];
	out->addr = start;
	out->offset = addr - start;
	out->size = lo < ks->n ? ks->by_addr[lo].addr - start : 0;
	return 0;
}

int kd_kallsyms_nth(const struct kd_kallsyms *ks, size_t i, struct kd_ksym *out)
{
	if (!ks || i >= ks->n)
		return -1;
	const struct entry *en = &ks->by_addr[i];
	size_t j = i + 1;
	while (j < ks->n && ks->by_addr[j].addr == en->addr)
		j++;
	out->name = ks->names + en->name_off;
	out->type = ks->names[en->name_off - 1];
	out->addr = en->addr;
	out->offset = 0;
	out->size = j < ks->n ? ks->by_addr[j].addr - en->addr : 0;
	return 0;
}

int kd_kallsyms_find(const struct kd_kallsyms *ks, const char *name, uint64_t *addr)
{
	if (!ks)
		return -1;
	const struct entry *best = NULL;
	for (size_t i = 0; i < ks->n; i++) {
		const struct entry *en = &ks->by_addr[i];
		if (!strcmp(ks->names + en->name_off, name) && (!best || en->idx < best->idx))
			best = en;
	}
	if (!best)
		return -1;
	*addr = best->addr;
	return 0;
}

int kd_kallsyms_is_text(const struct kd_kallsyms *ks, uint64_t addr)
{
	if (!ks)
		return 0;
	if (ks->stext && ks->etext && addr >= ks->stext && addr < ks->etext)
		return 1;
	if (ks->sinittext && ks->einittext && addr >= ks->sinittext && addr < ks->einittext)
		return 1;
	if (ks->stext && ks->etext)
		return 0;
	/* without the bounds, a text-typed symbol will do */
	struct kd_ksym s;
	return !kd_kallsyms_lookup(ks, addr, &s) && (s.type == 'T' || s.type == 't' ||
						     s.type == 'W' || s.type == 'w');
}

void kd_kallsyms_format(const struct kd_kallsyms *ks, uint64_t addr, char *buf, size_t n)
{
	struct kd_ksym s;
	if (kd_kallsyms_lookup(ks, addr, &s))
		snprintf(buf, n, "0x%" PRIx64, addr);
	else
		snprintf(buf, n, "%s+0x%" PRIx64 "/0x%" PRIx64, s.name, s.offset, s.size);
}

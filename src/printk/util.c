/* Helpers shared by the log readers: integer reads, required VMCOREINFO keys, damage. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "printk/internal.h"

unsigned kd_pk_long_size(uint64_t symbol_addr)
{
	return symbol_addr > UINT32_MAX ? 8 : 4;
}

uint16_t kd_pk_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t kd_pk_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t kd_pk_get64(const unsigned char *p)
{
	return (uint64_t)kd_pk_get32(p) | (uint64_t)kd_pk_get32(p + 4) << 32;
}

static kd_err *read_n(const struct kd_pk_walk *w, uint64_t addr, unsigned char *b, size_t n)
{
	return kd_err_wrap(kd_mem_read(w->mem, addr, b, n), "reading %zu bytes at %#llx", n,
			   (unsigned long long)addr);
}

kd_err *kd_pk_u16(const struct kd_pk_walk *w, uint64_t addr, uint16_t *out)
{
	unsigned char b[2];
	kd_err *e = read_n(w, addr, b, sizeof(b));
	if (!e)
		*out = kd_pk_get16(b);
	return e;
}

kd_err *kd_pk_u32(const struct kd_pk_walk *w, uint64_t addr, uint32_t *out)
{
	unsigned char b[4];
	kd_err *e = read_n(w, addr, b, sizeof(b));
	if (!e)
		*out = kd_pk_get32(b);
	return e;
}

kd_err *kd_pk_u64(const struct kd_pk_walk *w, uint64_t addr, uint64_t *out)
{
	unsigned char b[8];
	kd_err *e = read_n(w, addr, b, sizeof(b));
	if (!e)
		*out = kd_pk_get64(b);
	return e;
}

kd_err *kd_pk_ulong(const struct kd_pk_walk *w, uint64_t addr, uint64_t *out)
{
	if (w->long_size == 8)
		return kd_pk_u64(w, addr, out);
	uint32_t v;
	kd_err *e = kd_pk_u32(w, addr, &v);
	if (!e)
		*out = v;
	return e;
}

/* A dump's offsets and sizes are untrusted: anything past 1 MiB is no kernel structure, and
 * refusing it keeps address arithmetic far from overflow. */
#define KD_PK_FIELD_MAX (1u << 20)

static kd_err *bounded(kd_err *e, const char *kind, const char *name, const uint64_t *v)
{
	if (!e && *v > KD_PK_FIELD_MAX)
		e = kd_err_new(0, "VMCOREINFO %s(%s)=%llu is implausibly large", kind, name,
			       (unsigned long long)*v);
	return e;
}

/* A key that is missing or malformed is a fact about the dump, not a system error: the
 * message alone says it ("VMCOREINFO has no OFFSET(x)"), without strerror(ENOENT) after it. */
static kd_err *plain(kd_err *e)
{
	if (!e || kd_err_cause(e))
		return e;
	kd_err *p = kd_err_new(0, "%s", kd_err_msg(e));
	kd_err_free(e);
	return p;
}

kd_err *kd_pk_symbol(const struct kd_pk_walk *w, const char *name, uint64_t *out)
{
	return plain(kd_vmcoreinfo_symbol(w->vi, name, out));
}

kd_err *kd_pk_offset(const struct kd_pk_walk *w, const char *name, uint64_t *out)
{
	return bounded(plain(kd_vmcoreinfo_offset(w->vi, name, out)), "OFFSET", name, out);
}

kd_err *kd_pk_size(const struct kd_pk_walk *w, const char *name, uint64_t *out)
{
	return bounded(plain(kd_vmcoreinfo_size(w->vi, name, out)), "SIZE", name, out);
}

__attribute__((format(printf, 2, 0)))
static void vdamage(struct kd_pk_walk *w, const char *fmt, va_list ap)
{
	if (!w->st->damaged++)
		vsnprintf(w->st->problem, sizeof(w->st->problem), fmt, ap);
}

void kd_pk_damage(struct kd_pk_walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdamage(w, fmt, ap);
	va_end(ap);
}

void kd_pk_damage_err(struct kd_pk_walk *w, kd_err *e, const char *fmt, ...)
{
	char what[128], why[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	kd_err_format(e, why, sizeof(why));
	kd_err_free(e);
	kd_pk_damage(w, "%s: %s", what, why);
}

kd_err *kd_pk_emit(struct kd_pk_walk *w, const struct kd_printk_record *r)
{
	w->st->shown++;
	return w->fn(w->arg, r);
}

/* Shared by the three log readers (lockless.c, structured.c, legacy.c): the walk's state,
 * little-endian reads of kernel integers through kd_mem, VMCOREINFO look-ups whose errors name
 * the missing key, and the damage counter. Not for use outside src/printk/. */
#ifndef KD_PRINTK_INTERNAL_H
#define KD_PRINTK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "printk/printk.h"

struct kd_pk_walk {
	const struct kd_mem *mem;
	const struct kd_vmcoreinfo *vi;
	unsigned long_size; /* 4 or 8: the kernel's unsigned long and pointers */
	kd_printk_fn fn;
	void *arg;
	struct kd_printk_stats *st;
};

/* The kernel's long size, guessed from one of its symbols (a 64-bit kernel lives above 4 GiB). */
unsigned kd_pk_long_size(uint64_t symbol_addr);

kd_err *kd_pk_u16(const struct kd_pk_walk *w, uint64_t addr, uint16_t *out);
kd_err *kd_pk_u32(const struct kd_pk_walk *w, uint64_t addr, uint32_t *out);
kd_err *kd_pk_u64(const struct kd_pk_walk *w, uint64_t addr, uint64_t *out);
/* unsigned long / pointer, w->long_size wide */
kd_err *kd_pk_ulong(const struct kd_pk_walk *w, uint64_t addr, uint64_t *out);

/* Decoding from a buffer already read; `off` must leave room (callers check). */
uint16_t kd_pk_get16(const unsigned char *p);
uint32_t kd_pk_get32(const unsigned char *p);
uint64_t kd_pk_get64(const unsigned char *p);

/* SYMBOL(name)/OFFSET(name)/SIZE(name) that must be present: the error names the key. */
kd_err *kd_pk_symbol(const struct kd_pk_walk *w, const char *name, uint64_t *out);
kd_err *kd_pk_offset(const struct kd_pk_walk *w, const char *name, uint64_t *out);
kd_err *kd_pk_size(const struct kd_pk_walk *w, const char *name, uint64_t *out);

/* A record that cannot be shown (in full): count it and keep the first reason. */
void kd_pk_damage(struct kd_pk_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, the reason being an error (consumed). */
void kd_pk_damage_err(struct kd_pk_walk *w, kd_err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Hand one record to the caller. */
kd_err *kd_pk_emit(struct kd_pk_walk *w, const struct kd_printk_record *r);

/* The longest text a record can carry: text_len is a u16 in every layout. */
#define KD_PK_TEXT_MAX 65535u

kd_err *kd_pk_walk_lockless(struct kd_pk_walk *w);
kd_err *kd_pk_walk_structured(struct kd_pk_walk *w);
kd_err *kd_pk_walk_legacy(struct kd_pk_walk *w);

#endif

/* VMCOREINFO: the KEY=VALUE lines the crashed kernel leaves in an ELF note (and that dump formats
 * copy): OSRELEASE, BUILD-ID, SYMBOL(name)=hex address, OFFSET(struct.member)=decimal,
 * SIZE(struct)=decimal, LENGTH(array)=decimal, NUMBER(name)=decimal (may be negative),
 * KERNELOFFSET=hex, CRASHTIME=decimal, PAGESIZE=decimal. A dump's text is untrusted: lines that
 * do not parse are skipped (and counted), never fatal; a value that does not parse is an error
 * only when someone asks for it. */
#ifndef KD_VMCORE_VMCOREINFO_H
#define KD_VMCORE_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct kd_vmcoreinfo;

kd_err *kd_vmcoreinfo_parse(const char *text, size_t len, struct kd_vmcoreinfo **out);
void kd_vmcoreinfo_free(struct kd_vmcoreinfo *vi);

/* The raw value of KEY (e.g. "OSRELEASE", "SYMBOL(prb)"); NULL when absent. The last line wins
 * when a key repeats. */
const char *kd_vmcoreinfo_get(const struct kd_vmcoreinfo *vi, const char *key);
/* The original text (NUL-terminated copy) and its length, for writers that copy it verbatim. */
const char *kd_vmcoreinfo_text(const struct kd_vmcoreinfo *vi, size_t *len);
size_t kd_vmcoreinfo_bad_lines(const struct kd_vmcoreinfo *vi);

/* Typed lookups; ENOENT when the key is absent, EINVAL when its value does not parse.
 *   symbol("prb")                  SYMBOL(prb), hex
 *   offset("printk_info.seq")      OFFSET(printk_info.seq), decimal
 *   size("printk_info")            SIZE(printk_info)
 *   length("printk_info_subsystem") LENGTH(...)
 *   number("PG_lru")               NUMBER(PG_lru), signed decimal */
kd_err *kd_vmcoreinfo_symbol(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out);
kd_err *kd_vmcoreinfo_offset(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out);
kd_err *kd_vmcoreinfo_size(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out);
kd_err *kd_vmcoreinfo_length(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out);
kd_err *kd_vmcoreinfo_number(const struct kd_vmcoreinfo *vi, const char *name, int64_t *out);
/* Any key, as hex (KERNELOFFSET) or decimal (CRASHTIME, PAGESIZE). */
kd_err *kd_vmcoreinfo_hex(const struct kd_vmcoreinfo *vi, const char *key, uint64_t *out);
kd_err *kd_vmcoreinfo_dec(const struct kd_vmcoreinfo *vi, const char *key, uint64_t *out);

#endif

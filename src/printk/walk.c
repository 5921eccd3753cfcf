/* Which of the three log layouts a dump has, and the walk over it. The choice follows
 * vmcore-dmesg: SYMBOL(prb), else SYMBOL(log_first_idx), else the plain log_buf. */
#include <errno.h>
#include <string.h>

#include "printk/internal.h"

enum kd_printk_format kd_printk_detect(const struct kd_vmcoreinfo *vi)
{
	if (!vi)
		return KD_PRINTK_NONE;
	if (kd_vmcoreinfo_get(vi, "SYMBOL(prb)"))
		return KD_PRINTK_LOCKLESS;
	if (kd_vmcoreinfo_get(vi, "SYMBOL(log_first_idx)"))
		return KD_PRINTK_STRUCTURED;
	if (kd_vmcoreinfo_get(vi, "SYMBOL(log_buf)"))
		return KD_PRINTK_LEGACY;
	return KD_PRINTK_NONE;
}

const char *kd_printk_format_name(enum kd_printk_format f)
{
	switch (f) {
	case KD_PRINTK_LOCKLESS: return "lockless ringbuffer";
	case KD_PRINTK_STRUCTURED: return "structured log_buf";
	case KD_PRINTK_LEGACY: return "plain log_buf";
	case KD_PRINTK_NONE: break;
	}
	return "none";
}

kd_err *kd_printk_walk(const struct kd_mem *mem, kd_printk_fn fn, void *arg,
		       struct kd_printk_stats *stats)
{
	struct kd_printk_stats local;
	struct kd_pk_walk w = { .mem = mem, .vi = mem->vmcoreinfo, .long_size = 8, .fn = fn,
				.arg = arg, .st = stats ? stats : &local };
	memset(w.st, 0, sizeof(*w.st));
	if (!w.vi)
		return kd_err_new(0, "the dump has no VMCOREINFO: the kernel log cannot be found");
	w.st->format = kd_printk_detect(w.vi);
	switch (w.st->format) {
	case KD_PRINTK_LOCKLESS: return kd_pk_walk_lockless(&w);
	case KD_PRINTK_STRUCTURED: return kd_pk_walk_structured(&w);
	case KD_PRINTK_LEGACY: return kd_pk_walk_legacy(&w);
	case KD_PRINTK_NONE: break;
	}
	return kd_err_new(0, "VMCOREINFO has none of SYMBOL(prb), SYMBOL(log_first_idx), "
			  "SYMBOL(log_buf): the kernel log cannot be found");
}

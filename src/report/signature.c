/* Crash signature: see signature.h for the exact input. */
#include "report/signature.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

uint64_t kd_fnv1a64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Frames of the machinery that reports and dumps a crash rather than of the crash itself. */
static const char *const generic[] = {
	"dump_stack", "dump_stack_lvl", "show_stack", "show_trace_log_lvl", "panic", "vpanic",
	"nmi_panic", "__warn", "warn_slowpath_fmt", "report_bug", "handle_bug", "exc_invalid_op",
	"asm_exc_invalid_op", "do_trap", "do_error_trap", "die", "__die", "__die_body", "oops_end",
	"crash_kexec", "__crash_kexec", "machine_kexec", "crash_setup_regs", "_printk", "printk",
	"vprintk_emit", "vprintk",
};

int kd_sig_generic(const char *func)
{
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (!strcmp(func, generic[i]))
			return 1;
	return 0;
}

void kd_sig_normalize(const char *func, char *out, size_t n)
{
	size_t len = strcspn(func, ".");
	if (!n)
		return;
	if (len >= n)
		len = n - 1;
	memcpy(out, func, len);
	out[len] = 0;
}

void kd_sig_begin(struct kd_sig_builder *b, const char *kind)
{
	snprintf(b->input, sizeof(b->input), "%s", kind);
	b->nframes = 0;
}

int kd_sig_add(struct kd_sig_builder *b, const char *func)
{
	char f[128];
	kd_sig_normalize(func, f, sizeof(f));
	if (!f[0] || b->nframes >= KD_SIG_FRAMES || kd_sig_generic(f))
		return 0;
	size_t len = strlen(b->input);
	snprintf(b->input + len, sizeof(b->input) - len, "|%s", f);
	b->nframes++;
	return 1;
}

void kd_sig_finish(const struct kd_sig_builder *b, char out[17])
{
	snprintf(out, 17, "%016" PRIx64, kd_fnv1a64(b->input, strlen(b->input)));
}

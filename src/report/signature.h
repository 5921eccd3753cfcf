/* The crash signature: the same bug on different machines and kernels of one series gets the
 * same short string, so reports group.
 *
 * Input (exact): "<kind>|<f1>|<f2>|<f3>", kind from kd_kind_name(), fN the first three
 * function names of the crash, innermost first: the faulting function when the kernel printed
 * an exception's RIP, then the reliable "Call Trace:" frames (those without "? "). Names lose
 * every suffix from the first '.' (".cold", ".constprop.0", ".isra.0", ".part.0": compiler
 * clones differ between builds) and frames that every panic shares are skipped (panic,
 * dump_stack*, __warn, report_bug, die/oops_end, the kexec path, ...). Fewer than three frames:
 * fewer fields. Hash: FNV-1a 64 of that string, printed as 16 lower-case hex digits. */
#ifndef KD_REPORT_SIGNATURE_H
#define KD_REPORT_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define KD_SIG_FRAMES 3

uint64_t kd_fnv1a64(const void *data, size_t len);
/* Is this (normalized) function one every crash of its kind passes through? */
int kd_sig_generic(const char *func);
/* Copy func without its clone suffixes into out. */
void kd_sig_normalize(const char *func, char *out, size_t n);

struct kd_sig_builder {
	char input[512];
	int nframes;
};
void kd_sig_begin(struct kd_sig_builder *b, const char *kind);
/* Add a frame if it is not generic and fewer than KD_SIG_FRAMES are in; 1 when added. */
int kd_sig_add(struct kd_sig_builder *b, const char *func);
/* "0123456789abcdef" into out (17 bytes). */
void kd_sig_finish(const struct kd_sig_builder *b, char out[17]);

#endif

/* libFuzzer target: the log scanner (panic kind, task line, taint, modules, RIP line, call
 * trace) on arbitrary text split into lines, and the signature built from what it finds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/logscan.h"
#include "report/signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = 1;
	for (size_t i = 0; i < size; i++)
		cap += data[i] == '\n';
	struct kd_logline *lines = malloc(cap * sizeof(*lines));
	struct kd_logscan *s = malloc(sizeof(*s));
	if (!lines || !s) {
		free(lines);
		free(s);
		return 0;
	}
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			lines[n++] = (struct kd_logline){ (const char *)data + start, i - start, i };
			start = i + 1;
		}
	}
	kd_logscan(lines, n, s);
	if (s->have_event && s->event_line >= n)
		__builtin_trap();
	if (s->nframes > KD_LOG_MAX_FRAMES || strlen(s->headline) >= sizeof(s->headline))
		__builtin_trap();
	struct kd_sig_builder b;
	kd_sig_begin(&b, kd_kind_name(s->kind));
	if (s->have_regs && s->rip_symbolic)
		kd_sig_add(&b, s->rip.func);
	for (size_t i = 0; i < s->nframes; i++) {
		if (s->frames[i].line >= n)
			__builtin_trap();
		kd_sig_add(&b, s->frames[i].sym.func);
	}
	char hex[17];
	kd_sig_finish(&b, hex);
	free(lines);
	free(s);
	return 0;
}

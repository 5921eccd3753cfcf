/* libFuzzer: the command-line splitter. Property: what kd_cmdline_str() prints splits back
 * into the same parameters and init arguments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct kd_cmdline a, b;
	if (kd_cmdline_parse(s, &a)) {
		free(s);
		return 0;
	}
	char *out = kd_cmdline_str(&a);
	if (kd_cmdline_parse(out, &b))
		abort();
	if (a.count != b.count || !a.init_args != !b.init_args)
		abort();
	for (size_t i = 0; i < a.count; i++) {
		if (strcmp(a.params[i].key, b.params[i].key))
			abort();
		if (!a.params[i].value != !b.params[i].value)
			abort();
		if (a.params[i].value && strcmp(a.params[i].value, b.params[i].value))
			abort();
	}
	if (a.init_args && strcmp(a.init_args, b.init_args))
		abort();
	kd_cmdline_remove(&a, "crashkernel");
	kd_cmdline_append(&a, "irqpoll", NULL);
	free(kd_cmdline_str(&a));
	kd_cmdline_free(&a);
	kd_cmdline_free(&b);
	free(out);
	free(s);
	return 0;
}

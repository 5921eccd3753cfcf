/* libFuzzer: the purgatory object parser (sections, symbols, relocations), as the loader uses
 * it: open, look up and set the symbols it patches, relocate once. It parses only the object
 * embedded in kdumpkit, but every offset, index and size in it is still checked: nothing here
 * may crash or touch memory outside the object and the image. */
#include <stdint.h>
#include <stdlib.h>

#include "kexec/purgatory_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_purgatory p;
	kd_err *e = kd_purgatory_open(data, size, &p);
	if (e) {
		kd_err_free(e);
		return 0;
	}
	if (!p.align || p.align & (p.align - 1) || p.align > 4096)
		abort();
	static const char *const names[] = { "kd_purgatory_regions", "kd_purgatory_digest",
					     "kd_purgatory_boot_params", "kd_purgatory_kernel_entry",
					     "kd_purgatory_start" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t off, len;
		e = kd_purgatory_symbol(&p, names[i], &off, &len);
		if (!e && (off > p.size || len > p.size - off))
			abort(); /* a symbol the loader would write outside the image */
		kd_err_free(e);
	}
	uint64_t v = 0x1000;
	kd_err_free(kd_purgatory_set(&p, "kd_purgatory_boot_params", &v, sizeof(v)));
	kd_err_free(kd_purgatory_relocate(&p, 0x100000));
	kd_purgatory_close(&p);
	return 0;
}

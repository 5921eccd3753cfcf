/* libFuzzer: the /proc/iomem parser. Properties of a successful parse: parents come first,
 * depths step by one, and every child lies inside its parent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/iomem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct kd_iomem io;
	kd_err *e = kd_iomem_parse(s, &io);
	if (!e) {
		for (size_t i = 0; i < io.count; i++) {
			const struct kd_iomem_res *r = &io.res[i];
			if (r->end < r->start)
				abort();
			if (r->parent == KD_IOMEM_NONE) {
				if (r->depth)
					abort();
				continue;
			}
			const struct kd_iomem_res *p = &io.res[r->parent];
			if (r->parent >= i || p->depth + 1 != r->depth || r->start < p->start ||
			    r->end > p->end)
				abort();
		}
		kd_iomem_find(&io, "Crash kernel", KD_IOMEM_NONE);
		kd_iomem_total(&io, "System RAM");
		kd_iomem_free(&io);
	}
	kd_err_free(e);
	free(s);
	return 0;
}

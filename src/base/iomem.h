/* /proc/iomem as a tree. Each line is "START-END : NAME", indented two spaces per level of
 * nesting; the nesting matters ("Crash kernel" and "Kernel code" sit inside "System RAM").
 * Read without CAP_SYS_ADMIN the kernel shows every address as 0: that is reported as an error
 * rather than parsed into a map of nothing. */
#ifndef KD_BASE_IOMEM_H
#define KD_BASE_IOMEM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define KD_IOMEM_NONE ((size_t)-1)

struct kd_iomem_res {
	uint64_t start, end; /* inclusive, as printed */
	char *name;
	unsigned depth;
	size_t parent;       /* index, KD_IOMEM_NONE at top level */
};

struct kd_iomem {
	struct kd_iomem_res *res; /* in file order: a parent comes before its children */
	size_t count;
};

kd_err *kd_iomem_parse(const char *text, struct kd_iomem *io);
kd_err *kd_iomem_read(const char *path, struct kd_iomem *io);
void kd_iomem_free(struct kd_iomem *io);

/* Next resource named `name` after index `from` (KD_IOMEM_NONE: from the start), at any depth;
 * KD_IOMEM_NONE when there is none. */
size_t kd_iomem_find(const struct kd_iomem *io, const char *name, size_t from);
/* Whether resource i lies (directly or not) inside a resource named `name`. */
int kd_iomem_within(const struct kd_iomem *io, size_t i, const char *name);
/* Total bytes of the top-level resources named `name` (e.g. "System RAM"). */
uint64_t kd_iomem_total(const struct kd_iomem *io, const char *name);

#endif

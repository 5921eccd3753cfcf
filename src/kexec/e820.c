#include "kexec/e820.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kexec/sysfs_file.h"

kd_err *kd_e820_add(struct kd_e820 *m, uint64_t addr, uint64_t size, uint32_t type)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 32;
		struct kd_e820_entry *e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return kd_err_new(ENOMEM, "allocating %zu e820 entries", cap);
		m->e = e;
		m->cap = cap;
	}
	m->e[m->n++] = (struct kd_e820_entry){ addr, size, type };
	return NULL;
}

static int by_addr(const void *a, const void *b)
{
	const struct kd_e820_entry *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

void kd_e820_sort(struct kd_e820 *m)
{
	if (m->n > 1)
		qsort(m->e, m->n, sizeof(*m->e), by_addr);
}

void kd_e820_free(struct kd_e820 *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* The strings are the kernel's e820_type_to_string(). */
static const struct { const char *name; uint32_t type; } type_names[] = {
	{ "System RAM", KD_E820_RAM },
	{ "Reserved", KD_E820_RESERVED },
	{ "ACPI Tables", KD_E820_ACPI },
	{ "ACPI Non-volatile Storage", KD_E820_NVS },
	{ "Unusable memory", KD_E820_UNUSABLE },
	{ "Persistent Memory (legacy)", KD_E820_PRAM },
	{ "Persistent Memory", KD_E820_PMEM },
	{ "Soft Reserved", KD_E820_SOFT_RESERVED },
};

uint32_t kd_e820_type_of(const char *name)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(name, type_names[i].name))
			return type_names[i].type;
	return KD_E820_RESERVED;
}

static kd_err *memmap_entry(const char *dir, const char *name, struct kd_e820 *out)
{
	char path[4096], type[128];
	uint64_t start, end;
	kd_err *e;
	snprintf(path, sizeof(path), "%s/%s/start", dir, name);
	if ((e = kd_sysfs_hex(path, &start)))
		return e;
	snprintf(path, sizeof(path), "%s/%s/end", dir, name);
	if ((e = kd_sysfs_hex(path, &end)))
		return e;
	if (end < start || (start == 0 && end == UINT64_MAX))
		return kd_err_new(EINVAL, "%s/%s: implausible range %#llx-%#llx", dir, name,
				  (unsigned long long)start, (unsigned long long)end);
	snprintf(path, sizeof(path), "%s/%s/type", dir, name);
	if ((e = kd_sysfs_line(path, type, sizeof(type))))
		return e;
	return kd_e820_add(out, start, end - start + 1, kd_e820_type_of(type));
}

kd_err *kd_e820_from_memmap_dir(const char *dir, struct kd_e820 *out)
{
	memset(out, 0, sizeof(*out));
	DIR *d = opendir(dir);
	if (!d)
		return kd_err_errno("opening %s (the firmware memory map)", dir);
	kd_err *e = NULL;
	struct dirent *de;
	while (!e && (de = readdir(d))) {
		const char *s = de->d_name;
		size_t k = 0;
		while (isdigit((unsigned char)s[k]))
			k++;
		if (k && !s[k])
			e = memmap_entry(dir, s, out);
	}
	closedir(d);
	if (!e && out->n == 0)
		e = kd_err_new(ENOENT, "%s has no entries", dir);
	if (e) {
		kd_e820_free(out);
		return kd_err_wrap(e, "reading the firmware memory map");
	}
	kd_e820_sort(out);
	return NULL;
}

/* Each resource named `name` (as the kernel's walk finds it) over [lo, hi] as type. */
static kd_err *add_iomem(struct kd_e820 *out, const struct kd_iomem *io, const char *name,
			 uint64_t lo, uint64_t hi, uint32_t type)
{
	struct kd_mem_ranges m = { 0 };
	kd_err *e = kd_mem_ranges_from_iomem(&m, io, name, lo, hi);
	for (size_t i = 0; !e && i < m.n; i++)
		e = kd_e820_add(out, m.r[i].start, m.r[i].end - m.r[i].start + 1, type);
	kd_mem_ranges_free(&m);
	return e;
}

#define LOW_1M (1ULL << 20)
#define MIN_PIECE 4096 /* the kernel skips crash-region pieces smaller than a page */

kd_err *kd_e820_for_crash(const struct kd_iomem *io, const struct kd_crash_regions *cr,
			  const struct kd_mem_range *exclude, size_t nexclude, struct kd_e820 *out)
{
	memset(out, 0, sizeof(*out));
	if (cr->n == 0 || cr->main >= cr->n)
		return kd_err_new(EINVAL, "no crash kernel region is reserved");
	/* the capture kernel needs the low 1M (real-mode trampoline, BIOS data) */
	kd_err *e = add_iomem(out, io, "System RAM", 0, LOW_1M - 1, KD_E820_RAM);
	if (!e)
		e = add_iomem(out, io, "ACPI Tables", 0, UINT64_MAX, KD_E820_ACPI);
	if (!e)
		e = add_iomem(out, io, "ACPI Non-volatile Storage", 0, UINT64_MAX, KD_E820_NVS);
	if (!e)
		e = add_iomem(out, io, "Reserved", 0, UINT64_MAX, KD_E820_RESERVED);
	for (size_t i = 0; !e && i < cr->n; i++)
		if (i != cr->main)
			e = kd_e820_add(out, cr->r[i].start, cr->r[i].end - cr->r[i].start + 1,
					KD_E820_RAM);
	struct kd_mem_ranges m = { 0 };
	if (!e)
		e = kd_mem_ranges_add(&m, cr->r[cr->main].start, cr->r[cr->main].end);
	for (size_t i = 0; !e && i < nexclude; i++)
		e = kd_mem_ranges_exclude(&m, exclude[i].start, exclude[i].end);
	for (size_t i = 0; !e && i < m.n; i++) {
		uint64_t size = m.r[i].end - m.r[i].start + 1;
		if (size >= MIN_PIECE)
			e = kd_e820_add(out, m.r[i].start, size, KD_E820_RAM);
	}
	kd_mem_ranges_free(&m);
	if (e) {
		kd_e820_free(out);
		return kd_err_wrap(e, "building the capture kernel's memory map");
	}
	kd_e820_sort(out);
	return NULL;
}

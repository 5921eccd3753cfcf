#include "fakemem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kd_err *fake_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	struct fake_mem *f = ctx;
	f->reads++;
	if (addr < f->base || addr - f->base > f->size || len > f->size - (addr - f->base))
		return kd_err_new(EFAULT, "address %#llx+%zu is not in the dump",
				  (unsigned long long)addr, len);
	if (f->hole_start < f->hole_end && addr < f->hole_end && addr + len > f->hole_start)
		return kd_err_new(EIO, "page at %#llx is excluded", (unsigned long long)addr);
	memcpy(out, f->buf + (addr - f->base), len);
	return NULL;
}

void fake_init(struct fake_mem *f, uint64_t base, size_t size)
{
	memset(f, 0, sizeof(*f));
	f->buf = calloc(1, size ? size : 1);
	f->size = size;
	f->base = base;
	fake_vmcoreinfo_init(&f->vi);
	f->mem.read_virt = fake_read;
	f->mem.read_phys = fake_read;
	f->mem.ctx = f;
}

void fake_free(struct fake_mem *f)
{
	free(f->buf);
	fake_vmcoreinfo_free(&f->vi);
	memset(f, 0, sizeof(*f));
}

void fake_vi(struct fake_mem *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fake_vmcoreinfo_add(&f->vi, fmt, ap);
	va_end(ap);
}

struct kd_mem *fake_finish(struct fake_mem *f, const char *omit)
{
	f->mem.vmcoreinfo = fake_vmcoreinfo_parse(&f->vi, omit);
	return &f->mem;
}

void fake_put(struct fake_mem *f, uint64_t addr, const void *p, size_t n)
{
	if (addr < f->base || addr - f->base + n > f->size) {
		fprintf(stderr, "fake_put outside the fake memory: %#llx\n", (unsigned long long)addr);
		abort();
	}
	memcpy(f->buf + (addr - f->base), p, n);
}

void fake_put16(struct fake_mem *f, uint64_t addr, uint16_t v)
{
	unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	fake_put(f, addr, b, 2);
}

void fake_put32(struct fake_mem *f, uint64_t addr, uint32_t v)
{
	fake_put16(f, addr, (uint16_t)v);
	fake_put16(f, addr + 2, (uint16_t)(v >> 16));
}

void fake_put64(struct fake_mem *f, uint64_t addr, uint64_t v)
{
	fake_put32(f, addr, (uint32_t)v);
	fake_put32(f, addr + 4, (uint32_t)(v >> 32));
}

char *fake_dmesg(struct fake_mem *f, char **err, struct kd_printk_stats *st)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	kd_err *e = kd_printk_write(&f->mem, m, st);
	fclose(m);
	*err = NULL;
	if (e) {
		size_t need = kd_err_format(e, NULL, 0) + 1;
		*err = malloc(need);
		kd_err_format(e, *err, need);
		kd_err_free(e);
	}
	return out;
}

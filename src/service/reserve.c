/* The crashkernel= reservation against what the capture kernel needs (load.h): read before
 * anything is loaded, so a reservation too small is a message at `kdumpctl start`, not a
 * capture kernel that runs out of memory after a panic. */
#include "service/load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cmdline.h"
#include "base/iomem.h"
#include "base/size.h"
#include "kexec/crash_region.h"
#include "kexec/image.h"
#include "kexec/sysfs_file.h"

#define MiB (1ULL << 20)

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Whole MiB, rounded up (what an operator writes in crashkernel=). */
static unsigned long long mib_up(uint64_t v)
{
	return (unsigned long long)(v / MiB + (v % MiB != 0));
}

static void read_crashkernel_arg(const char *root, char *buf, size_t n)
{
	char path[4096];
	char *line = NULL;
	size_t cap = 0;
	buf[0] = '\0';
	if (kd_err_ignore(kd_load_rooted(root, "/proc/cmdline", path, sizeof(path))))
		return;
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	ssize_t len = getline(&line, &cap, f);
	fclose(f);
	struct kd_cmdline cl = { 0 };
	if (len > 0 && !kd_err_ignore(kd_cmdline_parse(line, &cl))) {
		/* the kernel acts on the last plain one; show them all as written */
		for (size_t i = 0; i < cl.count; i++) {
			if (!kd_cmdline_key_eq(cl.params[i].key, "crashkernel"))
				continue;
			size_t used = strlen(buf);
			snprintf(buf + used, n - used, "%s%s", used ? " " : "", cl.params[i].raw);
		}
	}
	kd_cmdline_free(&cl);
	free(line);
}

kd_err *kd_load_reservation_read(const char *root, struct kd_load_reservation *r)
{
	memset(r, 0, sizeof(*r));
	char path[4096];
	kd_err *e;
	read_crashkernel_arg(root, r->crashkernel, sizeof(r->crashkernel));

	/* /proc/iomem has the range (to root only: others see zeros, an error we pass over) */
	if ((e = kd_load_rooted(root, "/proc/iomem", path, sizeof(path))))
		return e;
	struct kd_iomem io = { 0 };
	kd_err *io_err = kd_iomem_read(path, &io);
	if (!io_err) {
		struct kd_crash_regions cr;
		kd_crash_regions_find(&io, &cr);
		if (cr.n) {
			r->have_range = 1;
			r->start = cr.r[cr.main].start;
			r->end = cr.r[cr.main].end;
			r->size = kd_crash_region_size(&cr);
		}
		kd_iomem_free(&io);
	}
	/* /sys/kernel/kexec_crash_size: readable by anyone, the region the kernel will use (it
	 * can have been shrunk by writing to this file) */
	if ((e = kd_load_rooted(root, "/sys/kernel/kexec_crash_size", path, sizeof(path)))) {
		kd_err_free(io_err);
		return e;
	}
	char line[64];
	kd_err *sz_err = kd_sysfs_line(path, line, sizeof(line));
	if (!sz_err) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(line, &end, 10);
		if (errno || end == line || *end)
			sz_err = kd_err_new(EINVAL, "%s: \"%s\" is not a size in bytes", path, line);
		else
			r->size = v;
	}
	if (sz_err && io_err) {
		e = kd_err_wrap(sz_err, "reading the crash kernel reservation (and %s: %s)",
				"/proc/iomem", kd_err_msg(io_err));
		kd_err_free(io_err);
		return e;
	}
	kd_err_free(sz_err);
	kd_err_free(io_err);
	return NULL;
}

void kd_load_need_compute(uint64_t kernel_init_size, uint64_t kernel_align, uint64_t initrd_size,
			  struct kd_load_need *n)
{
	struct kd_crash_fit f;
	/* the loader's own accounting of what kexec puts in the region */
	kd_crash_fit_compute(UINT64_MAX, kernel_init_size, kernel_align, initrd_size, &f);
	memset(n, 0, sizeof(*n));
	n->kernel = f.kernel;
	n->overhead = f.overhead;
	n->initrd = f.initrd;
	n->initrd_unpacked = mul_sat(f.initrd, KD_LOAD_INITRD_UNPACK_FACTOR);
	n->runtime = KD_LOAD_RUNTIME;
	n->needed = add_sat(add_sat(add_sat(n->kernel, n->overhead), add_sat(n->initrd,
				    n->initrd_unpacked)), n->runtime);
	uint64_t a = KD_LOAD_SUGGEST_ALIGN;
	n->suggest = n->needed > UINT64_MAX - a ? UINT64_MAX : (n->needed + a - 1) / a * a;
}

kd_err *kd_load_kernel_size(const char *kernel, uint64_t *init_size, uint64_t *align)
{
	struct kd_kernel_image img;
	kd_err *e = kd_kernel_image_open(kernel, KD_DECOMPRESS_MAX, &img);
	if (e)
		return e;
	if (img.kind == KD_IMAGE_BZIMAGE) {
		*init_size = img.bz.init_size;
		*align = img.bz.kernel_alignment;
	} else {
		/* an ELF vmlinux occupies at least its file's size once loaded */
		*init_size = img.size;
		*align = 0;
	}
	kd_kernel_image_close(&img);
	return NULL;
}

kd_err *kd_load_need_check(const struct kd_load_reservation *r, const struct kd_load_need *n)
{
	if (r->size >= n->needed)
		return NULL;
	char ck[300];
	if (r->crashkernel[0])
		snprintf(ck, sizeof(ck), "%s", r->crashkernel);
	else
		snprintf(ck, sizeof(ck), "no crashkernel= on /proc/cmdline");
	if (r->size == 0)
		return kd_err_new(0, "no memory is reserved for a capture kernel (%s), %llu MiB "
				  "needed (kernel %llu MiB, initramfs %llu MiB, run time %llu MiB): put "
				  "crashkernel=%lluM on the kernel command line and reboot", ck,
				  mib_up(n->needed), mib_up(n->kernel + n->overhead),
				  mib_up(n->initrd + n->initrd_unpacked), mib_up(n->runtime),
				  mib_up(n->suggest));
	return kd_err_new(0, "%llu MiB reserved (%s), %llu MiB needed (kernel %llu MiB, "
			  "initramfs %llu MiB, run time %llu MiB): put crashkernel=%lluM on the kernel command line "
			  "and reboot", (unsigned long long)(r->size / MiB), ck, mib_up(n->needed),
			  mib_up(n->kernel + n->overhead), mib_up(n->initrd + n->initrd_unpacked),
			  mib_up(n->runtime), mib_up(n->suggest));
}

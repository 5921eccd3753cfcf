#include "kexec/load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/iomem.h"
#include "base/log.h"
#include "base/size.h"
#include "kexec/classic.h"
#include "kexec/crash_region.h"
#include "kexec/image.h"
#include "kexec/syscall.h"

#define IOMEM_PATH "/proc/iomem"
#define LOCKDOWN_PATH "/sys/kernel/security/lockdown"
/* x86 bzImage64_load() keeps room to append "elfcorehdr=0x<addr> " within cmdline_size */
#define ELFCOREHDR_STR_LEN 30

static kd_err *read_crash_regions(const char *path, struct kd_iomem *io,
				  struct kd_crash_regions *cr)
{
	kd_err *e = kd_iomem_read(path, io);
	if (e)
		return e;
	kd_crash_regions_find(io, cr);
	return NULL;
}

static int locked_down(void);

/* The classic path: kexec_load with segments, boot_params and purgatory built here. */
static kd_err *classic_load(const struct kd_kexec_load_req *rq, const struct kd_kernel_image *img,
			    const struct kd_iomem *io, const struct kd_crash_regions *cr,
			    kd_err *why)
{
	if (why) {
		char b[512];
		kd_err_format(why, b, sizeof(b));
		kd_debug("using kexec_load: %s", b);
		kd_err_free(why);
	}
	struct kd_classic_req cq = {
		.kernel = rq->kernel, .img = img, .initrd = rq->initrd, .cmdline = rq->cmdline,
		.panic = rq->panic, .mem_min = rq->mem_min,
		.mem_max = rq->mem_max ? rq->mem_max : (uint64_t)UINT64_MAX,
		.io = rq->panic ? io : NULL, .cr = rq->panic ? cr : NULL,
		.root = rq->root ? rq->root : "", .dry_run = rq->dry_run,
	};
	struct kd_classic_res res;
	kd_err *e = kd_kexec_classic_load(&cq, &res);
	if (!e)
		kd_debug("%s kernel loaded with kexec_load (%zu segments)",
			 rq->panic ? "capture" : "reboot", res.nseg);
	else if (kd_err_errnum(e) == EPERM && geteuid() == 0 && locked_down())
		e = kd_err_wrap(e, "the kernel is locked down (%s): it refuses kexec_load "
				"altogether; only kexec_file_load of a signed kernel can work",
				LOCKDOWN_PATH);
	else if (kd_err_errnum(e) == EBUSY)
		e = kd_err_wrap(e, "another kexec load or kexec -e is in progress");
	return e;
}

/* -t: kexec-tools' x86_64 type names */
static kd_err *check_type(const char *type, const struct kd_kernel_image *img)
{
	int bz = !strcmp(type, "bzImage64") || !strcmp(type, "bzImage");
	int elf = !strcmp(type, "elf-x86_64") || !strcmp(type, "elf-x86");
	if (!bz && !elf)
		return kd_err_new(0, "Unsupported kernel type %s (bzImage64, elf-x86_64)", type);
	if ((bz && img->kind != KD_IMAGE_BZIMAGE) || (elf && img->kind != KD_IMAGE_ELF_VMLINUX))
		return kd_err_new(0, "Wrong file type %s, file matches type %s", type,
				  img->kind == KD_IMAGE_BZIMAGE ? "bzImage64" : "elf-x86_64");
	return NULL;
}

static kd_err *open_initrd(const char *path, int *fd, uint64_t *size)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return kd_err_wrap(kd_err_errno("opening"), "initrd %s", path);
	struct stat st;
	kd_err *e = NULL;
	if (fstat(*fd, &st) < 0)
		e = kd_err_errno("stat");
	else if (!S_ISREG(st.st_mode))
		e = kd_err_new(EINVAL, "not a regular file");
	if (e) {
		close(*fd);
		*fd = -1;
		return kd_err_wrap(e, "initrd %s", path);
	}
	*size = (uint64_t)st.st_size;
	return NULL;
}

static int locked_down(void)
{
	char buf[128] = "";
	int fd = open(LOCKDOWN_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "none [integrity] confidentiality": the bracketed one is in force */
	return !strstr(buf, "[none]");
}

/* What a refused kexec_file_load means, for the operator. */
static kd_err *explain(kd_err *e, int errnum, int panic)
{
	switch (kd_kexec_file_errclass(errnum)) {
	case KD_KEXEC_ERR_SIGNATURE:
		if (errnum == EPERM && geteuid() != 0)
			return kd_err_wrap(e, "loading a kernel needs root (CAP_SYS_BOOT)");
		if (errnum == EPERM && locked_down())
			return kd_err_wrap(e, "the kernel is locked down (%s) and refuses images "
					   "without a valid signature; kexec_load is refused too",
					   LOCKDOWN_PATH);
		return kd_err_wrap(e, "the kernel refused the image's signature (not falling back "
				   "to kexec_load: that would bypass the check)");
	case KD_KEXEC_ERR_FALLBACK:
		if (errnum == ENOSYS)
			return kd_err_wrap(e, "this kernel has no kexec_file_load (CONFIG_KEXEC_FILE)");
		return kd_err_wrap(e, "the kernel cannot load this image itself (its log says why)");
	case KD_KEXEC_ERR_OTHER:
		break;
	}
	if (panic && (errnum == EADDRNOTAVAIL || errnum == ENOMEM))
		return kd_err_wrap(e, "the kernel found no room for the capture kernel in the crash "
				   "kernel region (crashkernel= too small?)");
	if (errnum == EBUSY)
		return kd_err_wrap(e, "another kexec load or kexec -e is in progress");
	return e;
}

static kd_err *check_fit(const struct kd_crash_regions *cr, const struct kd_kernel_image *img,
			 const struct kd_kexec_load_req *rq, uint64_t initrd_size)
{
	char a[32], b[32], c[32], d[32], r[32];
	uint64_t region = kd_crash_region_size(cr);
	struct kd_crash_fit f;
	kd_crash_fit_compute(region, img->bz.init_size, img->bz.kernel_alignment, initrd_size, &f);
	kd_info("crash kernel region %#llx-%#llx: %s",
		(unsigned long long)cr->r[cr->main].start, (unsigned long long)cr->r[cr->main].end,
		kd_size_human(region, r, sizeof(r)));
	if (!f.fits)
		return kd_err_new(0, "the capture kernel cannot fit: kernel %s needs %s (init_size) "
				  "and initrd %s %s, %s in all, but the crash kernel region is %s "
				  "(raise crashkernel= or use a smaller initrd)", rq->kernel,
				  kd_size_human(f.kernel, a, sizeof(a)), rq->initrd ? rq->initrd : "(none)",
				  kd_size_human(f.initrd, b, sizeof(b)), kd_size_human(f.needed, c, sizeof(c)),
				  kd_size_human(region, r, sizeof(r)));
	kd_info("kernel %s (init_size), initrd %s, about %s for purgatory, boot parameters, ELF "
		"headers and alignment: about %s left for the capture kernel to run in",
		kd_size_human(f.kernel, a, sizeof(a)), kd_size_human(f.initrd, b, sizeof(b)),
		kd_size_human(f.overhead, c, sizeof(c)), kd_size_human(f.left, d, sizeof(d)));
	if (f.tight)
		kd_warn("only about %s of the %s crash kernel region is left for the capture kernel "
			"to run in: it may run out of memory (raise crashkernel=)",
			kd_size_human(f.left, d, sizeof(d)), kd_size_human(region, r, sizeof(r)));
	return NULL;
}

/* Why kexec_file_load cannot take this image (so only kexec_load could), or NULL. */
static kd_err *file_load_refusal(const struct kd_kernel_image *img)
{
	if (img->kind == KD_IMAGE_ELF_VMLINUX)
		return kd_err_new(ENOEXEC, "kexec_file_load on x86_64 takes bzImage kernels only, "
				  "this is an ELF vmlinux");
	return kd_err_wrap(kd_bzimage_check_file_load(&img->bz, img->size),
			   "kexec_file_load would refuse it");
}

/* The kernel refuses a command line that leaves no room to add "elfcorehdr=<addr> ". */
static kd_err *check_cmdline(const struct kd_bzimage *bz, const char *cmdline)
{
	size_t len = cmdline ? strlen(cmdline) + 1 : 0; /* the length the kernel checks has the NUL */
	if (len + ELFCOREHDR_STR_LEN <= bz->cmdline_size)
		return NULL;
	uint32_t max = bz->cmdline_size > ELFCOREHDR_STR_LEN ?
		       bz->cmdline_size - ELFCOREHDR_STR_LEN - 1 : 0;
	return kd_err_new(0, "the command line is %zu bytes; this kernel takes at most %u "
			  "(cmdline_size %u, less %u kept for elfcorehdr=)", len ? len - 1 : 0, max,
			  bz->cmdline_size, ELFCOREHDR_STR_LEN);
}

static kd_err *file_load(int kernel_fd, int initrd_fd, const char *cmdline, unsigned long flags)
{
	kd_debug("kexec_file_load(kernel, %s, %zu bytes of command line, flags %#lx)",
		 initrd_fd < 0 ? "no initrd" : "initrd", cmdline ? strlen(cmdline) + 1 : 0, flags);
	kd_err *e = kd_sys_kexec_file_load(kernel_fd, initrd_fd, cmdline, flags);
	if (e && kd_err_errnum(e) == EINVAL && (flags & KD_KEXEC_FILE_DEBUG)) {
		/* kernels before 6.8 refuse the flags they do not know */
		kd_debug("the kernel does not take KEXEC_FILE_DEBUG: retrying without it");
		kd_err_free(e);
		e = kd_sys_kexec_file_load(kernel_fd, initrd_fd, cmdline,
					   flags & ~(unsigned long)KD_KEXEC_FILE_DEBUG);
	}
	return e;
}

kd_err *kd_kexec_load(const struct kd_kexec_load_req *rq, struct kd_kexec_load_res *res)
{
	memset(res, 0, sizeof(*res));
	const char *iomem = rq->iomem_path ? rq->iomem_path : IOMEM_PATH;
	struct kd_crash_regions cr = { 0 };
	struct kd_iomem io = { 0 };
	kd_err *e;
	if (rq->panic) {
		/* like kexec-tools, before anything else: without a reservation nothing can work */
		if ((e = read_crash_regions(iomem, &io, &cr)))
			return kd_err_wrap(e, "looking for the crash kernel region");
		if (cr.n == 0) {
			kd_iomem_free(&io);
			return kd_err_new(0, "Memory for crashkernel is not reserved: %s has no \"Crash "
					  "kernel\" region. Boot with crashkernel= (e.g. crashkernel=256M) "
					  "to load a capture kernel", iomem);
		}
	}
	struct kd_kernel_image img;
	if ((e = kd_kernel_image_open(rq->kernel, KD_DECOMPRESS_MAX, &img))) {
		kd_iomem_free(&io);
		return e;
	}
	char desc[96];
	kd_kernel_image_describe(&img, desc, sizeof(desc));
	kd_debug("kernel %s: %s, %llu bytes%s%s", rq->kernel, desc, (unsigned long long)img.size,
		 img.kind == KD_IMAGE_BZIMAGE && img.bz.kernel_version[0] ? ", " : "",
		 img.kind == KD_IMAGE_BZIMAGE ? img.bz.kernel_version : "");
	int initrd_fd = -1;
	uint64_t initrd_size = 0;
	if (rq->type && (e = check_type(rq->type, &img))) {
		e = kd_err_wrap(e, "kernel %s", rq->kernel);
		goto out;
	}
	if (rq->initrd) {
		if ((e = open_initrd(rq->initrd, &initrd_fd, &initrd_size)))
			goto out;
		kd_debug("initrd %s: %llu bytes", rq->initrd, (unsigned long long)initrd_size);
	}
	if (img.kind == KD_IMAGE_BZIMAGE && (e = check_cmdline(&img.bz, rq->cmdline)))
		goto out;
	kd_debug("command line: %s", rq->cmdline ? rq->cmdline : "(empty)");
	if (rq->panic && img.kind == KD_IMAGE_BZIMAGE && (e = check_fit(&cr, &img, rq, initrd_size)))
		goto out;

	if (rq->syscall == KD_KEXEC_CLASSIC) {
		e = classic_load(rq, &img, &io, &cr, NULL);
		goto out;
	}
	if (rq->syscall == KD_KEXEC_AUTO && (rq->mem_min || rq->mem_max)) {
		e = classic_load(rq, &img, &io, &cr,
				 kd_err_new(0, "--mem-min/--mem-max place segments, which only "
					    "kexec_load lets us do"));
		goto out;
	}
	if ((e = file_load_refusal(&img))) {
		e = rq->syscall == KD_KEXEC_AUTO ? classic_load(rq, &img, &io, &cr, e) :
			kd_err_wrap(e, "kernel %s", rq->kernel);
		goto out;
	}
	unsigned long flags = (rq->panic ? KD_KEXEC_FILE_ON_CRASH : 0) |
			      (initrd_fd < 0 ? KD_KEXEC_FILE_NO_INITRAMFS : 0) |
			      (rq->kernel_debug ? KD_KEXEC_FILE_DEBUG : 0);
	if (rq->dry_run) {
		kd_debug("dry run: not calling kexec_file_load");
	} else if ((e = file_load(img.fd, initrd_fd, rq->cmdline, flags))) {
		int errnum = kd_err_errnum(e);
		e = explain(e, errnum, rq->panic);
		if (rq->syscall == KD_KEXEC_AUTO &&
		    kd_kexec_file_errclass(errnum) == KD_KEXEC_ERR_FALLBACK)
			e = classic_load(rq, &img, &io, &cr, e);
		else
			e = kd_err_wrap(e, "loading %s", rq->kernel);
	} else {
		kd_debug("%s kernel loaded", rq->panic ? "capture" : "reboot");
	}
out:
	if (initrd_fd >= 0)
		close(initrd_fd);
	kd_kernel_image_close(&img);
	kd_iomem_free(&io);
	return e;
}

kd_err *kd_kexec_unload(int panic, enum kd_kexec_syscall sc)
{
	if (sc == KD_KEXEC_CLASSIC)
		return kd_sys_kexec_load_unload(panic);
	kd_err *e = kd_sys_kexec_file_unload(panic);
	if (e && sc == KD_KEXEC_AUTO && kd_err_errnum(e) == ENOSYS) {
		kd_err_free(e);
		return kd_sys_kexec_load_unload(panic);
	}
	return e;
}

kd_err *kd_kexec_crash_size(const char *iomem_path, unsigned long long *size)
{
	struct kd_crash_regions cr;
	struct kd_iomem io;
	kd_err *e = read_crash_regions(iomem_path ? iomem_path : IOMEM_PATH, &io, &cr);
	if (e)
		return e;
	*size = kd_crash_region_size(&cr);
	kd_iomem_free(&io);
	return NULL;
}

#include "kexec/classic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/size.h"
#include "kexec/bootparams_x86_64.h"
#include "kexec/crash_headers.h"
#include "kexec/e820.h"
#include "kexec/efi_x86_64.h"
#include "kexec/purgatory_image.h"
#include "kexec/segments.h"
#include "kexec/syscall.h"
#include "kexec/vmlinux.h"
#include "purgatory/object.h"
#include "purgatory/sha256.h"
#include "purgatory/verify.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
/* Nothing below 1 MiB: BIOS data, the real-mode trampoline the next kernel sets up. */
#define LOW_LIMIT MIB
/* The bzImage's 64-bit entry: startup_64 of the decompressor, 0x200 into the payload. */
#define BZ_ENTRY64 0x200
#define BZ_OFF_INITRD_ADDR_MAX 0x22c
#define BOOT_PARAMS_DATA "/sys/kernel/boot_params/data"
#define FIRMWARE_MEMMAP "/sys/firmware/memmap"

/* Everything allocated along the way, released in one place. */
struct classic {
	const struct kd_classic_req *rq;
	struct kd_segments segs;
	const uint8_t *image;       /* the kernel file, mapped */
	size_t image_len;
	struct kd_vmlinux vml;
	void *initrd;
	size_t initrd_len;
	void *elfhdr;
	size_t elfhdr_len;
	struct kd_e820 e820;
	uint8_t *running;           /* /sys/kernel/boot_params/data */
	size_t running_len;
	uint8_t *bp;
	char *cmdline;
	struct kd_purgatory purg;
	struct kd_efi_state efi;
	uint64_t kernel_addr, kernel_entry, elfhdr_addr, bp_addr, purg_addr;
};

static char *path_in(const char *root, const char *path)
{
	size_t n = strlen(root) + strlen(path) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s", root, path);
	return p;
}

static kd_err *map_file(const char *path, void **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening %s", path);
	struct stat st;
	kd_err *e = NULL;
	if (fstat(fd, &st) < 0) {
		e = kd_err_errno("stat %s", path);
	} else if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		e = kd_err_new(EINVAL, "%s: not a regular file with data", path);
	} else {
		*len = (size_t)st.st_size;
		*buf = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*buf == MAP_FAILED) {
			*buf = NULL;
			e = kd_err_errno("mapping %s", path);
		}
	}
	close(fd);
	return e;
}

/* A small binary sysfs file, whole; absent is not an error (*buf NULL). */
static void read_optional(const char *path, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	uint8_t *b = malloc(KD_BP_ZERO_PAGE);
	ssize_t n = b ? read(fd, b, KD_BP_ZERO_PAGE) : -1;
	close(fd);
	if (n != KD_BP_ZERO_PAGE) {
		kd_debug("%s: not used (%s)", path, n < 0 ? "unreadable" : "short");
		free(b);
		return;
	}
	*buf = b;
	*len = (size_t)n;
}

/* Where segments may go: the crash region (-p) or the firmware's RAM (-l). */
static kd_err *available_memory(struct classic *c)
{
	const struct kd_classic_req *rq = c->rq;
	if (rq->panic) {
		struct kd_mem_range r = { rq->cr->r[rq->cr->main].start, rq->cr->r[rq->cr->main].end };
		return kd_segments_init(&c->segs, &r, 1, rq->mem_min, rq->mem_max,
					"the crash kernel region");
	}
	char *dir = path_in(rq->root, FIRMWARE_MEMMAP);
	if (!dir)
		return kd_err_new(ENOMEM, "path");
	kd_err *e = kd_e820_from_memmap_dir(dir, &c->e820);
	free(dir);
	if (e)
		return kd_err_wrap(e, "reading the firmware memory map");
	struct kd_mem_ranges ram = { 0 };
	for (size_t i = 0; i < c->e820.n && !e; i++)
		if (c->e820.e[i].type == KD_E820_RAM && c->e820.e[i].size)
			e = kd_mem_ranges_add(&ram, c->e820.e[i].addr,
					      c->e820.e[i].addr + c->e820.e[i].size - 1);
	if (!e)
		e = kd_segments_init(&c->segs, ram.r, ram.n, rq->mem_min, rq->mem_max, "System RAM");
	kd_mem_ranges_free(&ram);
	return e;
}

static uint64_t region_start(const struct classic *c)
{
	return c->rq->panic ? c->rq->cr->r[c->rq->cr->main].start : LOW_LIMIT;
}

/* What we enter and how: the same as kexec_file_load's (2.12+, a 64-bit entry, loadable
 * above 4G) and the whole payload in the file; an ELF vmlinux laid out. */
static kd_err *check_image(struct classic *c)
{
	if (c->rq->img->kind == KD_IMAGE_ELF_VMLINUX)
		return kd_vmlinux_load(c->image, c->image_len, &c->vml);
	const struct kd_bzimage *bz = &c->rq->img->bz;
	kd_err *e = kd_bzimage_check_file_load(bz, c->image_len);
	if (!e && bz->setup_len >= c->image_len)
		e = kd_err_new(ENOEXEC, "bzImage without a protected-mode kernel");
	return e;
}

static kd_err *place_bzimage(struct classic *c)
{
	const struct kd_bzimage *bz = &c->rq->img->bz;
	size_t payload = c->image_len - bz->setup_len;
	uint64_t memsz = bz->init_size > payload ? bz->init_size : payload;
	uint64_t align = bz->kernel_alignment > KD_PAGE_SIZE ? bz->kernel_alignment : KD_PAGE_SIZE;
	if (align & (align - 1))
		return kd_err_new(ENOEXEC, "bzImage kernel_alignment %#llx is not a power of two",
				  (unsigned long long)align);
	/* Not below the address it was linked for: without KASLR the decompressor extracts to
	 * max(load address, LOAD_PHYSICAL_ADDR), and that must stay inside our segment. */
	uint64_t lo = region_start(c);
	if (!c->rq->panic && bz->pref_address > lo)
		lo = bz->pref_address;
	kd_err *e;
	if (!bz->relocatable)
		e = kd_segments_add(&c->segs, "kernel", c->image + bz->setup_len, payload,
				    bz->pref_address, memsz, 1);
	else
		e = kd_segments_place(&c->segs, "kernel", c->image + bz->setup_len, payload, memsz,
				      align, lo, UINT64_MAX, 0, &c->kernel_addr);
	if (e)
		return e;
	if (!bz->relocatable)
		c->kernel_addr = bz->pref_address;
	c->kernel_entry = c->kernel_addr + BZ_ENTRY64;
	return NULL;
}

static kd_err *place_vmlinux(struct classic *c)
{
	kd_err *e;
	/* -l: where it was linked if that memory is free; otherwise (and for -p) the lowest
	 * 2 MiB-aligned room */
	if (!c->rq->panic) {
		e = kd_segments_add(&c->segs, "kernel", c->vml.buf, c->vml.bufsz, c->vml.paddr,
				    c->vml.memsz, 1);
		if (!e) {
			c->kernel_addr = c->vml.paddr;
			goto placed;
		}
		kd_debug("ELF vmlinux: cannot load it where it was linked (%#llx): placing it",
			 (unsigned long long)c->vml.paddr);
		kd_err_free(e);
	}
	uint64_t lo = region_start(c) > 16 * MIB || c->rq->panic ? region_start(c) : 16 * MIB;
	e = kd_segments_place(&c->segs, "kernel", c->vml.buf, c->vml.bufsz, c->vml.memsz,
			      KD_VMLINUX_ALIGN, lo, UINT64_MAX, 0, &c->kernel_addr);
	if (e)
		return e;
placed:
	c->kernel_entry = c->vml.entry - c->vml.paddr + c->kernel_addr;
	return NULL;
}

/* -p: the running kernel's ELF core header, at the top of the crash region. */
static kd_err *place_elfcorehdr(struct classic *c)
{
	struct kd_crash_info ci;
	kd_err *e = kd_crash_info_read(c->rq->root, c->rq->io, c->rq->cr, &ci);
	if (e)
		return kd_err_wrap(e, "reading what the ELF core header describes");
	e = kd_crash_headers_build(&ci, &c->elfhdr, &c->elfhdr_len);
	if (!e)
		kd_debug("ELF core header: %zu CPU notes, VMCOREINFO, kernel text %#llx-%#llx at "
			 "%#llx, %zu RAM ranges, %zu bytes", ci.ncpus,
			 (unsigned long long)ci.text_vaddr,
			 (unsigned long long)(ci.text_vaddr + ci.text_size - 1),
			 (unsigned long long)ci.text_paddr, ci.nram, c->elfhdr_len);
	kd_crash_info_free(&ci);
	if (!e)
		e = kd_segments_place(&c->segs, "ELF core header", c->elfhdr, c->elfhdr_len,
				      c->elfhdr_len, KD_PAGE_SIZE, region_start(c), UINT64_MAX, 1,
				      &c->elfhdr_addr);
	return e;
}

static kd_err *place_initrd(struct classic *c)
{
	kd_err *e = map_file(c->rq->initrd, &c->initrd, &c->initrd_len);
	if (e)
		return kd_err_wrap(e, "initrd");
	uint64_t hi = UINT64_MAX;
	if (c->rq->img->kind == KD_IMAGE_BZIMAGE &&
	    !(c->rq->img->bz.xloadflags & KD_BZ_XLF_CAN_BE_LOADED_ABOVE_4G)) {
		uint32_t max;
		memcpy(&max, c->image + BZ_OFF_INITRD_ADDR_MAX, 4);
		hi = max ? max : 4 * GIB - 1;
	}
	uint64_t addr;
	return kd_segments_place(&c->segs, "initrd", c->initrd, c->initrd_len, c->initrd_len,
				 KD_PAGE_SIZE, region_start(c), hi, 1, &addr);
}

static kd_err *build_cmdline(struct classic *c)
{
	const char *user = c->rq->cmdline ? c->rq->cmdline : "";
	size_t n = strlen(user) + 40;
	c->cmdline = malloc(n);
	if (!c->cmdline)
		return kd_err_new(ENOMEM, "command line");
	/* as kexec_file_load: elfcorehdr= first, then the caller's line */
	if (c->rq->panic)
		snprintf(c->cmdline, n, "elfcorehdr=0x%llx %s", (unsigned long long)c->elfhdr_addr,
			 user);
	else
		snprintf(c->cmdline, n, "%s", user);
	uint32_t max = c->rq->img->kind == KD_IMAGE_BZIMAGE ? c->rq->img->bz.cmdline_size : 2047;
	if (strlen(c->cmdline) > max)
		return kd_err_new(E2BIG, "the command line%s is %zu bytes; this kernel takes at most %u",
				  c->rq->panic ? " with elfcorehdr=" : "", strlen(c->cmdline), max);
	return NULL;
}

static kd_err *memory_map(struct classic *c)
{
	if (!c->rq->panic)
		return NULL; /* -l: the firmware map, read with the available memory */
	struct kd_mem_range hdr = { c->elfhdr_addr,
				    c->elfhdr_addr + ((c->elfhdr_len + KD_PAGE_SIZE - 1) &
						      ~(KD_PAGE_SIZE - 1)) - 1 };
	return kd_err_wrap(kd_e820_for_crash(c->rq->io, c->rq->cr, &hdr, 1, &c->e820),
			   "building the capture kernel's memory map");
}

static kd_err *place_boot_params(struct classic *c, uint64_t initrd_addr)
{
	char *path = path_in(c->rq->root, BOOT_PARAMS_DATA);
	if (!path)
		return kd_err_new(ENOMEM, "path");
	read_optional(path, &c->running, &c->running_len);
	free(path);
	kd_err *e;
	e = kd_efi_read(c->rq->root, c->running, c->running_len, &c->efi);
	if (e)
		return e;
	if (c->efi.present)
		kd_debug("EFI: system table %#llx, %zu runtime map entries passed on",
			 (unsigned long long)c->efi.systab | (unsigned long long)c->efi.systab_hi << 32,
			 c->efi.map_len / KD_EFI_MEMDESC_SIZE);
	struct kd_bootparams_req bq = {
		.image = c->rq->img->kind == KD_IMAGE_BZIMAGE ? c->image : NULL,
		.image_len = c->image_len,
		.running = c->running, .running_len = c->running_len,
		.cmdline = c->cmdline, .kernel_addr = c->kernel_addr,
		.initrd_addr = initrd_addr, .initrd_size = c->initrd ? c->initrd_len : 0,
		.e820 = &c->e820, .efi = &c->efi,
	};
	size_t size = kd_bootparams_size(&bq);
	e = kd_segments_find(&c->segs, "boot parameters", size, KD_PAGE_SIZE,
				     region_start(c), UINT64_MAX, 0, &c->bp_addr);
	if (e)
		return e;
	if (!(c->bp = malloc(size)))
		return kd_err_new(ENOMEM, "boot parameters");
	if ((e = kd_bootparams_build(&bq, c->bp_addr, c->bp)))
		return e;
	return kd_segments_add(&c->segs, "boot parameters", c->bp, size, c->bp_addr, size, 1);
}

/* The purgatory last: it carries the SHA-256 of everything else. */
static kd_err *place_purgatory(struct classic *c)
{
	size_t len = (size_t)(kd_purgatory_object_end - kd_purgatory_object);
	kd_err *e = kd_purgatory_open(kd_purgatory_object, len, &c->purg);
	if (e)
		return e;
	if ((e = kd_segments_find(&c->segs, "purgatory", c->purg.size, c->purg.align,
				  region_start(c), UINT64_MAX, 0, &c->purg_addr)))
		return e;
	if ((e = kd_purgatory_relocate(&c->purg, c->purg_addr)))
		return e;
	struct kd_purgatory_region regions[KD_PURGATORY_MAX_REGIONS] = { { 0, 0 } };
	struct kd_sha256 sha;
	uint8_t digest[KD_SHA256_DIGEST_SIZE];
	size_t n = 0;
	kd_sha256_init(&sha);
	/* Hash what was copied (bufsz): the zero-filled rest of a segment is scratch the next
	 * kernel clears or overwrites itself (bss, the decompressor's buffer). */
	for (size_t i = 0; i < c->segs.n; i++) {
		const struct kd_segment *s = &c->segs.s[i];
		if (!s->hashed || !s->bufsz)
			continue;
		regions[n].start = s->mem;
		regions[n].len = s->bufsz;
		n++;
		kd_sha256_update(&sha, s->buf, s->bufsz);
	}
	kd_sha256_final(&sha, digest);
	if ((e = kd_purgatory_set(&c->purg, "kd_purgatory_regions", regions, sizeof(regions))) ||
	    (e = kd_purgatory_set(&c->purg, "kd_purgatory_digest", digest, sizeof(digest))) ||
	    (e = kd_purgatory_set(&c->purg, "kd_purgatory_boot_params", &c->bp_addr, 8)) ||
	    (e = kd_purgatory_set(&c->purg, "kd_purgatory_kernel_entry", &c->kernel_entry, 8)))
		return e;
	return kd_segments_add(&c->segs, "purgatory", c->purg.image, c->purg.size, c->purg_addr,
			       c->purg.size, 0);
}

static void release(struct classic *c)
{
	kd_segments_free(&c->segs);
	if (c->image)
		munmap((void *)c->image, c->image_len);
	if (c->initrd)
		munmap(c->initrd, c->initrd_len);
	kd_vmlinux_free(&c->vml);
	free(c->elfhdr);
	kd_e820_free(&c->e820);
	free(c->running);
	free(c->bp);
	free(c->cmdline);
	kd_purgatory_close(&c->purg);
	kd_efi_free(&c->efi);
}

static kd_err *build(struct classic *c)
{
	const struct kd_classic_req *rq = c->rq;
	void *img;
	c->image_len = (size_t)rq->img->size;
	img = mmap(NULL, c->image_len, PROT_READ, MAP_PRIVATE, rq->img->fd, 0);
	if (img == MAP_FAILED)
		return kd_err_errno("mapping the kernel image");
	c->image = img;
	kd_err *e = check_image(c);
	if (!e)
		e = available_memory(c);
	if (e)
		return e;
	if ((e = rq->img->kind == KD_IMAGE_BZIMAGE ? place_bzimage(c) : place_vmlinux(c)))
		return e;
	if (rq->panic && (e = place_elfcorehdr(c)))
		return e;
	uint64_t initrd_addr = 0;
	if (rq->initrd) {
		if ((e = place_initrd(c)))
			return e;
		initrd_addr = c->segs.s[c->segs.n - 1].mem;
	}
	if ((e = build_cmdline(c)) || (e = memory_map(c)) || (e = place_boot_params(c, initrd_addr)))
		return e;
	return place_purgatory(c);
}

kd_err *kd_kexec_classic_load(const struct kd_classic_req *rq, struct kd_classic_res *res)
{
	struct classic c = { .rq = rq };
	memset(res, 0, sizeof(*res));
	kd_err *e = build(&c);
	if (!e) {
		uint64_t off, size;
		e = kd_purgatory_symbol(&c.purg, "kd_purgatory_start", &off, &size);
		res->entry = c.purg_addr + off;
	}
	if (e) {
		release(&c);
		return kd_err_wrap(e, "loading %s with kexec_load", rq->kernel);
	}
	res->kernel_entry = c.kernel_entry;
	res->boot_params = c.bp_addr;
	res->elfcorehdr = c.elfhdr_addr;
	res->nseg = c.segs.n;
	struct kd_sys_segment sys[KD_SEGMENT_MAX];
	for (size_t i = 0; i < c.segs.n; i++) {
		const struct kd_segment *s = &c.segs.s[i];
		char sz[32];
		kd_debug("segment %zu: %-16s %#llx-%#llx (%s, %zu bytes from us)", i, s->what,
			 (unsigned long long)s->mem, (unsigned long long)(s->mem + s->memsz - 1),
			 kd_size_human(s->memsz, sz, sizeof(sz)), s->bufsz);
		res->seg[i].mem = s->mem;
		res->seg[i].memsz = s->memsz;
		res->seg[i].bufsz = s->bufsz;
		res->seg[i].what = s->what;
		sys[i] = (struct kd_sys_segment){ s->buf, s->bufsz, (const void *)(uintptr_t)s->mem,
						  (size_t)s->memsz };
	}
	kd_debug("purgatory entry %#llx, then the kernel at %#llx with boot_params at %#llx",
		 (unsigned long long)res->entry, (unsigned long long)c.kernel_entry,
		 (unsigned long long)c.bp_addr);
	if (!rq->dry_run)
		e = kd_sys_kexec_load(res->entry, sys, c.segs.n, rq->panic);
	release(&c);
	return kd_err_wrap(e, "loading %s", rq->kernel);
}

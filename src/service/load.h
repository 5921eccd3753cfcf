/* Loading the capture kernel for the service (kdumpctl start, kdump-config load): which kernel,
 * which command line, whether the crashkernel= reservation holds it all, and the load itself
 * through kexec/ in this process (kexec_file_load first, kexec_load as kexec-tools falls back).
 *
 * Every file the service reads or writes (/proc, /sys, /boot, /etc, /var/lib) is taken under a
 * root prefix: "" on a real system, a fake tree in tests. A dry run does everything but the
 * kexec syscalls and the writes to /proc/sys and /var/lib.
 *
 * Failures are kd_err chains that name the file (and for configuration, file:line) and what
 * to change; nothing is loaded when any check fails. */
#ifndef KD_SERVICE_LOAD_H
#define KD_SERVICE_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "kexec/args.h"
#include "service/config.h"

/* What the capture kernel and kdumpkit need at run time in the reservation, beyond the kernel
 * image and the initramfs: the kernel's own allocations after boot (struct pages for the
 * region, page tables, slab, per-CPU areas with nr_cpus=1, the console, /proc/vmcore's ELF
 * headers and device buffers) and kdumpkit as PID 1 (its static binary's pages, the collector's
 * constant-size cycle bitmaps and compression buffers, written-behind page cache). kdump-utils
 * budgets 16 MiB for this on top of a 256 MiB baseline; 64 MiB is chosen here for a 1-4 GiB
 * guest, about twice what we expect the kernel (~25 MiB) and kdumpkit (~8 MiB) to take, until
 * the crash lab measures the real figure. */
#define KD_LOAD_RUNTIME (64ULL << 20)
/* The initramfs is in the reservation twice while the capture kernel boots: the image kexec
 * placed there (freed once unpacked) and its unpacked files in the rootfs tmpfs (kept: /init
 * runs from it). Unpacked is taken as 3x the image (xz/zstd over modules and a static binary
 * compress about 3:1), so the initramfs counts 4x its image size. */
#define KD_LOAD_INITRD_UNPACK_FACTOR 3
/* A suggested crashkernel= is rounded up to this. */
#define KD_LOAD_SUGGEST_ALIGN (32ULL << 20)

/* Where the service records what it loaded (kernel, initrd, command line, time): written at
 * load, removed at unload; `status`/`show` print it. */
#define KD_LOAD_RECORD_PATH "/var/lib/kdumpkit/loaded"

/* root + path into buf; an error naming the path when it does not fit. */
kd_err *kd_load_rooted(const char *root, const char *path, char *buf, size_t n);

/* The capture kernel's release: KDUMP_KERNELVER, else the running kernel's (uname -r). */
kd_err *kd_load_release(const struct kd_svc_config *c, char *buf, size_t n);
/* The kernel file: KDUMP_KERNEL as configured, else /boot/vmlinuz-<release>; under root.
 * A missing file is an error that says which package or setting provides one. */
kd_err *kd_load_kernel_path(const struct kd_svc_config *c, const char *root, const char *release,
			    char *buf, size_t n);

/* The parameters every capture command line gets after the running kernel's (minus those
 * dropped), NULL-ended; each yields to the same name in KDUMP_COMMANDLINE_APPEND. */
extern const char *const kd_load_cmdline_add[];
/* The parameter names always dropped from the running kernel's command line (a trailing '*'
 * drops every name with that prefix). */
extern const char *const kd_load_cmdline_drop[];

/* The capture kernel's command line: cfg->cmdline (KDUMP_COMMANDLINE / KDUMP_CMDLINE) or
 * `running` (/proc/cmdline) without kd_load_cmdline_drop, KDUMP_COMMANDLINE_REMOVE's names and
 * init's arguments; then kd_load_cmdline_add (and disable_cpu_apicid=<boot_apicid> unless
 * boot_apicid is NULL or ""), then KDUMP_COMMANDLINE_APPEND as written. *out: malloc'd. */
kd_err *kd_load_cmdline(const struct kd_svc_config *c, const char *running,
			const char *boot_apicid, char **out);
/* The boot CPU's initial APIC ID from <root>/proc/cpuinfo ("" when it does not say). With more
 * than one CPU in the capture kernel, the kernel must not send INIT to the boot CPU (it resets
 * the machine on some hardware): disable_cpu_apicid= names it. */
void kd_load_boot_apicid(const char *root, char *buf, size_t n);

/* The reservation as the running kernel reports it. */
struct kd_load_reservation {
	uint64_t size;          /* /sys/kernel/kexec_crash_size, else the iomem region; 0: none */
	int have_range;         /* the "Crash kernel" range could be read from /proc/iomem (root) */
	uint64_t start, end;    /* inclusive, the region the capture kernel goes to */
	char crashkernel[256];  /* "crashkernel=..." as on /proc/cmdline ("" when absent) */
};
kd_err *kd_load_reservation_read(const char *root, struct kd_load_reservation *r);

/* What the capture kernel needs in the reservation (bytes). */
struct kd_load_need {
	uint64_t kernel;        /* init_size (bzImage setup header), page-aligned */
	uint64_t overhead;      /* purgatory, boot parameters, ELF headers, alignment */
	uint64_t initrd;        /* the image */
	uint64_t initrd_unpacked; /* its files in the rootfs, estimated */
	uint64_t runtime;       /* KD_LOAD_RUNTIME */
	uint64_t needed;        /* the sum */
	uint64_t suggest;       /* needed rounded up to KD_LOAD_SUGGEST_ALIGN */
};
void kd_load_need_compute(uint64_t kernel_init_size, uint64_t kernel_align, uint64_t initrd_size,
			  struct kd_load_need *n);
/* The kernel's in-memory size: init_size and alignment of a bzImage; for an ELF vmlinux (or a
 * compressed file), its expanded size. */
kd_err *kd_load_kernel_size(const char *kernel, uint64_t *init_size, uint64_t *align);
/* NULL when the reservation holds what is needed; else an error that says how much is
 * reserved, how much is needed and of what, and which crashkernel= to boot with. */
kd_err *kd_load_need_check(const struct kd_load_reservation *r, const struct kd_load_need *n);

/* KEXEC_ARGS / KDUMP_KEXEC_ARGS: kexec-tools options that change how the capture kernel is
 * loaded (-s, -c, -a, -d, -t, --mem-min/--mem-max and the options kexec_file_load ignores).
 * Anything else (an action, a kernel, --append, --initrd: the service decides those) is an
 * error quoting `origin` ("file:line", or the variable name). */
struct kd_load_kexec {
	enum kd_kexec_syscall syscall;
	int debug;
	char type[32];          /* -t, "" when not given */
	uint64_t mem_min, mem_max;
};
kd_err *kd_load_kexec_args(const char *args, const char *origin, struct kd_load_kexec *k);
/* "file:line" of the last line that sets one of `names` (NULL-ended) in the files, in order
 * (later files win); "" when none does. For messages about a setting's value. */
void kd_load_origin(const char *const *files, const char *const *names, char *buf, size_t n);

/* Why only kexec_file_load can work here (the kernel is locked down: its lockdown file names a
 * mode other than [none]; or Secure Boot is on: the SecureBoot EFI variable is 1 outside setup
 * mode), or NULL. The plan then asks for kexec_file_load alone (-s) unless KEXEC_ARGS chose. */
const char *kd_load_file_load_only(const char *root);
/* Why root was refused a load (EPERM, EKEYREJECTED...): kexec_load_disabled, kexec_load (-c)
 * under Secure Boot or lockdown, or an image kexec_file_load would not verify; NULL when
 * none of these applies. */
const char *kd_load_refusal(const char *root, enum kd_kexec_syscall sc);

/* Everything `load` would do, decided before anything is done. */
struct kd_load_plan {
	char release[256];
	char kernel[4096];
	char initrd[4096];      /* "" when there is none */
	uint64_t initrd_size;
	char *cmdline;          /* malloc'd */
	struct kd_load_kexec kexec;
	struct kd_load_reservation res;
	struct kd_load_need need;
};

struct kd_load_req {
	const char *root;                    /* NULL: "" */
	const struct kd_svc_config *cfg;
	const struct kd_svc_config_files *files; /* the files cfg was read from (for file:line) */
	const char *initrd;                  /* the initramfs to load; NULL: cfg->initrd or none */
	int dry_run;
};

/* Decide kernel, initrd, command line and kexec options, and read the reservation. Does not
 * check the reservation (kd_load_need_check) so `kdump-config test` can print a plan that
 * would not fit. */
kd_err *kd_load_plan_make(const struct kd_load_req *rq, struct kd_load_plan *p);
void kd_load_plan_free(struct kd_load_plan *p);

/* Check the reservation and load the plan into the panic slot; then record it and apply
 * KDUMP_SYSCTL (kdump-tools: kernel.panic_on_oops=1 by default, as Debian does). */
kd_err *kd_load_exec(const struct kd_load_req *rq, const struct kd_load_plan *p);
/* Unload the panic slot and remove the record. */
kd_err *kd_load_unload(const char *root, int dry_run);

/* sysctl settings "name=value name=value" written to <root>/proc/sys/<name, '.' as '/'>
 * (names with '/' are taken as paths, as sysctl(8) does). The check (in the plan: nothing is
 * loaded when a setting cannot be applied) wants each file to exist. */
kd_err *kd_load_sysctl(const char *root, const char *settings);
kd_err *kd_load_sysctl_check(const char *root, const char *settings);

/* The record of what was loaded. */
struct kd_load_record {
	char release[256];
	char kernel[4096];
	char initrd[4096];
	char cmdline[4096];
	time_t time;
};
kd_err *kd_load_record_write(const char *root, const struct kd_load_record *r);
/* *found = 0 when there is no record (nothing loaded by the service). */
kd_err *kd_load_record_read(const char *root, struct kd_load_record *r, int *found);
kd_err *kd_load_record_remove(const char *root);

#endif

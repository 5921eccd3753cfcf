/* The capture side: kdumpkit as PID 1 in the capture kernel's initramfs (/init), and the
 * saving of one dump into a directory.
 *
 * kd_capture_pid1() is the whole life of the capture environment: mount /proc, /sys, /dev,
 * /run and /tmp; put messages on /dev/console; read the configuration snapshot; arm a
 * watchdog; load the kernel modules the initramfs carries; run kdump_pre; have the target save
 * the dump; run kdump_post; then final_action. Any failure is logged on the console with the
 * reason, what was written stays under its "-incomplete" name, and failure_action runs
 * (dump_to_rootfs: the same save into `path` on the root file system). It never returns —
 * PID 1 returning panics the kernel — every path ends in reboot, halt or power-off.
 *
 * kd_capture_save_dir() is the part every directory target shares, and can run anywhere (the
 * tests run it on a dump file in a temporary directory). */
#ifndef KD_SERVICE_CAPTURE_H
#define KD_SERVICE_CAPTURE_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "base/error.h"
#include "service/config.h"
#include "service/dumpdir.h"

struct kd_capture {
	struct kd_svc_config *cfg;
	const char *vmcore;     /* the dump to save: "/proc/vmcore" */
	time_t when;            /* names the dump directory */
	unsigned wait_ms;       /* how long a target's device may take to appear */
	const char *mnt;        /* where a target file system is mounted: "/kdump/target" */
	FILE *msg;              /* the collector's messages (the console); NULL: none */
	int kmsg_fd;            /* /dev/kmsg in the capture kernel (-1: none): a failure is also
				 * written to the kernel log, so kexec-dmesg.log says why */
	struct kd_dumpdir dir;  /* out: the directory written (dir.dir[0] == 0: none created) */
};

/* Fill *cap with the capture kernel's defaults for cfg. */
void kd_capture_init(struct kd_capture *cap, struct kd_svc_config *cfg);

/* Save cap->vmcore into a new dump directory under basedir: the dead kernel's log first (when
 * cfg->dump_dmesg; a log that cannot be read is a warning, the dump still goes on), the core
 * collector into "<vmcore>-incomplete" (cfg->collector_argv run in-process by the makedumpfile
 * front-end, or a full copy for cp/cat), fsynced and renamed, the report, the capture
 * kernel's log, and rotation (cfg->num_dumps) only after a success. On error the partial dump
 * keeps its "-incomplete" name and the error says what failed. */
kd_err *kd_capture_save_dir(struct kd_capture *cap, const char *basedir);

/* The core collector on cap->vmcore: into the file `output` (created; a copy collector
 * copies every byte), or, when flat_fd >= 0, makedumpfile's flattened stream (-F) into
 * flat_fd (a raw device, named flat_name in messages). */
kd_err *kd_capture_run_collector(struct kd_capture *cap, const char *output, int flat_fd,
				 const char *flat_name);

/* The watchdog's limit in seconds for a dump of `vmcore_bytes` (st_size of /proc/vmcore):
 * KD_CAPTURE_WD_BASE seconds for booting, finding and mounting the target and the
 * artifacts, plus KD_CAPTURE_WD_PER_GIB seconds per started GiB — a full copy to a slow disk
 * (~20 MB/s) of every byte, with room to spare. `override` (kdumpkit.watchdog= on the capture
 * kernel's command line, seconds) wins when >= 0; 0 means no watchdog. */
#define KD_CAPTURE_WD_BASE    300u
#define KD_CAPTURE_WD_PER_GIB 60u
unsigned kd_capture_watchdog_limit(uint64_t vmcore_bytes, long override);
/* The value of kdumpkit.watchdog=N in a kernel command line; -1 when absent or malformed. */
long kd_capture_watchdog_override(const char *cmdline);

/* A watchdog thread: `expire(arg)` runs once if kd_watchdog_stop is not called within
 * `ms` milliseconds (monotonic clock). */
struct kd_watchdog;
kd_err *kd_watchdog_start(unsigned long ms, void (*expire)(void *), void *arg,
			  struct kd_watchdog **out);
void kd_watchdog_stop(struct kd_watchdog *w); /* waits for the thread; NULL is fine */

/* reboot(2)'s command for an action (RB_AUTOBOOT, RB_HALT_SYSTEM, RB_POWER_OFF);
 * dump_to_rootfs maps to RB_AUTOBOOT (its own final step is a reboot). */
int kd_capture_reboot_cmd(enum kd_svc_action a);

/* Load the modules named in `list` (one per line, in order: a name "virtio_blk" is
 * <moddir>/virtio_blk.ko, a relative path is under moddir) with finit_module. A module
 * already loaded (EEXIST) is fine; one that fails is logged and the rest still load (the
 * target's own wait decides whether that mattered). *failed counts them. A missing list is
 * no module to load. */
kd_err *kd_capture_load_modules(const char *list, const char *moddir, unsigned *failed);

/* Everything PID 1 does between setting up the environment (mounts, console) and rebooting:
 * the watchdog, the snapshot, the modules, kdump_pre, the target's save, kdump_post, and
 * failure_action dump_to_rootfs. Returns the action to end with (reboot, halt, power-off).
 * NULL members are the capture kernel's standard places. */
struct kd_capture_env {
	const char *snapshot;  /* /etc/kdumpkit/capture.conf */
	const char *modules;   /* /etc/kdumpkit/modules */
	const char *moddir;    /* /lib/modules/<uname -r> */
	const char *vmcore;    /* /proc/vmcore */
	const char *cmdline;   /* the kernel command line (kdumpkit.watchdog=), NULL: none */
	unsigned wait_ms;      /* 0: kd_capture_init's */
	const char *mnt;       /* the target's mount point; NULL: kd_capture_init's */
	const char *root_mnt;  /* dump_to_rootfs's: /kdump/root */
	FILE *msg;             /* the collector's messages; NULL: none */
	int kmsg;              /* write failures to /dev/kmsg too (PID 1 only: never a test's
				* host kernel log) */
	void (*on_watchdog)(void *); /* NULL: log "capture took longer than N s" and reboot */
	void *watchdog_arg;
	int saved;             /* out: the dump was saved (by the target or dump_to_rootfs: see
				* dir) */
	char dir[4096];        /* out: the dump directory written ("" for raw or none) */
};
enum kd_svc_action kd_capture_run(struct kd_capture_env *env);

/* PID 1 of the capture kernel. Never returns. */
__attribute__((noreturn)) void kd_capture_pid1(void);

#endif

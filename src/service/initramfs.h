/* The capture initramfs, built by kdumpkit itself (no dracut, no mkinitramfs): a newc cpio with
 * the static kdumpkit as /init, the configuration snapshot (/etc/kdumpkit/capture.conf), the
 * kernel modules that reach the target (the block device's driver chain from sysfs, the file
 * system, extra_modules, and their dependencies from modules.dep, decompressed) in load order
 * (/etc/kdumpkit/modules), and kdump_pre/kdump_post programs; compressed with a format the
 * target kernel's config says it can unpack.
 *
 * Reproducible (same inputs, same bytes) and rebuilt only when an input changed: a manifest
 * beside the image records every input (kernel release, kdumpkit's bytes, snapshot, modules,
 * target identity). Stored under /var/lib/kdumpkit so a read-only /boot works. */
#ifndef KD_SERVICE_INITRAMFS_H
#define KD_SERVICE_INITRAMFS_H

#include <stdint.h>

#include "base/error.h"
#include "service/config.h"
#include "service/target.h"

struct kd_initramfs_req {
	const char *release;        /* the capture kernel's release (uname -r by default) */
	const char *moddir;         /* NULL: /lib/modules/<release> */
	const char *kernel_config;  /* NULL: /boot/config-<release> (no file: gzip) */
	const char *kdumpkit_exe;   /* NULL: /proc/self/exe */
	const char *outdir;         /* NULL: /var/lib/kdumpkit */
	const char *sysfs_root;     /* NULL: "" (tests: a fake /sys) */
	const struct kd_svc_config *cfg;   /* snapshot source; force_rebuild / force_no_rebuild */
	const struct kd_target_needs *needs;
	int force;                  /* `kdumpctl rebuild`: build even if the manifest matches */
};

struct kd_initramfs_res {
	char path[4096];            /* <outdir>/initrd-<release>.img */
	uint64_t size;              /* bytes of the image */
	int rebuilt;                /* 0: the existing image matched its manifest */
	char why[256];              /* why it was (not) rebuilt, for the log and `show` */
	unsigned nmodules;
	char compression[16];       /* "zstd", "xz", "gzip", "none" */
};

/* Where things are inside the image (the capture side reads them there). kdump_pre and
 * kdump_post are stored under KD_INITRAMFS_HOOKS and also reachable, through a symlink, at the
 * absolute path the configuration names. */
#define KD_INITRAMFS_SNAPSHOT "/etc/kdumpkit/capture.conf"
#define KD_INITRAMFS_MODULES  "/etc/kdumpkit/modules"   /* names in load order, one a line */
#define KD_INITRAMFS_MODDIR   "/lib/modules"            /* /<release>/<name>.ko, plain ELF */
#define KD_INITRAMFS_HOOKS    "/usr/lib/kdumpkit/hooks" /* kdump_pre, kdump_post */

/* Make sure an up-to-date image exists; build it (atomically: temp file, fsync, rename) if
 * not. force_no_rebuild uses an existing image even when inputs changed (an error if none). */
kd_err *kd_initramfs_ensure(const struct kd_initramfs_req *rq, struct kd_initramfs_res *res);

/* For `show`/`status`: the image of `release` under `outdir` (NULL: /var/lib/kdumpkit) as its
 * manifest describes it (path, size, compression, module count; rebuilt 0, why empty). An
 * image that is missing, or whose bytes no longer match its manifest, is an error. */
kd_err *kd_initramfs_status(const char *outdir, const char *release,
			    struct kd_initramfs_res *res);

/* The format the kernel whose config is at `kernel_config` unpacks best: CONFIG_RD_ZSTD ->
 * "zstd", else CONFIG_RD_XZ -> "xz", else CONFIG_RD_GZIP -> "gzip", else "none"; a missing
 * file -> "gzip" (every distribution kernel has it). */
kd_err *kd_initramfs_compression_for(const char *kernel_config, char out[16]);

#endif

/* Where a dump goes, as a table of operations: each target kind (the file system holding
 * `path`, a named file system, a raw device; ssh and NFS slot in the same way) says how the
 * first kernel checks it and what the capture initramfs needs to reach it, and how the capture
 * kernel reaches it and saves into it.
 *
 * prepare() runs in the first kernel when the service loads: a target that cannot work (a
 * missing device, a raw device holding a file system) is an error then, never at crash time. */
#ifndef KD_SERVICE_TARGET_H
#define KD_SERVICE_TARGET_H

#include "base/error.h"
#include "service/config.h"

/* What the capture initramfs needs to reach a target (filled by prepare; owned, freed by
 * kd_target_needs_free). */
struct kd_target_needs {
	char *block_device;  /* device node whose driver chain (sysfs) goes in; NULL: none */
	char *fstype;        /* file system module to include; NULL: none (raw) */
	char *identity;      /* what identifies the target for the rebuild manifest
			      * (e.g. "ext4 UUID=... /var/crash"); never NULL after prepare */
	char *rootfs_block_device, *rootfs_fstype; /* failure_action dump_to_rootfs */
};
void kd_target_needs_free(struct kd_target_needs *n);

struct kd_capture; /* capture.h */

struct kd_target_ops {
	enum kd_svc_target kind;
	const char *name;
	/* First kernel: check the target on this machine, fill c->resolved_* and *n. */
	kd_err *(*prepare)(struct kd_svc_config *c, struct kd_target_needs *n);
	/* Capture kernel: reach the target (bounded wait for the device, mount) and save the dump
	 * into it (directory targets: kd_capture_save_dir(); raw: the flattened stream). On error
	 * what was written stays under its incomplete name. */
	kd_err *(*save)(struct kd_capture *cap);
};

/* The operations for a configured target kind; NULL for a kind not built yet (ssh, nfs). */
const struct kd_target_ops *kd_target_ops_for(enum kd_svc_target t);

/* Added with the targets (the operations above are unchanged): */

/* The kinds' operations, for callers that want them by name. */
extern const struct kd_target_ops kd_target_path_ops, kd_target_fs_ops, kd_target_raw_ops;

/* Capture kernel: find `spec` (/dev/..., UUID=, LABEL=) waiting up to wait_ms, and mount it
 * with `fstype` on `mnt` (created). The error names the spec, the device and the type. */
kd_err *kd_target_mount(const char *spec, const char *fstype, const char *mnt,
			unsigned wait_ms);

/* Is `fstype` one a dump can be saved on and the capture kernel can mount (ext2/3/4, xfs,
 * btrfs)? */
int kd_target_fs_supported(const char *fstype);

/* A raw target's device must hold nothing libblkid recognises (a file system, swap, RAID or
 * LVM member, a partition table): the flattened stream would destroy it. `device` may be an
 * image file (tests); prepare() also wants a block device. */
kd_err *kd_target_raw_check(const char *device);

/* prepare() looking at another /sys, /dev and mountinfo than the running system's (tests);
 * r NULL is prepare() itself. Every kind also records the root file system (c->rootfs_*,
 * n->rootfs_*) when failure_action is dump_to_rootfs. */
struct kd_blockdev_roots;
kd_err *kd_target_prepare_in(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			     struct kd_target_needs *n);

/* Where the capture kernel saves, relative to the target file system's root: `path` for a
 * named file system; `path` less mount_prefix for the file system holding `path`. */
const char *kd_target_fs_dir(const struct kd_svc_config *c);

#endif

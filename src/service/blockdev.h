/* Block devices and file systems, through libblkid (Debian's libblkid-dev, linked statically):
 * naming a device as operators do (/dev/vdb1, UUID=..., LABEL=...), waiting a bounded time for
 * it to appear (the capture kernel's drivers probe while we run), and telling what it holds.
 * No hand-written superblock parsing. */
#ifndef KD_SERVICE_BLOCKDEV_H
#define KD_SERVICE_BLOCKDEV_H

#include "base/error.h"

struct kd_blkinfo {
	char devnode[256];  /* /dev/vdb1 */
	char type[32];      /* "ext4", "xfs", ... ; "" when nothing is recognised */
	char uuid[64];      /* "" when none */
	char label[64];     /* "" when none */
	char sysfs[256];    /* /sys/class/block/vdb1 */
};

/* Resolve spec ("/dev/...", "UUID=...", "LABEL=...") to a device, waiting up to timeout_ms
 * (0: look once) for it to appear; the error names the spec and how long was waited. */
kd_err *kd_blockdev_find(const char *spec, unsigned timeout_ms, struct kd_blkinfo *out);
/* Probe a device node: file system (or any other) signature, UUID, label. */
kd_err *kd_blockdev_probe(const char *devnode, struct kd_blkinfo *out);
/* The mounted file system that holds `path` (longest mount point prefix in
 * /proc/self/mountinfo): its source device, type and mount point. */
kd_err *kd_blockdev_fs_of_path(const char *path, char *devnode, size_t devlen, char *fstype,
			       size_t fslen, char *mountpoint, size_t mplen);

#endif

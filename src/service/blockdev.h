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
	char sysfs[256];    /* /sys/class/block/vdb1 ("" for a regular file) */
	/* added with the implementation: */
	char pttype[32];    /* partition table on the device ("gpt", "dos"), "" when none */
	char partuuid[64];  /* a partition's entry in its table: PARTUUID, PARTLABEL */
	char partlabel[128];
	char serial[128];   /* a whole disk's serial from sysfs (virtio-blk: <sysfs>/serial) */
};

/* Resolve spec ("/dev/...", "UUID=...", "LABEL=...", also "PARTUUID=...", "PARTLABEL=...",
 * "SERIAL=..." (a whole disk's serial; udev's /dev/disk/by-id/virtio-<serial>) and
 * /dev/disk/by-{uuid,label,partuuid,partlabel}/... when udev has not made those links, as in
 * the capture kernel) to a device, waiting up to timeout_ms (0: look once) for it to appear;
 * the error names the spec, how long was waited and which devices were seen. Tags are matched
 * by probing every device in /sys/class/block with libblkid's low-level API: no blkid cache
 * (/run/blkid) is read or written. Two devices with the same tag: the first in sysfs order,
 * with a warning naming both. */
kd_err *kd_blockdev_find(const char *spec, unsigned timeout_ms, struct kd_blkinfo *out);
/* Probe a device node (or a regular file holding an image): file system (or any other)
 * signature, UUID, label, partition table and entry. A device with more than one signature
 * (ambiguous) is an error that says so. */
kd_err *kd_blockdev_probe(const char *devnode, struct kd_blkinfo *out);
/* The mounted file system that holds `path` (longest mount point prefix in
 * /proc/self/mountinfo): its source device, type and mount point. */
kd_err *kd_blockdev_fs_of_path(const char *path, char *devnode, size_t devlen, char *fstype,
			       size_t fslen, char *mountpoint, size_t mplen);

/* The same, looking elsewhere than the running system (tests; a capture environment that
 * mounted sysfs elsewhere). A NULL struct or member means the standard place. */
struct kd_blockdev_roots {
	const char *sys;       /* "/sys" */
	const char *dev;       /* "/dev": a spec "/dev/x" is looked up as <dev>/x */
	const char *mountinfo; /* "/proc/self/mountinfo" */
};

struct kd_mount; /* mountinfo.h */

kd_err *kd_blockdev_find_in(const struct kd_blockdev_roots *r, const char *spec,
			    unsigned timeout_ms, struct kd_blkinfo *out);
/* The mount holding `path` (made absolute and canonical first: symlinks of the part that
 * exists are resolved, "." and ".." removed), with m->source replaced by the device node
 * found through <sys>/dev/block/MAJ:MIN (so "/dev/root" becomes "/dev/vda1"); a file system
 * with no block device (major 0: tmpfs, btrfs subvolume) keeps the source as mounted.
 * m->root says which directory of the file system is mounted there (not "/" for a bind mount
 * or a btrfs subvolume): the capture kernel, mounting the device itself, finds `path` at
 * root + (path - mountpoint). */
kd_err *kd_blockdev_mount_of_path(const struct kd_blockdev_roots *r, const char *path,
				  struct kd_mount *m);

#endif

/* Directory targets: the file system that holds `path` (no target line), and a named file
 * system (ext4|xfs|btrfs <device|UUID=|LABEL=>), where `path` is relative to that file
 * system's root as kdump-utils has it. At load time the file system is found and recorded as
 * the capture kernel will find it (UUID=...); in the capture kernel it is mounted and the dump
 * saved into <mnt>/<path on that file system>. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "service/capture.h"
#include "service/mountinfo.h"
#include "service/target_priv.h"

#define DEFAULT_PATH "/var/crash"

/* Record the result of a prepare: all of it or nothing. */
static kd_err *record(struct kd_svc_config *c, struct kd_target_needs *n, const char *resolved,
		      const char *fstype, const char *prefix, const char *devnode,
		      const char *identity)
{
	struct kd_svc_config nc = { 0 };
	struct kd_target_needs nn = { 0 };
	if (kd_target_set(&nc.resolved_device, resolved) ||
	    kd_target_set(&nc.resolved_fstype, fstype) || kd_target_set(&nc.mount_prefix, prefix) ||
	    kd_target_set(&nn.block_device, devnode) || kd_target_set(&nn.fstype, fstype) ||
	    kd_target_set(&nn.identity, identity)) {
		free(nc.resolved_device), free(nc.resolved_fstype), free(nc.mount_prefix);
		kd_target_needs_free(&nn);
		return kd_err_new(ENOMEM, "recording the dump target");
	}
	free(c->resolved_device), free(c->resolved_fstype), free(c->mount_prefix);
	c->resolved_device = nc.resolved_device;
	c->resolved_fstype = nc.resolved_fstype;
	c->mount_prefix = nc.mount_prefix;
	free(n->block_device), free(n->fstype), free(n->identity);
	n->block_device = nn.block_device;
	n->fstype = nn.fstype;
	n->identity = nn.identity;
	return NULL;
}

kd_err *kd_target_path_prepare(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			       struct kd_target_needs *n)
{
	const char *path = c->path ? c->path : DEFAULT_PATH;
	struct stat st;
	if (path[0] != '/')
		return kd_err_new(0, "path %s is not absolute: write path /var/crash", path);
	if (stat(path, &st) < 0)
		return kd_err_errno("path %s: create it (mkdir -p %s) or set another path", path,
				    path);
	if (!S_ISDIR(st.st_mode))
		return kd_err_new(ENOTDIR, "path %s is not a directory", path);
	struct kd_mount m;
	kd_err *e = kd_blockdev_mount_of_path(r, path, &m);
	if (e)
		return kd_err_wrap(e, "finding the file system that holds path %s", path);
	if (!strcmp(m.fstype, "nfs") || !strcmp(m.fstype, "nfs4"))
		return kd_err_new(0, "path %s is on NFS (%s): NFS targets are not built yet; put "
				  "path on a local disk", path, m.source);
	if (!kd_target_fs_supported(m.fstype))
		return kd_err_new(0, "path %s is on %s (%s mounted on %s), which the capture kernel "
				  "cannot save to: put path on an ext4, xfs or btrfs disk, or name "
				  "one with a target line (e.g. ext4 UUID=...)", path, m.fstype,
				  m.source, m.mountpoint);
	/* btrfs shows an anonymous device number (major 0) but its device as the source */
	if (strcmp(m.root, "/") || m.source[0] != '/')
		return kd_err_new(0, "path %s is on a bind mount or a btrfs subvolume (%s of %s "
				  "mounted on %s): the capture kernel mounts whole file systems; name "
				  "the file system with a target line (%s <device>) and a path on it",
				  path, m.root, m.source, m.mountpoint, m.fstype);
	struct kd_blkinfo bi;
	if ((e = kd_blockdev_find_in(r, m.source, 0, &bi)))
		return kd_err_wrap(e, "the file system that holds path %s (mounted on %s)", path,
				   m.mountpoint);
	char name[128], id[4096 + 256];
	kd_target_stable_name(&bi, name, sizeof(name));
	if (!bi.uuid[0])
		kd_warn("%s (holding %s) has no UUID: the capture kernel looks for it as %s, "
			"which may name another disk there", bi.devnode, path, bi.devnode);
	snprintf(id, sizeof(id), "path %s %s %s", m.fstype, name, path);
	if ((e = record(c, n, name, m.fstype, m.mountpoint, bi.devnode, id)))
		return e;
	if (kd_target_set(&c->fstype, m.fstype))
		return kd_err_new(ENOMEM, "recording the dump target");
	return NULL;
}

kd_err *kd_target_fs_prepare(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			     struct kd_target_needs *n)
{
	const char *path = c->path ? c->path : DEFAULT_PATH;
	if (!c->fstype || !c->device)
		return kd_err_new(0, "a file system target needs a type and a device "
				  "(e.g. xfs UUID=...)");
	if (!kd_target_fs_supported(c->fstype))
		return kd_err_new(0, "%s %s: kdumpkit saves to ext4, xfs or btrfs", c->fstype,
				  c->device);
	if (path[0] != '/')
		return kd_err_new(0, "path %s is not absolute: it is a directory on %s from its "
				  "root, e.g. path /var/crash", path, c->device);
	struct kd_blkinfo bi;
	kd_err *e = kd_blockdev_find_in(r, c->device, 0, &bi);
	if (e)
		return kd_err_wrap(e, "%s target %s", c->fstype, c->device);
	if (!bi.type[0])
		return kd_err_new(0, "%s target %s (%s) holds no file system: make one (mkfs.%s %s) "
				  "or name another device", c->fstype, c->device, bi.devnode,
				  c->fstype, bi.devnode);
	if (strcmp(bi.type, c->fstype))
		return kd_err_new(0, "%s target %s (%s) holds %s, not %s: write %s %s", c->fstype,
				  c->device, bi.devnode, bi.type, c->fstype, bi.type, c->device);
	char name[128], id[4096 + 256];
	kd_target_stable_name(&bi, name, sizeof(name));
	snprintf(id, sizeof(id), "fs %s %s %s", c->fstype, name, path);
	return record(c, n, name, c->fstype, NULL, bi.devnode, id);
}

/* Capture kernel: mount the recorded file system, save into it, unmount. */
static kd_err *save_fs(struct kd_capture *cap)
{
	const struct kd_svc_config *c = cap->cfg;
	const char *spec = c->resolved_device ? c->resolved_device : c->device;
	const char *type = c->resolved_fstype ? c->resolved_fstype : c->fstype;
	if (!spec || !type)
		return kd_err_new(0, "the configuration snapshot names no target file system "
				  "(rebuild the initramfs: kdumpctl rebuild)");
	kd_err *e = kd_target_mount(spec, type, cap->mnt, cap->wait_ms);
	if (e)
		return e;
	char base[8192];
	snprintf(base, sizeof(base), "%s%s", cap->mnt, kd_target_fs_dir(c));
	e = kd_capture_save_dir(cap, base);
	sync();
	if (umount2(cap->mnt, 0) < 0)
		kd_warn("unmounting %s: %s", cap->mnt, strerror(errno));
	return e;
}

const struct kd_target_ops kd_target_path_ops = {
	.kind = KD_TGT_PATH, .name = "path", .prepare = kd_target_prepare, .save = save_fs,
};
const struct kd_target_ops kd_target_fs_ops = {
	.kind = KD_TGT_FS, .name = "fs", .prepare = kd_target_prepare, .save = save_fs,
};

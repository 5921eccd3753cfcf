/* The table of targets, and what the kinds share: mounting in the capture kernel, the root file
 * system for dump_to_rootfs, the supported file systems. */
#include "service/target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/log.h"
#include "service/mountinfo.h"
#include "service/target_priv.h"

void kd_target_needs_free(struct kd_target_needs *n)
{
	free(n->block_device);
	free(n->fstype);
	free(n->identity);
	free(n->rootfs_block_device);
	free(n->rootfs_fstype);
	*n = (struct kd_target_needs){ 0 };
}

const struct kd_target_ops *kd_target_ops_for(enum kd_svc_target t)
{
	switch (t) {
	case KD_TGT_PATH: return &kd_target_path_ops;
	case KD_TGT_FS: return &kd_target_fs_ops;
	case KD_TGT_RAW: return &kd_target_raw_ops;
	case KD_TGT_SSH:
	case KD_TGT_NFS: break; /* issue 13 */
	}
	return NULL;
}

int kd_target_set(char **dst, const char *src)
{
	char *v = src ? strdup(src) : NULL;
	if (src && !v)
		return -1;
	free(*dst);
	*dst = v;
	return 0;
}

void kd_target_stable_name(const struct kd_blkinfo *bi, char *out, size_t len)
{
	if (bi->uuid[0])
		snprintf(out, len, "UUID=%s", bi->uuid);
	else
		snprintf(out, len, "%s", bi->devnode);
}

int kd_target_fs_supported(const char *fstype)
{
	static const char *const ok[] = { "ext4", "ext3", "ext2", "xfs", "btrfs" };
	for (size_t i = 0; fstype && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(fstype, ok[i]))
			return 1;
	return 0;
}

const char *kd_target_fs_dir(const struct kd_svc_config *c)
{
	const char *path = c->path ? c->path : "/var/crash";
	const char *pre = c->target == KD_TGT_PATH ? c->mount_prefix : NULL;
	if (!pre || !strcmp(pre, "/"))
		return path;
	size_t n = strlen(pre);
	if (!strncmp(path, pre, n) && (path[n] == '/' || path[n] == 0))
		return path[n] ? path + n : "/";
	return path; /* not under the prefix: prepare() never records that */
}

static kd_err *mkdir_p(const char *dir)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return kd_err_new(ENAMETOOLONG, "%s", dir);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return kd_err_errno("creating %s", buf);
		if (!c)
			return NULL;
		*p = c;
	}
}

kd_err *kd_target_mount(const char *spec, const char *fstype, const char *mnt,
			unsigned wait_ms)
{
	struct kd_blkinfo bi;
	kd_err *e = kd_blockdev_find(spec, wait_ms, &bi);
	if (e)
		return kd_err_wrap(e, "finding the dump target %s", spec);
	if (bi.type[0] && strcmp(bi.type, fstype))
		return kd_err_new(0, "%s (%s) holds %s, not the %s recorded when the service "
				  "loaded", spec, bi.devnode, bi.type, fstype);
	if ((e = mkdir_p(mnt)))
		return e;
	if (mount(bi.devnode, mnt, fstype, MS_NOATIME, NULL) < 0)
		return kd_err_errno("mounting %s (%s) on %s as %s", spec, bi.devnode, mnt, fstype);
	kd_info("mounted %s (%s, %s) on %s", spec, bi.devnode, fstype, mnt);
	return NULL;
}

/* The root file system as the capture kernel will find it. */
static kd_err *prepare_rootfs(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			      struct kd_target_needs *n)
{
	struct kd_mount m;
	kd_err *e = kd_blockdev_mount_of_path(r, "/", &m);
	if (e)
		return kd_err_wrap(e, "failure_action dump_to_rootfs: finding the root file system");
	if (!kd_target_fs_supported(m.fstype) || m.source[0] != '/')
		return kd_err_new(0, "failure_action dump_to_rootfs: the root file system is %s on "
				  "%s, which the capture kernel cannot save to; use failure_action "
				  "reboot", m.fstype, m.source);
	struct kd_blkinfo bi;
	if ((e = kd_blockdev_find_in(r, m.source, 0, &bi)))
		return kd_err_wrap(e, "failure_action dump_to_rootfs: the root file system");
	char name[128];
	kd_target_stable_name(&bi, name, sizeof(name));
	if (kd_target_set(&c->rootfs_device, name) || kd_target_set(&c->rootfs_fstype, m.fstype) ||
	    kd_target_set(&n->rootfs_block_device, bi.devnode) ||
	    kd_target_set(&n->rootfs_fstype, m.fstype))
		return kd_err_new(ENOMEM, "failure_action dump_to_rootfs");
	return NULL;
}

kd_err *kd_target_prepare_in(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			     struct kd_target_needs *n)
{
	kd_err *e;
	switch (c->target) {
	case KD_TGT_PATH: e = kd_target_path_prepare(r, c, n); break;
	case KD_TGT_FS: e = kd_target_fs_prepare(r, c, n); break;
	case KD_TGT_RAW: e = kd_target_raw_prepare(r, c, n); break;
	case KD_TGT_SSH:
	case KD_TGT_NFS:
	default:
		return kd_err_new(0, "the %s target is not built yet in kdumpkit: save to a local "
				  "file system or a raw device", kd_svc_target_name(c->target));
	}
	if (!e && c->failure_action == KD_ACT_DUMP_TO_ROOTFS)
		e = prepare_rootfs(r, c, n);
	return e;
}

kd_err *kd_target_prepare(struct kd_svc_config *c, struct kd_target_needs *n)
{
	return kd_target_prepare_in(NULL, c, n);
}

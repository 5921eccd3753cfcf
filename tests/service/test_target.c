/* The targets' load-time checks (service/target.h) on a fake machine: image files made by
 * mkfs.ext4 / mkswap standing for disks under a fake /dev and /sys, and fake mountinfo files.
 * A raw device holding a file system, swap or a partition table is refused naming what it
 * holds; an empty one is accepted (and must be a block device); the file system holding `path`
 * is recorded as UUID=, its type and mount point, tmpfs and bind mounts refused; a named file
 * system must hold the type written; dump_to_rootfs records the root file system. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "service/blockdev.h"
#include "service/target.h"
#include "test.h"

#define EXT4_UUID "5b0d3f3e-8a4c-4e1d-9c2b-6f7a8e9d0c1b"

static char root[64];

static int put(const char *rel, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put(const char *rel, const char *fmt, ...)
{
	char path[4096], cmd[4200];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd))
		return -1;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* <root>/dev/<name> is the image, <root>/sys knows it as maj:min */
static void disk(const char *name, const char *maj_min)
{
	put("x", "%s", "");
	char rel[256];
	snprintf(rel, sizeof(rel), "sys/class/block/%s/uevent", name);
	put(rel, "MAJOR=254\nDEVNAME=%s\n", name);
	snprintf(rel, sizeof(rel), "sys/class/block/%s/size", name);
	put(rel, "131072\n");
	snprintf(rel, sizeof(rel), "sys/dev/block/%s/uevent", maj_min);
	put(rel, "DEVNAME=%s\n", name);
}

static char *dev(const char *name)
{
	static char p[2][128];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/dev/%s", root, name);
	return p[i];
}

static int setup_done;
static int setup(void)
{
	if (setup_done)
		return setup_done > 0;
	strcpy(root, "/tmp/kd-test-target-XXXXXX");
	setup_done = -1;
	if (!mkdtemp(root))
		return 0;
	if (sh("cd %s && mkdir -p dev crash && truncate -s 32M dev/vda1 dev/vdb dev/vdc dev/vdd && "
	       "mkfs.ext4 -F -q -U " EXT4_UUID " dev/vda1 && mkswap -q dev/vdc >/dev/null", root)) {
		fprintf(stderr, "  mkfs.ext4/mkswap on image files failed\n");
		return 0;
	}
	/* vdd: an MBR partition table with one Linux partition at 1 MiB */
	uint8_t mbr[512] = { 0 };
	static const uint8_t entry[16] = { 0, 0, 0, 0, 0x83, 0, 0, 0, 0x00, 0x08, 0, 0,
					   0x00, 0x80, 0, 0 };
	memcpy(mbr + 446, entry, sizeof(entry));
	mbr[510] = 0x55, mbr[511] = 0xaa;
	FILE *f = fopen(dev("vdd"), "r+");
	if (!f || fwrite(mbr, 1, sizeof(mbr), f) != sizeof(mbr) || fclose(f))
		return 0;
	disk("vda1", "254:1");
	disk("vdb", "254:16");
	disk("vdc", "254:32");
	disk("vdd", "254:48");
	setup_done = 1;
	return 1;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void cleanup(void)
{
	if (setup_done && !strncmp(root, "/tmp/kd-test-target-", 20))
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	CHECK(1);
}

static struct kd_blockdev_roots roots(const char *mountinfo)
{
	static char sys[128], dev[128], mi[128];
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	snprintf(mi, sizeof(mi), "%s/%s", root, mountinfo ? mountinfo : "mountinfo");
	return (struct kd_blockdev_roots){ .sys = sys, .dev = dev, .mountinfo = mi };
}

static void test_raw_check(void)
{
	CHECK(setup());
	CHECK_OK(kd_target_raw_check(dev("vdb")));
	CHECK_ERR_HAS(kd_target_raw_check(dev("vda1")), "is not empty: it holds ext4 (UUID=" EXT4_UUID);
	CHECK_ERR_HAS(kd_target_raw_check(dev("vda1")), "wipefs -a");
	CHECK_ERR_HAS(kd_target_raw_check(dev("vdc")), "swap");
	CHECK_ERR_HAS(kd_target_raw_check(dev("vdd")), "a partition table of type dos");
	CHECK_ERR_HAS(kd_target_raw_check(dev("nothere")), "nothere");
}

static void test_raw_prepare(void)
{
	CHECK(setup());
	struct kd_blockdev_roots r = roots(NULL);
	char *mdf[] = { "makedumpfile", "-l", "-d", "31", NULL }, *cp[] = { "cp", NULL };
	struct kd_svc_config c = { .target = KD_TGT_RAW, .device = "/dev/vda1",
				   .collector_argv = mdf };
	struct kd_target_needs n = { 0 };
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "is not empty: it holds ext4");
	c.device = "/dev/vdb"; /* empty, but an image file standing for a disk */
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "is not a block device");
	c.device = "/dev/missing";
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "raw target /dev/missing");
	c.device = "/dev/vdb";
	c.collector_argv = cp;
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "cannot write the flattened stream");
	CHECK(c.resolved_device == NULL && n.identity == NULL); /* nothing half-recorded */
	c.collector_argv = mdf;

	/* real block devices: the images on loop devices, where this machine lets us make them */
	char loop_empty[64] = "", loop_ext4[64] = "";
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s/dev/vdb 2>/dev/null", root);
	FILE *p = popen(cmd, "r");
	if (p) {
		if (!fgets(loop_empty, sizeof(loop_empty), p))
			loop_empty[0] = 0;
		pclose(p);
	}
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s/dev/vda1 2>/dev/null", root);
	if (loop_empty[0] && (p = popen(cmd, "r"))) {
		if (!fgets(loop_ext4, sizeof(loop_ext4), p))
			loop_ext4[0] = 0;
		pclose(p);
	}
	loop_empty[strcspn(loop_empty, "\n")] = 0;
	loop_ext4[strcspn(loop_ext4, "\n")] = 0;
	if (loop_empty[0] && loop_ext4[0]) {
		c.device = loop_empty;
		CHECK_OK(kd_target_prepare_in(NULL, &c, &n));
		CHECK_STR(c.resolved_device, loop_empty);
		CHECK_STR(n.block_device, loop_empty);
		CHECK(n.fstype == NULL);
		char id[128];
		snprintf(id, sizeof(id), "raw %s", loop_empty);
		CHECK_STR(n.identity, id);
		c.device = loop_ext4;
		CHECK_ERR_HAS(kd_target_prepare_in(NULL, &c, &n), "is not empty: it holds ext4");
		CHECK_STR(c.resolved_device, loop_empty);
	} else {
		fprintf(stderr, "  (no loop devices here: raw prepare on a real block device not "
			"run)\n");
	}
	if (loop_empty[0])
		sh("losetup -d %s", loop_empty);
	if (loop_ext4[0])
		sh("losetup -d %s", loop_ext4);
	free(c.resolved_device), free(c.resolved_fstype), free(c.mount_prefix);
	kd_target_needs_free(&n);
	CHECK(kd_target_ops_for(KD_TGT_RAW) == &kd_target_raw_ops);
}

static void test_path_target(void)
{
	CHECK(setup());
	char crash[128];
	snprintf(crash, sizeof(crash), "%s/crash", root);
	put("mountinfo", "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n"
			 "23 22 0:21 / /proc rw - proc proc rw\n");
	struct kd_blockdev_roots r = roots(NULL);
	struct kd_svc_config c = { .target = KD_TGT_PATH, .path = crash };
	struct kd_target_needs n = { 0 };
	CHECK_OK(kd_target_prepare_in(&r, &c, &n));
	CHECK_STR(c.resolved_device, "UUID=" EXT4_UUID);
	CHECK_STR(c.resolved_fstype, "ext4");
	CHECK_STR(c.fstype, "ext4");
	CHECK_STR(c.mount_prefix, "/");
	CHECK_STR(n.block_device, dev("vda1"));
	CHECK_STR(n.fstype, "ext4");
	char id[256];
	snprintf(id, sizeof(id), "path ext4 UUID=" EXT4_UUID " %s", crash);
	CHECK_STR(n.identity, id);
	CHECK(n.rootfs_block_device == NULL); /* failure_action reboot: no root fs needed */
	CHECK_STR(kd_target_fs_dir(&c), crash);

	/* the same file system mounted on a parent of path: the capture kernel saves to the
	 * rest of the path from that file system's root */
	char mi[512];
	put("mountinfo2", "22 1 254:2 / / rw - ext4 /dev/sda1 rw\n"
			  "30 22 254:1 / /tmp rw - ext4 /dev/vda1 rw\n");
	r = roots("mountinfo2");
	CHECK_OK(kd_target_prepare_in(&r, &c, &n));
	CHECK_STR(c.mount_prefix, "/tmp");
	snprintf(mi, sizeof(mi), "%s", crash + 4);
	CHECK_STR(kd_target_fs_dir(&c), mi);

	/* failure_action dump_to_rootfs also records "/" */
	put("mountinfo3", "22 1 254:1 / / rw - ext4 /dev/vda1 rw\n");
	r = roots("mountinfo3");
	c.failure_action = KD_ACT_DUMP_TO_ROOTFS;
	CHECK_OK(kd_target_prepare_in(&r, &c, &n));
	CHECK_STR(c.rootfs_device, "UUID=" EXT4_UUID);
	CHECK_STR(c.rootfs_fstype, "ext4");
	CHECK_STR(n.rootfs_block_device, dev("vda1"));
	c.failure_action = KD_ACT_REBOOT;

	/* refused: tmpfs, a bind mount, NFS, a path that does not exist */
	put("mountinfo4", "22 1 254:1 / / rw - ext4 /dev/vda1 rw\n"
			  "31 22 0:40 / /tmp rw - tmpfs tmpfs rw\n");
	r = roots("mountinfo4");
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "is on tmpfs");
	put("mountinfo5", "22 1 254:2 / / rw - ext4 /dev/sda1 rw\n"
			  "31 22 254:1 /srv/x /tmp rw - ext4 /dev/vda1 rw\n");
	r = roots("mountinfo5");
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "bind mount or a btrfs subvolume");
	put("mountinfo6", "22 1 254:1 / / rw - ext4 /dev/vda1 rw\n"
			  "31 22 0:50 / /tmp rw - nfs4 srv:/x rw\n");
	r = roots("mountinfo6");
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "is on NFS");
	c.path = "/nonexistent/crash";
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "mkdir -p /nonexistent/crash");
	c.path = "var/crash";
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "is not absolute");
	/* the last good prepare stays recorded */
	CHECK_STR(c.resolved_device, "UUID=" EXT4_UUID);

	free(c.resolved_device), free(c.resolved_fstype), free(c.mount_prefix), free(c.fstype);
	free(c.rootfs_device), free(c.rootfs_fstype);
	kd_target_needs_free(&n);
}

static void test_fs_target(void)
{
	CHECK(setup());
	struct kd_blockdev_roots r = roots(NULL);
	struct kd_svc_config c = { .target = KD_TGT_FS, .fstype = "ext4",
				   .device = "UUID=" EXT4_UUID, .path = "/var/crash" };
	struct kd_target_needs n = { 0 };
	CHECK_OK(kd_target_prepare_in(&r, &c, &n));
	CHECK_STR(c.resolved_device, "UUID=" EXT4_UUID);
	CHECK_STR(c.resolved_fstype, "ext4");
	CHECK(c.mount_prefix == NULL);
	CHECK_STR(n.block_device, dev("vda1"));
	CHECK_STR(n.identity, "fs ext4 UUID=" EXT4_UUID " /var/crash");
	CHECK_STR(kd_target_fs_dir(&c), "/var/crash"); /* from that file system's root */

	c.device = "/dev/vda1";
	CHECK_OK(kd_target_prepare_in(&r, &c, &n));
	CHECK_STR(c.resolved_device, "UUID=" EXT4_UUID);

	c.fstype = "xfs";
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "holds ext4, not xfs: write ext4");
	c.fstype = "ext4";
	c.device = "/dev/vdb";
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "holds no file system");
	c.device = "LABEL=nosuchlabel";
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "ext4 target LABEL=nosuchlabel");
	c.fstype = "vfat";
	c.device = "/dev/vda1";
	CHECK_ERR_HAS(kd_target_prepare_in(&r, &c, &n), "saves to ext4, xfs or btrfs");
	free(c.resolved_device), free(c.resolved_fstype), free(c.mount_prefix);
	kd_target_needs_free(&n);
}

static void test_table(void)
{
	CHECK(kd_target_ops_for(KD_TGT_PATH) == &kd_target_path_ops);
	CHECK(kd_target_ops_for(KD_TGT_FS) == &kd_target_fs_ops);
	CHECK(kd_target_ops_for(KD_TGT_SSH) == NULL);
	CHECK(kd_target_ops_for(KD_TGT_NFS) == NULL);
	for (int t = KD_TGT_PATH; t <= KD_TGT_RAW; t++) {
		const struct kd_target_ops *o = kd_target_ops_for((enum kd_svc_target)t);
		CHECK(o && o->kind == (enum kd_svc_target)t && o->prepare && o->save && o->name);
	}
	CHECK(kd_target_fs_supported("xfs") && kd_target_fs_supported("btrfs") &&
	      !kd_target_fs_supported("tmpfs") && !kd_target_fs_supported(NULL));
	struct kd_svc_config c = { .target = KD_TGT_SSH };
	struct kd_target_needs n = { 0 };
	CHECK_ERR_HAS(kd_target_prepare_in(NULL, &c, &n), "not built yet");
}

static void quiet(void) { kd_log_set_level(KD_LOG_ERROR); CHECK(1); }

TEST_MAIN(T(quiet), T(test_table), T(test_raw_check), T(test_raw_prepare), T(test_path_target),
	  T(test_fs_target), T(cleanup))

/* Block devices through libblkid on real ext4 and xfs images (made with mkfs on regular files,
 * which libblkid probes as it probes disks), found by path, UUID= and LABEL= through a fake
 * /sys/class/block and /dev; the mount holding a path from fake mountinfo files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "service/blockdev.h"
#include "service/mountinfo.h"
#include "storage_util.h"
#include "test.h"

#define EXT4_UUID "0c6f2c1e-5d3a-4f7b-9a41-2b8d6e0f1a23"
#define XFS_UUID "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

static char *imgdir; /* ext4.img, xfs.img, zero.img */

static int have_images(void)
{
	if (imgdir)
		return 1;
	imgdir = st_tmpdir("blkimg");
	/* sparse files: mkfs writes a few MiB of metadata */
	int rc = st_sh("cd %s && truncate -s 64M ext4.img && "
		       "mkfs.ext4 -F -q -L kdext4 -U " EXT4_UUID " ext4.img && "
		       "truncate -s 320M xfs.img && "
		       "mkfs.xfs -f -q -L 'kd xfs' -m uuid=" XFS_UUID " xfs.img && "
		       "truncate -s 1M zero.img", imgdir);
	if (rc) {
		fprintf(stderr, "  mkfs.ext4/mkfs.xfs on image files failed (%d)\n", rc);
		return 0;
	}
	return 1;
}

static void test_probe_images(void)
{
	CHECK(have_images());
	char p[4096];
	struct kd_blkinfo b;
	snprintf(p, sizeof(p), "%s/ext4.img", imgdir);
	CHECK_OK(kd_blockdev_probe(p, &b));
	CHECK_STR(b.type, "ext4");
	CHECK_STR(b.uuid, EXT4_UUID);
	CHECK_STR(b.label, "kdext4");
	CHECK_STR(b.devnode, p);
	CHECK_STR(b.sysfs, ""); /* a regular file has no sysfs directory */

	snprintf(p, sizeof(p), "%s/xfs.img", imgdir);
	CHECK_OK(kd_blockdev_probe(p, &b));
	CHECK_STR(b.type, "xfs");
	CHECK_STR(b.uuid, XFS_UUID);
	CHECK_STR(b.label, "kd xfs");

	/* nothing on it: no error, nothing recognised */
	snprintf(p, sizeof(p), "%s/zero.img", imgdir);
	CHECK_OK(kd_blockdev_probe(p, &b));
	CHECK_STR(b.type, "");
	CHECK_STR(b.uuid, "");
	CHECK_STR(b.pttype, "");

	snprintf(p, sizeof(p), "%s/missing.img", imgdir);
	CHECK_ERR_HAS(kd_blockdev_probe(p, &b), "missing.img");
	CHECK_ERR_HAS(kd_blockdev_probe("/dev/null", &b), "neither a block device");
}

/* A partition table on an image (an MBR written here: one Linux partition): PTTYPE. */
static void test_probe_partition_table(void)
{
	CHECK(have_images());
	char p[4096];
	snprintf(p, sizeof(p), "%s/mbr.img", imgdir);
	uint8_t sec[512] = { 0 };
	uint8_t *e = sec + 446; /* first entry: type 0x83, LBA 2048, 4096 sectors */
	e[4] = 0x83;
	e[8] = 0x00, e[9] = 0x08;
	e[12] = 0x00, e[13] = 0x10;
	sec[510] = 0x55, sec[511] = 0xaa;
	FILE *f = fopen(p, "w");
	CHECK(f && fwrite(sec, 1, sizeof(sec), f) == sizeof(sec) && !ftruncate(fileno(f), 8 << 20));
	if (f)
		fclose(f);
	struct kd_blkinfo b;
	CHECK_OK(kd_blockdev_probe(p, &b));
	CHECK_STR(b.pttype, "dos");
	CHECK_STR(b.type, "");
}

/* A fake machine: <root>/sys/class/block/<name>/{uevent,size} and <root>/dev/<name> a symlink
 * to an image. */
static void add_dev(const char *root, const char *name, const char *img, const char *size)
{
	char rel[512], content[256], path[4096], target[4096];
	snprintf(rel, sizeof(rel), "sys/class/block/%s/uevent", name);
	snprintf(content, sizeof(content), "MAJOR=254\nMINOR=16\nDEVNAME=%s\nDEVTYPE=disk\n", name);
	CHECK(st_put(root, rel, content) == 0);
	snprintf(rel, sizeof(rel), "sys/class/block/%s/size", name);
	snprintf(content, sizeof(content), "%s\n", size);
	CHECK(st_put(root, rel, content) == 0);
	if (img) {
		snprintf(path, sizeof(path), "%s/dev", root);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/dev/%s", root, name);
		snprintf(target, sizeof(target), "%s/%s", imgdir, img);
		CHECK(symlink(target, path) == 0);
	}
}

static void roots_of(const char *root, struct kd_blockdev_roots *r, char *sys, char *dev)
{
	sprintf(sys, "%s/sys", root);
	sprintf(dev, "%s/dev", root);
	*r = (struct kd_blockdev_roots){ sys, dev, NULL };
}

static void test_find_by_tag_and_path(void)
{
	CHECK(have_images());
	char *root = st_tmpdir("blkfind"), sys[4096], dev[4096], want[4096];
	struct kd_blockdev_roots r;
	roots_of(root, &r, sys, dev);
	add_dev(root, "loop0", NULL, "0");      /* empty: skipped, never opened */
	add_dev(root, "vda", "zero.img", "2048");
	add_dev(root, "vdb", "ext4.img", "131072");
	add_dev(root, "vdc", "xfs.img", "655360");
	struct kd_blkinfo b;

	CHECK_OK(kd_blockdev_find_in(&r, "UUID=" EXT4_UUID, 0, &b));
	snprintf(want, sizeof(want), "%s/dev/vdb", root);
	CHECK_STR(b.devnode, want);
	CHECK_STR(b.type, "ext4");
	snprintf(want, sizeof(want), "%s/sys/class/block/vdb", root);
	CHECK_STR(b.sysfs, want);

	/* UUIDs compare without case; quotes around the value are dropped */
	CHECK_OK(kd_blockdev_find_in(&r, "UUID=\"7A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D\"", 0, &b));
	CHECK_STR(b.type, "xfs");
	CHECK_OK(kd_blockdev_find_in(&r, "LABEL=kd xfs", 0, &b));
	CHECK_STR(b.uuid, XFS_UUID);
	/* labels do compare with case */
	CHECK_ERR_HAS(kd_blockdev_find_in(&r, "LABEL=KDEXT4", 0, &b), "no block device holds");
	/* udev's link names, with no udev to make them (the capture kernel) */
	CHECK_OK(kd_blockdev_find_in(&r, "/dev/disk/by-label/kd\\x20xfs", 0, &b));
	CHECK_STR(b.uuid, XFS_UUID);
	CHECK_OK(kd_blockdev_find_in(&r, "/dev/disk/by-uuid/" EXT4_UUID, 0, &b));
	CHECK_STR(b.label, "kdext4");

	/* a path under /dev is looked up under the fake /dev */
	CHECK_OK(kd_blockdev_find_in(&r, "/dev/vdc", 0, &b));
	CHECK_STR(b.type, "xfs");
	snprintf(want, sizeof(want), "%s/dev/vdc", root);
	CHECK_STR(b.devnode, want);

	/* a disk with no file system (a raw target) by its serial, and udev's by-id link for a
	 * virtio disk, which a capture kernel without udev does not have */
	CHECK(st_put(root, "sys/class/block/vda/serial", "kdraw\n") == 0);
	CHECK_OK(kd_blockdev_find_in(&r, "SERIAL=kdraw", 0, &b));
	snprintf(want, sizeof(want), "%s/dev/vda", root);
	CHECK_STR(b.devnode, want);
	CHECK_STR(b.serial, "kdraw");
	CHECK_OK(kd_blockdev_find_in(&r, "/dev/disk/by-id/virtio-kdraw", 0, &b));
	CHECK_STR(b.devnode, want);
	CHECK_ERR_HAS(kd_blockdev_find_in(&r, "SERIAL=kdra", 0, &b), "no block device holds");

	CHECK_ERR_HAS(kd_blockdev_find_in(&r, "UUID=", 0, &b), "nothing after");
	CHECK_ERR_HAS(kd_blockdev_find_in(&r, "vdb", 0, &b), "not a device");
	st_rmrf(root);
	free(root);
}

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Not there: the error says what was waited for, how long, and what was seen; the wait is
 * the one asked for. */
static void test_find_times_out(void)
{
	CHECK(have_images());
	char *root = st_tmpdir("blkwait"), sys[4096], dev[4096];
	struct kd_blockdev_roots r;
	roots_of(root, &r, sys, dev);
	add_dev(root, "vdb", "ext4.img", "131072");
	struct kd_blkinfo b;
	uint64_t t0 = ms_now();
	CHECK_ERR_HAS(kd_blockdev_find_in(&r, "UUID=" XFS_UUID, 300, &b),
		      "no block device holds UUID=" XFS_UUID " (waited 300 ms; saw 1: vdb)");
	uint64_t took = ms_now() - t0;
	CHECK(took >= 300 && took < 3000);
	CHECK_ERR_HAS(kd_blockdev_find_in(&r, "/dev/vdz", 200, &b), "/dev/vdz did not appear "
		      "(waited 200 ms)");
	/* no block devices at all: say the driver is the likely cause */
	struct kd_blockdev_roots empty = { "/nonexistent-kd-sys", dev, NULL };
	CHECK_ERR_HAS(kd_blockdev_find_in(&empty, "LABEL=x", 0, &b), "extra_modules");
	st_rmrf(root);
	free(root);
}

/* A device that appears while we wait (the capture kernel's driver probing late) is found. */
static void test_find_waits_for_late_device(void)
{
	CHECK(have_images());
	char *root = st_tmpdir("blklate"), sys[4096], dev[4096];
	struct kd_blockdev_roots r;
	roots_of(root, &r, sys, dev);
	add_dev(root, "vda", "zero.img", "2048");
	pid_t pid = fork();
	if (pid == 0) {
		usleep(300 * 1000);
		add_dev(root, "vdc", "xfs.img", "655360");
		_exit(0);
	}
	struct kd_blkinfo b;
	uint64_t t0 = ms_now();
	CHECK_OK(kd_blockdev_find_in(&r, "UUID=" XFS_UUID, 5000, &b));
	uint64_t took = ms_now() - t0;
	CHECK_STR(b.type, "xfs");
	CHECK(took >= 250 && took < 4000);
	int st;
	waitpid(pid, &st, 0);

	/* and by path */
	pid = fork();
	if (pid == 0) {
		usleep(200 * 1000);
		add_dev(root, "vdd", "ext4.img", "131072");
		_exit(0);
	}
	CHECK_OK(kd_blockdev_find_in(&r, "/dev/vdd", 5000, &b));
	CHECK_STR(b.uuid, EXT4_UUID);
	waitpid(pid, &st, 0);

	st_rmrf(root);
	free(root);

	/* a device probed once without a match is probed again when its size changes (media
	 * inserted: an empty vde that becomes the ext4 image) */
	root = st_tmpdir("blkmedia");
	roots_of(root, &r, sys, dev);
	add_dev(root, "vde", "zero.img", "2048");
	pid = fork();
	if (pid == 0) {
		char p[4096], t[4096];
		usleep(300 * 1000);
		snprintf(p, sizeof(p), "%s/dev/vde", root);
		snprintf(t, sizeof(t), "%s/ext4.img", imgdir);
		unlink(p);
		if (symlink(t, p) || st_put(root, "sys/class/block/vde/size", "131072\n"))
			_exit(1);
		_exit(0);
	}
	CHECK_OK(kd_blockdev_find_in(&r, "UUID=" EXT4_UUID, 5000, &b));
	char want[4200];
	snprintf(want, sizeof(want), "%s/dev/vde", root);
	CHECK_STR(b.devnode, want);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st_rmrf(root);
	free(root);
}

static const char mountinfo[] =
	"22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"24 1 254:1 / / rw,relatime shared:1 - ext4 /dev/root rw,errors=remount-ro\n"
	"25 24 254:17 / /var/crash rw,relatime shared:2 - xfs /dev/vdb1 rw,attr2\n"
	"26 24 0:45 /@dumps /srv/btr rw,relatime shared:3 - btrfs /dev/vdc rw,subvol=/@dumps\n"
	"27 24 254:1 /home/x /mnt/bind\\040dir rw shared:1 - ext4 /dev/root rw\n"
	"this line is damaged and skipped\n"
	"28 24 0:50 / /var/crash rw master:9 - tmpfs tmpfs rw\n"
	"29 24 254:33 / /varx rw - ext4 /dev/vdd rw\n";

static void test_mountinfo_lookup(void)
{
	struct kd_mount *m = malloc(sizeof(*m));
	size_t n = sizeof(mountinfo) - 1;
	CHECK_OK(kd_mountinfo_find(mountinfo, n, "/var/lib/x", m));
	CHECK_STR(m->mountpoint, "/");
	CHECK_STR(m->source, "/dev/root");
	CHECK(m->major == 254 && m->minor == 1);
	/* /var/crash is mounted twice: the later mount (tmpfs) covers the xfs */
	CHECK_OK(kd_mountinfo_find(mountinfo, n, "/var/crash/127.0.0.1-x", m));
	CHECK_STR(m->fstype, "tmpfs");
	CHECK_OK(kd_mountinfo_find(mountinfo, n, "/var/crash", m));
	CHECK_STR(m->mountpoint, "/var/crash");
	/* /varx is not under /var/crash's parent "/var" and /var is not under /varx */
	CHECK_OK(kd_mountinfo_find(mountinfo, n, "/varxy", m));
	CHECK_STR(m->mountpoint, "/");
	CHECK_OK(kd_mountinfo_find(mountinfo, n, "/varx/a", m));
	CHECK_STR(m->source, "/dev/vdd");
	/* escapes in the mount point; the root of a bind mount */
	CHECK_OK(kd_mountinfo_find(mountinfo, n, "/mnt/bind dir/dumps", m));
	CHECK_STR(m->mountpoint, "/mnt/bind dir");
	CHECK_STR(m->root, "/home/x");
	CHECK_OK(kd_mountinfo_find(mountinfo, n, "/srv/btr", m));
	CHECK_STR(m->root, "/@dumps");
	CHECK_STR(m->fstype, "btrfs");
	CHECK_ERR_HAS(kd_mountinfo_find("", 0, "/x", m), "no mount in mountinfo holds /x");
	CHECK_ERR_HAS(kd_mountinfo_find(mountinfo, n, "rel", m), "not an absolute path");

	/* shapes that are not mountinfo lines */
	static const char *bad[] = {
		"", "24 1 254:1 / / rw", "24 1 254:1 / / rw shared:1 -", "x 1 254:1 / / rw - a b c",
		"24 1 2541 / / rw - ext4 /dev/x rw", "24 1 254:1 rel / rw - ext4 /dev/x rw",
		"24 1 99999999999:1 / / rw - ext4 /dev/x rw", "24 1 254:1 / /a\\000b rw - e s o",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(kd_mountinfo_parse_line(bad[i], strlen(bad[i]), m) == -1);
	const char *ok = "24 1 254:1 / /a\\011b rw - ext4 /dev/x\\134y rw";
	CHECK(kd_mountinfo_parse_line(ok, strlen(ok), m) == 0);
	CHECK_STR(m->mountpoint, "/a\tb");
	CHECK_STR(m->source, "/dev/x\\y");
	free(m);
}

/* The file system holding a path, with the device found through sysfs (/dev/root is no
 * device node anyone can open). */
static void test_mount_of_path(void)
{
	char *root = st_tmpdir("blkmnt"), sys[4096], dev[4096], mi[4096], want[4096];
	struct kd_blockdev_roots r;
	roots_of(root, &r, sys, dev);
	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	r.mountinfo = mi;
	CHECK(st_put(root, "mountinfo", mountinfo) == 0);
	CHECK(st_put(root, "sys/dev/block/254:1/uevent", "MAJOR=254\nMINOR=1\nDEVNAME=vda1\n") == 0);
	struct kd_mount *m = malloc(sizeof(*m));
	/* "." and ".." and repeated slashes go before the lookup */
	CHECK_OK(kd_blockdev_mount_of_path(&r, "/var//lib/../kd-no-such-dir/./crash", m));
	snprintf(want, sizeof(want), "%s/dev/vda1", root);
	CHECK_STR(m->source, want);
	CHECK_STR(m->fstype, "ext4");
	CHECK_STR(m->mountpoint, "/");
	/* no device in sysfs for 254:17, but the source names one */
	CHECK_OK(kd_blockdev_mount_of_path(&r, "/varx/d", m));
	CHECK_STR(m->source, "/dev/vdd");
	/* btrfs subvolume: major 0, the source as mounted */
	CHECK_OK(kd_blockdev_mount_of_path(&r, "/srv/btr/d", m));
	CHECK_STR(m->source, "/dev/vdc");
	/* /dev/root and no sysfs entry: an error, not a device node that does not exist */
	CHECK(st_put(root, "mountinfo", "24 1 254:9 / / rw - ext4 /dev/root rw\n") == 0);
	CHECK_ERR_HAS(kd_blockdev_mount_of_path(&r, "/var/crash", m), "254:9");
	free(m);

	/* the running system: / is mounted */
	char devnode[256], fstype[64], mp[4096];
	CHECK_OK(kd_blockdev_fs_of_path("/", devnode, sizeof(devnode), fstype, sizeof(fstype), mp,
					sizeof(mp)));
	CHECK_STR(mp, "/");
	st_rmrf(root);
	free(root);
}

static void cleanup(void)
{
	if (imgdir)
		st_rmrf(imgdir);
	free(imgdir);
	imgdir = NULL;
	CHECK(1);
}

TEST_MAIN(T(test_probe_images), T(test_probe_partition_table), T(test_find_by_tag_and_path),
	  T(test_find_times_out), T(test_find_waits_for_late_device), T(test_mountinfo_lookup),
	  T(test_mount_of_path), T(cleanup))

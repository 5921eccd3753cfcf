/* The capture side off a capture kernel (service/capture.h): kd_capture_save_dir on a small
 * synthetic ELF core standing for /proc/vmcore, in a temporary directory — each personality's
 * names, the dump written as -incomplete and renamed, a collector that fails keeping
 * -incomplete and rotating nothing, rotation after a success, cp = a byte copy, the flattened
 * stream for raw targets; the watchdog's limit, its firing and stopping; reboot(2) commands
 * per action; module lists. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "dumpfile/sink.h"
#include "service/capture.h"
#include "service/raw_recover.h"
#include "service/target.h"
#include "storage_dump.h"
#include "storage_util.h"
#include "test.h"
#include "vmcore/dump.h"
#include "vmcore/synth.h"

#define MEM (4u << 20)
#define PS 4096u
#define WHEN ((time_t)1764669600) /* 2025-12-02 10:00:00 UTC */

static char *make_core(struct synth *s)
{
	synth_init(s, MEM, 4, 3u << 20);
	synth_map(s, SYNTH_START_KERNEL_MAP, 0, 2u << 20);
	for (uint64_t pfn = 0; pfn < (3u << 20) / PS; pfn++)
		for (unsigned i = 0; i < PS; i++)
			s->mem[pfn * PS + i] = pfn % 3 ? (uint8_t)("capture "[i % 8] + pfn) : 0;
	synth_info(s, "OSRELEASE=6.1.0-synthetic");
	synth_info(s, "PAGESIZE=4096");
	static const uint64_t ranges[] = { 0x1000, MEM };
	return synth_write(s, ranges, 1);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void rmrf(const char *dir)
{
	if (dir && !strncmp(dir, "/tmp/kd-test-", 13))
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/kd-test-capture-XXXXXX");
	return d && mkdtemp(d) ? d : NULL;
}

static char *mdf_argv[] = { "makedumpfile", "-l", "--message-level", "0", "-d", "31", NULL };

static void setup_cfg(struct kd_svc_config *c, enum kd_svc_personality p, char **argv)
{
	*c = (struct kd_svc_config){ .personality = p, .collector_argv = argv, .dump_dmesg = 1 };
}

static void setup_cap(struct kd_capture *cap, struct kd_svc_config *c, const char *core)
{
	kd_capture_init(cap, c);
	cap->vmcore = core;
	cap->when = WHEN;
	cap->msg = NULL;
}

static void test_save_dir_kdump_conf(void)
{
	struct synth s;
	char *core = make_core(&s), *base = tmpdir();
	CHECK(core && base);
	struct kd_svc_config c;
	struct kd_capture cap;
	setup_cfg(&c, KD_SVC_KDUMP_CONF, mdf_argv);
	setup_cap(&cap, &c, core);
	CHECK_OK(kd_capture_save_dir(&cap, base));
	/* kdump-utils' naming, in local time */
	char want[64];
	struct tm tm;
	time_t t = WHEN;
	localtime_r(&t, &tm);
	strftime(want, sizeof(want), "/127.0.0.1-%Y-%m-%d-%H:%M:%S", &tm);
	CHECK(strstr(cap.dir.dir, want) != NULL);
	CHECK(!strncmp(cap.dir.dir, base, strlen(base)));
	CHECK(st_exists_in(cap.dir.dir, "vmcore"));
	CHECK(!st_exists_in(cap.dir.dir, "vmcore-incomplete"));
	/* what was saved is the collector's kdump-compressed file of that core */
	char path[8192];
	snprintf(path, sizeof(path), "%s/vmcore", cap.dir.dir);
	struct kd_dump *d;
	CHECK_OK(kd_dump_open(path, &d));
	if (d) {
		CHECK_STR(kd_dump_format(d), "kdump-compressed");
		CHECK(!kd_dump_incomplete(d));
		uint8_t page[PS];
		CHECK_OK(kd_dump_read_pages(d, 1, 1, page));
		CHECK(!memcmp(page, s.mem + PS, PS));
		kd_dump_close(d);
	}
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0077) == 0);
	rmrf(base);
	unlink(core);
	free(core), free(base);
	synth_free(&s);
}

static void test_save_dir_kdump_tools_copy(void)
{
	struct synth s;
	char *core = make_core(&s), *base = tmpdir();
	CHECK(core && base);
	char *cp[] = { "cp", NULL };
	struct kd_svc_config c;
	struct kd_capture cap;
	setup_cfg(&c, KD_SVC_KDUMP_TOOLS, cp);
	c.dump_dmesg = 0; /* KDUMP_DUMP_DMESG=0 */
	setup_cap(&cap, &c, core);
	CHECK_OK(kd_capture_save_dir(&cap, base));
	char stamp[32], want[64];
	struct tm tm;
	time_t t = WHEN;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M", &tm);
	snprintf(want, sizeof(want), "/%s", stamp);
	CHECK(strstr(cap.dir.dir, want) != NULL);
	char dump[64], dmesg[64], path[8192];
	snprintf(dump, sizeof(dump), "dump.%s", stamp);
	snprintf(dmesg, sizeof(dmesg), "dmesg.%s", stamp);
	CHECK_STR(cap.dir.vmcore, dump);
	CHECK(st_exists_in(cap.dir.dir, dump));
	CHECK(!st_exists_in(cap.dir.dir, dmesg)); /* not asked for */
	char inc[96];
	snprintf(inc, sizeof(inc), "%s-incomplete", dmesg);
	CHECK(!st_exists_in(cap.dir.dir, inc));
	/* cp: every byte of the vmcore */
	snprintf(path, sizeof(path), "%s/%s", cap.dir.dir, dump);
	CHECK(kd_test_same_file(path, core));
	rmrf(base);
	unlink(core);
	free(core), free(base);
	synth_free(&s);
}

/* A core cut short: its header and part of its pages are there, the rest is not, so the
 * collector fails after it created the dump. */
static char *truncated_core(struct synth *s)
{
	char *core = make_core(s);
	struct stat st;
	if (!core || stat(core, &st) < 0 || truncate(core, st.st_size / 2) < 0)
		return NULL;
	return core;
}

/* Two older complete dumps and one older incomplete one under base, kdump.conf naming. */
static void old_dumps(const char *base)
{
	static const char *const dirs[] = { "127.0.0.1-2025-01-01-00:00:00",
					    "127.0.0.1-2025-02-01-00:00:00",
					    "127.0.0.1-2025-03-01-00:00:00" };
	for (int i = 0; i < 3; i++) {
		char p[8192];
		snprintf(p, sizeof(p), "%s/%s", base, dirs[i]);
		mkdir(p, 0700);
		snprintf(p, sizeof(p), "%s/%s/%s", base, dirs[i],
			 i == 2 ? "vmcore-incomplete" : "vmcore");
		int fd = open(p, O_WRONLY | O_CREAT, 0600);
		if (fd >= 0)
			close(fd);
	}
}

static void test_failure_keeps_incomplete_and_rotates_nothing(void)
{
	struct synth s;
	char *core = truncated_core(&s), *base = tmpdir();
	CHECK(core && base);
	old_dumps(base);
	struct kd_svc_config c;
	struct kd_capture cap;
	setup_cfg(&c, KD_SVC_KDUMP_CONF, mdf_argv);
	c.num_dumps = 1;
	setup_cap(&cap, &c, core);
	int kmsg[2];
	CHECK(pipe(kmsg) == 0);
	cap.kmsg_fd = kmsg[1]; /* stands for /dev/kmsg: the reason goes into the kernel log */
	CHECK_ERR_HAS(kd_capture_save_dir(&cap, base), "stays as vmcore-incomplete");
	close(kmsg[1]);
	char rec[1024] = "";
	ssize_t nr = read(kmsg[0], rec, sizeof(rec) - 1);
	close(kmsg[0]);
	CHECK(nr > 0 && !strncmp(rec, "<3>kdumpkit: the dump was not saved: saving ", 44) &&
	      rec[nr - 1] == '\n' && strchr(rec, '\n') == rec + nr - 1);
	cap.kmsg_fd = -1;
	CHECK(cap.dir.dir[0] != 0);
	CHECK(st_exists_in(cap.dir.dir, "vmcore-incomplete"));
	CHECK(!st_exists_in(cap.dir.dir, "vmcore"));
	/* nothing rotated after a failure: three old dumps and the new one */
	CHECK_U64(st_count_entries(base), 4);
	CHECK(st_exists_in(base, "127.0.0.1-2025-01-01-00:00:00"));

	/* a vmcore that cannot be opened at all: the error names it */
	cap.vmcore = "/nonexistent/vmcore";
	cap.when = WHEN + 60;
	CHECK_ERR_HAS(kd_capture_save_dir(&cap, base), "/nonexistent/vmcore");
	rmrf(base);
	unlink(core);
	free(core), free(base);
	synth_free(&s);
}

static void test_rotation_after_success(void)
{
	struct synth s;
	char *core = make_core(&s), *base = tmpdir();
	CHECK(core && base);
	old_dumps(base);
	struct kd_svc_config c;
	struct kd_capture cap;
	setup_cfg(&c, KD_SVC_KDUMP_CONF, mdf_argv);
	c.num_dumps = 2;
	setup_cap(&cap, &c, core);
	CHECK_OK(kd_capture_save_dir(&cap, base));
	/* keep 2 complete dumps, the new one among them: the oldest complete one goes, the
	 * incomplete one stays for an operator to look at */
	CHECK(!st_exists_in(base, "127.0.0.1-2025-01-01-00:00:00"));
	CHECK(st_exists_in(base, "127.0.0.1-2025-02-01-00:00:00"));
	CHECK(st_exists_in(base, "127.0.0.1-2025-03-01-00:00:00"));
	CHECK(st_exists_in(cap.dir.dir, "vmcore"));
	CHECK_U64(st_count_entries(base), 3);
	rmrf(base);
	unlink(core);
	free(core), free(base);
	synth_free(&s);
}

static void test_flat_collector(void)
{
	struct synth s;
	char *core = make_core(&s), *flat = kd_test_tmpfile("capture-flat");
	char *re = kd_test_tmpfile("capture-re"), *direct = kd_test_tmpfile("capture-direct");
	CHECK(core && flat && re && direct);
	struct kd_svc_config c;
	struct kd_capture cap;
	setup_cfg(&c, KD_SVC_KDUMP_CONF, mdf_argv);
	setup_cap(&cap, &c, core);
	int fd = open(flat, O_WRONLY | O_TRUNC);
	char *with_f[] = { "makedumpfile", "-F", "-l", "--message-level", "0", "-d", "31", NULL };
	c.collector_argv = with_f; /* as kdump-utils wants it written for raw targets */
	CHECK_OK(kd_capture_run_collector(&cap, NULL, fd, "/dev/raw"));
	c.collector_argv = mdf_argv;
	close(fd);
	unlink(direct);
	CHECK_OK(kd_capture_run_collector(&cap, direct, -1, NULL));
	int in = open(flat, O_RDONLY), out = open(re, O_WRONLY | O_TRUNC);
	CHECK_OK(kd_flat_reassemble(in, flat, out, re));
	close(in), close(out);
	CHECK(kd_test_same_file(re, direct));
	/* cp cannot make a flattened stream; a collector the load-time check refuses */
	char *cp[] = { "cat", NULL }, *bad[] = { "makedumpfile", "-d", "31", "x", NULL };
	c.collector_argv = cp;
	CHECK_ERR_HAS(kd_capture_run_collector(&cap, NULL, 1, "/dev/raw"), "use makedumpfile");
	c.collector_argv = bad;
	CHECK_ERR_HAS(kd_capture_run_collector(&cap, direct, -1, NULL), "is a file argument");
	unlink(core), unlink(flat), unlink(re), unlink(direct);
	free(core), free(flat), free(re), free(direct);
	synth_free(&s);
}

static char *slurp_str(const char *dir, const char *name)
{
	char p[8192];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	size_t n;
	char *b = (char *)kd_test_slurp(p, &n);
	if (b)
		b[n] = 0;
	return b;
}

/* A crash with a log: the whole directory as the capture leaves it. */
static void test_save_dir_artifacts(void)
{
	char *core = sd_make_core(), *base = tmpdir();
	CHECK(core && base);
	struct kd_svc_config c;
	struct kd_capture cap;
	setup_cfg(&c, KD_SVC_KDUMP_CONF, mdf_argv);
	setup_cap(&cap, &c, core);
	CHECK_OK(kd_capture_save_dir(&cap, base));
	char *log = slurp_str(cap.dir.dir, "vmcore-dmesg.txt");
	CHECK_STR(log, sd_log);
	char *txt = slurp_str(cap.dir.dir, "report.txt");
	CHECK(txt && strstr(txt, "sysrq triggered crash"));
	char *json = slurp_str(cap.dir.dir, "report.json");
	CHECK(json && json[0] == '{');
	CHECK(st_exists_in(cap.dir.dir, "vmcore"));
	/* the capture kernel's log is best effort (klogctl may be refused in a container) */
	CHECK(!st_exists_in(cap.dir.dir, "vmcore-dmesg.txt-incomplete") &&
	      !st_exists_in(cap.dir.dir, "vmcore-incomplete") &&
	      !st_exists_in(cap.dir.dir, "report.txt-incomplete"));
	free(log), free(txt), free(json);
	rmrf(base);
	unlink(core);
	free(core), free(base);
}

/* The raw target's save (the flattened stream into a "device", here an image file given by
 * path) and the first kernel's recovery of it: the same log comes back. */
static void test_raw_save_then_recover(void)
{
	char *core = sd_make_core(), *base = tmpdir(), *img = kd_test_tmpfile("capture-raw");
	CHECK(core && base && img && truncate(img, 64u << 20) == 0);
	struct kd_svc_config c;
	struct kd_capture cap;
	setup_cfg(&c, KD_SVC_KDUMP_CONF, mdf_argv);
	c.target = KD_TGT_RAW;
	c.device = img;
	c.resolved_device = img;
	c.path = base;
	setup_cap(&cap, &c, core);
	cap.wait_ms = 0;
	CHECK_OK(kd_target_ops_for(KD_TGT_RAW)->save(&cap));
	CHECK(cap.dir.dir[0] == 0); /* nothing but the stream goes on a raw device */
	int found = 0;
	char dir[4096] = "";
	CHECK_OK(kd_raw_recover(&c, img, &found, dir, sizeof(dir)));
	CHECK(found == 1 && dir[0]);
	char *log = slurp_str(dir, "vmcore-dmesg.txt");
	CHECK_STR(log, sd_log);
	CHECK(st_exists_in(dir, "vmcore"));
	free(log);
	/* a device that is not there */
	c.resolved_device = "/nonexistent/raw";
	CHECK_ERR_HAS(kd_target_ops_for(KD_TGT_RAW)->save(&cap), "/nonexistent/raw");
	rmrf(base);
	unlink(core), unlink(img);
	free(core), free(base), free(img);
}

/* The snapshot of c into <dir>/capture.conf. */
static int write_snapshot(const struct kd_svc_config *c, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	kd_err *e = kd_svc_config_snapshot_write(c, f);
	int rc = fclose(f);
	if (e) {
		kd_err_free(e);
		return -1;
	}
	return rc;
}

static int run_flow(struct kd_capture_env *env, const char *snap, const char *core,
		    const char *modules, char *log, size_t loglen)
{
	*env = (struct kd_capture_env){ .snapshot = snap, .modules = modules,
					.moddir = "/nonexistent/lib/modules", .vmcore = core,
					.cmdline = "irqpoll kdumpkit.watchdog=600", .wait_ms = 10 };
	FILE *f = tmpfile();
	kd_log_set_stream(f);
	enum kd_svc_action a = kd_capture_run(env);
	kd_log_set_stream(NULL);
	size_t n = 0;
	if (f) {
		rewind(f);
		n = fread(log, 1, loglen - 1, f);
		fclose(f);
	}
	log[n] = 0;
	return (int)a;
}

/* The whole of PID 1's work but the mounts and reboot(2), on a raw target (an image file):
 * kdump_pre and kdump_post run with the dump's result, the configured action is returned. */
static void test_capture_run(void)
{
	char *core = sd_make_core(), *base = tmpdir();
	CHECK(core && base);
	char img[4200], snap[4200], mods[4200], cwd[4096], log[16384];
	snprintf(img, sizeof(img), "%s/raw.img", base);
	snprintf(snap, sizeof(snap), "%s/capture.conf", base);
	snprintf(mods, sizeof(mods), "%s/modules", base);
	int fd = open(img, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && ftruncate(fd, 64u << 20) == 0);
	close(fd);
	FILE *m = fopen(mods, "w");
	CHECK(m && fputs("kd_missing_module\n", m) >= 0 && fclose(m) == 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL && chdir(base) == 0);

	char *argv[] = { "makedumpfile", "-l", "--message-level", "0", "-d", "31", NULL };
	struct kd_svc_config c = {
		.personality = KD_SVC_KDUMP_CONF, .target = KD_TGT_RAW, .device = img,
		.resolved_device = img, .path = base, .core_collector = "makedumpfile -l -d 31",
		.collector_argv = argv, .dump_dmesg = 1, .failure_action = KD_ACT_HALT,
		.final_action = KD_ACT_POWEROFF, .kdump_pre = "/usr/bin/true",
		.kdump_post = "/usr/bin/touch", /* touches "0" or "1" in the current directory */
	};
	CHECK(write_snapshot(&c, snap) == 0);
	struct kd_capture_env env;
	CHECK(run_flow(&env, snap, core, mods, log, sizeof(log)) == KD_ACT_POWEROFF);
	CHECK(env.saved && env.dir[0] == 0);
	CHECK(st_exists_in(base, "0") && !st_exists_in(base, "1"));
	CHECK(strstr(log, "kd_missing_module") != NULL); /* logged, not fatal */
	int found = 0;
	char dir[4096] = "";
	CHECK_OK(kd_raw_recover(&c, img, &found, dir, sizeof(dir)));
	CHECK(found == 1 && st_exists_in(dir, "vmcore"));

	/* the device gone: failure_action, kdump_post told "1", the module failure recalled */
	c.resolved_device = "/nonexistent/raw.img";
	CHECK(write_snapshot(&c, snap) == 0);
	CHECK(run_flow(&env, snap, core, mods, log, sizeof(log)) == KD_ACT_HALT);
	CHECK(!env.saved && st_exists_in(base, "1"));
	CHECK(strstr(log, "the dump was not saved") && strstr(log, "/nonexistent/raw.img") &&
	      strstr(log, "1 modules failed to load"));

	/* kdump_pre failing: no save is tried */
	c.resolved_device = img;
	c.kdump_pre = "/usr/bin/false";
	c.kdump_post = NULL;
	c.failure_action = KD_ACT_REBOOT;
	CHECK(write_snapshot(&c, snap) == 0);
	CHECK(run_flow(&env, snap, core, mods, log, sizeof(log)) == KD_ACT_REBOOT);
	CHECK(!env.saved && strstr(log, "kdump_pre /usr/bin/false exited with status 1"));

	/* dump_to_rootfs with no root file system recorded: logged, then final_action */
	c.failure_action = KD_ACT_DUMP_TO_ROOTFS;
	CHECK(write_snapshot(&c, snap) == 0);
	CHECK(run_flow(&env, snap, core, mods, log, sizeof(log)) == KD_ACT_POWEROFF);
	CHECK(!env.saved && strstr(log, "no root file system was recorded"));

	/* no /proc/vmcore: not a capture kernel, final_action; no snapshot: reboot */
	CHECK(run_flow(&env, snap, "/nonexistent/vmcore", mods, log, sizeof(log)) ==
	      KD_ACT_POWEROFF);
	CHECK(strstr(log, "this is not a capture kernel") != NULL);
	CHECK(run_flow(&env, "/nonexistent/capture.conf", core, mods, log, sizeof(log)) ==
	      KD_ACT_REBOOT);
	CHECK(strstr(log, "/nonexistent/capture.conf") != NULL);

	CHECK(chdir(cwd) == 0);
	rmrf(base);
	unlink(core);
	free(core), free(base);
}

#define LOOP_UUID "9e3f1c2a-7b4d-4c5e-8f6a-1b2c3d4e5f60"

/* An ext4 image on a loop device, in a mount namespace of this process's own (mounts vanish
 * with it). 0 where the machine does not allow it (not root, no loop devices). */
static int loop_ext4(const char *dir, char *loop, size_t len)
{
	static int unshared;
	if (!unshared) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return 0;
		unshared = 1;
	}
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "cd %s && truncate -s 64M fs.img && mkfs.ext4 -F -q -U "
		 LOOP_UUID " fs.img && losetup -f --show fs.img", dir);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	if (!fgets(loop, (int)len, p))
		loop[0] = 0;
	pclose(p);
	loop[strcspn(loop, "\n")] = 0;
	return loop[0] != 0;
}

static void loop_free(const char *loop)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "losetup -d %s", loop);
	if (system(cmd))
		fprintf(stderr, "  %s failed\n", cmd);
}

/* Mount the image read-only and look for <rel>/<one dump dir>/vmcore. */
static int saved_on(const char *loop, const char *mnt, const char *rel)
{
	if (mount(loop, mnt, "ext4", MS_RDONLY, NULL) < 0)
		return 0;
	char base[4096];
	snprintf(base, sizeof(base), "%s%s", mnt, rel);
	DIR *d = opendir(base);
	int found = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char sub[4096 + 256];
		snprintf(sub, sizeof(sub), "%s/%s", base, de->d_name);
		if (!strncmp(de->d_name, "127.0.0.1-", 10) && st_exists_in(sub, "vmcore") &&
		    st_exists_in(sub, "vmcore-dmesg.txt"))
			found++;
	}
	if (d)
		closedir(d);
	umount(mnt);
	return found;
}

/* Directory targets for real: an ext4 file system on a loop device found by UUID= (libblkid
 * scanning /sys), mounted, the dump saved under `path` from its root (named target) or under
 * `path` less mount_prefix (the file system holding path), unmounted; and dump_to_rootfs
 * after a raw target failed. */
static void test_fs_targets_on_loop(void)
{
	char *core = sd_make_core(), *base = tmpdir();
	char loop[64] = "", mnt[4200], snap[4200], rootmnt[4200];
	CHECK(core && base);
	if (!loop_ext4(base, loop, sizeof(loop))) {
		fprintf(stderr, "  (no loop devices or mount namespace here: mounting not tested)\n");
		CHECK(1);
		goto out;
	}
	snprintf(mnt, sizeof(mnt), "%s/mnt/target", base);
	snprintf(rootmnt, sizeof(rootmnt), "%s/mnt/root", base);
	struct kd_svc_config c;
	struct kd_capture cap;
	setup_cfg(&c, KD_SVC_KDUMP_CONF, mdf_argv);
	c.target = KD_TGT_FS;
	c.fstype = "ext4";
	c.device = "UUID=" LOOP_UUID;
	c.resolved_device = "UUID=" LOOP_UUID;
	c.resolved_fstype = "ext4";
	c.path = "/var/crash";
	setup_cap(&cap, &c, core);
	cap.mnt = mnt;
	cap.wait_ms = 2000;
	CHECK_OK(kd_target_ops_for(KD_TGT_FS)->save(&cap));
	CHECK(saved_on(loop, mnt, "/var/crash") == 1);

	/* the file system that holds /srv/dumps, mounted on /srv in the first kernel */
	c.target = KD_TGT_PATH;
	c.path = "/srv/dumps";
	c.mount_prefix = "/srv";
	cap.when = WHEN + 60;
	CHECK_OK(kd_target_ops_for(KD_TGT_PATH)->save(&cap));
	CHECK(saved_on(loop, mnt, "/dumps") == 1);

	/* a type that does not match what the device holds: refused before mounting */
	c.resolved_fstype = "xfs";
	CHECK_ERR_HAS(kd_target_ops_for(KD_TGT_PATH)->save(&cap), "holds ext4, not the xfs");

	/* the raw device is gone: failure_action dump_to_rootfs saves into path on "/" */
	char *argv[] = { "makedumpfile", "-l", "--message-level", "0", "-d", "31", NULL };
	struct kd_svc_config r = {
		.personality = KD_SVC_KDUMP_CONF, .target = KD_TGT_RAW,
		.resolved_device = "/nonexistent/raw", .path = "/var/crash",
		.core_collector = "makedumpfile -l -d 31", .collector_argv = argv,
		.dump_dmesg = 1, .failure_action = KD_ACT_DUMP_TO_ROOTFS,
		.final_action = KD_ACT_HALT, .rootfs_device = "UUID=" LOOP_UUID,
		.rootfs_fstype = "ext4",
	};
	snprintf(snap, sizeof(snap), "%s/capture.conf", base);
	CHECK(write_snapshot(&r, snap) == 0);
	struct kd_capture_env env = { .snapshot = snap, .modules = "/nonexistent/modules",
				      .vmcore = core, .cmdline = "kdumpkit.watchdog=0",
				      .wait_ms = 10, .root_mnt = rootmnt };
	kd_log_set_stream(fopen("/dev/null", "w"));
	CHECK(kd_capture_run(&env) == KD_ACT_HALT);
	kd_log_set_stream(NULL);
	CHECK(env.saved && !strncmp(env.dir, rootmnt, strlen(rootmnt)));
	CHECK(saved_on(loop, mnt, "/var/crash") == 2);
	loop_free(loop);
out:
	rmrf(base);
	unlink(core);
	free(core), free(base);
}

static void test_watchdog_limit(void)
{
	CHECK_U64(kd_capture_watchdog_limit(0, -1), 300);
	CHECK_U64(kd_capture_watchdog_limit(1, -1), 360);           /* a started GiB counts */
	CHECK_U64(kd_capture_watchdog_limit(1ull << 30, -1), 360);
	CHECK_U64(kd_capture_watchdog_limit((4ull << 30) + 1, -1), 300 + 5 * 60);
	CHECK_U64(kd_capture_watchdog_limit(64ull << 30, -1), 300 + 64 * 60);
	CHECK_U64(kd_capture_watchdog_limit(1ull << 50, -1), 7 * 86400); /* capped */
	CHECK_U64(kd_capture_watchdog_limit(64ull << 30, 90), 90);
	CHECK_U64(kd_capture_watchdog_limit(64ull << 30, 0), 0);        /* turned off */
	CHECK(kd_capture_watchdog_override("ro quiet kdumpkit.watchdog=120 irqpoll") == 120);
	CHECK(kd_capture_watchdog_override("kdumpkit.watchdog=0\n") == 0);
	CHECK(kd_capture_watchdog_override("irqpoll nr_cpus=1") == -1);
	CHECK(kd_capture_watchdog_override("kdumpkit.watchdog=12x") == -1);
	CHECK(kd_capture_watchdog_override("kdumpkit.watchdog=") == -1);
	CHECK(kd_capture_watchdog_override("kdumpkit.watchdog=-5") == -1);
	CHECK(kd_capture_watchdog_override("xkdumpkit.watchdog=5") == -1);
	CHECK(kd_capture_watchdog_override(NULL) == -1);
}

static void fired(void *arg) { (*(volatile int *)arg)++; }

static void test_watchdog_fires_and_stops(void)
{
	volatile int n = 0;
	struct kd_watchdog *w;
	CHECK_OK(kd_watchdog_start(50, fired, (void *)&n, &w));
	for (int i = 0; i < 200 && !n; i++)
		usleep(10000);
	CHECK(n == 1);
	kd_watchdog_stop(w);
	CHECK(n == 1);

	n = 0;
	CHECK_OK(kd_watchdog_start(60000, fired, (void *)&n, &w));
	usleep(20000);
	kd_watchdog_stop(w); /* returns at once, without firing */
	CHECK(n == 0);
	kd_watchdog_stop(NULL);
}

static void test_actions(void)
{
	CHECK(kd_capture_reboot_cmd(KD_ACT_REBOOT) == (int)RB_AUTOBOOT);
	CHECK(kd_capture_reboot_cmd(KD_ACT_HALT) == (int)RB_HALT_SYSTEM);
	CHECK(kd_capture_reboot_cmd(KD_ACT_POWEROFF) == (int)RB_POWER_OFF);
	CHECK(kd_capture_reboot_cmd(KD_ACT_DUMP_TO_ROOTFS) == (int)RB_AUTOBOOT);
}

static void test_module_list(void)
{
	unsigned failed = 99;
	CHECK_OK(kd_capture_load_modules("/nonexistent/modules", "/nonexistent", &failed));
	CHECK_U64(failed, 0);
	/* modules that are not there: each logged and counted, the list goes on, no error */
	char *list = kd_test_tmpfile("capture-modules");
	FILE *f = list ? fopen(list, "w") : NULL;
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("# comment\n\nkd_no_such_module\n  kernel/drivers/kd_nothing.ko\n", f);
	fclose(f);
	CHECK_OK(kd_capture_load_modules(list, "/nonexistent/lib/modules/x", &failed));
	CHECK_U64(failed, 2);
	unlink(list);
	free(list);
}

static void quiet(void) { kd_log_set_level(KD_LOG_ERROR); kd_log_set_stream(NULL); CHECK(1); }

TEST_MAIN(T(quiet), T(test_save_dir_kdump_conf), T(test_save_dir_artifacts),
	  T(test_raw_save_then_recover), T(test_capture_run),
	  T(test_fs_targets_on_loop), T(test_save_dir_kdump_tools_copy),
	  T(test_failure_keeps_incomplete_and_rotates_nothing), T(test_rotation_after_success),
	  T(test_flat_collector), T(test_watchdog_limit), T(test_watchdog_fires_and_stops),
	  T(test_actions), T(test_module_list))

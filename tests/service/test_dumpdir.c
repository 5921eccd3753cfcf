/* Dump directories: both distributions' names, collisions, modes whatever the umask, files
 * committed from "-incomplete", rotation among foreign, incomplete and look-alike
 * directories, and the last dump. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "service/dumpdir.h"
#include "storage_util.h"
#include "test.h"

#define T0 1796203845 /* 2026-12-02 09:30:45 UTC */

static mode_t mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) ? (mode_t)-1 : st.st_mode & 07777;
}

static const char *leaf(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void test_names(void)
{
	char *base = st_tmpdir("ddname");
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, T0, &d));
	CHECK_STR(leaf(d.dir), "127.0.0.1-2026-12-02-09:30:45");
	CHECK_STR(d.stamp, "2026-12-02-09:30:45");
	CHECK_STR(d.vmcore, "vmcore");
	CHECK_STR(d.dmesg, "vmcore-dmesg.txt");
	CHECK(!strncmp(d.dir, base, strlen(base)));

	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_TOOLS, T0, &d));
	CHECK_STR(leaf(d.dir), "202612020930");
	CHECK_STR(d.stamp, "202612020930");
	CHECK_STR(d.vmcore, "dump.202612020930");
	CHECK_STR(d.dmesg, "dmesg.202612020930");

	/* the base and its missing parents are made, 0700 */
	char deep[4096];
	snprintf(deep, sizeof(deep), "%s/a/b/", base);
	CHECK_OK(kd_dumpdir_create(deep, KD_SVC_KDUMP_TOOLS, T0, &d));
	snprintf(deep, sizeof(deep), "%s/a/b/202612020930", base);
	CHECK_STR(d.dir, deep);
	snprintf(deep, sizeof(deep), "%s/a", base);
	CHECK(S_ISDIR(mode_of(deep) | S_IFDIR) && (mode_of(deep) & 0077) == 0);

	CHECK_ERR_HAS(kd_dumpdir_create("", KD_SVC_KDUMP_CONF, T0, &d), "no base directory");
	/* a base that is a file */
	CHECK(st_put(base, "file", "x") == 0);
	snprintf(deep, sizeof(deep), "%s/file", base);
	CHECK_ERR_HAS(kd_dumpdir_create(deep, KD_SVC_KDUMP_CONF, T0, &d), "not a directory");
	st_rmrf(base);
	free(base);
}

/* Two dumps in the same second (minute) never share a directory. */
static void test_collisions(void)
{
	char *base = st_tmpdir("ddcoll");
	struct kd_dumpdir a, b, c;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, T0, &a));
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, T0, &b));
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, T0, &c));
	CHECK_STR(leaf(b.dir), "127.0.0.1-2026-12-02-09:30:45.1");
	CHECK_STR(leaf(c.dir), "127.0.0.1-2026-12-02-09:30:45.2");
	CHECK_STR(b.vmcore, "vmcore");
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_TOOLS, T0, &a));
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_TOOLS, T0 + 10, &b));
	CHECK_STR(leaf(b.dir), "202612020930.1");
	/* the files keep the stamp: kdump-tools' tools look for dump.<stamp> */
	CHECK_STR(b.vmcore, "dump.202612020930");
	st_rmrf(base);
	free(base);
}

/* Kernel memory is root's only: 0700 and 0600 with any umask. */
static void test_modes_whatever_the_umask(void)
{
	static const mode_t masks[] = { 0, 022, 0777 };
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mode_t old = umask(masks[i]);
		char *base = st_tmpdir("ddmode"), path[8192];
		struct kd_dumpdir d;
		CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, T0, &d));
		CHECK_U64(mode_of(d.dir), 0700);
		CHECK_OK(kd_dumpdir_write_file(&d, d.dmesg, "log\n", 4));
		snprintf(path, sizeof(path), "%s/%s", d.dir, d.dmesg);
		CHECK_U64(mode_of(path), 0600);
		int fd = -1;
		CHECK_OK(kd_dumpdir_open_incomplete(&d, d.vmcore, &fd));
		CHECK(fd >= 0 && write(fd, "core", 4) == 4);
		close(fd);
		snprintf(path, sizeof(path), "%s/%s-incomplete", d.dir, d.vmcore);
		CHECK_U64(mode_of(path), 0600);
		umask(old);
		st_rmrf(base);
		free(base);
	}
}

static void test_write_and_commit(void)
{
	char *base = st_tmpdir("ddwrite"), path[8192];
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_TOOLS, T0, &d));
	CHECK_OK(kd_dumpdir_write_file(&d, "report.txt", "panic\n", 6));
	snprintf(path, sizeof(path), "%s/report.txt", d.dir);
	size_t n = 0;
	uint8_t *b = kd_test_slurp(path, &n);
	CHECK(b && n == 6 && !memcmp(b, "panic\n", 6));
	free(b);
	snprintf(path, sizeof(path), "%s/report.txt-incomplete", d.dir);
	CHECK(!st_exists(path));
	CHECK_OK(kd_dumpdir_path(&d, "x", 1, path, sizeof(path)));
	CHECK(strstr(path, "/x-incomplete") != NULL);

	/* a file written in pieces, committed after */
	int fd;
	CHECK_OK(kd_dumpdir_open_incomplete(&d, d.vmcore, &fd));
	CHECK(write(fd, "abc", 3) == 3);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", d.dir, d.vmcore);
	CHECK(!st_exists(path));
	CHECK_OK(kd_dumpdir_commit(&d, d.vmcore));
	CHECK(st_exists(path));
	/* nothing to commit: the error names the file */
	CHECK_ERR_HAS(kd_dumpdir_commit(&d, "nothing"), "nothing-incomplete");
	st_rmrf(base);
	free(base);
}

/* A complete kdump.conf dump: <base>/<name>/vmcore. */
static void dump_conf(const char *base, const char *name, int complete)
{
	char rel[512];
	snprintf(rel, sizeof(rel), "%s/%s", name, complete ? "vmcore" : "vmcore-incomplete");
	CHECK(st_put(base, rel, "core") == 0);
	snprintf(rel, sizeof(rel), "%s/vmcore-dmesg.txt", name);
	CHECK(st_put(base, rel, "log") == 0);
}

static int has(const char *base, const char *name)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", base, name);
	return st_exists(p);
}

static void test_rotation(void)
{
	char *base = st_tmpdir("ddrot"), p[4096];
	dump_conf(base, "127.0.0.1-2026-01-01-00:00:00", 0);   /* oldest, incomplete */
	dump_conf(base, "127.0.0.1-2026-02-01-00:00:00", 1);
	dump_conf(base, "127.0.0.1-2026-03-01-00:00:00", 1);
	dump_conf(base, "127.0.0.1-2026-03-01-00:00:00.1", 1); /* same second, later */
	dump_conf(base, "127.0.0.1-2026-04-01-00:00:00", 1);
	/* not ours: other names, another personality, a host's dump over NFS, a symlink, a
	 * directory holding a directory */
	dump_conf(base, "my-notes", 1);
	CHECK(st_put(base, "202601010000/dump.202601010000", "core") == 0);
	dump_conf(base, "10.0.0.7-2026-01-15-00:00:00", 1);
	dump_conf(base, "127.0.0.1-2026-01-20-00:00:00", 1);
	CHECK(st_put(base, "127.0.0.1-2026-01-20-00:00:00/keep/x", "mine") == 0);
	dump_conf(base, "elsewhere", 1);
	snprintf(p, sizeof(p), "%s/127.0.0.1-2026-01-10-00:00:00", base);
	CHECK(symlink("elsewhere", p) == 0);
	CHECK(st_put(base, "127.0.0.1-2026-01-25-00:00:00", "a file") == 0);

	/* keep 0: everything stays */
	CHECK_OK(kd_dumpdir_rotate(base, KD_SVC_KDUMP_CONF, 0, NULL));
	CHECK(has(base, "127.0.0.1-2026-02-01-00:00:00"));

	/* the new dump, 2026-05: keep it and one more */
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, 1779926400 /* 2026-05-28 */, &d));
	CHECK_OK(kd_dumpdir_write_file(&d, "vmcore", "core", 4));
	CHECK_OK(kd_dumpdir_rotate(base, KD_SVC_KDUMP_CONF, 2, &d));
	CHECK(st_exists(d.dir));
	CHECK(has(base, "127.0.0.1-2026-04-01-00:00:00"));
	CHECK(!has(base, "127.0.0.1-2026-03-01-00:00:00.1"));
	CHECK(!has(base, "127.0.0.1-2026-03-01-00:00:00"));
	CHECK(!has(base, "127.0.0.1-2026-02-01-00:00:00"));
	CHECK(has(base, "127.0.0.1-2026-01-01-00:00:00"));   /* incomplete: left for a human */
	CHECK(has(base, "my-notes/vmcore"));
	CHECK(has(base, "202601010000/dump.202601010000"));
	CHECK(has(base, "10.0.0.7-2026-01-15-00:00:00/vmcore"));
	CHECK(has(base, "127.0.0.1-2026-01-20-00:00:00/vmcore")); /* not half-deleted either */
	CHECK(has(base, "127.0.0.1-2026-01-20-00:00:00/keep/x"));
	CHECK(has(base, "127.0.0.1-2026-01-10-00:00:00"));
	CHECK(has(base, "elsewhere/vmcore"));
	CHECK(has(base, "127.0.0.1-2026-01-25-00:00:00"));

	/* the dump just written is never removed, even when its clock says it is the oldest */
	struct kd_dumpdir old;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, 1704067200 /* 2024-01-01 */, &old));
	CHECK_OK(kd_dumpdir_write_file(&old, "vmcore", "core", 4));
	CHECK_OK(kd_dumpdir_rotate(base, KD_SVC_KDUMP_CONF, 1, &old));
	CHECK(st_exists(old.dir));
	CHECK(!st_exists(d.dir));
	CHECK(!has(base, "127.0.0.1-2026-04-01-00:00:00"));
	CHECK(has(base, "127.0.0.1-2026-01-01-00:00:00"));
	st_rmrf(base);
	free(base);
}

static void test_rotation_kdump_tools(void)
{
	char *base = st_tmpdir("ddrott");
	CHECK(st_put(base, "202601010000/dump.202601010000", "core") == 0);
	CHECK(st_put(base, "202602010000/dump.202602010000", "core") == 0);
	CHECK(st_put(base, "202602010000.1/dump.202602010000", "core") == 0);
	CHECK(st_put(base, "202603010000/dump-incomplete", "core") == 0); /* Debian's name */
	CHECK(st_put(base, "127.0.0.1-2026-01-01-00:00:00/vmcore", "core") == 0);
	CHECK(st_put(base, "2026010100001/dump.2026010100001", "core") == 0); /* 13 digits */
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_TOOLS, T0, &d));
	CHECK_OK(kd_dumpdir_write_file(&d, d.vmcore, "core", 4));
	CHECK_OK(kd_dumpdir_rotate(base, KD_SVC_KDUMP_TOOLS, 2, &d));
	CHECK(st_exists(d.dir));
	CHECK(has(base, "202602010000.1"));
	CHECK(!has(base, "202602010000"));
	CHECK(!has(base, "202601010000"));
	CHECK(has(base, "202603010000"));
	CHECK(has(base, "127.0.0.1-2026-01-01-00:00:00/vmcore"));
	CHECK(has(base, "2026010100001"));
	st_rmrf(base);
	free(base);
}

static void test_last(void)
{
	char *base = st_tmpdir("ddlast"), dir[4096], want[4096];
	int complete = -1;
	CHECK_OK(kd_dumpdir_last(base, KD_SVC_KDUMP_CONF, dir, sizeof(dir), &complete));
	CHECK_STR(dir, "");
	CHECK(complete == 0);
	CHECK_OK(kd_dumpdir_last("/nonexistent-kd-base", KD_SVC_KDUMP_CONF, dir, sizeof(dir),
				 &complete));
	CHECK_STR(dir, "");
	dump_conf(base, "127.0.0.1-2026-02-01-00:00:00", 1);
	dump_conf(base, "127.0.0.1-2026-03-01-00:00:00", 0);
	CHECK(st_put(base, "zzz/vmcore", "x") == 0);
	CHECK_OK(kd_dumpdir_last(base, KD_SVC_KDUMP_CONF, dir, sizeof(dir), &complete));
	snprintf(want, sizeof(want), "%s/127.0.0.1-2026-03-01-00:00:00", base);
	CHECK_STR(dir, want);
	CHECK(complete == 0);
	dump_conf(base, "127.0.0.1-2026-03-01-00:00:00.1", 1);
	CHECK_OK(kd_dumpdir_last(base, KD_SVC_KDUMP_CONF, dir, sizeof(dir), &complete));
	CHECK(strstr(dir, "00:00:00.1") != NULL);
	CHECK(complete == 1);
	/* the other personality sees none of these */
	CHECK_OK(kd_dumpdir_last(base, KD_SVC_KDUMP_TOOLS, dir, sizeof(dir), &complete));
	CHECK_STR(dir, "");
	st_rmrf(base);
	free(base);
}

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK(1);
}

TEST_MAIN(T(utc), T(test_names), T(test_collisions), T(test_modes_whatever_the_umask),
	  T(test_write_and_commit), T(test_rotation), T(test_rotation_kdump_tools), T(test_last))

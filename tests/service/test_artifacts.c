/* The files beside a dump, from a synthetic crash: the log exactly as vmcore-dmesg prints it
 * (from the ELF vmcore and from the collector's dump of it), report.txt and report.json, the
 * capture kernel's log, all 0600 whatever the umask and never left half-written under their
 * final names. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/artifacts.h"
#include "storage_dump.h"
#include "storage_util.h"
#include "test.h"

static mode_t mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) ? (mode_t)-1 : st.st_mode & 07777;
}

static char *slurp_in(const struct kd_dumpdir *d, const char *name, size_t *n)
{
	char p[8192];
	snprintf(p, sizeof(p), "%s/%s", d->dir, name);
	char *b = (char *)kd_test_slurp(p, n);
	if (b)
		b[*n] = '\0';
	return b;
}

static int exists_in(const struct kd_dumpdir *d, const char *name)
{
	char p[8192];
	snprintf(p, sizeof(p), "%s/%s", d->dir, name);
	return st_exists(p);
}

static void test_dmesg_and_report(void)
{
	mode_t old = umask(0);
	char *base = st_tmpdir("artif"), *core = sd_make_core();
	CHECK(core != NULL);
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, 1796203845, &d));

	CHECK_OK(kd_artifacts_dmesg(&d, core));
	size_t n = 0;
	char *log = slurp_in(&d, d.dmesg, &n);
	CHECK_STR(log, sd_log);
	free(log);
	CHECK(!exists_in(&d, "vmcore-dmesg.txt-incomplete"));
	char p[8192];
	snprintf(p, sizeof(p), "%s/%s", d.dir, d.dmesg);
	CHECK_U64(mode_of(p), 0600);

	CHECK_OK(kd_artifacts_report(&d, core));
	char *txt = slurp_in(&d, "report.txt", &n);
	CHECK(txt && strstr(txt, "sysrq triggered crash"));
	CHECK(txt && strstr(txt, "6.1.0-synthetic"));
	CHECK(txt && strstr(txt, core)); /* the dump it is about */
	free(txt);
	char *json = slurp_in(&d, "report.json", &n);
	CHECK(json && json[0] == '{' && strstr(json, "\"signature\""));
	CHECK(json && strstr(json, "sysrq triggered crash"));
	free(json);
	snprintf(p, sizeof(p), "%s/report.json", d.dir);
	CHECK_U64(mode_of(p), 0600);
	CHECK(!exists_in(&d, "report.txt-incomplete") && !exists_in(&d, "report.json-incomplete"));
	umask(old);
	unlink(core);
	free(core);
	st_rmrf(base);
	free(base);
}

/* The same log from the collector's kdump-compressed dump (what a capture saves), in the
 * kdump-tools personality's file name. */
static void test_dmesg_from_collected_dump(void)
{
	char *base = st_tmpdir("artifkd"), *core = sd_make_core();
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_TOOLS, 1796203845, &d));
	int fd = -1;
	CHECK_OK(kd_dumpdir_open_incomplete(&d, d.vmcore, &fd));
	CHECK_OK(sd_collect(core, fd, 0));
	close(fd);
	CHECK_OK(kd_dumpdir_commit(&d, d.vmcore));
	char vm[8192];
	snprintf(vm, sizeof(vm), "%s/%s", d.dir, d.vmcore);
	CHECK_OK(kd_artifacts_dmesg(&d, vm));
	size_t n;
	char *log = slurp_in(&d, "dmesg.202612020930", &n);
	CHECK_STR(log, sd_log);
	free(log);
	CHECK_OK(kd_artifacts_report(&d, vm));
	CHECK(exists_in(&d, "report.txt") && exists_in(&d, "report.json"));
	unlink(core);
	free(core);
	st_rmrf(base);
	free(base);
}

/* Not a dump: the error names it, and no file appears under a final name. */
static void test_not_a_dump(void)
{
	char *base = st_tmpdir("artifbad");
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, 1796203845, &d));
	CHECK(st_put(d.dir, "junk", "this is no dump at all, just some text long enough") == 0);
	char p[8192];
	snprintf(p, sizeof(p), "%s/junk", d.dir);
	CHECK_ERR_HAS(kd_artifacts_dmesg(&d, p), "junk");
	CHECK_ERR_HAS(kd_artifacts_report(&d, p), "junk");
	CHECK(!exists_in(&d, d.dmesg));
	CHECK(!exists_in(&d, "report.txt") && !exists_in(&d, "report.json"));
	st_rmrf(base);
	free(base);
}

static void test_kexec_dmesg(void)
{
	char *base = st_tmpdir("artifklog");
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, 1796203845, &d));
	/* level prefixes go as dmesg drops them; a line without one stays; a missing last
	 * newline is added */
	static const char raw[] = "<6>[    0.000000] Linux version 6.12\n<4>[    1.5] <b>x</b>\n"
				  "no prefix\n<12>[    2.0] last";
	CHECK_OK(kd_artifacts_write_klog(&d, raw, sizeof(raw) - 1));
	size_t n;
	char *t = slurp_in(&d, "kexec-dmesg.log", &n);
	CHECK_STR(t, "[    0.000000] Linux version 6.12\n[    1.5] <b>x</b>\nno prefix\n"
		     "[    2.0] last\n");
	free(t);

	/* this machine's own log, when we may read it */
	kd_err *e = kd_artifacts_kexec_dmesg(&d);
	if (e) {
		char msg[512];
		kd_err_format(e, msg, sizeof(msg));
		CHECK(strstr(msg, "klogctl") != NULL);
		kd_err_free(e);
	} else {
		char p[8192];
		snprintf(p, sizeof(p), "%s/kexec-dmesg.log", d.dir);
		CHECK_U64(mode_of(p), 0600);
	}
	st_rmrf(base);
	free(base);
}

TEST_MAIN(T(test_dmesg_and_report), T(test_dmesg_from_collected_dump), T(test_not_a_dump),
	  T(test_kexec_dmesg))

/* The verbs in a fake root, unprivileged and without syscalls: status (kdump-utils' and
 * kdump-tools' answers), showmem, a configuration error that stops start before anything is
 * done (file:line, nothing loaded or recorded), no reservation at all, an already loaded
 * capture kernel left alone, USE_KDUMP=0, kdump-config's dry run, try-reload with nothing
 * loaded, `test` refusing, being cancelled, and its dry run, and savecore from a synthetic
 * /proc/vmcore. */
#include "service/verbs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kexec/testutil.h"
#include "service/dumpdir.h"
#include "service/load.h"
#include "test.h"
#include "vmcore/synth.h"

#define HEAD61 "kexec/fixtures/vmlinuz-6.1.0-56-cloud-amd64.head"
#define IOMEM_1G "base/fixtures/iomem-qemu-q35-1G-6.1.txt"
#define RELEASE "6.1.0-56-cloud-amd64"

static char *out_buf;
static size_t out_len;
static FILE *out;

static void put_fixture(const char *rel, const char *fixture)
{
	size_t len;
	uint8_t *b = kd_test_slurp(kd_test_fixture(fixture), &len);
	CHECK(b && !tu_root_put(rel, b, len));
	free(b);
}

/* A machine with a reservation, the 6.1 kernel's head, no capture kernel loaded. */
static void machine(int loaded, const char *crash_size)
{
	CHECK(tu_root_new("svcverbs") != NULL);
	put_fixture("boot/vmlinuz-" RELEASE, HEAD61);
	put_fixture("proc/iomem", IOMEM_1G);
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", crash_size));
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_loaded", loaded ? "1\n" : "0\n"));
	CHECK(!tu_root_put_str("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-" RELEASE
			       " root=/dev/vda1 ro console=ttyS0 crashkernel=256M quiet\n"));
	CHECK(!tu_root_put_str("proc/sys/kernel/panic_on_oops", "0\n"));
	CHECK(!tu_root_put_str("proc/sysrq-trigger", ""));
	CHECK(!tu_root_mkdir("run"));
}

static void ctx(struct kd_svc_ctx *x, int as_kdump_config, int dry_run, FILE *in)
{
	free(out_buf);
	out_buf = NULL;
	out = open_memstream(&out_buf, &out_len);
	CHECK(out != NULL);
	CHECK_OK(kd_svc_ctx_init(x, tu_root(), dry_run, as_kdump_config, out, in));
}

static const char *done(struct kd_svc_ctx *x)
{
	kd_svc_ctx_fini(x);
	fclose(out);
	return out_buf ? out_buf : "";
}

static int recorded(void)
{
	struct kd_load_record r;
	int found = 0;
	CHECK_OK(kd_load_record_read(tu_root(), &r, &found));
	return found;
}

static void test_status(void)
{
	struct kd_svc_ctx x;
	int loaded = 1;
	machine(0, "268435456\n");
	CHECK(!tu_root_put_str("etc/kdump.conf", "path /var/crash\n"));
	ctx(&x, 0, 0, NULL);
	CHECK_OK(kd_svc_status(&x, 1, &loaded));
	const char *o = done(&x);
	CHECK(!loaded);
	CHECK(strstr(o, "Kdump is not operational\n") == o);
	CHECK(strstr(o, "reservation:  256M at 0x") && strstr(o, "(crashkernel=256M)\n"));
	CHECK(strstr(o, "target:       /var/crash (on the file system that holds it)\n"));

	/* kdump-config status: Debian's line only, whatever the state */
	ctx(&x, 1, 0, NULL);
	CHECK_OK(kd_svc_status(&x, 0, &loaded));
	CHECK_STR(done(&x), "current state   : Not ready to kdump\n");
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_loaded", "1\n"));
	ctx(&x, 1, 0, NULL);
	CHECK_OK(kd_svc_status(&x, 0, &loaded));
	CHECK_STR(done(&x), "current state   : ready to kdump\n");
	CHECK(loaded);
	/* kdump-config show: kdump-tools' header, then the details */
	CHECK(!tu_root_put_str("etc/default/kdump-tools", "USE_KDUMP=1\n"));
	ctx(&x, 1, 0, NULL);
	CHECK_OK(kd_svc_status(&x, 1, &loaded));
	o = done(&x);
	CHECK(strstr(o, "DUMP_MODE:        kdump\nUSE_KDUMP:        1\n") == o);
	CHECK(strstr(o, "current state:    ready to kdump\n") && strstr(o, "loaded:       yes\n"));

	/* a configuration that does not load: the kernel's side is still told, and why */
	CHECK(!tu_root_put_str("etc/kdump.conf", "path /var/crash\npath /srv\n"));
	ctx(&x, 0, 0, NULL);
	CHECK_OK(kd_svc_status(&x, 1, &loaded));
	o = done(&x);
	CHECK(strstr(o, "Kdump is operational\n") == o && strstr(o, "configuration: ") &&
	      strstr(o, "kdump.conf:2"));
	/* no kexec in the kernel: cannot tell, an error */
	CHECK(!tu_root_rm("sys/kernel/kexec_crash_loaded"));
	ctx(&x, 0, 0, NULL);
	CHECK_ERR_HAS(kd_svc_status(&x, 1, &loaded), "cannot tell whether a capture kernel is loaded");
	done(&x);
	tu_root_drop();
}

static void test_showmem(void)
{
	struct kd_svc_ctx x;
	machine(0, "268435456\n");
	ctx(&x, 0, 0, NULL);
	CHECK_OK(kd_svc_showmem(&x));
	const char *o = done(&x);
	CHECK(strstr(o, "Reserved 256MB memory for crash kernel\nCrash kernel region 0x") == o);
	CHECK(strstr(o, "Kernel command line: crashkernel=256M\n"));
	tu_root_drop();
}

static void test_start_config_error(void)
{
	struct kd_svc_ctx x;
	machine(0, "268435456\n");
	CHECK(!tu_root_put_str("etc/kdump.conf", "path /var/crash\ncore_collector makedumpfile -l\n"
			       "link_delay 10\n"));
	ctx(&x, 0, 0, NULL);
	char want[4200];
	snprintf(want, sizeof(want), "%s/etc/kdump.conf:3", tu_root());
	CHECK_ERR_HAS(kd_svc_start(&x), want);
	CHECK_STR(done(&x), "");
	CHECK(!recorded());
	/* KEXEC_ARGS with an action: refused before anything is built, with its line */
	CHECK(!tu_root_put_str("etc/kdump.conf", "path /var/crash\n"));
	CHECK(!tu_root_put_str("etc/sysconfig/kdump", "KDUMP_KERNELVER=\"" RELEASE "\"\n"
			       "KEXEC_ARGS=\"-s -e\"\n"));
	ctx(&x, 0, 0, NULL);
	snprintf(want, sizeof(want), "%s/etc/sysconfig/kdump:2: \"-s -e\"", tu_root());
	CHECK_ERR_HAS(kd_svc_start(&x), want);
	done(&x);
	CHECK(!recorded());
	/* kdump-tools with USE_KDUMP=0 */
	CHECK(!tu_root_rm("etc/kdump.conf"));
	CHECK(!tu_root_rm("etc/sysconfig/kdump"));
	CHECK(!tu_root_put_str("etc/default/kdump-tools", "USE_KDUMP=0\n"));
	ctx(&x, 1, 0, NULL);
	CHECK_ERR_HAS(kd_svc_start(&x), "USE_KDUMP is not set or zero");
	done(&x);
	ctx(&x, 0, 0, NULL); /* kdumpctl start (the unit) on a kdump-tools setup: the same */
	CHECK_ERR_HAS(kd_svc_start(&x), "USE_KDUMP is not set or zero");
	done(&x);
	CHECK(!recorded());
	tu_root_drop();
}

static void test_start_no_reservation(void)
{
	struct kd_svc_ctx x;
	machine(0, "0\n");
	CHECK(!tu_root_put_str("proc/iomem", "00000000-3fffffff : System RAM\n"));
	CHECK(!tu_root_put_str("etc/sysconfig/kdump", "KDUMP_KERNELVER=" RELEASE "\n"));
	ctx(&x, 0, 0, NULL);
	CHECK_ERR_HAS(kd_svc_start(&x), "no memory is reserved for a capture kernel "
		      "(crashkernel=256M), 120 MiB needed (kernel 56 MiB, initramfs 0 MiB, run "
		      "time 64 MiB): put crashkernel=128M on the kernel command line");
	done(&x);
	CHECK(!recorded());
	tu_root_drop();
}

static void test_start_already_loaded(void)
{
	struct kd_svc_ctx x;
	machine(1, "268435456\n");
	CHECK(!tu_root_put_str("etc/sysconfig/kdump", "KDUMP_KERNELVER=" RELEASE "\n"));
	ctx(&x, 0, 0, NULL);
	CHECK_OK(kd_svc_start(&x));
	CHECK_STR(done(&x), "Kdump already running: [WARNING]\n");
	CHECK(!tu_root_put_str("etc/default/kdump-tools", "USE_KDUMP=1\n"));
	CHECK(!tu_root_rm("etc/sysconfig/kdump"));
	ctx(&x, 1, 0, NULL);
	CHECK_OK(kd_svc_start(&x));
	CHECK_STR(done(&x), "kdump kernel already loaded\n");
	/* try-reload with nothing loaded: nothing at all */
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_loaded", "0\n"));
	ctx(&x, 1, 0, NULL);
	CHECK_OK(kd_svc_reload(&x, 1));
	CHECK_STR(done(&x), "");
	tu_root_drop();
}

static void test_stop_dry_run(void)
{
	struct kd_svc_ctx x;
	machine(1, "268435456\n");
	struct kd_load_record r = { .time = 1 };
	snprintf(r.kernel, sizeof(r.kernel), "/boot/vmlinuz");
	CHECK_OK(kd_load_record_write(tu_root(), &r));
	ctx(&x, 0, 1, NULL);
	CHECK_OK(kd_svc_stop(&x));
	CHECK_STR(done(&x), "kexec: unloaded kdump kernel\nStopping kdump: [OK]\n");
	CHECK(recorded()); /* a dry run unloads nothing, so the record stays */
	tu_root_drop();
}

static void test_kdump_config_dry_run(void)
{
	struct kd_svc_ctx x;
	machine(0, "268435456\n");
	CHECK(!tu_root_put_str("etc/default/kdump-tools",
			       "USE_KDUMP=1\nKDUMP_KERNEL=/boot/vmlinuz-" RELEASE "\n"
			       "KDUMP_COREDIR=/srv/crash\nKDUMP_CMDLINE_APPEND=\"nr_cpus=2\"\n"
			       "KDUMP_KEXEC_ARGS=\"-s\"\n"));
	ctx(&x, 1, 0, NULL);
	CHECK_OK(kd_svc_dry_run(&x));
	const char *o = done(&x);
	char want[8192];
	snprintf(want, sizeof(want),
		 "USE_KDUMP:        1\nKDUMP_COREDIR:    /srv/crash\ncrashkernel addr: 0x");
	CHECK(strstr(o, want) == o);
	snprintf(want, sizeof(want), "kdump kernel:\n   %s/boot/vmlinuz-" RELEASE "\n", tu_root());
	CHECK(strstr(o, want) != NULL);
	CHECK(strstr(o, "(not built yet: load builds it)\n"));
	CHECK(strstr(o, "kdump command line:\n   ro console=ttyS0 irqpoll reset_devices "));
	CHECK(strstr(o, " nr_cpus=2\n") && !strstr(o, "nr_cpus=1"));
	CHECK(strstr(o, "reservation:      256M reserved, "));
	CHECK(strstr(o, "kexec command to be used:\n  kexec -p -s --command-line=\"ro "));
	CHECK(!recorded());
	/* a reservation too small: the dry run says load would fail */
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "67108864\n"));
	ctx(&x, 1, 0, NULL);
	CHECK_OK(kd_svc_dry_run(&x));
	CHECK(strstr(done(&x), "reservation:      load would fail: 64 MiB reserved"));
	tu_root_drop();
}

static void test_crash_test(void)
{
	struct kd_svc_ctx x;
	int cancelled;
	machine(0, "268435456\n");
	ctx(&x, 0, 0, NULL);
	CHECK_ERR_HAS(kd_svc_crash_test(&x, 1, &cancelled), "Kdump is not operational");
	done(&x);
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_loaded", "1\n"));
	/* the answer "n" (or anything but y): nothing written */
	const char *ans = tu_write_tmp("answer", "n\n", 2);
	FILE *in = fopen(ans, "r");
	ctx(&x, 0, 0, in);
	CHECK_OK(kd_svc_crash_test(&x, 0, &cancelled));
	CHECK(cancelled);
	CHECK(strstr(done(&x), "Continue? [y/N] Cancelled: nothing was done.\n"));
	fclose(in);
	/* no terminal at all: cancelled too */
	ctx(&x, 0, 0, NULL);
	CHECK_OK(kd_svc_crash_test(&x, 0, &cancelled));
	CHECK(cancelled);
	done(&x);
	char trig[4096];
	snprintf(trig, sizeof(trig), "%s/proc/sysrq-trigger", tu_root());
	size_t len = 1;
	free(kd_test_slurp(trig, &len));
	CHECK(len == 0);
	/* --force in a dry run: says what it would do */
	ctx(&x, 0, 1, NULL);
	CHECK_OK(kd_svc_crash_test(&x, 1, &cancelled));
	CHECK(!cancelled && strstr(done(&x), "dry run: not writing c to "));
	/* "y" in the fake root: the trigger file gets its c */
	in = fopen(tu_write_tmp("yes", "y\n", 2), "r");
	ctx(&x, 0, 0, in);
	CHECK_OK(kd_svc_crash_test(&x, 0, &cancelled));
	done(&x);
	fclose(in);
	uint8_t *b = kd_test_slurp(trig, &len);
	CHECK(b && len == 1 && b[0] == 'c');
	free(b);
	tu_root_drop();
}

/* savecore in a capture kernel that has this system's root: the dump under KDUMP_COREDIR with
 * kdump-tools' names, from a synthetic /proc/vmcore */
static void test_savecore(void)
{
	struct kd_svc_ctx x;
	machine(0, "268435456\n");
	ctx(&x, 1, 0, NULL);
	CHECK_ERR_HAS(kd_svc_savecore(&x), "which has /proc/vmcore");
	done(&x);
	struct synth s;
	synth_init(&s, 4u << 20, 4, 3u << 20);
	synth_map(&s, SYNTH_START_KERNEL_MAP, 0, 2u << 20);
	for (size_t i = 0; i < (3u << 20); i++)
		s.mem[i] = (uint8_t)(i / 4096 % 3 ? i * 7 : 0);
	synth_info(&s, "OSRELEASE=6.1.0-synthetic");
	synth_info(&s, "PAGESIZE=4096");
	static const uint64_t ranges[] = { 0x1000, 4u << 20 };
	char *core = synth_write(&s, ranges, 1);
	CHECK(core != NULL);
	size_t len;
	uint8_t *b = core ? kd_test_slurp(core, &len) : NULL;
	CHECK(b && !tu_root_put("proc/vmcore", b, len));
	free(b);
	CHECK(!tu_root_put_str("etc/default/kdump-tools", "USE_KDUMP=1\nKDUMP_COREDIR=/var/crash\n"
			       "MAKEDUMP_ARGS=\"-l -d 31 --message-level 0\"\n"));
	ctx(&x, 1, 0, NULL);
	CHECK_OK(kd_svc_savecore(&x));
	const char *o = done(&x);
	char want[4200];
	snprintf(want, sizeof(want), "saved vmcore in %s/var/crash/2", tu_root());
	CHECK(strstr(o, want) != NULL);
	char last[4096], base[4200];
	int complete = 0;
	snprintf(base, sizeof(base), "%s/var/crash", tu_root());
	CHECK_OK(kd_dumpdir_last(base, KD_SVC_KDUMP_TOOLS, last, sizeof(last), &complete));
	CHECK(complete && last[0]);
	if (core)
		unlink(core);
	free(core);
	synth_free(&s);
	tu_root_drop();
}

TEST_MAIN(T(test_status), T(test_showmem), T(test_start_config_error),
	  T(test_start_no_reservation), T(test_start_already_loaded), T(test_stop_dry_run),
	  T(test_kdump_config_dry_run), T(test_crash_test), T(test_savecore))

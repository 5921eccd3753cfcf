/* The new kernel's command line: --reuse-cmdline drops BOOT_IMAGE= (and crashkernel= for a
 * panic kernel), --append follows, init's arguments stay last. */
#include "kexec/boot_cmdline.h"

#include <stdlib.h>

#include "test.h"
#include "testutil.h"

static void expect(const char *running, int panic, const char *append, const char *want)
{
	char *out = (char *)"unset";
	CHECK_OK(kd_boot_cmdline_build(running, panic, append, &out));
	if (want)
		CHECK_STR(out, want);
	else
		CHECK(out == NULL);
	free(out);
}

static void test_append_only(void)
{
	expect(NULL, 0, NULL, NULL);
	expect(NULL, 1, "", NULL);
	expect(NULL, 1, "   ", NULL);
	/* --append alone is passed as written, quotes and all */
	expect(NULL, 1, "console=ttyS0 irqpoll nr_cpus=1 dyndbg=\"file x.c +p\"",
	       "console=ttyS0 irqpoll nr_cpus=1 dyndbg=\"file x.c +p\"");
}

static void test_reuse(void)
{
	const char *run = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-cloud-amd64 root=UUID=1234 ro "
			  "crashkernel=0-1G:192M,1G-:256M console=ttyS0 quiet";
	/* a reboot kernel keeps crashkernel= (it will want its own capture kernel) */
	expect(run, 0, NULL, "root=UUID=1234 ro crashkernel=0-1G:192M,1G-:256M console=ttyS0 quiet");
	/* a panic kernel must not reserve again */
	expect(run, 1, NULL, "root=UUID=1234 ro console=ttyS0 quiet");
	expect(run, 1, "irqpoll nr_cpus=1 reset_devices",
	       "root=UUID=1234 ro console=ttyS0 quiet irqpoll nr_cpus=1 reset_devices");
	/* every occurrence goes, not just the first (kexec-tools removes one) */
	expect("crashkernel=256M BOOT_IMAGE=a crashkernel=512M,high crashkernel=72M,low x", 1,
	       NULL, "x");
	/* only whole parameters: a name that merely contains the word stays */
	expect("mycrashkernel=1 BOOT_IMAGEX=2", 1, NULL, "mycrashkernel=1 BOOT_IMAGEX=2");
	/* nothing left */
	expect("BOOT_IMAGE=/vmlinuz crashkernel=256M", 1, NULL, NULL);
	expect("BOOT_IMAGE=/vmlinuz crashkernel=256M", 1, "single", "single");
}

static void test_init_args_stay_last(void)
{
	expect("root=/dev/vda -- single", 0, "quiet", "root=/dev/vda quiet -- single");
	expect("root=/dev/vda --", 1, "quiet", "root=/dev/vda quiet --");
	expect("BOOT_IMAGE=x -- single", 1, "quiet", "quiet -- single");
}

static void test_real_proc_cmdline(void)
{
	/* the development VM's line: firecracker's init arguments after "--" */
	char *run = NULL;
	CHECK_OK(kd_boot_cmdline_read(kd_test_fixture("base/fixtures/cmdline-dev-vm.txt"), &run));
	CHECK(run && !strchr(run, '\n'));
	char *out = NULL;
	CHECK_OK(kd_boot_cmdline_build(run, 1, "irqpoll", &out));
	CHECK(out && strstr(out, "panic=1 ") && strstr(out, "irqpoll -- --firecracker-init"));
	free(out);
	free(run);
	/* a lab guest's line, with the trailing newline /proc/cmdline has */
	const char *p = tu_write_tmp("cmdline", "console=ttyS0 crashkernel=0-1G:192M,1G-:256M "
				     "panic=1 loglevel=6 rdinit=/init\n", 77);
	CHECK_OK(kd_boot_cmdline_read(p, &run));
	CHECK_OK(kd_boot_cmdline_build(run, 1, "nr_cpus=1", &out));
	CHECK_STR(out, "console=ttyS0 panic=1 loglevel=6 rdinit=/init nr_cpus=1");
	free(out);
	free(run);
	CHECK_FAILS(kd_boot_cmdline_read("/nonexistent/cmdline", &run));
}

TEST_MAIN(T(test_append_only), T(test_reuse), T(test_init_args_stay_last),
	  T(test_real_proc_cmdline))

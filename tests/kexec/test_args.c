/* kexec-tools' command line: actions, the sticky panic slot, -S, syscall choice, usage errors. */
#include "kexec/args.h"

#include "test.h"

#define ARGV(...) ((char *[]){ "kexec", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "kexec", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) kd_kexec_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o))

static void test_load_panic(void)
{
	struct kd_kexec_opts o;
	CHECK_OK(PARSE(&o, "-p", "/boot/vmlinuz", "--initrd=/boot/initrd.img",
		       "--append=console=ttyS0 irqpoll nr_cpus=1"));
	CHECK(o.load && o.panic && !o.exec && !o.shutdown && !o.sync && !o.unload && !o.status);
	CHECK_STR(o.kernel, "/boot/vmlinuz");
	CHECK_STR(o.initrd, "/boot/initrd.img");
	CHECK_STR(o.append, "console=ttyS0 irqpoll nr_cpus=1");
	CHECK(o.syscall == KD_KEXEC_AUTO);
	CHECK(!o.classic_option);
}

static void test_load_reboot_and_aliases(void)
{
	struct kd_kexec_opts o;
	/* the file may come first; --command-line and --ramdisk are the same options */
	CHECK_OK(PARSE(&o, "/boot/vmlinuz", "--load", "--command-line", "root=/dev/vda",
		       "--ramdisk", "/i.img", "--reuse-cmdline", "-s"));
	CHECK(o.load && o.opt_load && !o.panic && !o.shutdown && o.sync);
	CHECK_STR(o.append, "root=/dev/vda");
	CHECK_STR(o.initrd, "/i.img");
	CHECK(o.reuse_cmdline);
	CHECK(o.syscall == KD_KEXEC_FILE);
	/* the last of --append/--command-line wins, like kexec-tools */
	CHECK_OK(PARSE(&o, "-l", "k", "--append=a", "--command-line=b", "-c"));
	CHECK_STR(o.append, "b");
	CHECK(o.syscall == KD_KEXEC_CLASSIC);
	CHECK_OK(PARSE(&o, "-l", "k", "-c", "-a"));
	CHECK(o.syscall == KD_KEXEC_AUTO);
}

static void test_default_action_is_load_then_shutdown(void)
{
	struct kd_kexec_opts o;
	CHECK_OK(PARSE(&o, "/boot/vmlinuz"));
	CHECK(o.load && o.shutdown && o.sync && !o.exec);
	CHECK_OK(PARSE(&o, "-f", "/boot/vmlinuz"));
	CHECK(o.load && o.exec && o.sync && o.ifdown && !o.shutdown);
}

static void test_exec_unload(void)
{
	struct kd_kexec_opts o;
	CHECK_OK(PARSE(&o, "-e"));
	CHECK(o.exec && o.sync && o.ifdown && !o.load && !o.shutdown);
	CHECK_OK(PARSE(&o, "-e", "-x", "-y"));
	CHECK(o.exec && !o.sync && !o.ifdown);
	CHECK_OK(PARSE(&o, "-u"));
	CHECK(o.unload && !o.panic && !o.load && !o.exec && !o.shutdown);
	/* -p's slot sticks: -p -u unloads the capture kernel, whatever the order */
	CHECK_OK(PARSE(&o, "-p", "-u"));
	CHECK(o.unload && o.panic && !o.load);
	CHECK_OK(PARSE(&o, "-u", "-p"));
	CHECK(o.unload && o.panic && !o.load);
}

static void test_status(void)
{
	struct kd_kexec_opts o;
	CHECK_OK(PARSE(&o, "-S"));
	CHECK(o.status && o.panic && !o.load && !o.unload && !o.exec && !o.shutdown);
	CHECK_OK(PARSE(&o, "--status", "-p"));
	CHECK(o.status && o.panic);
	/* -l -S asks about the reboot slot */
	CHECK_OK(PARSE(&o, "-l", "-S"));
	CHECK(o.status && !o.panic && !o.load);
	/* a file name with -S is not an error: nothing is loaded */
	CHECK_OK(PARSE(&o, "-S", "-l", "/boot/vmlinuz"));
	CHECK(o.status && !o.load);
}

static void test_immediate_options(void)
{
	struct kd_kexec_opts o;
	CHECK_OK(PARSE(&o, "--print-ckr-size", "--bogus"));
	CHECK(o.print_ckr_size);
	CHECK_OK(PARSE(&o, "-h"));
	CHECK(o.help);
	CHECK_OK(PARSE(&o, "--version"));
	CHECK(o.version);
	CHECK_OK(PARSE(&o, "-d", "-p", "k"));
	CHECK(o.debug);
}

static void test_ignored_and_classic_options(void)
{
	struct kd_kexec_opts o;
	CHECK_OK(PARSE(&o, "-p", "k", "--elf64-core-headers", "--reset-vga", "--hotplug", "-i"));
	CHECK(!o.classic_option && o.load);
	CHECK_OK(PARSE(&o, "-l", "k", "--mem-max=0x1000000", "--reuseinitrd"));
	CHECK_STR(o.classic_option, "reuseinitrd");
	CHECK_U64(o.mem_max, 0x1000000);
	CHECK_OK(PARSE(&o, "-l", "k", "--mem-min=16777216", "--mem-max", "0x3fffffff"));
	CHECK(!o.classic_option);
	CHECK_U64(o.mem_min, 0x1000000);
	CHECK_U64(o.mem_max, 0x3fffffff);
	CHECK_FAILS(PARSE(&o, "-l", "k", "--mem-min=12x"));
	CHECK_FAILS(PARSE(&o, "-l", "k", "--mem-max=-1"));
	CHECK_OK(PARSE(&o, "-l", "k", "-t", "bzImage64"));
	CHECK_STR(o.type, "bzImage64");
}

static void test_usage_errors(void)
{
	struct kd_kexec_opts o;
	CHECK_FAILS(PARSE(&o, "--frobnicate"));
	CHECK_FAILS(PARSE(&o, "-Z", "k"));
	CHECK_FAILS(PARSE(&o, "-l", "k", "--append"));
	CHECK_FAILS(PARSE(&o, "-l", "k", "-t"));
	CHECK_FAILS(PARSE(&o, "-l"));           /* no kernel */
	CHECK_FAILS(PARSE(&o, "-p"));
	CHECK_FAILS(PARSE(&o, "-l", "k1", "k2")); /* one kernel at a time */
	kd_err *e = PARSE(&o, "--frobnicate");
	char buf[128];
	kd_err_format(e, buf, sizeof(buf));
	CHECK_STR(buf, "unknown option --frobnicate");
	kd_err_free(e);
	e = PARSE(&o, "-p");
	kd_err_format(e, buf, sizeof(buf));
	CHECK_STR(buf, "No kernel specified");
	kd_err_free(e);
}

TEST_MAIN(T(test_load_panic), T(test_load_reboot_and_aliases),
	  T(test_default_action_is_load_then_shutdown), T(test_exec_unload), T(test_status),
	  T(test_immediate_options), T(test_ignored_and_classic_options), T(test_usage_errors))

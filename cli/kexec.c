/* kexec: load a kernel to reboot into (-l, then -e) or to run on a panic (-p), with
 * kexec-tools' command line and exit statuses:
 *   0  done; for -S: no kernel loaded in the slot asked about
 *   1  failed (usage, a file that is not a kernel, no crash reservation, the kernel refused);
 *      for -S: a kernel is loaded
 *   2  an option of kexec-tools' classic loaders kdumpkit does not have (--entry, ...)
 *   255  -S could not tell (kexec-tools returns -1 there)
 * Load failures are one message on stderr; -d adds what is loaded, where, and why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applets.h"
#include "base/log.h"
#include "kdumpkit-config.h"
#include "kexec/args.h"
#include "kexec/boot_cmdline.h"
#include "kexec/exec.h"
#include "kexec/load.h"
#include "kexec/status.h"
#include "kexec/syscall.h"

#define EXIT_CLASSIC 2
#define EXIT_STATUS_UNKNOWN 255

static int fail(kd_err *e, int code)
{
	kd_err_print(stderr, kd_log_prog(), e);
	kd_err_free(e);
	return code;
}

static int do_load(const struct kd_kexec_opts *o)
{
	char *running = NULL, *cmdline = NULL;
	kd_err *e = NULL;
	if (o->reuse_cmdline)
		e = kd_boot_cmdline_read("/proc/cmdline", &running);
	if (!e)
		e = kd_boot_cmdline_build(running, o->panic, o->append, &cmdline);
	free(running);
	if (e)
		return fail(e, 1);
	struct kd_kexec_load_req rq = {
		.kernel = o->kernel, .initrd = o->initrd, .cmdline = cmdline, .panic = o->panic,
		.syscall = o->syscall, .type = o->type, .kernel_debug = o->debug,
		.mem_min = o->mem_min, .mem_max = o->mem_max,
	};
	struct kd_kexec_load_res res;
	e = kd_kexec_load(&rq, &res);
	free(cmdline);
	if (e)
		return fail(e, res.classic_needed ? EXIT_CLASSIC : 1);
	return 0;
}

/* kexec-tools with no action option: load, then let the init system reboot (into it) */
static int do_shutdown(void)
{
	static const char *const paths[] = { "/sbin/shutdown", "/etc/shutdown", "/bin/shutdown" };
	char *args[] = { "shutdown", "-r", "now", NULL };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		execv(paths[i], args);
	perror("kexec: shutdown");
	return 1;
}

int kd_kexec_main(int argc, char **argv)
{
	struct kd_kexec_opts o;
	kd_err *e = kd_kexec_parse_args(argc, argv, &o);
	if (e) {
		kd_err_print(stderr, kd_log_prog(), e);
		kd_err_free(e);
		fprintf(stderr, "Try '%s --help'.\n", kd_log_prog());
		return 1;
	}
	if (o.help) {
		fputs(kd_kexec_usage(), stdout);
		return 0;
	}
	if (o.version) {
		printf("kexec (kdumpkit %s)\n", KDUMPKIT_VERSION);
		return 0;
	}
	if (o.debug)
		kd_log_set_level(KD_LOG_DEBUG);
	if (o.print_ckr_size) {
		unsigned long long size;
		if ((e = kd_kexec_crash_size(NULL, &size)))
			return fail(e, 1);
		printf("%llu\n", size);
		return 0;
	}
	if (o.status) {
		int loaded;
		if ((e = kd_kexec_loaded(o.panic, &loaded)))
			return fail(e, EXIT_STATUS_UNKNOWN);
		kd_debug("%s kernel %sloaded", o.panic ? "capture" : "reboot", loaded ? "" : "not ");
		return loaded;
	}
	if (o.load && o.classic_option) {
		kd_error("%s is an option of kexec-tools' own image loaders, which kdumpkit does "
			 "not have", o.classic_option);
		return EXIT_CLASSIC;
	}
	if (o.unload && (e = kd_kexec_unload(o.panic, o.syscall)))
		return fail(kd_err_wrap(e, "unloading the %s kernel", o.panic ? "capture" : "reboot"), 1);
	if (o.load) {
		int rc = do_load(&o);
		if (rc)
			return rc;
	}
	if (o.shutdown)
		return do_shutdown();
	if (o.exec && (e = kd_kexec_exec(o.sync, o.ifdown)))
		return fail(e, 1);
	return 0;
}

/* kdumpctl and kdump-config: the kdump service's two front ends (src/service/verbs.h does the
 * work). Exit statuses as the tools they replace:
 *   kdumpctl      0 done; 1 failed (usage, configuration, reservation, load); status: 0 a
 *                 capture kernel is loaded, 3 none is, 1 cannot tell
 *   kdump-config  0 done (status always 0, as Debian's); 1 failed or usage
 * Two options come before the verb for tests and packaging checks: --root=DIR reads and writes
 * every file under DIR, --dry-run does everything but the kexec syscalls and the writes to
 * /proc/sys and /proc/sysrq-trigger. */
#include <stdio.h>
#include <string.h>

#include "applets.h"
#include "base/log.h"
#include "service/verbs.h"

#define EXIT_NOT_LOADED 3

static void usage(FILE *f, int as_kdump_config)
{
	if (as_kdump_config)
		fprintf(f, "Usage: kdump-config [--root=DIR] [--dry-run] "
			   "{load|unload|reload|try-reload|status|show|savecore|test}\n");
	else
		fprintf(f, "Usage: kdumpctl [--root=DIR] [--dry-run] "
			   "{start|stop|status|restart|reload|rebuild|showmem|test [--force]}\n");
}

static int failed(kd_err *e, const char *then)
{
	kd_err_print(stderr, kd_log_prog(), e);
	kd_err_free(e);
	if (then)
		fprintf(stderr, "%s\n", then);
	return 1;
}

static int kdumpctl(struct kd_svc_ctx *x, const char *verb, int argc, char **argv)
{
	kd_err *e = NULL;
	int force = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(verb, "test") && !strcmp(argv[i], "--force") && !force) {
			force = 1;
			continue;
		}
		fprintf(stderr, "%s: unexpected argument '%s'\n", kd_log_prog(), argv[i]);
		usage(stderr, 0);
		return 1;
	}
	if (!strcmp(verb, "start")) {
		if ((e = kd_svc_start(x)))
			return failed(e, "Starting kdump: [FAILED]");
	} else if (!strcmp(verb, "stop")) {
		if ((e = kd_svc_stop(x)))
			return failed(e, "Stopping kdump: [FAILED]");
	} else if (!strcmp(verb, "restart")) {
		if ((e = kd_svc_stop(x)))
			return failed(e, "Stopping kdump: [FAILED]");
		if ((e = kd_svc_start(x)))
			return failed(e, "Starting kdump: [FAILED]");
	} else if (!strcmp(verb, "reload")) {
		if ((e = kd_svc_reload(x, 0)))
			return failed(e, "Starting kdump: [FAILED]");
	} else if (!strcmp(verb, "rebuild")) {
		if ((e = kd_svc_rebuild(x)))
			return failed(e, NULL);
	} else if (!strcmp(verb, "status")) {
		int loaded;
		if ((e = kd_svc_status(x, 1, &loaded)))
			return failed(e, NULL);
		return loaded ? 0 : EXIT_NOT_LOADED;
	} else if (!strcmp(verb, "showmem")) {
		if ((e = kd_svc_showmem(x)))
			return failed(e, NULL);
	} else if (!strcmp(verb, "test")) {
		int cancelled;
		if ((e = kd_svc_crash_test(x, force, &cancelled)))
			return failed(e, NULL);
	} else {
		fprintf(stderr, "%s: unknown command '%s'\n", kd_log_prog(), verb);
		usage(stderr, 0);
		return 1;
	}
	return 0;
}

static int kdump_config(struct kd_svc_ctx *x, const char *verb, int argc, char **argv)
{
	kd_err *e = NULL;
	if (argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", kd_log_prog(), argv[0]);
		usage(stderr, 1);
		return 1;
	}
	int loaded;
	if (!strcmp(verb, "load"))
		e = kd_svc_start(x);
	else if (!strcmp(verb, "unload"))
		e = kd_svc_stop(x);
	else if (!strcmp(verb, "reload"))
		e = kd_svc_reload(x, 0);
	else if (!strcmp(verb, "try-reload") || !strcmp(verb, "condreload"))
		e = kd_svc_reload(x, 1);
	else if (!strcmp(verb, "status"))
		e = kd_svc_status(x, 0, &loaded);
	else if (!strcmp(verb, "show"))
		e = kd_svc_status(x, 1, &loaded);
	else if (!strcmp(verb, "test"))
		e = kd_svc_dry_run(x);
	else if (!strcmp(verb, "savecore"))
		e = kd_svc_savecore(x);
	else if (!strcmp(verb, "help")) {
		usage(stdout, 1);
		return 0;
	} else {
		fprintf(stderr, "%s: unknown command '%s'\n", kd_log_prog(), verb);
		usage(stderr, 1);
		return 1;
	}
	if (e)
		return failed(e, strcmp(verb, "load") ? NULL : "failed to load kdump kernel");
	return 0;
}

int kd_kdumpctl_main(int argc, char **argv)
{
	const char *prog = argc > 0 && argv[0] ? argv[0] : "kdumpctl";
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	int as_kdump_config = !strcmp(base, "kdump-config");
	const char *root = "";
	int dry_run = 0, i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strncmp(argv[i], "--root=", 7) && argv[i][7] == '/') {
			root = argv[i] + 7;
		} else if (!strcmp(argv[i], "--dry-run")) {
			dry_run = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout, as_kdump_config);
			return 0;
		} else if (!strcmp(argv[i], "--debug")) {
			kd_log_set_level(KD_LOG_DEBUG);
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", kd_log_prog(), argv[i]);
			usage(stderr, as_kdump_config);
			return 1;
		}
	}
	if (i >= argc) {
		usage(stderr, as_kdump_config);
		return 1;
	}
	kd_log_set_level(kd_log_get_level() < KD_LOG_INFO ? KD_LOG_INFO : kd_log_get_level());
	struct kd_svc_ctx x;
	kd_err *e = kd_svc_ctx_init(&x, root, dry_run, as_kdump_config, stdout, stdin);
	if (e)
		return failed(e, NULL);
	const char *verb = argv[i];
	int rc = as_kdump_config ? kdump_config(&x, verb, argc - i - 1, argv + i + 1) :
		 kdumpctl(&x, verb, argc - i - 1, argv + i + 1);
	kd_svc_ctx_fini(&x);
	return rc;
}

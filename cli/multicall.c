#include "applets.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "dumpfile/codec.h"
#include "kdumpkit-config.h"

/* Exit status of an applet that is not built yet: distinct from 1 (usage/operation failed). */
#define EXIT_NOT_BUILT 2

const struct kd_applet kd_applets[] = {
	{ "kexec", "load a kernel for reboot (-l/-e) or for panic (-p)", kd_kexec_main },
	{ "makedumpfile", "filter and compress /proc/vmcore into a dump file",
	  kd_makedumpfile_main },
	{ "vmcore-dmesg", "print the dead kernel's log from a dump", kd_vmcore_dmesg_main },
	{ "report", "what crashed, where and why, without debuginfo", kd_report_main },
	{ "kdumpctl", "the kdump service: reserve, load, save, rotate", kd_kdumpctl_main },
	{ "kdump-config", "the kdump service with Debian kdump-tools' verbs", kd_kdumpctl_main },
	{ "init", "the capture kernel's PID 1 (in the kdump initramfs)", kd_capture_main },
};
const unsigned kd_applet_count = sizeof(kd_applets) / sizeof(kd_applets[0]);

const struct kd_applet *kd_applet_find(const char *name)
{
	for (unsigned i = 0; i < kd_applet_count; i++)
		if (!strcmp(kd_applets[i].name, name))
			return &kd_applets[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: kdumpkit APPLET [ARGS...]\n"
		   "       APPLET [ARGS...]      (through a symlink named after the applet)\n"
		   "       kdumpkit --help | --version\n\nApplets:\n");
	for (unsigned i = 0; i < kd_applet_count; i++)
		fprintf(f, "  %-14s %s%s\n", kd_applets[i].name, kd_applets[i].summary,
			kd_applets[i].main ? "" : " (not built yet)");
}

static int run(const struct kd_applet *a, int argc, char **argv)
{
	kd_log_set_prog(a->name);
	if (!a->main) {
		fprintf(stderr, "kdumpkit: applet '%s' is not built yet in kdumpkit %s\n", a->name,
			KDUMPKIT_VERSION);
		return EXIT_NOT_BUILT;
	}
	return a->main(argc, argv);
}

int kd_multicall(int argc, char **argv)
{
	const char *self = argc > 0 && argv[0] ? argv[0] : "kdumpkit";
	const char *base = strrchr(self, '/');
	base = base ? base + 1 : self;

	const struct kd_applet *a = kd_applet_find(base);
	if (a)
		return run(a, argc, argv);

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("kdumpkit %s (%s)\n", KDUMPKIT_VERSION, kd_codec_versions());
		return 0;
	}
	a = kd_applet_find(cmd);
	if (!a) {
		fprintf(stderr, "kdumpkit: unknown applet '%s' (kdumpkit --help lists them)\n", cmd);
		return 1;
	}
	return run(a, argc - 1, argv + 1);
}

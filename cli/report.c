/* report DUMP [--json]: what crashed, where and why, from the dump alone (no vmlinux, no
 * debuginfo). Exit status: 0 a report was printed (parts that could not be read are listed
 * under "Not shown, and why"), 1 the dump is unusable (cannot be opened, or has neither a log
 * nor CPU registers), 2 usage. */
#include <stdio.h>
#include <string.h>

#include "applets.h"
#include "base/log.h"
#include "report/report.h"
#include "vmcore/dump.h"

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--json] DUMP\n"
		   "  what crashed, where and why, from a vmcore or dump file alone\n"
		   "  --json   machine-readable output (schema: docs/REPORT-JSON.md)\n", prog);
}

int kd_report_main(int argc, char **argv)
{
	const char *prog = argc > 0 && argv[0] ? argv[0] : "report";
	const char *path = NULL;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout, prog);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--")) {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, argv[i]);
			usage(stderr, prog);
			return 2;
		} else {
			if (!strcmp(argv[i], "--") && i + 1 < argc)
				i++;
			if (path) {
				usage(stderr, prog);
				return 2;
			}
			path = argv[i];
		}
	}
	if (!path) {
		usage(stderr, prog);
		return 2;
	}
	struct kd_dump *d;
	kd_err *e = kd_dump_open(path, &d);
	if (e) {
		kd_err_print(stderr, kd_log_prog(), e);
		kd_err_free(e);
		return 1;
	}
	struct kd_report *r = NULL;
	int rc = 0;
	e = kd_report_build(d, &r);
	if (e) {
		e = kd_err_wrap(e, "%s", path);
		kd_err_print(stderr, kd_log_prog(), e);
		kd_err_free(e);
		rc = 1;
	}
	if (r) {
		r->path = path;
		e = json ? kd_report_print_json(r, stdout) : kd_report_print_text(r, stdout);
		if (e) {
			kd_err_print(stderr, kd_log_prog(), e);
			kd_err_free(e);
			rc = 1;
		}
	}
	kd_report_free(r);
	kd_dump_close(d);
	return rc;
}

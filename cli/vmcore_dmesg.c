/* vmcore-dmesg DUMP: the dead kernel's log, as kexec-tools' vmcore-dmesg prints it.
 * Like it, exactly one argument (the dump) is taken and anything else is a usage error
 * (exit 1); --help/-h print the usage on stdout. Any dump kd_dump_open() reads will do.
 * The log goes to stdout; when records are damaged, everything that could be read is printed
 * first, then the error, and the exit status is 1. */
#include <stdio.h>
#include <string.h>

#include "applets.h"
#include "base/log.h"
#include "printk/printk.h"
#include "vmcore/dump.h"

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s <kernel core file>\n", prog);
}

int kd_vmcore_dmesg_main(int argc, char **argv)
{
	const char *prog = argc > 0 && argv[0] ? argv[0] : "vmcore-dmesg";
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout, prog);
		return 0;
	}
	/* "-x" is no dump name vmcore-dmesg users mean: an unknown option, not a missing file */
	if (argc != 2 || (argv[1][0] == '-' && argv[1][1])) {
		usage(stderr, prog);
		return 1;
	}
	struct kd_dump *d;
	kd_err *e = kd_dump_open(argv[1], &d);
	if (e) {
		kd_err_print(stderr, kd_log_prog(), e);
		kd_err_free(e);
		return 1;
	}
	struct kd_mem mem = kd_dump_mem(d);
	e = kd_printk_write(&mem, stdout, NULL);
	if (e) {
		e = kd_err_wrap(e, "%s", argv[1]);
		kd_err_print(stderr, kd_log_prog(), e);
		kd_err_free(e);
	}
	kd_dump_close(d);
	return e ? 1 : 0;
}

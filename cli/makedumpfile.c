/* makedumpfile [OPTIONS] VMCORE DUMPFILE: the collector's front end, with makedumpfile's
 * meaning for the options kdump services pass:
 *   -d LEVEL   exclude: 1 zero, 2 cache, 4 cache with private, 8 user, 16 free pages
 *   -c/-l/-p/-z  zlib / lzo / snappy / zstd per page (none: pages stored raw)
 *   -E         ELF output                -F  flattened output on stdout (no DUMPFILE)
 *   -R         DUMPFILE from a flattened stream on stdin
 *   --num-threads N  --message-level N  --dump-dmesg  -f  -D  --show-stats  --dry-run
 * Usage and conflicting options: a message and exit 1, as makedumpfile. A failure while
 * writing leaves a dump whose header says incomplete (or no dump at all), and exit 1.
 * Parsing and running are dumpfile/mdf_cmd.h's (shared with the service's core collector);
 * this file prints usage, sets the log level and picks the exit code. */
#include <stdio.h>
#include <unistd.h>

#include "applets.h"
#include "base/log.h"
#include "dumpfile/mdf_cmd.h"
#include "kdumpkit-config.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: makedumpfile [-c|-l|-p|-z] [-E] [-d LEVEL] [-f] [-D] [--num-threads N]\n"
		"                    [--message-level N] [--show-stats] [--dry-run] VMCORE DUMPFILE\n"
		"       makedumpfile -F [OPTIONS] VMCORE > FLATTENED\n"
		"       makedumpfile -R DUMPFILE < FLATTENED\n"
		"       makedumpfile --dump-dmesg VMCORE LOGFILE\n"
		"  -d LEVEL  pages to exclude, a sum of: 1 zero, 2 cache, 4 cache with private,\n"
		"            8 user data, 16 free (0-31)\n"
		"  -c, -l, -p, -z  compress pages with zlib, lzo, snappy or zstd\n"
		"  -E        write an ELF dump   -F  write the flattened format to stdout\n"
		"  -f        overwrite DUMPFILE  -D  debug messages\n");
}

static int bad_usage(kd_err *e)
{
	char msg[512];
	kd_err_format(e, msg, sizeof(msg));
	kd_err_free(e);
	fprintf(stderr, "makedumpfile: %s\n", msg);
	usage(stderr);
	return 1;
}

int kd_makedumpfile_main(int argc, char **argv)
{
	struct kd_mdf_cmd cmd;
	kd_err *e = kd_mdf_parse(argc, argv, &cmd);
	if (e)
		return bad_usage(e);
	if (cmd.mode == KD_MDF_HELP) {
		usage(stdout);
		return 0;
	}
	if (cmd.mode == KD_MDF_VERSION) {
		printf("makedumpfile (kdumpkit) %s\n", KDUMPKIT_VERSION);
		return 0;
	}
	kd_log_set_prog("makedumpfile");
	kd_log_set_level((cmd.msglevel & KD_MDF_ML_DEBUG) ? KD_LOG_DEBUG
			 : (cmd.msglevel & KD_MDF_ML_COMMON) ? KD_LOG_WARN : KD_LOG_ERROR);
	if (cmd.mode == KD_MDF_FLAT && isatty(1))
		return bad_usage(kd_err_new(0, "-F writes to stdout: redirect it to a file or a "
					    "pipe"));
	int fd = cmd.mode == KD_MDF_REASSEMBLE ? 0 : 1;
	e = kd_mdf_run(&cmd, fd, fd ? "standard output" : "standard input", stderr);
	if (e) {
		if (cmd.msglevel & KD_MDF_ML_ERROR)
			kd_err_print(stderr, "makedumpfile", e);
		kd_err_free(e);
		return 1;
	}
	return 0;
}

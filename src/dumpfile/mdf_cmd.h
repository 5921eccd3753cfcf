/* makedumpfile's command line as data, and running it: the one parser behind both the
 * `makedumpfile` applet and the service's in-process core collector (kdump.conf's
 * core_collector, kdump-tools' MAKEDUMP_ARGS), so both accept and refuse the same arguments.
 *
 * kd_mdf_parse() prints nothing: a usage error is a kd_err whose message says what is wrong
 * (the applet prints it with the usage text and exits 1, as makedumpfile does). kd_mdf_run()
 * does the work; its messages ("The dumpfile is saved to ...") go to the stream the caller
 * gives, as the message level asks. The parsed command points into argv: keep argv alive. */
#ifndef KD_DUMPFILE_MDF_CMD_H
#define KD_DUMPFILE_MDF_CMD_H

#include <stdio.h>

#include "base/error.h"
#include "dumpfile/collect.h"

/* makedumpfile's --message-level bits */
#define KD_MDF_ML_PROGRESS 1u
#define KD_MDF_ML_COMMON   2u
#define KD_MDF_ML_ERROR    4u
#define KD_MDF_ML_DEBUG    8u
#define KD_MDF_ML_REPORT   16u

enum kd_mdf_mode {
	KD_MDF_COLLECT = 0, /* VMCORE DUMPFILE */
	KD_MDF_FLAT,        /* -F VMCORE: the flattened stream to the caller's fd */
	KD_MDF_REASSEMBLE,  /* -R DUMPFILE: a flattened stream from the caller's fd */
	KD_MDF_DMESG,       /* --dump-dmesg VMCORE LOGFILE */
	KD_MDF_HELP,        /* -h */
	KD_MDF_VERSION,     /* -v */
};

struct kd_mdf_cmd {
	enum kd_mdf_mode mode;
	struct kd_collect_opts opts; /* dump level, codec, -E, threads, dry run */
	unsigned msglevel;           /* --message-level; default progress|common|error */
	int force;                   /* -f: overwrite the output */
	int stats;                   /* --show-stats */
	const char *vmcore;          /* COLLECT, FLAT, DMESG */
	const char *output;          /* COLLECT: the dump, DMESG: the log, REASSEMBLE: the dump */
};

/* Parse makedumpfile's arguments (argv[0] is the program name). getopt may reorder argv's
 * pointers. */
kd_err *kd_mdf_parse(int argc, char **argv, struct kd_mdf_cmd *cmd);

/* Run a parsed command (not HELP/VERSION). `fd`/`fd_name`: where FLAT writes its stream and
 * REASSEMBLE reads one ("standard output", "/dev/vdb"); unused otherwise. Messages go to `msg`
 * (NULL: none). On failure of a COLLECT, what was written stays, its header marked incomplete
 * when it got that far. */
kd_err *kd_mdf_run(const struct kd_mdf_cmd *cmd, int fd, const char *fd_name, FILE *msg);

/* The load-time check of a core_collector's words (NULL-ended; argv[0] "makedumpfile", a path
 * ending in /makedumpfile, "cp" or "cat"): makedumpfile options only, the ones the service can
 * run — no file arguments (the service adds /proc/vmcore and the dump), no -R/--dump-dmesg,
 * no -h/-v/--dry-run. -F is accepted: kdump-utils requires it in the core_collector of a raw
 * (or ssh) target, and the target decides the output anyway. The error quotes what was
 * refused. */
kd_err *kd_mdf_check_collector(char *const *argv);

/* The command the service runs for a core_collector (makedumpfile words, checked as above):
 * on `vmcore` into the file `output`, or, output NULL, the flattened stream (-F) whether the
 * words say -F or not. The words must outlive *cmd. */
kd_err *kd_mdf_collector_cmd(char *const *words, const char *vmcore, const char *output,
			     struct kd_mdf_cmd *cmd);

/* Is this collector a plain copy ("cp", "cat": a full ELF copy of the vmcore)? */
int kd_mdf_collector_is_copy(char *const *argv);

#endif

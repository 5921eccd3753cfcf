/* kexec-tools' command line (kexec(8)), parsed into what to do. The options interact the way
 * kexec-tools' do: the last of -l/-p/-u/-e/-f decides the action (but -p's "panic slot"
 * sticks, so `-p -u` unloads the panic kernel), -S turns everything else off and asks about the
 * panic slot unless -l was given, -x/-y remove the ifdown/sync steps.
 * Options that only matter to kexec_load's image loaders (where kexec_file_load's kernel-side
 * loader decides) are accepted and ignored; options the classic path alone implements are
 * recorded in classic_option (kdumpkit's classic path does not have them). */
#ifndef KD_KEXEC_ARGS_H
#define KD_KEXEC_ARGS_H

#include "base/error.h"

enum kd_kexec_syscall { KD_KEXEC_AUTO, KD_KEXEC_FILE, KD_KEXEC_CLASSIC };

struct kd_kexec_opts {
	int help, version, print_ckr_size;
	int load, exec, unload, shutdown, sync, ifdown, status;
	int panic;        /* the panic slot (-p) */
	int opt_load;     /* -l given (-S then asks about the reboot slot) */
	enum kd_kexec_syscall syscall;
	int debug;
	const char *kernel;
	const char *append;   /* --append / --command-line (last one wins) */
	int reuse_cmdline;
	const char *initrd;   /* --initrd / --ramdisk */
	const char *type;     /* -t: checked against what the image is */
	unsigned long long mem_min, mem_max; /* --mem-min/--mem-max (0: not given) */
	const char *classic_option; /* an option of kexec-tools' loaders we lack, or NULL */
};

/* Parse argv (argv[0] is the program). Usage errors (unknown option, missing argument, a
 * second file name) are errors (errno 0) with a message naming the problem. Uses getopt_long:
 * not reentrant. */
kd_err *kd_kexec_parse_args(int argc, char **argv, struct kd_kexec_opts *o);
/* The usage text. */
const char *kd_kexec_usage(void);

#endif

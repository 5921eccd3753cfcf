/* The service's configuration, read as data (never run by a shell) from the files operators
 * already have:
 *   /etc/kdump.conf          kdump-utils' `directive value` lines (the kdumpctl personality)
 *   /etc/sysconfig/kdump     kdump-utils' VAR=value settings for loading
 *   /etc/default/kdump-tools Debian's VAR=value settings (the kdump-config personality)
 * and from the snapshot the capture initramfs carries (kd_svc_config_snapshot_*), so the
 * capture kernel acts on exactly what was checked when the service loaded.
 *
 * Loading is all or nothing: the first error (a duplicate, unknown or removed directive, shell
 * syntax we do not evaluate, a bad value, two files that both say where dumps go) is returned
 * quoting `file:line` and what to write instead, and *c is left empty.
 *
 * What kdumpkit does with kdump-utils' and kdump-tools' settings beyond their own rules
 * (config.c's header has the details):
 * - kdump.conf: auto_reset_crashkernel is accepted (kdumpkit does not edit the boot loader),
 *   extra_bins is accepted with a warning (nothing but static kdump_pre/kdump_post runs in the
 *   capture environment); dracut_args, kdump_emergency, fence_kdump_args/nodes, the virtiofs and
 *   minix targets and failure_action shell are errors, since ignoring them would change what
 *   happens at crash time. core_collector is makedumpfile, cp or cat (scp with ssh); raw needs
 *   makedumpfile -F.
 * - The VAR=value files: each file's own variables only (a misspelt one is an error); those
 *   without meaning here are accepted with a debug note (KDUMP_STDLOGLVL, FADUMP_*,
 *   DEBUG_KERNEL...) or a warning (KDUMP_COMPRESSION); FTP is an error; KDUMP_FAIL_CMD may only
 *   be reboot, halt or poweroff (optionally -f); an empty value sets nothing.
 * - Two files may set the same thing only to the same value. */
#ifndef KD_SERVICE_CONFIG_H
#define KD_SERVICE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "base/error.h"

/* Which distribution's conventions the service follows: dump directory naming
 * (kdump-utils: <path>/127.0.0.1-YYYY-MM-DD-HH:MM:SS/vmcore; kdump-tools:
 * <KDUMP_COREDIR>/YYYYMMDDHHMM/dump.YYYYMMDDHHMM + dmesg.YYYYMMDDHHMM), kernel.panic_on_oops. */
enum kd_svc_personality { KD_SVC_KDUMP_CONF = 0, KD_SVC_KDUMP_TOOLS };

enum kd_svc_target {
	KD_TGT_PATH = 0, /* no target line: the file system that holds `path` */
	KD_TGT_FS,       /* ext4|xfs|btrfs <device|UUID=|LABEL=> */
	KD_TGT_RAW,      /* raw <device>: the flattened stream on a block device */
	KD_TGT_SSH,      /* ssh user@host (issue 13) */
	KD_TGT_NFS,      /* nfs host:/export (issue 13) */
};

enum kd_svc_action {
	KD_ACT_REBOOT = 0,
	KD_ACT_HALT,
	KD_ACT_POWEROFF,
	KD_ACT_DUMP_TO_ROOTFS, /* failure_action only: save to the root file system instead */
};

struct kd_svc_config {
	enum kd_svc_personality personality;

	/* where dumps go */
	enum kd_svc_target target;
	char *fstype;   /* KD_TGT_FS as written; KD_TGT_PATH: filled by the target's prepare */
	char *device;   /* as written: /dev/vdb1, UUID=..., LABEL=...; raw: the device */
	char *path;     /* kdump.conf `path` / KDUMP_COREDIR; default /var/crash */
	char *ssh, *sshkey, *nfs; /* issue 13: parsed, refused by prepare until then */

	/* how the capture kernel saves */
	char *core_collector;   /* default "makedumpfile -l --message-level 7 -d 31";
				 * kdump-tools: "makedumpfile $MAKEDUMP_ARGS" ("-c -d 31") */
	char **collector_argv;  /* core_collector split into words (quotes removed), NULL-ended */
	enum kd_svc_action failure_action; /* default reboot */
	enum kd_svc_action final_action;   /* default reboot; dump_to_rootfs is an error here */
	char **extra_modules;   /* NULL-ended (may be NULL) */
	int force_rebuild, force_no_rebuild;
	char *kdump_pre, *kdump_post; /* absolute paths; checked at load time (static ELF) */
	int dump_dmesg;         /* KDUMP_DUMP_DMESG, default 1 */
	unsigned num_dumps;     /* KDUMP_NUM_DUMPS: dumps kept after a new one (0: all) */

	/* how the first kernel loads */
	int use_kdump;          /* USE_KDUMP (kdump-tools); 1 for kdump.conf */
	char *kernel;           /* KDUMP_KERNEL; NULL: /boot/vmlinuz-<release> */
	char *initrd;           /* KDUMP_INITRD; NULL: kdumpkit builds its own */
	char *kernel_ver;       /* KDUMP_KERNELVER; NULL: uname -r */
	char *cmdline;          /* KDUMP_COMMANDLINE / KDUMP_CMDLINE; NULL: /proc/cmdline */
	char *cmdline_append;   /* KDUMP_COMMANDLINE_APPEND / KDUMP_CMDLINE_APPEND */
	char *cmdline_remove;   /* KDUMP_COMMANDLINE_REMOVE: parameter names, space separated */
	char *kexec_args;       /* KEXEC_ARGS / KDUMP_KEXEC_ARGS */

	/* Filled at load time by the target's prepare (target.h), carried in the snapshot: the
	 * file system the dump goes to as the capture kernel will find it. */
	char *resolved_device;  /* UUID=... when the fs has one, else the device node */
	char *resolved_fstype;
	char *mount_prefix;     /* where that fs is mounted in the first kernel ("/" for root):
				 * the dump directory is `path` relative to it */
	char *rootfs_device, *rootfs_fstype; /* for failure_action dump_to_rootfs */

	/* Appended after the fields above (the snapshot writes them too). */
	char *sysctl;           /* KDUMP_SYSCTL: "key=value ..." the first kernel sets when loading
				 * (kdump-tools default "kernel.panic_on_oops=1"; KDUMP_SYSCTL=" "
				 * turns it off: NULL); NULL for kdump.conf */
	char *hosttag;          /* HOSTTAG "ip" (default) or "hostname"; NULL for kdump.conf */
	unsigned nfs_timeo, nfs_retrans, nfs_mount_retry; /* NFS_*: 600, 3, 4 (issue 13) */
	unsigned ssh_retry;     /* SSH_KDUMP_RETRY: 16 (issue 13) */
	char **origins;         /* where each setting was written; read it through
				 * kd_svc_config_origin() */
};

/* Which files to read. NULL means the standard path; "" means do not read that file. A file
 * that does not exist is the same as an empty one. */
struct kd_svc_config_files {
	const char *kdump_conf;  /* /etc/kdump.conf */
	const char *sysconfig;   /* /etc/sysconfig/kdump */
	const char *kdump_tools; /* /etc/default/kdump-tools */
};

/* Read the files into *c (defaults for what they leave out). The personality is kdump-tools
 * when `as_kdump_config` (the applet was run as kdump-config), or when /etc/default/kdump-tools
 * sets something and kdump.conf sets nothing; kdump.conf otherwise. */
kd_err *kd_svc_config_load(const struct kd_svc_config_files *files, int as_kdump_config,
			   struct kd_svc_config *c);

/* The same from text already in memory (tests, the fuzzer): `text` NULL means the file does not
 * exist; `name` is what messages quote. kd_svc_config_load reads the files and calls this. */
struct kd_svc_config_source {
	const char *name;
	const char *text;
	size_t len;
};
kd_err *kd_svc_config_parse(const struct kd_svc_config_source *kdump_conf,
			    const struct kd_svc_config_source *sysconfig,
			    const struct kd_svc_config_source *kdump_tools, int as_kdump_config,
			    struct kd_svc_config *c);

/* kdump_pre / kdump_post: `path` must be absolute and name an existing regular executable file
 * that is an ELF program for this machine without a program interpreter (statically linked),
 * because the capture environment has no shell and no shared libraries. `what` ("kdump_pre")
 * starts the message; the caller adds file:line. */
kd_err *kd_svc_check_static_program(const char *what, const char *path);

/* Where a setting was written, for messages made after loading ("KEXEC_ARGS: ..."): "FILE:LINE"
 * of the line that set it, or NULL when it has its default (or `name` is not a setting).
 * `name` is a kdump.conf directive or a variable of either VAR=value file; names for the same
 * setting find the same line ("KEXEC_ARGS" and "KDUMP_KEXEC_ARGS", "core_collector" and
 * "MAKEDUMP_ARGS", "path" and "KDUMP_COREDIR", "ext4" and "raw"). Valid while c is. */
const char *kd_svc_config_origin(const struct kd_svc_config *c, const char *name);
void kd_svc_config_free(struct kd_svc_config *c);

/* The snapshot in the capture initramfs: every field, one `key value` line each in a fixed
 * order (same config, same bytes), read back by the capture kernel. */
kd_err *kd_svc_config_snapshot_write(const struct kd_svc_config *c, FILE *f);
kd_err *kd_svc_config_snapshot_read(const char *path, struct kd_svc_config *c);
/* The same from memory; `name` is what messages quote. */
kd_err *kd_svc_config_snapshot_parse(const char *name, const char *text, size_t len,
				     struct kd_svc_config *c);

const char *kd_svc_action_name(enum kd_svc_action a);   /* "reboot", ... */
const char *kd_svc_target_name(enum kd_svc_target t);   /* "path", "ext4"... no: "fs", "raw" */

#endif

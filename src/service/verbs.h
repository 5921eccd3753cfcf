/* The service's verbs, shared by the two front ends: kdumpctl (kdump-utils' verbs) and
 * kdump-config (Debian kdump-tools' verbs). Each verb is one function that does the work and
 * prints what the tool it replaces prints (facts in its style: "Starting kdump: [OK]",
 * "current state   : ready to kdump"); the front end (cli/kdumpctl.c) maps the result to an
 * exit status. Errors come back as kd_err chains quoting file:line for configuration.
 *
 * A context carries a root prefix for every file (tests run in a fake tree) and a dry run that
 * does everything but the kexec syscalls, the writes to /proc/sys and /proc/sysrq-trigger. */
#ifndef KD_SERVICE_VERBS_H
#define KD_SERVICE_VERBS_H

#include <stdio.h>

#include "base/error.h"
#include "service/config.h"

struct kd_svc_ctx {
	const char *root;       /* "" on a real system */
	int dry_run;
	int as_kdump_config;    /* run as kdump-config: kdump-tools' conventions and messages */
	FILE *out;              /* what the verb prints (stdout) */
	FILE *in;               /* answers to questions (stdin; `test` asks before crashing) */
	struct kd_svc_config_files files; /* the configuration files under root */
	char paths[3][4096];
	int lock_fd;
};

/* Fill paths under root; take the service's lock (<root>/run/kdumpkit.lock, waited for: one
 * start, stop or reload at a time, as kdump-utils serialises its instances). */
kd_err *kd_svc_ctx_init(struct kd_svc_ctx *x, const char *root, int dry_run, int as_kdump_config,
			FILE *out, FILE *in);
void kd_svc_ctx_fini(struct kd_svc_ctx *x);

/* kdumpctl start / kdump-config load: recover a raw target's dump, prepare the target, make
 * sure the capture initramfs is current, check the reservation, load. An already loaded
 * capture kernel is left as it is (a warning), as kdump-utils does. */
kd_err *kd_svc_start(struct kd_svc_ctx *x);
/* kdumpctl stop / kdump-config unload. */
kd_err *kd_svc_stop(struct kd_svc_ctx *x);
/* kdumpctl reload / kdump-config reload: unload (if loaded) and load with the current
 * configuration. try_only (kdump-config try-reload): nothing when nothing is loaded. */
kd_err *kd_svc_reload(struct kd_svc_ctx *x, int try_only);
/* kdumpctl rebuild: build the capture initramfs now. */
kd_err *kd_svc_rebuild(struct kd_svc_ctx *x);
/* kdumpctl status / kdump-config status / show. *loaded: 1 loaded, 0 not (or unknown). */
kd_err *kd_svc_status(struct kd_svc_ctx *x, int details, int *loaded);
/* kdumpctl showmem. */
kd_err *kd_svc_showmem(struct kd_svc_ctx *x);
/* kdumpctl test: crash the machine through /proc/sysrq-trigger after asking on x->in (unless
 * force). A refusal to go on is not an error (*cancelled = 1). */
kd_err *kd_svc_crash_test(struct kd_svc_ctx *x, int force, int *cancelled);
/* kdump-config test: print what load would do; load nothing. */
kd_err *kd_svc_dry_run(struct kd_svc_ctx *x);
/* kdump-config savecore: save /proc/vmcore now with the configured target (a capture kernel
 * booted with this system's root, as Debian's kdump-tools-dump.service does). */
kd_err *kd_svc_savecore(struct kd_svc_ctx *x);

#endif

/* The service's configuration: the three files parsed (conf_kdump.c, conf_vars.c), checked
 * against each other, and their values checked and turned into struct kd_svc_config.
 *
 * Decisions beyond kdump-utils' and kdump-tools' own rules:
 * - Two files may set the same thing only to the same value (e.g. kdump.conf's path and
 *   kdump-tools' KDUMP_COREDIR both /var/crash, as both distributions ship them); different
 *   values are an error naming both file:line, and so is a dump destination (target, path, ssh,
 *   nfs) set differently by kdump.conf and kdump-tools: one of them would be silently ignored.
 * - kdump.conf directives kdump-utils accepts but kdumpkit does not act on: auto_reset_crashkernel
 *   (validated, debug note: kdumpkit does not edit the boot loader), extra_bins (warning:
 *   nothing runs in the capture environment but static kdump_pre/kdump_post). Those whose
 *   absence would change what happens at crash time are errors: dracut_args, kdump_emergency,
 *   fence_kdump_args/nodes, the virtiofs and minix targets, failure_action shell.
 * - core_collector is makedumpfile (kdumpkit's own, arguments checked by the capture side), or
 *   cp / cat (a full ELF copy, done in-process); scp only with an ssh target. A raw target
 *   needs makedumpfile -F (kdump-utils' rule; kdumpkit recovers raw dumps from the flattened
 *   stream), and its default collector has -F, as kdump-utils' has.
 * - Debian's shipped KDUMP_KERNEL=/var/lib/kdump/vmlinuz and KDUMP_INITRD=/var/lib/kdump/
 *   initrd.img name the links kdump-tools' own kernel hook makes to its mkinitramfs image;
 *   kdumpkit builds its own initramfs, so those two values are dropped (debug note). Any other
 *   KDUMP_KERNEL / KDUMP_INITRD is used as given.
 * - /etc/sysconfig/kdump's KDUMP_BOOTDIR, KDUMP_IMG, KDUMP_IMG_EXT, when they differ from
 *   kdump-utils' defaults (/boot, vmlinuz, ""), name the kernel:
 *   <KDUMP_BOOTDIR>/<KDUMP_IMG>-<KDUMP_KERNELVER or uname -r><KDUMP_IMG_EXT>. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/log.h"
#include "service/conf_int.h"

#define DEFAULT_PATH "/var/crash"
#define DEFAULT_COLLECTOR "makedumpfile -l --message-level 7 -d 31"
#define DEFAULT_RAW_COLLECTOR "makedumpfile -F -l --message-level 7 -d 31"
#define DEFAULT_TOOLS_ARGS "-c -d 31"
#define DEFAULT_SSHKEY "/root/.ssh/kdump_id_rsa"
#define DEFAULT_SYSCTL "kernel.panic_on_oops=1"
#define MAX_FILE_SIZE (1u << 20)

/* What each setting is, for the message when two files disagree about it. */
static const char *const field_what[CF_COUNT] = {
	[CF_TARGET] = "the dump target", [CF_PATH] = "where dumps go", [CF_SSH] = "the ssh target",
	[CF_NFS] = "the NFS target", [CF_SSHKEY] = "the ssh key",
	[CF_COLLECTOR] = "the core collector", [CF_FAILURE] = "the failure action",
	[CF_FINAL] = "the final action", [CF_EXTRA_MODULES] = "the extra modules",
	[CF_FORCE_REBUILD] = "force_rebuild", [CF_FORCE_NO_REBUILD] = "force_no_rebuild",
	[CF_PRE] = "kdump_pre", [CF_POST] = "kdump_post", [CF_USE_KDUMP] = "whether to load",
	[CF_DUMP_DMESG] = "whether to save the dmesg", [CF_NUM_DUMPS] = "how many dumps to keep",
	[CF_KERNEL] = "the capture kernel", [CF_INITRD] = "the initramfs",
	[CF_KERNEL_VER] = "the capture kernel's release", [CF_BOOTDIR] = "the kernel's directory",
	[CF_IMG] = "the kernel's file name", [CF_IMG_EXT] = "the kernel's file name",
	[CF_CMDLINE] = "the capture command line",
	[CF_CMDLINE_APPEND] = "what is appended to the capture command line",
	[CF_CMDLINE_REMOVE] = "what is removed from the capture command line",
	[CF_KEXEC_ARGS] = "the loader's extra arguments", [CF_SYSCTL] = "the sysctls set",
	[CF_HOSTTAG] = "HOSTTAG", [CF_NFS_TIMEO] = "the NFS timeout",
	[CF_NFS_RETRANS] = "the NFS retransmissions",
	[CF_NFS_MOUNT_RETRY] = "the NFS mount retries", [CF_SSH_RETRY] = "the ssh retries",
};

/* One merged setting and the file it came from. */
struct merged {
	const struct conf_file *file;
	const struct conf_setting *s;
};

const char *kd_svc_action_name(enum kd_svc_action a)
{
	switch (a) {
	case KD_ACT_REBOOT: return "reboot";
	case KD_ACT_HALT: return "halt";
	case KD_ACT_POWEROFF: return "poweroff";
	case KD_ACT_DUMP_TO_ROOTFS: return "dump_to_rootfs";
	}
	return "?";
}

const char *kd_svc_target_name(enum kd_svc_target t)
{
	switch (t) {
	case KD_TGT_PATH: return "path";
	case KD_TGT_FS: return "fs";
	case KD_TGT_RAW: return "raw";
	case KD_TGT_SSH: return "ssh";
	case KD_TGT_NFS: return "nfs";
	}
	return "?";
}

void kd_svc_config_free(struct kd_svc_config *c)
{
	char **strs[] = { &c->fstype, &c->device, &c->path, &c->ssh, &c->sshkey, &c->nfs,
			  &c->core_collector, &c->kdump_pre, &c->kdump_post, &c->kernel,
			  &c->initrd, &c->kernel_ver, &c->cmdline, &c->cmdline_append,
			  &c->cmdline_remove, &c->kexec_args, &c->resolved_device,
			  &c->resolved_fstype, &c->mount_prefix, &c->rootfs_device,
			  &c->rootfs_fstype, &c->sysctl, &c->hosttag };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	conf_words_free(c->collector_argv);
	conf_words_free(c->extra_modules);
	for (int i = 0; c->origins && i < CF_COUNT; i++)
		free(c->origins[i]);
	free(c->origins);
	memset(c, 0, sizeof(*c));
}

/* ---- the files against each other ---- */

static int dest_field(int i)
{
	return i == CF_TARGET || i == CF_PATH || i == CF_SSH || i == CF_NFS;
}

static const struct conf_setting *first_dest(const struct conf_file *f)
{
	const struct conf_setting *first = NULL;
	for (int i = 0; i < CF_COUNT; i++)
		if (dest_field(i) && f->set[i].value && (!first || f->set[i].line < first->line))
			first = &f->set[i];
	return first;
}

/* kdump.conf and kdump-tools both saying where dumps go is fine only when they say the same. */
static kd_err *check_destinations(const struct conf_file *kc, const struct conf_file *kt)
{
	const struct conf_setting *a = first_dest(kc), *b = first_dest(kt);
	if (!a || !b)
		return NULL;
	int same = 1;
	for (int i = 0; i < CF_COUNT; i++) {
		if (!dest_field(i))
			continue;
		const char *x = kc->set[i].value, *y = kt->set[i].value;
		if (!x != !y || (x && strcmp(x, y)))
			same = 0;
	}
	if (same)
		return NULL;
	return kd_err_new(EINVAL, "%s:%u: %s says where dumps go, and so does %s:%u (%s %s); "
			  "kdumpkit would have to ignore one of them: keep the one you mean and "
			  "delete or comment out the other", kt->name, b->line, b->key, kc->name,
			  a->line, a->key, a->value);
}

static kd_err *merge(const struct conf_file *files[3], struct merged m[CF_COUNT])
{
	memset(m, 0, sizeof(struct merged) * CF_COUNT);
	for (int i = 0; i < CF_COUNT; i++)
		for (int k = 0; k < 3; k++) {
			const struct conf_setting *s = &files[k]->set[i];
			if (!s->value)
				continue;
			if (!m[i].s) {
				m[i].file = files[k];
				m[i].s = s;
			} else if (strcmp(m[i].s->value, s->value)) {
				return kd_err_new(EINVAL,
						  "%s:%u: %s sets %s to \"%s\", and %s:%u (%s) "
						  "sets it to \"%s\"; keep one of them",
						  files[k]->name, s->line, s->key, field_what[i],
						  s->value, m[i].file->name, m[i].s->line,
						  m[i].s->key, m[i].s->value);
			} else {
				kd_debug("%s:%u: %s repeats %s:%u (%s), same value", files[k]->name,
					 s->line, s->key, m[i].file->name, m[i].s->line,
					 m[i].s->key);
			}
		}
	return NULL;
}

/* ---- values ---- */

struct apply {
	const struct merged *m;
	struct kd_svc_config *c;
};

#define WHERE(a, f) (a)->m[f].file->name, (a)->m[f].s->line
#define KEY(a, f) (a)->m[f].s->key
#define VAL(a, f) (a)->m[f].s->value
#define HAS(a, f) ((a)->m[f].s != NULL)

static kd_err *dup_to(char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst ? NULL : kd_err_new(ENOMEM, "copying the configuration");
}

static int has_space(const char *s)
{
	for (; *s; s++)
		if (conf_is_space(*s))
			return 1;
	return 0;
}

static int parse_uint(const char *s, unsigned *out)
{
	unsigned long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > UINT_MAX)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static kd_err *get_bool(const struct apply *a, int f, int *out)
{
	if (!HAS(a, f))
		return NULL;
	const char *v = VAL(a, f);
	if (strcmp(v, "0") && strcmp(v, "1"))
		return kd_err_new(EINVAL, "%s:%u: %s \"%s\": write 0 or 1", WHERE(a, f), KEY(a, f),
				  v);
	*out = v[0] == '1';
	return NULL;
}

static kd_err *get_uint(const struct apply *a, int f, unsigned *out)
{
	if (HAS(a, f) && parse_uint(VAL(a, f), out))
		return kd_err_new(EINVAL, "%s:%u: %s \"%s\": write a whole number, e.g. %s%s%u",
				  WHERE(a, f), KEY(a, f), VAL(a, f), KEY(a, f),
				  a->m[f].s->key[0] >= 'a' ? " " : "=", *out);
	return NULL;
}

static kd_err *get_abs_path(const struct apply *a, int f, char **out)
{
	if (!HAS(a, f))
		return NULL;
	if (VAL(a, f)[0] != '/')
		return kd_err_new(EINVAL,
				  "%s:%u: %s \"%s\": write an absolute path (starting with /)",
				  WHERE(a, f), KEY(a, f), VAL(a, f));
	return dup_to(out, VAL(a, f));
}

static kd_err *apply_target(const struct apply *a)
{
	struct kd_svc_config *c = a->c;
	kd_err *err;
	if (HAS(a, CF_SSH) && HAS(a, CF_NFS))
		return kd_err_new(EINVAL,
				  "%s:%u: %s and %s:%u %s both name a dump target; kdumpkit "
				  "saves to one: keep one of them",
				  WHERE(a, CF_NFS), KEY(a, CF_NFS), WHERE(a, CF_SSH),
				  KEY(a, CF_SSH));
	if (HAS(a, CF_TARGET)) {
		const char *kind = KEY(a, CF_TARGET), *dev = VAL(a, CF_TARGET);
		if (!strcmp(kind, "raw")) {
			if (strncmp(dev, "/dev/", 5) || !dev[5] || has_space(dev))
				return kd_err_new(EINVAL,
						  "%s:%u: raw \"%s\": write the block device's "
						  "path, e.g. raw /dev/disk/by-partlabel/kdump",
						  WHERE(a, CF_TARGET), dev);
			c->target = KD_TGT_RAW;
			return dup_to(&c->device, dev);
		}
		c->target = KD_TGT_FS;
		if ((err = dup_to(&c->fstype, kind)))
			return err;
		static const char *const tags[] = { "UUID=", "LABEL=", "PARTUUID=", "PARTLABEL=" };
		const char *tag = NULL;
		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			if (!strncmp(dev, tags[i], strlen(tags[i])))
				tag = tags[i];
		if (tag) {
			const char *v = dev + strlen(tag);
			size_t vl = strlen(v);
			int labels = strstr(tag, "LABEL") != NULL;
			if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
				v++; /* LABEL="my disk" */
				vl -= 2;
			}
			if (!vl || (!labels && has_space(v)))
				return kd_err_new(EINVAL,
						  "%s:%u: %s \"%s\": write %s followed by the "
						  "file system's %s, e.g. %s %s%s",
						  WHERE(a, CF_TARGET), kind, dev, tag,
						  labels ? "label" : "identifier", kind, tag,
						  labels ? "kdump" : "0f0e7f4c-...");
			c->device = malloc(strlen(tag) + vl + 1);
			if (!c->device)
				return kd_err_new(ENOMEM, "copying the configuration");
			memcpy(c->device, tag, strlen(tag));
			memcpy(c->device + strlen(tag), v, vl);
			c->device[strlen(tag) + vl] = '\0';
			return NULL;
		}
		if (strncmp(dev, "/dev/", 5) || !dev[5] || has_space(dev))
			return kd_err_new(EINVAL,
					  "%s:%u: %s \"%s\": write a device node (/dev/vdb1), "
					  "UUID=<uuid> or LABEL=<label>",
					  WHERE(a, CF_TARGET), kind, dev);
		return dup_to(&c->device, dev);
	}
	if (HAS(a, CF_SSH)) {
		const char *v = VAL(a, CF_SSH), *at = strchr(v, '@');
		if (!at || at == v || !at[1] || has_space(v))
			return kd_err_new(EINVAL, "%s:%u: %s \"%s\": write user@host",
					  WHERE(a, CF_SSH), KEY(a, CF_SSH), v);
		c->target = KD_TGT_SSH;
		return dup_to(&c->ssh, v);
	}
	if (HAS(a, CF_NFS)) {
		const char *v = VAL(a, CF_NFS), *sep = strstr(v, ":/");
		if (!sep || sep == v || has_space(v))
			return kd_err_new(EINVAL,
					  "%s:%u: %s \"%s\": write host:/exported/directory",
					  WHERE(a, CF_NFS), KEY(a, CF_NFS), v);
		c->target = KD_TGT_NFS;
		return dup_to(&c->nfs, v);
	}
	c->target = KD_TGT_PATH;
	return NULL;
}

static int has_flag_F(char *const *argv)
{
	for (size_t i = 1; argv[i]; i++) {
		const char *w = argv[i];
		if (w[0] != '-' || w[1] == '-')
			continue;
		if (!strcmp(w, "-F"))
			return 1;
		/* a cluster of flags, e.g. -lF */
		int letters = 1;
		for (const char *p = w + 1; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
				letters = 0;
		if (letters && strchr(w + 1, 'F'))
			return 1;
	}
	return 0;
}

static kd_err *apply_collector(const struct apply *a)
{
	struct kd_svc_config *c = a->c;
	const char *cmd;
	int user = HAS(a, CF_COLLECTOR);
	if (user)
		cmd = VAL(a, CF_COLLECTOR);
	else if (c->target == KD_TGT_RAW) /* kdump.conf only, whatever the personality */
		cmd = DEFAULT_RAW_COLLECTOR;
	else if (c->personality == KD_SVC_KDUMP_TOOLS)
		cmd = "makedumpfile " DEFAULT_TOOLS_ARGS;
	else
		cmd = DEFAULT_COLLECTOR;
	kd_err *err = dup_to(&c->core_collector, cmd);
	if (err)
		return err;
	const char *bad;
	int r = conf_split_words(cmd, &c->collector_argv, &bad);
	if (r == -2)
		return kd_err_new(ENOMEM, "splitting the core collector");
	if (r == -1)
		return kd_err_new(EINVAL,
				  "%s:%u: %s: %s at \"%.20s\", and kdumpkit runs no shell; "
				  "write the command and its arguments literally, e.g. %s",
				  WHERE(a, CF_COLLECTOR), KEY(a, CF_COLLECTOR),
				  *bad == '"' || *bad == '\'' ? "a quote that is not closed"
							      : "shell syntax",
				  bad,
				  user && !strcmp(KEY(a, CF_COLLECTOR), "MAKEDUMP_ARGS")
				      ? "MAKEDUMP_ARGS=\"" DEFAULT_TOOLS_ARGS "\""
				      : "core_collector " DEFAULT_COLLECTOR);
	char **argv = c->collector_argv;
	if (!argv[0]) /* only possible from quotes around nothing */
		return kd_err_new(EINVAL, "%s:%u: %s is empty; write e.g. core_collector "
				  DEFAULT_COLLECTOR, WHERE(a, CF_COLLECTOR), KEY(a, CF_COLLECTOR));
	const char *prog = argv[0];
	size_t argc = conf_words_count(argv);
	if (!strcmp(prog, "makedumpfile")) {
		if (c->target == KD_TGT_RAW && !has_flag_F(argv))
			return kd_err_new(EINVAL,
					  "%s:%u: core_collector \"%s\": a raw target takes "
					  "makedumpfile's flattened stream; add -F (e.g. "
					  "core_collector " DEFAULT_RAW_COLLECTOR ")",
					  WHERE(a, CF_COLLECTOR), cmd);
		if (c->target == KD_TGT_SSH && user &&
		    !strcmp(KEY(a, CF_COLLECTOR), "core_collector") && !has_flag_F(argv))
			return kd_err_new(EINVAL,
					  "%s:%u: core_collector \"%s\": an ssh target takes "
					  "makedumpfile's flattened stream; add -F",
					  WHERE(a, CF_COLLECTOR), cmd);
		return NULL;
	}
	if (!strcmp(prog, "cp") || !strcmp(prog, "cat")) {
		if (c->target == KD_TGT_RAW)
			return kd_err_new(EINVAL, "%s:%u: core_collector \"%s\": kdumpkit recovers "
					  "raw dumps from makedumpfile's flattened stream; write "
					  "core_collector " DEFAULT_RAW_COLLECTOR,
					  WHERE(a, CF_COLLECTOR), cmd);
		for (size_t i = 1; i < argc; i++)
			if (prog[1] == 'a' || strncmp(argv[i], "--sparse", 8))
				return kd_err_new(EINVAL, "%s:%u: core_collector \"%s\": kdumpkit "
						  "copies the ELF vmcore itself and takes no %s "
						  "options (\"%s\"); write core_collector %s",
						  WHERE(a, CF_COLLECTOR), cmd, prog, argv[i], prog);
		return NULL;
	}
	if (!strcmp(prog, "scp") && c->target == KD_TGT_SSH && argc == 1)
		return NULL;
	if (user)
		return kd_err_new(EINVAL,
				  "%s:%u: core_collector \"%s\": kdumpkit saves with its own "
				  "makedumpfile or copies the ELF vmcore (cp, cat)%s; write e.g. "
				  "core_collector " DEFAULT_COLLECTOR,
				  WHERE(a, CF_COLLECTOR), cmd,
				  strchr(prog, '/') ? ", named without a path" : "");
	return NULL;
}

static kd_err *apply_actions(const struct apply *a)
{
	struct kd_svc_config *c = a->c;
	static const char *const names[] = { "reboot", "halt", "poweroff", "dump_to_rootfs" };
	if (HAS(a, CF_FAILURE) && !strcmp(KEY(a, CF_FAILURE), "KDUMP_FAIL_CMD")) {
		/* kdump-tools runs the command; kdumpkit can only do what it names */
		char **w = NULL;
		const char *bad;
		int r = conf_split_words(VAL(a, CF_FAILURE), &w, &bad);
		if (r == -2)
			return kd_err_new(ENOMEM, "splitting KDUMP_FAIL_CMD");
		size_t n = r ? 0 : conf_words_count(w);
		int ok = 0;
		if (n >= 1 && n <= 2 && (n == 1 || !strcmp(w[1], "-f")))
			for (int i = 0; i < 3; i++)
				if (!strcmp(w[0], names[i])) {
					c->failure_action = (enum kd_svc_action)i;
					ok = 1;
				}
		conf_words_free(w);
		if (!ok)
			return kd_err_new(EINVAL, "%s:%u: KDUMP_FAIL_CMD \"%s\": kdumpkit "
					  "runs no commands in the capture environment, it can "
					  "only reboot, halt or power off; write KDUMP_FAIL_CMD="
					  "\"reboot -f\" (or \"halt -f\", \"poweroff -f\")",
					  WHERE(a, CF_FAILURE), VAL(a, CF_FAILURE));
	} else if (HAS(a, CF_FAILURE)) {
		const char *v = VAL(a, CF_FAILURE);
		int ok = 0;
		for (int i = 0; i < 4; i++)
			if (!strcmp(v, names[i])) {
				c->failure_action = (enum kd_svc_action)i;
				ok = 1;
			}
		if (!ok && !strcmp(v, "shell"))
			return kd_err_new(EINVAL, "%s:%u: %s shell: there is no shell in "
					  "kdumpkit's capture environment to drop into; write "
					  "failure_action reboot, halt, poweroff or dump_to_rootfs "
					  "(the capture log is kept in kexec-dmesg.log)",
					  WHERE(a, CF_FAILURE), KEY(a, CF_FAILURE));
		if (!ok)
			return kd_err_new(EINVAL,
					  "%s:%u: %s \"%s\": write failure_action reboot, halt, "
					  "poweroff or dump_to_rootfs",
					  WHERE(a, CF_FAILURE), KEY(a, CF_FAILURE), v);
	}
	if (HAS(a, CF_FINAL)) {
		const char *v = VAL(a, CF_FINAL);
		int ok = 0;
		for (int i = 0; i < 3; i++)
			if (!strcmp(v, names[i])) {
				c->final_action = (enum kd_svc_action)i;
				ok = 1;
			}
		if (!ok && !strcmp(v, "dump_to_rootfs"))
			return kd_err_new(EINVAL, "%s:%u: final_action \"%s\": dump_to_rootfs is a "
					  "failure_action; write final_action reboot, halt or "
					  "poweroff", WHERE(a, CF_FINAL), v);
		if (!ok)
			return kd_err_new(EINVAL,
					  "%s:%u: final_action \"%s\": %swrite final_action "
					  "reboot, halt or poweroff",
					  WHERE(a, CF_FINAL), v,
					  !strcmp(v, "shell") ? "there is no shell in kdumpkit's "
								"capture environment; "
							      : "");
	}
	return NULL;
}

static kd_err *apply_modules(const struct apply *a)
{
	if (!HAS(a, CF_EXTRA_MODULES))
		return NULL;
	const char *bad;
	int r = conf_split_words(VAL(a, CF_EXTRA_MODULES), &a->c->extra_modules, &bad);
	if (r == -2)
		return kd_err_new(ENOMEM, "splitting extra_modules");
	for (char **w = a->c->extra_modules; !r && *w; w++) {
		for (const char *p = *w; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
				r = -1;
		if (r)
			bad = *w;
	}
	if (r || !a->c->extra_modules[0])
		return kd_err_new(EINVAL, "%s:%u: extra_modules \"%s\": write module names "
				  "separated by spaces, without paths or .ko, e.g. extra_modules "
				  "virtio_blk xfs", WHERE(a, CF_EXTRA_MODULES),
				  VAL(a, CF_EXTRA_MODULES));
	return NULL;
}

static kd_err *apply_kernel(const struct apply *a)
{
	struct kd_svc_config *c = a->c;
	kd_err *err;
	if ((err = get_abs_path(a, CF_KERNEL, &c->kernel)) ||
	    (err = get_abs_path(a, CF_INITRD, &c->initrd)))
		return err;
	if (HAS(a, CF_KERNEL_VER)) {
		const char *v = VAL(a, CF_KERNEL_VER);
		if (strchr(v, '/') || has_space(v) || !strcmp(v, ".") || !strcmp(v, ".."))
			return kd_err_new(EINVAL,
					  "%s:%u: KDUMP_KERNELVER \"%s\": write a kernel release "
					  "as uname -r prints it, e.g. 6.12.9-amd64",
					  WHERE(a, CF_KERNEL_VER), v);
		if ((err = dup_to(&c->kernel_ver, v)))
			return err;
	}
	const char *dir = HAS(a, CF_BOOTDIR) ? VAL(a, CF_BOOTDIR) : "/boot";
	const char *img = HAS(a, CF_IMG) ? VAL(a, CF_IMG) : "vmlinuz";
	const char *ext = HAS(a, CF_IMG_EXT) ? VAL(a, CF_IMG_EXT) : "";
	if (!strcmp(dir, "/boot") && !strcmp(img, "vmlinuz") && !*ext)
		return NULL;
	int f = HAS(a, CF_BOOTDIR) ? CF_BOOTDIR : HAS(a, CF_IMG) ? CF_IMG : CF_IMG_EXT;
	if (dir[0] != '/' || strchr(img, '/') || strchr(ext, '/'))
		return kd_err_new(EINVAL,
				  "%s:%u: %s: KDUMP_BOOTDIR must be an absolute directory and "
				  "KDUMP_IMG, KDUMP_IMG_EXT plain file name parts (e.g. "
				  "KDUMP_BOOTDIR=/boot KDUMP_IMG=vmlinuz)",
				  WHERE(a, f), KEY(a, f));
	if (c->kernel)
		return kd_err_new(EINVAL, "%s:%u: %s names the kernel's file, and so does %s:%u "
				  "(%s); keep one of them", WHERE(a, f), KEY(a, f),
				  WHERE(a, CF_KERNEL), KEY(a, CF_KERNEL));
	struct utsname u;
	const char *rel = c->kernel_ver;
	if (!rel) {
		if (uname(&u) < 0)
			return kd_err_errno("uname");
		rel = u.release;
	}
	size_t n = strlen(dir) + strlen(img) + strlen(rel) + strlen(ext) + 3;
	c->kernel = malloc(n);
	if (!c->kernel)
		return kd_err_new(ENOMEM, "copying the configuration");
	snprintf(c->kernel, n, "%s/%s-%s%s", dir, img, rel, ext);
	return NULL;
}

static kd_err *apply_sysctl(const struct apply *a)
{
	struct kd_svc_config *c = a->c;
	if (!HAS(a, CF_SYSCTL))
		return c->personality == KD_SVC_KDUMP_TOOLS ? dup_to(&c->sysctl, DEFAULT_SYSCTL)
							    : NULL;
	char **w;
	const char *bad;
	int r = conf_split_words(VAL(a, CF_SYSCTL), &w, &bad);
	if (r == -2)
		return kd_err_new(ENOMEM, "splitting KDUMP_SYSCTL");
	for (size_t i = 0; !r && w[i]; i++) {
		const char *eq = strchr(w[i], '=');
		if (!eq || eq == w[i] || !eq[1])
			r = -1;
		for (const char *p = w[i]; !r && p < eq; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || strchr("_.-/", *p)))
				r = -1;
	}
	int empty = !r && !w[0];
	conf_words_free(w);
	if (r)
		return kd_err_new(EINVAL, "%s:%u: KDUMP_SYSCTL \"%s\": write key=value settings "
				  "separated by spaces, e.g. KDUMP_SYSCTL=\"kernel.panic_on_oops=1 "
				  "vm.panic_on_oom=1\" (or KDUMP_SYSCTL=\" \" to set none)",
				  WHERE(a, CF_SYSCTL), VAL(a, CF_SYSCTL));
	if (empty) /* kdump-tools: KDUMP_SYSCTL=" " turns it off */
		return NULL;
	return dup_to(&c->sysctl, VAL(a, CF_SYSCTL));
}

const char *kd_svc_config_origin(const struct kd_svc_config *c, const char *name)
{
	int f = conf_kdump_field(name);
	if (f < 0)
		f = conf_vars_field(name);
	return f >= 0 && c->origins ? c->origins[f] : NULL;
}

static kd_err *record_origins(const struct merged *m, struct kd_svc_config *c)
{
	c->origins = calloc(CF_COUNT, sizeof(*c->origins));
	if (!c->origins)
		return kd_err_new(ENOMEM, "copying the configuration");
	for (int i = 0; i < CF_COUNT; i++) {
		if (!m[i].s)
			continue;
		char buf[4200];
		snprintf(buf, sizeof(buf), "%s:%u", m[i].file->name, m[i].s->line);
		kd_err *err = dup_to(&c->origins[i], buf);
		if (err)
			return err;
	}
	return NULL;
}

static kd_err *apply_all(const struct merged *m, struct kd_svc_config *c)
{
	struct apply a = { m, c };
	const struct apply *ap = &a;
	kd_err *err;
	if ((err = record_origins(m, c)))
		return err;
	if ((err = apply_target(ap)))
		return err;
	if (HAS(ap, CF_PATH)) {
		if ((err = get_abs_path(ap, CF_PATH, &c->path)))
			return err;
	} else if ((err = dup_to(&c->path, DEFAULT_PATH))) {
		return err;
	}
	if ((err = get_abs_path(ap, CF_SSHKEY, &c->sshkey)))
		return err;
	if (!c->sshkey && c->target == KD_TGT_SSH && c->personality == KD_SVC_KDUMP_CONF &&
	    (err = dup_to(&c->sshkey, DEFAULT_SSHKEY)))
		return err;
	if ((err = apply_collector(ap)) || (err = apply_actions(ap)) || (err = apply_modules(ap)))
		return err;
	if ((err = get_bool(ap, CF_FORCE_REBUILD, &c->force_rebuild)) ||
	    (err = get_bool(ap, CF_FORCE_NO_REBUILD, &c->force_no_rebuild)))
		return err;
	if (c->force_rebuild && c->force_no_rebuild)
		return kd_err_new(EINVAL,
				  "%s:%u: force_no_rebuild 1 contradicts %s:%u force_rebuild "
				  "1; set at most one of them to 1",
				  WHERE(ap, CF_FORCE_NO_REBUILD), WHERE(ap, CF_FORCE_REBUILD));
	static const int progs[] = { CF_PRE, CF_POST };
	for (int i = 0; i < 2; i++) {
		int f = progs[i];
		if (!HAS(ap, f))
			continue;
		if ((err = kd_svc_check_static_program(KEY(ap, f), VAL(ap, f))))
			return kd_err_wrap(err, "%s:%u", WHERE(ap, f));
		if ((err = dup_to(f == CF_PRE ? &c->kdump_pre : &c->kdump_post, VAL(ap, f))))
			return err;
	}
	c->use_kdump = c->personality == KD_SVC_KDUMP_CONF;
	c->dump_dmesg = 1;
	c->num_dumps = 0;
	c->nfs_timeo = 600;
	c->nfs_retrans = 3;
	c->nfs_mount_retry = 4;
	c->ssh_retry = 16;
	if ((err = get_bool(ap, CF_USE_KDUMP, &c->use_kdump)) ||
	    (err = get_bool(ap, CF_DUMP_DMESG, &c->dump_dmesg)) ||
	    (err = get_uint(ap, CF_NUM_DUMPS, &c->num_dumps)) ||
	    (err = get_uint(ap, CF_NFS_TIMEO, &c->nfs_timeo)) ||
	    (err = get_uint(ap, CF_NFS_RETRANS, &c->nfs_retrans)) ||
	    (err = get_uint(ap, CF_NFS_MOUNT_RETRY, &c->nfs_mount_retry)) ||
	    (err = get_uint(ap, CF_SSH_RETRY, &c->ssh_retry)))
		return err;
	if ((err = apply_kernel(ap)))
		return err;
	static const struct { int f; size_t off; } text[] = {
		{ CF_CMDLINE, offsetof(struct kd_svc_config, cmdline) },
		{ CF_CMDLINE_APPEND, offsetof(struct kd_svc_config, cmdline_append) },
		{ CF_CMDLINE_REMOVE, offsetof(struct kd_svc_config, cmdline_remove) },
		{ CF_KEXEC_ARGS, offsetof(struct kd_svc_config, kexec_args) },
	};
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (HAS(ap, text[i].f) &&
		    (err = dup_to((char **)((char *)c + text[i].off), VAL(ap, text[i].f))))
			return err;
	if ((err = apply_sysctl(ap)))
		return err;
	if (HAS(ap, CF_HOSTTAG)) {
		const char *v = VAL(ap, CF_HOSTTAG);
		if (strcmp(v, "ip") && strcmp(v, "hostname"))
			return kd_err_new(EINVAL, "%s:%u: HOSTTAG \"%s\": write HOSTTAG=ip or "
					  "HOSTTAG=hostname", WHERE(ap, CF_HOSTTAG), v);
		return dup_to(&c->hosttag, v);
	}
	if (c->personality == KD_SVC_KDUMP_TOOLS)
		return dup_to(&c->hosttag, "ip");
	return NULL;
}

/* kdump-tools' own generated links in Debian's shipped file (see the header comment). */
static void drop_kdump_tools_links(struct conf_file *kt)
{
	static const struct { int f; const char *v; } links[] = {
		{ CF_KERNEL, "/var/lib/kdump/vmlinuz" },
		{ CF_INITRD, "/var/lib/kdump/initrd.img" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		struct conf_setting *s = &kt->set[links[i].f];
		if (s->value && !strcmp(s->value, links[i].v)) {
			kd_debug("%s:%u: %s=%s is kdump-tools' own link; kdumpkit uses its own "
				 "kernel choice and initramfs",
				 kt->name, s->line, s->key, s->value);
			free(s->value);
			s->value = NULL;
		}
	}
}

kd_err *kd_svc_config_parse(const struct kd_svc_config_source *kdump_conf,
			    const struct kd_svc_config_source *sysconfig,
			    const struct kd_svc_config_source *kdump_tools, int as_kdump_config,
			    struct kd_svc_config *c)
{
	static const struct kd_svc_config_source none = { "(none)", NULL, 0 };
	struct conf_file fk = { 0 }, fs = { 0 }, ft = { 0 };
	struct merged m[CF_COUNT];
	struct kd_svc_config tmp = { 0 };
	kd_err *err;
	memset(c, 0, sizeof(*c));
	if ((err = conf_kdump_parse(kdump_conf ? kdump_conf : &none, &fk)))
		return err;
	if ((err = conf_sysconfig_parse(sysconfig ? sysconfig : &none, &fs)))
		goto out;
	if ((err = conf_kdump_tools_parse(kdump_tools ? kdump_tools : &none, &ft)))
		goto out;
	drop_kdump_tools_links(&ft);
	tmp.personality = as_kdump_config || (ft.first_line && !fk.first_line) ? KD_SVC_KDUMP_TOOLS
									       : KD_SVC_KDUMP_CONF;
	const struct conf_file *files[3] = { &fk, &fs, &ft };
	if ((err = check_destinations(&fk, &ft)) || (err = merge(files, m)))
		goto out;
	err = apply_all(m, &tmp);
out:
	conf_file_free(&fk);
	conf_file_free(&fs);
	conf_file_free(&ft);
	if (err)
		kd_svc_config_free(&tmp);
	else
		*c = tmp;
	return err;
}

/* A whole file into memory; a missing one is *text == NULL. */
static kd_err *read_conf_file(const char *path, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? NULL : kd_err_errno("opening %s", path);
	struct stat st;
	kd_err *err = NULL;
	char *buf = NULL;
	if (fstat(fd, &st) < 0) {
		err = kd_err_errno("%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = kd_err_new(EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > MAX_FILE_SIZE) {
		err = kd_err_new(EFBIG, "%s: %lld bytes, more than a configuration file has (%u at "
				 "most)", path, (long long)st.st_size, MAX_FILE_SIZE);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = kd_err_new(ENOMEM, "reading %s", path);
		goto out;
	}
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = kd_err_errno("reading %s", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			err = kd_err_new(EAGAIN, "reading %s: it grew while being read", path);
			goto out;
		}
	}
	*text = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

kd_err *kd_svc_config_load(const struct kd_svc_config_files *files, int as_kdump_config,
			   struct kd_svc_config *c)
{
	static const struct kd_svc_config_files standard = {
		"/etc/kdump.conf", "/etc/sysconfig/kdump", "/etc/default/kdump-tools"
	};
	const char *paths[3] = {
		files && files->kdump_conf ? files->kdump_conf : standard.kdump_conf,
		files && files->sysconfig ? files->sysconfig : standard.sysconfig,
		files && files->kdump_tools ? files->kdump_tools : standard.kdump_tools,
	};
	struct kd_svc_config_source src[3];
	char *text[3] = { NULL, NULL, NULL };
	kd_err *err = NULL;
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 3 && !err; i++) {
		src[i].name = paths[i];
		src[i].text = NULL;
		src[i].len = 0;
		if (!*paths[i])
			continue;
		err = read_conf_file(paths[i], &text[i], &src[i].len);
		src[i].text = text[i];
	}
	if (!err)
		err = kd_svc_config_parse(&src[0], &src[1], &src[2], as_kdump_config, c);
	for (int i = 0; i < 3; i++)
		free(text[i]);
	return err;
}

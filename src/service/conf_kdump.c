/* /etc/kdump.conf, read with kdump-utils' rules: one `directive value` per line, blank lines
 * and lines starting with '#' skipped, a '#' in the value starts a trailing comment, one pair of
 * quotes around the whole value is removed. Each directive at most once, at most one target.
 * The values are checked in config.c; here only names, presence and repetition. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "service/conf_int.h"

enum dkind {
	D_SET,      /* a setting: stored in `field` */
	D_ALIAS,    /* `default`: the deprecated name of failure_action */
	D_IGNORE,   /* accepted, has no meaning for kdumpkit: a debug note */
	D_WARN,     /* accepted and ignored with a warning */
	D_REMOVED,  /* kdump-utils itself rejects it */
	D_REFUSED,  /* real kdump-utils directive kdumpkit does not do */
};

struct directive {
	const char *name;
	enum dkind kind;
	int field;
	const char *text; /* D_SET: an example line; others: what to write instead / why */
};

static const struct directive directives[] = {
	{ "path", D_SET, CF_PATH, "path /var/crash" },
	{ "core_collector", D_SET, CF_COLLECTOR,
	  "core_collector makedumpfile -l --message-level 7 -d 31" },
	{ "ext4", D_SET, CF_TARGET, "ext4 UUID=<uuid>" },
	{ "xfs", D_SET, CF_TARGET, "xfs UUID=<uuid>" },
	{ "btrfs", D_SET, CF_TARGET, "btrfs UUID=<uuid>" },
	{ "ext3", D_SET, CF_TARGET, "ext3 UUID=<uuid>" },
	{ "ext2", D_SET, CF_TARGET, "ext2 UUID=<uuid>" },
	{ "raw", D_SET, CF_TARGET, "raw /dev/disk/by-partlabel/kdump" },
	{ "ssh", D_SET, CF_SSH, "ssh user@host" },
	{ "nfs", D_SET, CF_NFS, "nfs host:/export" },
	{ "sshkey", D_SET, CF_SSHKEY, "sshkey /root/.ssh/kdump_id_rsa" },
	{ "failure_action", D_SET, CF_FAILURE, "failure_action reboot" },
	{ "default", D_ALIAS, CF_FAILURE, "failure_action reboot" },
	{ "final_action", D_SET, CF_FINAL, "final_action reboot" },
	{ "extra_modules", D_SET, CF_EXTRA_MODULES, "extra_modules virtio_blk ext4" },
	{ "force_rebuild", D_SET, CF_FORCE_REBUILD, "force_rebuild 1" },
	{ "force_no_rebuild", D_SET, CF_FORCE_NO_REBUILD, "force_no_rebuild 1" },
	{ "kdump_pre", D_SET, CF_PRE, "kdump_pre /usr/local/sbin/kdump-pre" },
	{ "kdump_post", D_SET, CF_POST, "kdump_post /usr/local/sbin/kdump-post" },
	{ "auto_reset_crashkernel", D_IGNORE, -1,
	  "kdumpkit does not edit the boot loader's crashkernel=" },
	{ "extra_bins", D_WARN, -1,
	  "kdumpkit's capture environment runs no shell scripts or extra programs, only "
	  "kdump_pre/kdump_post, which must be static programs; delete the line" },
	/* kdump-utils rejects these itself (kdump.conf(5) DEPRECATED OPTIONS) */
	{ "net", D_REMOVED, -1, "write `nfs host:/export` or `ssh user@host` instead" },
	{ "options", D_REMOVED, -1,
	  "module options go on the capture kernel's command line: add module.param=value to "
	  "KDUMP_COMMANDLINE_APPEND in /etc/sysconfig/kdump" },
	{ "link_delay", D_REMOVED, -1, "delete the line" },
	{ "disk_timeout", D_REMOVED, -1,
	  "kdumpkit waits for the target device itself (bounded); delete the line" },
	{ "debug_mem_level", D_REMOVED, -1, "delete the line" },
	{ "blacklist", D_REMOVED, -1,
	  "to keep a module from loading in the capture kernel add module_blacklist=NAME to "
	  "KDUMP_COMMANDLINE_APPEND in /etc/sysconfig/kdump" },
	/* real kdump-utils directives kdumpkit does not do */
	{ "dracut_args", D_REFUSED, -1,
	  "kdumpkit builds the capture initramfs itself, without dracut; for more kernel modules "
	  "write `extra_modules NAME...`, for a target write its own line (ext4 UUID=...)" },
	{ "kdump_emergency", D_REFUSED, -1,
	  "kdumpkit's capture environment runs no emergency program; choose what happens on "
	  "failure with `failure_action reboot|halt|poweroff|dump_to_rootfs`" },
	{ "fence_kdump_args", D_REFUSED, -1,
	  "kdumpkit does not send fence_kdump notifications; delete the line and make sure the "
	  "cluster gives a dumping node time before it fences it" },
	{ "fence_kdump_nodes", D_REFUSED, -1,
	  "kdumpkit does not send fence_kdump notifications; delete the line and make sure the "
	  "cluster gives a dumping node time before it fences it" },
	{ "virtiofs", D_REFUSED, -1,
	  "kdumpkit does not save to virtiofs; write `ext4|xfs|btrfs <device|UUID=|LABEL=>`, "
	  "`raw <device>`, or no target line to save under path on the file system holding it" },
	{ "minix", D_REFUSED, -1,
	  "kdumpkit does not save to minix; write `ext4|xfs|btrfs <device|UUID=|LABEL=>`, "
	  "`raw <device>`, or no target line to save under path on the file system holding it" },
};
#define DIRECTIVES "path, core_collector, ext4|xfs|btrfs|raw <device>, ssh, nfs, sshkey, " \
	"failure_action, final_action, extra_modules, force_rebuild, force_no_rebuild, " \
	"kdump_pre, kdump_post"
#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

int conf_kdump_field(const char *name)
{
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (!strcmp(directives[i].name, name))
			return directives[i].field;
	return -1;
}

static int is_destination(int field)
{
	return field == CF_TARGET || field == CF_SSH || field == CF_NFS;
}

/* The setting a new `field` line collides with: the same field, or for a target any target. */
static const struct conf_setting *already(const struct conf_file *f, int field)
{
	if (is_destination(field)) {
		for (int i = 0; i < CF_COUNT; i++)
			if (is_destination(i) && f->set[i].value)
				return &f->set[i];
		return NULL;
	}
	return f->set[field].value ? &f->set[field] : NULL;
}

kd_err *conf_kdump_parse(const struct kd_svc_config_source *src, struct conf_file *out)
{
	memset(out, 0, sizeof(*out));
	out->name = src->name;
	unsigned seen[NDIRECTIVES] = { 0 };
	struct conf_line l = { 0 };
	size_t pos = 0;
	kd_err *err = NULL;
	const char *f = src->name;

	while (conf_next_line(src, &pos, &l, &err)) {
		const char *p = l.p, *end = l.p + l.len;
		while (p < end && conf_is_space(*p))
			p++;
		if (p == end || *p == '#')
			continue;
		const char *name = p;
		while (p < end && !conf_is_space(*p))
			p++;
		size_t nlen = (size_t)(p - name);
		while (p < end && conf_is_space(*p))
			p++;
		/* the value: up to a trailing comment, trailing blanks dropped, one pair of quotes
		 * around all of it removed */
		const char *v = p, *hash = memchr(v, '#', (size_t)(end - v));
		const char *ve = hash ? hash : end;
		while (ve > v && conf_is_space(ve[-1]))
			ve--;
		if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
			v++;
			ve--;
		}

		const struct directive *d = NULL;
		size_t di = 0;
		for (; di < NDIRECTIVES; di++)
			if (strlen(directives[di].name) == nlen &&
			    !memcmp(directives[di].name, name, nlen)) {
				d = &directives[di];
				break;
			}
		if (!d) {
			err = kd_err_new(EINVAL, "%s:%u: unknown directive \"%.*s\"; kdump.conf "
					 "takes " DIRECTIVES " (see kdump.conf(5))", f, l.no,
					 (int)nlen, name);
			break;
		}
		if (d->kind == D_REMOVED) {
			err = kd_err_new(EINVAL,
					 "%s:%u: \"%s\" was removed from kdump.conf (kdump-utils "
					 "rejects it too); %s",
					 f, l.no, d->name, d->text);
			break;
		}
		if (d->kind == D_REFUSED) {
			err = kd_err_new(EINVAL, "%s:%u: \"%s\" is not supported by kdumpkit; %s",
					 f, l.no, d->name, d->text);
			break;
		}
		if (v == ve) {
			err = kd_err_new(EINVAL, "%s:%u: \"%s\" needs a value; write e.g. `%s`", f,
					 l.no, d->name,
					 d->kind == D_SET || d->kind == D_ALIAS
					     ? d->text
					     : "auto_reset_crashkernel yes");
			break;
		}
		if (!out->first_line)
			out->first_line = l.no;
		if (seen[di] && d->field < 0) {
			err = kd_err_new(EINVAL,
					 "%s:%u: \"%s\" again, %s:%u has it already; keep one "
					 "of the two lines",
					 f, l.no, d->name, f, seen[di]);
			break;
		}
		seen[di] = l.no;
		if (d->kind == D_IGNORE) {
			if (!strcmp(d->name, "auto_reset_crashkernel") &&
			    !((ve - v == 3 && !memcmp(v, "yes", 3)) ||
			      (ve - v == 2 && !memcmp(v, "no", 2)))) {
				err = kd_err_new(EINVAL,
						 "%s:%u: auto_reset_crashkernel \"%.*s\": write "
						 "yes or no",
						 f, l.no, (int)(ve - v), v);
				break;
			}
			kd_debug("%s:%u: %s ignored: %s", f, l.no, d->name, d->text);
			continue;
		}
		if (d->kind == D_WARN) {
			kd_warn("%s:%u: %s ignored: %s", f, l.no, d->name, d->text);
			continue;
		}
		const struct conf_setting *prev = already(out, d->field);
		if (prev) {
			if (is_destination(d->field))
				err =
				    kd_err_new(EINVAL,
					       "%s:%u: a second dump target (\"%s\"), %s:%u "
					       "names one already (\"%s\"); kdumpkit saves to one "
					       "target: keep one of the two lines",
					       f, l.no, d->name, f, prev->line, prev->key);
			else if (strcmp(prev->key, d->name))
				err =
				    kd_err_new(EINVAL,
					       "%s:%u: \"%s\" and %s:%u \"%s\" both set the "
					       "failure action (default is the old name of "
					       "failure_action); keep only the failure_action line",
					       f, l.no, d->name, f, prev->line, prev->key);
			else
				err = kd_err_new(EINVAL,
						 "%s:%u: \"%s\" again, %s:%u has it already; "
						 "keep one of the two lines",
						 f, l.no, d->name, f, prev->line);
			break;
		}
		if (d->kind == D_ALIAS)
			kd_warn("%s:%u: \"default\" is the deprecated name of failure_action; "
				"write failure_action instead", f, l.no);
		struct conf_setting *s = &out->set[d->field];
		s->value = conf_strndup(v, (size_t)(ve - v));
		if (!s->value) {
			err = kd_err_new(ENOMEM, "%s:%u: copying %s", f, l.no, d->name);
			break;
		}
		s->key = d->name;
		s->line = l.no;
	}
	if (err)
		conf_file_free(out);
	return err;
}

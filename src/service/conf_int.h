/* Inside the configuration reader (config.c and conf_*.c; nothing else includes this).
 *
 * Each file is parsed on its own into a `struct conf_file`: one slot per setting, holding the
 * value as written (quotes removed) and where it was written. Parsing catches what one file can
 * get wrong (syntax, unknown, removed and duplicate names); config.c then checks the files
 * against each other (two files that set the same thing differently) and turns the strings into
 * the struct kd_svc_config fields, checking each value with its file:line in hand. */
#ifndef KD_SERVICE_CONF_INT_H
#define KD_SERVICE_CONF_INT_H

#include <stddef.h>

#include "base/error.h"
#include "service/config.h"

enum conf_field {
	CF_TARGET,        /* kdump.conf ext4|xfs|btrfs|ext2|ext3|raw: key = the fs type */
	CF_PATH,          /* path / KDUMP_COREDIR */
	CF_SSH,           /* ssh / SSH */
	CF_NFS,           /* nfs / NFS */
	CF_SSHKEY,        /* sshkey / SSH_KEY */
	CF_COLLECTOR,     /* core_collector / "makedumpfile " MAKEDUMP_ARGS */
	CF_FAILURE,       /* failure_action, default / KDUMP_FAIL_CMD */
	CF_FINAL,
	CF_EXTRA_MODULES,
	CF_FORCE_REBUILD,
	CF_FORCE_NO_REBUILD,
	CF_PRE,
	CF_POST,
	CF_USE_KDUMP,
	CF_DUMP_DMESG,
	CF_NUM_DUMPS,
	CF_KERNEL,
	CF_INITRD,
	CF_KERNEL_VER,
	CF_BOOTDIR,       /* KDUMP_BOOTDIR, KDUMP_IMG, KDUMP_IMG_EXT: the kernel's file name */
	CF_IMG,
	CF_IMG_EXT,
	CF_CMDLINE,
	CF_CMDLINE_APPEND,
	CF_CMDLINE_REMOVE,
	CF_KEXEC_ARGS,
	CF_SYSCTL,
	CF_HOSTTAG,
	CF_NFS_TIMEO,
	CF_NFS_RETRANS,
	CF_NFS_MOUNT_RETRY,
	CF_SSH_RETRY,
	CF_COUNT
};

struct conf_setting {
	char *value;      /* NULL: not set (an empty assignment does not set) */
	const char *key;  /* directive or variable name as the operator wrote it (static) */
	unsigned line;
};

struct conf_file {
	const char *name;               /* for messages: the file's path */
	struct conf_setting set[CF_COUNT];
	unsigned first_line;            /* line of the first setting of any kind; 0: sets nothing */
};

void conf_file_free(struct conf_file *f);

/* kdump.conf: `directive value` lines (conf_kdump.c). */
kd_err *conf_kdump_parse(const struct kd_svc_config_source *src, struct conf_file *out);

/* VAR=value files (conf_vars.c). */
kd_err *conf_sysconfig_parse(const struct kd_svc_config_source *src, struct conf_file *out);
kd_err *conf_kdump_tools_parse(const struct kd_svc_config_source *src, struct conf_file *out);

/* The setting a kdump.conf directive / a variable of either VAR=value file sets; -1: none. */
int conf_kdump_field(const char *name);
int conf_vars_field(const char *name);

/* Lines of a text: the next line (without '\n' and a trailing '\r') from *pos; 0 at the end.
 * A NUL byte in the line is an error naming the file and line. */
struct conf_line {
	const char *p;
	size_t len;
	unsigned no;
};
int conf_next_line(const struct kd_svc_config_source *src, size_t *pos, struct conf_line *l,
		   kd_err **err);

int conf_is_space(char ch);
char *conf_strndup(const char *s, size_t n);

/* Split `s` into words at whitespace; "..." and '...' group and are removed. Characters a
 * shell would act on (| ; & < > $ ` \) are refused: *bad points at the first one, or at an
 * unclosed quote. Returns 0 and a NULL-ended vector (free with conf_words_free), -1 with *bad
 * set, -2 when out of memory. */
int conf_split_words(const char *s, char ***out, const char **bad);
void conf_words_free(char **w);
size_t conf_words_count(char *const *w);

#endif

/* The VAR=value files, /etc/sysconfig/kdump (kdump-utils) and /etc/default/kdump-tools
 * (Debian), read as data. Their owners source them with a shell; kdumpkit takes the subset of
 * shell that is only data: `VAR=value`, `VAR="value"`, `VAR='value'`, an optional `export `,
 * comments and blank lines. Whatever a shell would have to evaluate (expansions, command
 * substitution, control operators, redirections, a quote left open to the next line, a
 * backslash, unquoted whitespace in a value, anything that is not an assignment) is an error
 * naming file:line, because guessing what the shell would have made of it could save the dump
 * somewhere the operator did not mean.
 *
 * Names: each file's own variables; an unknown one is an error (a misspelt setting would
 * otherwise be silently lost), one that has no meaning for kdumpkit is accepted with a debug
 * note (e.g. KDUMP_STDLOGLVL) or a warning when the operator would expect an effect
 * (KDUMP_COMPRESSION), and one kdumpkit cannot honour is an error (FTP). An empty value
 * (`VAR=`, `VAR=""`) sets nothing, as kdump-tools' ${VAR:=default} reads it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "service/conf_int.h"

enum vkind { V_SET, V_IGNORE, V_WARN, V_REFUSED };

struct var {
	const char *name;
	enum vkind kind;
	int field;
	const char *text; /* V_IGNORE / V_WARN: why; V_REFUSED: what to write instead */
};

static const struct var sysconfig_vars[] = {
	{ "KDUMP_KERNELVER", V_SET, CF_KERNEL_VER, NULL },
	{ "KDUMP_COMMANDLINE", V_SET, CF_CMDLINE, NULL },
	{ "KDUMP_COMMANDLINE_REMOVE", V_SET, CF_CMDLINE_REMOVE, NULL },
	{ "KDUMP_COMMANDLINE_APPEND", V_SET, CF_CMDLINE_APPEND, NULL },
	{ "KEXEC_ARGS", V_SET, CF_KEXEC_ARGS, NULL },
	{ "KDUMP_BOOTDIR", V_SET, CF_BOOTDIR, NULL },
	{ "KDUMP_IMG", V_SET, CF_IMG, NULL },
	{ "KDUMP_IMG_EXT", V_SET, CF_IMG_EXT, NULL },
	{ "FADUMP_COMMANDLINE_APPEND", V_IGNORE, -1,
	  "firmware-assisted dump (powerpc fadump) is not done by kdumpkit" },
	{ "VMCORE_CREATION_NOTIFICATION", V_IGNORE, -1,
	  "kdumpkit sends no vmcore creation notification" },
	{ "KDUMP_STDLOGLVL", V_IGNORE, -1, "kdumpkit does not use kdump-utils' log levels" },
	{ "KDUMP_SYSLOGLVL", V_IGNORE, -1, "kdumpkit does not use kdump-utils' log levels" },
	{ "KDUMP_KMSGLOGLVL", V_IGNORE, -1, "kdumpkit does not use kdump-utils' log levels" },
};

static const struct var kdump_tools_vars[] = {
	{ "USE_KDUMP", V_SET, CF_USE_KDUMP, NULL },
	{ "KDUMP_SYSCTL", V_SET, CF_SYSCTL, NULL },
	{ "KDUMP_KERNEL", V_SET, CF_KERNEL, NULL },
	{ "KDUMP_INITRD", V_SET, CF_INITRD, NULL },
	{ "KDUMP_COREDIR", V_SET, CF_PATH, NULL },
	{ "MAKEDUMP_ARGS", V_SET, CF_COLLECTOR, NULL },
	{ "KDUMP_KEXEC_ARGS", V_SET, CF_KEXEC_ARGS, NULL },
	{ "KDUMP_CMDLINE", V_SET, CF_CMDLINE, NULL },
	{ "KDUMP_CMDLINE_APPEND", V_SET, CF_CMDLINE_APPEND, NULL },
	{ "KDUMP_NUM_DUMPS", V_SET, CF_NUM_DUMPS, NULL },
	{ "KDUMP_DUMP_DMESG", V_SET, CF_DUMP_DMESG, NULL },
	{ "KDUMP_FAIL_CMD", V_SET, CF_FAILURE, NULL },
	{ "HOSTTAG", V_SET, CF_HOSTTAG, NULL },
	{ "NFS", V_SET, CF_NFS, NULL },
	{ "NFS_TIMEO", V_SET, CF_NFS_TIMEO, NULL },
	{ "NFS_RETRANS", V_SET, CF_NFS_RETRANS, NULL },
	{ "NFS_MOUNT_RETRY", V_SET, CF_NFS_MOUNT_RETRY, NULL },
	{ "SSH", V_SET, CF_SSH, NULL },
	{ "SSH_KEY", V_SET, CF_SSHKEY, NULL },
	{ "SSH_KDUMP_RETRY", V_SET, CF_SSH_RETRY, NULL },
	{ "KDUMP_COMPRESSION", V_WARN, -1,
	  "kdumpkit does not pipe the dump through a compressor; makedumpfile compresses the "
	  "pages inside the dump: put -c (zlib), -l (lzo), -p (snappy) or -z (zstd) in "
	  "MAKEDUMP_ARGS" },
	{ "DEBUG_KERNEL", V_IGNORE, -1,
	  "kdumpkit's makedumpfile filters pages with the dump's own VMCOREINFO" },
	{ "FTP", V_REFUSED, -1,
	  "kdumpkit does not upload dumps over FTP; save locally with KDUMP_COREDIR=<directory> "
	  "(or to NFS / SSH)" },
	{ "FTP_USER", V_IGNORE, -1, "only used with FTP, which kdumpkit does not do" },
	{ "FTP_PASSWORD", V_IGNORE, -1, "only used with FTP, which kdumpkit does not do" },
	{ "FTP_PORT", V_IGNORE, -1, "only used with FTP, which kdumpkit does not do" },
};

#define UNCLOSED "a quote that is not closed on this line (the shell would read on into the " \
		 "next lines)"
#define CONTINUATION "a continuation line (a backslash at the end of the line)"
#define DATA_WHY "kdumpkit reads this file as data, it does not run it"
#define DATA_HINT DATA_WHY ": write the value literally"

static int name_start(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static int name_char(char ch)
{
	return name_start(ch) || (ch >= '0' && ch <= '9');
}

/* One `[export ]NAME=value [#comment]` line: the name points into the line, *value is
 * malloc'd. Returns NULL, or an error naming file:line. */
static kd_err *parse_assignment(const char *file, const struct conf_line *l, const char **name,
				size_t *nlen, char **value)
{
	const char *p = l->p, *end = l->p + l->len;
	unsigned no = l->no;
	*value = NULL;
	while (p < end && conf_is_space(*p))
		p++;
	if ((size_t)(end - p) > 7 && !memcmp(p, "export", 6) && conf_is_space(p[6])) {
		p += 6;
		while (p < end && conf_is_space(*p))
			p++;
	}
	const char *n = p;
	if (p < end && name_start(*p))
		while (p < end && name_char(*p))
			p++;
	if (p == n || p == end || *p != '=') {
		const char *q = p;
		while (q < end && conf_is_space(*q))
			q++;
		if (p > n && q < end && *q == '=')
			return kd_err_new(EINVAL,
					  "%s:%u: spaces before '=' (a shell would run \"%.*s\" "
					  "as a command); %s, as %.*s=value",
					  file, no, (int)(p - n), n, DATA_HINT, (int)(p - n), n);
		return kd_err_new(EINVAL, "%s:%u: \"%.*s\" is not a VAR=value line; " DATA_WHY
				  ": write only VAR=value lines (rewrite or delete this one)", file,
				  no, (int)(end - n > 40 ? 40 : end - n), n);
	}
	*name = n;
	*nlen = (size_t)(p - n);
	p++; /* '=' */

	char *buf = malloc((size_t)(end - p) + 1);
	size_t bl = 0;
	if (!buf)
		return kd_err_new(ENOMEM, "%s:%u: copying a value", file, no);
	const char *why = NULL;
	int spaced = 0;
	if (p < end && *p == '~')
		why = "'~' (the shell would expand it to a home directory)";
	while (!why && p < end && !conf_is_space(*p)) {
		char ch = *p;
		if (ch == '\'') {
			const char *close = memchr(p + 1, '\'', (size_t)(end - p - 1));
			if (!close) {
				why = UNCLOSED;
				break;
			}
			memcpy(buf + bl, p + 1, (size_t)(close - p - 1));
			bl += (size_t)(close - p - 1);
			p = close + 1;
		} else if (ch == '"') {
			p++;
			while (!why && p < end && *p != '"') {
				if (*p == '$')
					why = "'$' (the shell would expand it)";
				else if (*p == '`')
					why = "'`' (the shell would run a command)";
				else if (*p == '\\') {
					if (p + 1 == end)
						why = CONTINUATION;
					else if (strchr("\"\\$`", p[1])) {
						buf[bl++] = p[1];
						p += 2;
					} else {
						buf[bl++] = *p++;
					}
				} else {
					buf[bl++] = *p++;
				}
			}
			if (!why && p == end)
				why = UNCLOSED;
			p++;
		} else if (ch == '$') {
			why = "'$' (the shell would expand it)";
		} else if (ch == '`') {
			why = "'`' (the shell would run a command)";
		} else if (ch == '\\') {
			why =
			    p + 1 == end ? CONTINUATION : "a backslash (the shell would remove it)";
		} else if (ch == ';' || ch == '&' || ch == '|') {
			why = "a shell control operator (; & |)";
		} else if (ch == '<' || ch == '>') {
			why = "a redirection (< >)";
		} else if (ch == '(' || ch == ')') {
			why = "a parenthesis (the shell would start a subshell or a function)";
		} else {
			buf[bl++] = *p++;
		}
	}
	if (!why) {
		while (p < end && conf_is_space(*p))
			p++;
		spaced = p < end && *p != '#';
		if (spaced)
			why = "unquoted whitespace in the value (the shell would run the rest as a "
			      "command)";
	}
	if (why) {
		free(buf);
		return kd_err_new(EINVAL, "%s:%u: %.*s: %s; %s%s", file, no, (int)*nlen, *name, why,
				  DATA_HINT, spaced ? ", the whole value in double quotes" : "");
	}
	buf[bl] = '\0';
	*value = buf;
	return NULL;
}

static kd_err *parse_vars(const struct kd_svc_config_source *src, const struct var *vars,
			  size_t nvars, const char *manual, struct conf_file *out)
{
	memset(out, 0, sizeof(*out));
	out->name = src->name;
	unsigned seen[32] = { 0 };
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
		const char *name = NULL;
		size_t nlen = 0;
		char *value;
		err = parse_assignment(f, &l, &name, &nlen, &value);
		if (err)
			break;
		size_t vi = 0;
		for (; vi < nvars; vi++)
			if (strlen(vars[vi].name) == nlen && !memcmp(vars[vi].name, name, nlen))
				break;
		if (vi == nvars) {
			err = kd_err_new(EINVAL,
					 "%s:%u: unknown variable %.*s; it is not one %s lists "
					 "(check the spelling, or delete the line)",
					 f, l.no, (int)nlen, name, manual);
			free(value);
			break;
		}
		const struct var *v = &vars[vi];
		if (seen[vi]) {
			err = kd_err_new(EINVAL,
					 "%s:%u: %s again, %s:%u sets it already; keep one of "
					 "the two lines",
					 f, l.no, v->name, f, seen[vi]);
			free(value);
			break;
		}
		seen[vi] = l.no;
		if (!*value) {
			free(value);
			continue;
		}
		if (!out->first_line)
			out->first_line = l.no;
		if (v->kind == V_REFUSED) {
			err = kd_err_new(EINVAL, "%s:%u: %s is not supported; %s", f, l.no, v->name,
					 v->text);
			free(value);
			break;
		}
		if (v->kind == V_IGNORE || v->kind == V_WARN) {
			kd_log(v->kind == V_WARN ? KD_LOG_WARN : KD_LOG_DEBUG,
			       "%s:%u: %s ignored: %s", f, l.no, v->name, v->text);
			free(value);
			continue;
		}
		if (v->field == CF_COLLECTOR) {
			/* kdump-tools runs `makedumpfile $MAKEDUMP_ARGS` */
			size_t vl = strlen(value);
			char *cmd = malloc(vl + sizeof("makedumpfile "));
			if (cmd) {
				memcpy(cmd, "makedumpfile ", sizeof("makedumpfile ") - 1);
				memcpy(cmd + sizeof("makedumpfile ") - 1, value, vl + 1);
			}
			free(value);
			value = cmd;
			if (!value) {
				err = kd_err_new(ENOMEM, "%s:%u: copying %s", f, l.no, v->name);
				break;
			}
		}
		struct conf_setting *s = &out->set[v->field];
		s->value = value;
		s->key = v->name;
		s->line = l.no;
	}
	if (err)
		conf_file_free(out);
	return err;
}

int conf_vars_field(const char *name)
{
	for (size_t i = 0; i < sizeof(sysconfig_vars) / sizeof(sysconfig_vars[0]); i++)
		if (!strcmp(sysconfig_vars[i].name, name))
			return sysconfig_vars[i].field;
	for (size_t i = 0; i < sizeof(kdump_tools_vars) / sizeof(kdump_tools_vars[0]); i++)
		if (!strcmp(kdump_tools_vars[i].name, name))
			return kdump_tools_vars[i].field;
	return -1;
}

kd_err *conf_sysconfig_parse(const struct kd_svc_config_source *src, struct conf_file *out)
{
	_Static_assert(sizeof(sysconfig_vars) / sizeof(sysconfig_vars[0]) <= 32, "seen[] size");
	return parse_vars(src, sysconfig_vars, sizeof(sysconfig_vars) / sizeof(sysconfig_vars[0]),
			  "/etc/sysconfig/kdump (kdump-utils)", out);
}

kd_err *conf_kdump_tools_parse(const struct kd_svc_config_source *src, struct conf_file *out)
{
	_Static_assert(sizeof(kdump_tools_vars) / sizeof(kdump_tools_vars[0]) <= 32, "seen[] size");
	return parse_vars(src, kdump_tools_vars,
			  sizeof(kdump_tools_vars) / sizeof(kdump_tools_vars[0]), "kdump-tools(5)",
			  out);
}

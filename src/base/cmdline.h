/* A kernel command line, split the way the kernel splits it (kernel/params.c next_arg):
 * parameters are separated by whitespace; double quotes group, either around the whole
 * parameter ("a b=c") or around its value (a="b c"), and are not part of the value; a bare "--"
 * ends the kernel's parameters and starts init's.
 * Edits (remove, append, set) apply to the kernel part; init's arguments are kept as written.
 * Parameter names compare as the kernel compares them: '-' and '_' are the same. */
#ifndef KD_BASE_CMDLINE_H
#define KD_BASE_CMDLINE_H

#include <stddef.h>

#include "base/error.h"

struct kd_cmdline_param {
	char *raw;   /* as written, quotes included */
	char *key;   /* name, quotes removed */
	char *value; /* value with quotes removed; NULL when there is no '=' */
	size_t offset; /* where raw starts in the parsed text (SIZE_MAX if appended) */
};

struct kd_cmdline {
	struct kd_cmdline_param *params;
	size_t count, cap;
	char *init_args; /* text after "--" (NULL when there is no "--") */
};

kd_err *kd_cmdline_parse(const char *text, struct kd_cmdline *cl);
void kd_cmdline_free(struct kd_cmdline *cl);

int kd_cmdline_key_eq(const char *a, const char *b);
/* Last value of `key` (the one the kernel acts on for most parameters); NULL when absent or
 * given without '='. *found (optional) tells absent from value-less. */
const char *kd_cmdline_get(const struct kd_cmdline *cl, const char *key, int *found);
/* Remove every occurrence of `key`; returns how many were removed. */
size_t kd_cmdline_remove(struct kd_cmdline *cl, const char *key);
/* Append key or key=value (value==NULL: bare flag), quoting a value that needs it. */
kd_err *kd_cmdline_append(struct kd_cmdline *cl, const char *key, const char *value);
/* Replace all occurrences by one key=value at the end. */
kd_err *kd_cmdline_set(struct kd_cmdline *cl, const char *key, const char *value);
/* Joined with single spaces, init arguments after " -- ". Caller frees. NULL on ENOMEM. */
char *kd_cmdline_str(const struct kd_cmdline *cl);

#endif

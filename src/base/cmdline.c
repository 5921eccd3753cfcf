#include "base/cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *dup_range(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Drop double quotes the way next_arg() does: a leading quote of the whole parameter, the
 * quote opening the value, and the matching trailing quote. Inner quotes elsewhere stay. */
static kd_err *split_param(const char *raw, size_t len, struct kd_cmdline_param *p)
{
	const char *s = raw;
	size_t n = len;
	int quoted = 0;
	if (n && s[0] == '"') {
		s++;
		n--;
		quoted = 1;
	}
	const char *eq = memchr(s, '=', n);
	p->raw = dup_range(raw, len);
	if (!p->raw)
		return kd_err_new(ENOMEM, "copying parameter");
	if (!eq) {
		if (quoted && n && s[n - 1] == '"')
			n--;
		p->key = dup_range(s, n);
		p->value = NULL;
	} else {
		p->key = dup_range(s, (size_t)(eq - s));
		const char *v = eq + 1;
		size_t vn = n - (size_t)(v - s);
		int vq = vn && v[0] == '"';
		if (vq) {
			v++;
			vn--;
		}
		if ((vq || quoted) && vn && v[vn - 1] == '"')
			vn--;
		p->value = dup_range(v, vn);
		if (!p->value) {
			free(p->key);
			p->key = NULL;
		}
	}
	if (!p->key) {
		free(p->raw);
		return kd_err_new(ENOMEM, "copying parameter");
	}
	return NULL;
}

static kd_err *push(struct kd_cmdline *cl, struct kd_cmdline_param *p)
{
	if (cl->count == cl->cap) {
		size_t cap = cl->cap ? cl->cap * 2 : 16;
		void *np = realloc(cl->params, cap * sizeof(*cl->params));
		if (!np)
			return kd_err_new(ENOMEM, "growing command line");
		cl->params = np;
		cl->cap = cap;
	}
	cl->params[cl->count++] = *p;
	return NULL;
}

static void free_param(struct kd_cmdline_param *p)
{
	free(p->raw);
	free(p->key);
	free(p->value);
}

kd_err *kd_cmdline_parse(const char *text, struct kd_cmdline *cl)
{
	memset(cl, 0, sizeof(*cl));
	const char *s = text;
	while (isspace((unsigned char)*s))
		s++;
	while (*s) {
		size_t i = 0;
		int in_quote = 0;
		for (; s[i]; i++) {
			if (isspace((unsigned char)s[i]) && !in_quote)
				break;
			if (s[i] == '"')
				in_quote = !in_quote;
		}
		if (i == 2 && s[0] == '-' && s[1] == '-') {
			const char *rest = s + 2;
			while (isspace((unsigned char)*rest))
				rest++;
			size_t rn = strlen(rest);
			while (rn && isspace((unsigned char)rest[rn - 1]))
				rn--;
			cl->init_args = dup_range(rest, rn);
			if (!cl->init_args) {
				kd_cmdline_free(cl);
				return kd_err_new(ENOMEM, "copying init arguments");
			}
			return NULL;
		}
		struct kd_cmdline_param p;
		kd_err *e = split_param(s, i, &p);
		p.offset = (size_t)(s - text);
		if (!e) {
			e = push(cl, &p);
			if (e)
				free_param(&p);
		}
		if (e) {
			kd_cmdline_free(cl);
			return kd_err_wrap(e, "splitting command line");
		}
		s += i;
		while (isspace((unsigned char)*s))
			s++;
	}
	return NULL;
}

void kd_cmdline_free(struct kd_cmdline *cl)
{
	for (size_t i = 0; i < cl->count; i++)
		free_param(&cl->params[i]);
	free(cl->params);
	free(cl->init_args);
	memset(cl, 0, sizeof(*cl));
}

int kd_cmdline_key_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char ca = *a == '-' ? '_' : *a;
		char cb = *b == '-' ? '_' : *b;
		if (ca != cb)
			return 0;
		if (!ca)
			return 1;
	}
}

const char *kd_cmdline_get(const struct kd_cmdline *cl, const char *key, int *found)
{
	for (size_t i = cl->count; i-- > 0;) {
		if (kd_cmdline_key_eq(cl->params[i].key, key)) {
			if (found)
				*found = 1;
			return cl->params[i].value;
		}
	}
	if (found)
		*found = 0;
	return NULL;
}

size_t kd_cmdline_remove(struct kd_cmdline *cl, const char *key)
{
	size_t out = 0, removed = 0;
	for (size_t i = 0; i < cl->count; i++) {
		if (kd_cmdline_key_eq(cl->params[i].key, key)) {
			free_param(&cl->params[i]);
			removed++;
		} else {
			cl->params[out++] = cl->params[i];
		}
	}
	cl->count = out;
	return removed;
}

static int needs_quotes(const char *v)
{
	for (; *v; v++)
		if (isspace((unsigned char)*v))
			return 1;
	return 0;
}

kd_err *kd_cmdline_append(struct kd_cmdline *cl, const char *key, const char *value)
{
	if (!*key || strchr(key, '"') || needs_quotes(key) || strchr(key, '='))
		return kd_err_new(EINVAL, "invalid parameter name \"%s\"", key);
	if (value && strchr(value, '"'))
		return kd_err_new(EINVAL, "parameter %s: a value cannot contain '\"'", key);
	if (!value && !strcmp(key, "--"))
		return kd_err_new(EINVAL, "\"--\" is not a parameter");
	struct kd_cmdline_param p = { .offset = SIZE_MAX };
	size_t kl = strlen(key), vl = value ? strlen(value) : 0;
	p.raw = malloc(kl + vl + 4);
	p.key = strdup(key);
	p.value = value ? strdup(value) : NULL;
	if (!p.raw || !p.key || (value && !p.value)) {
		free_param(&p);
		return kd_err_new(ENOMEM, "appending %s", key);
	}
	if (!value)
		memcpy(p.raw, key, kl + 1);
	else if (needs_quotes(value))
		sprintf(p.raw, "%s=\"%s\"", key, value);
	else
		sprintf(p.raw, "%s=%s", key, value);
	kd_err *e = push(cl, &p);
	if (e)
		free_param(&p);
	return e;
}

kd_err *kd_cmdline_set(struct kd_cmdline *cl, const char *key, const char *value)
{
	kd_cmdline_remove(cl, key);
	return kd_cmdline_append(cl, key, value);
}

char *kd_cmdline_str(const struct kd_cmdline *cl)
{
	size_t len = 1;
	for (size_t i = 0; i < cl->count; i++)
		len += strlen(cl->params[i].raw) + 1;
	if (cl->init_args)
		len += strlen(cl->init_args) + 4;
	char *s = malloc(len);
	if (!s)
		return NULL;
	char *at = s;
	*at = '\0';
	for (size_t i = 0; i < cl->count; i++) {
		if (at != s)
			*at++ = ' ';
		size_t n = strlen(cl->params[i].raw);
		memcpy(at, cl->params[i].raw, n);
		at += n;
	}
	if (cl->init_args) {
		if (at != s)
			*at++ = ' ';
		memcpy(at, "--", 2);
		at += 2;
		if (*cl->init_args) {
			*at++ = ' ';
			size_t n = strlen(cl->init_args);
			memcpy(at, cl->init_args, n);
			at += n;
		}
	}
	*at = '\0';
	return s;
}

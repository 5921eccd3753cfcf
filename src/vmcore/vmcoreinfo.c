#include "vmcore/vmcoreinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kd_vi_entry {
	const char *key, *value; /* into text */
};

struct kd_vmcoreinfo {
	char *text;   /* copy; keys and values are cut out of it */
	char *orig;   /* unmodified copy for kd_vmcoreinfo_text */
	size_t len;
	struct kd_vi_entry *e;
	size_t n, bad;
};

kd_err *kd_vmcoreinfo_parse(const char *text, size_t len, struct kd_vmcoreinfo **out)
{
	struct kd_vmcoreinfo *vi = calloc(1, sizeof(*vi));
	if (!vi)
		return kd_err_new(ENOMEM, "parsing VMCOREINFO");
	/* the note may be NUL-padded */
	while (len && text[len - 1] == '\0')
		len--;
	vi->len = len;
	vi->text = malloc(len + 1);
	vi->orig = malloc(len + 1);
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	vi->e = calloc(lines, sizeof(*vi->e));
	if (!vi->text || !vi->orig || !vi->e) {
		kd_vmcoreinfo_free(vi);
		return kd_err_new(ENOMEM, "parsing VMCOREINFO");
	}
	memcpy(vi->text, text, len);
	vi->text[len] = '\0';
	memcpy(vi->orig, text, len);
	vi->orig[len] = '\0';
	char *s = vi->text, *end = vi->text + len;
	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		*nl = '\0';
		char *eq = strchr(s, '=');
		if (s == nl) {
			/* empty line */
		} else if (!eq || eq == s || strlen(s) != (size_t)(nl - s)) {
			vi->bad++; /* no '=', empty key, or an embedded NUL */
		} else {
			*eq = '\0';
			vi->e[vi->n].key = s;
			vi->e[vi->n].value = eq + 1;
			vi->n++;
		}
		s = nl + 1;
	}
	*out = vi;
	return NULL;
}

void kd_vmcoreinfo_free(struct kd_vmcoreinfo *vi)
{
	if (!vi)
		return;
	free(vi->text);
	free(vi->orig);
	free(vi->e);
	free(vi);
}

const char *kd_vmcoreinfo_get(const struct kd_vmcoreinfo *vi, const char *key)
{
	for (size_t i = vi->n; i-- > 0;)
		if (!strcmp(vi->e[i].key, key))
			return vi->e[i].value;
	return NULL;
}

const char *kd_vmcoreinfo_text(const struct kd_vmcoreinfo *vi, size_t *len)
{
	if (len)
		*len = vi->len;
	return vi->orig;
}

size_t kd_vmcoreinfo_bad_lines(const struct kd_vmcoreinfo *vi) { return vi->bad; }

static kd_err *parse_u64(const char *key, const char *v, int base, uint64_t *out)
{
	if (!v)
		return kd_err_new(ENOENT, "VMCOREINFO has no %s", key);
	uint64_t x = 0;
	const char *p = v;
	if (base == 16 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (!*p)
		return kd_err_new(EINVAL, "VMCOREINFO %s is empty", key);
	for (; *p; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return kd_err_new(EINVAL, "VMCOREINFO %s=%.32s is not a number", key, v);
		if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return kd_err_new(EINVAL, "VMCOREINFO %s=%.32s is out of range", key, v);
		x = x * (uint64_t)base + (uint64_t)d;
	}
	*out = x;
	return NULL;
}

static kd_err *typed(const struct kd_vmcoreinfo *vi, const char *kind, const char *name, int base,
		     uint64_t *out)
{
	char key[256];
	int n = snprintf(key, sizeof(key), "%s(%s)", kind, name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return kd_err_new(EINVAL, "VMCOREINFO key %s(%.64s...) too long", kind, name);
	return parse_u64(key, kd_vmcoreinfo_get(vi, key), base, out);
}

kd_err *kd_vmcoreinfo_symbol(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out)
{
	return typed(vi, "SYMBOL", name, 16, out);
}

kd_err *kd_vmcoreinfo_offset(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out)
{
	return typed(vi, "OFFSET", name, 10, out);
}

kd_err *kd_vmcoreinfo_size(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out)
{
	return typed(vi, "SIZE", name, 10, out);
}

kd_err *kd_vmcoreinfo_length(const struct kd_vmcoreinfo *vi, const char *name, uint64_t *out)
{
	return typed(vi, "LENGTH", name, 10, out);
}

kd_err *kd_vmcoreinfo_number(const struct kd_vmcoreinfo *vi, const char *name, int64_t *out)
{
	char key[256];
	int n = snprintf(key, sizeof(key), "NUMBER(%s)", name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return kd_err_new(EINVAL, "VMCOREINFO key NUMBER(%.64s...) too long", name);
	const char *v = kd_vmcoreinfo_get(vi, key);
	int neg = v && v[0] == '-';
	uint64_t u;
	kd_err *e = parse_u64(key, neg ? v + 1 : v, 10, &u);
	if (e)
		return e;
	if (u > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return kd_err_new(EINVAL, "VMCOREINFO %s=%.32s is out of range", key, v);
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return NULL;
}

kd_err *kd_vmcoreinfo_hex(const struct kd_vmcoreinfo *vi, const char *key, uint64_t *out)
{
	return parse_u64(key, kd_vmcoreinfo_get(vi, key), 16, out);
}

kd_err *kd_vmcoreinfo_dec(const struct kd_vmcoreinfo *vi, const char *key, uint64_t *out)
{
	return parse_u64(key, kd_vmcoreinfo_get(vi, key), 10, out);
}

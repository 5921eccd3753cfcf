#include "fake_vmcoreinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fake_vmcoreinfo_init(struct fake_vmcoreinfo *v)
{
	v->text = calloc(1, 1);
	v->len = 0;
	v->vi = NULL;
}

void fake_vmcoreinfo_free(struct fake_vmcoreinfo *v)
{
	free(v->text);
	kd_vmcoreinfo_free(v->vi);
	memset(v, 0, sizeof(*v));
}

void fake_vmcoreinfo_add(struct fake_vmcoreinfo *v, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	v->text = realloc(v->text, v->len + (size_t)n + 2);
	vsnprintf(v->text + v->len, (size_t)n + 1, fmt, again);
	va_end(again);
	v->len += (size_t)n;
	v->text[v->len++] = '\n';
	v->text[v->len] = '\0';
}

struct kd_vmcoreinfo *fake_vmcoreinfo_parse(struct fake_vmcoreinfo *v, const char *omit)
{
	char *text = malloc(v->len + 1);
	size_t n = 0;
	for (const char *l = v->text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		if (!omit || strncmp(l, omit, strlen(omit))) {
			memcpy(text + n, l, len);
			n += len;
		}
		l += len;
	}
	kd_vmcoreinfo_free(v->vi);
	v->vi = NULL;
	kd_err_free(kd_vmcoreinfo_parse(text, n, &v->vi));
	free(text);
	return v->vi;
}

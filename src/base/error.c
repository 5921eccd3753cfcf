#include "base/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct kd_err {
	int errnum;
	int is_static;
	kd_err *cause;
	const char *msg; /* points just past the struct, or to a literal for oom_error */
};

/* Returned when an error cannot be allocated; never freed. */
static kd_err oom_error = { .errnum = ENOMEM, .is_static = 1, .msg = "" };

__attribute__((format(printf, 3, 0)))
static kd_err *vmake(int errnum, kd_err *cause, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int len = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (len < 0)
		len = 0;
	kd_err *e = malloc(sizeof(*e) + (size_t)len + 1);
	if (!e)
		return NULL;
	e->errnum = errnum;
	e->is_static = 0;
	e->cause = cause;
	char *text = (char *)(e + 1);
	vsnprintf(text, (size_t)len + 1, fmt, ap);
	e->msg = text;
	return e;
}

kd_err *kd_err_new(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kd_err *e = vmake(errnum, NULL, fmt, ap);
	va_end(ap);
	return e ? e : &oom_error;
}

kd_err *kd_err_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	kd_err *e = vmake(saved, NULL, fmt, ap);
	va_end(ap);
	return e ? e : &oom_error;
}

kd_err *kd_err_wrap(kd_err *cause, const char *fmt, ...)
{
	if (!cause)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	kd_err *e = vmake(cause->errnum, cause, fmt, ap);
	va_end(ap);
	return e ? e : cause;
}

int kd_err_errnum(const kd_err *e) { return e ? e->errnum : 0; }
const char *kd_err_msg(const kd_err *e) { return e ? e->msg : ""; }
const kd_err *kd_err_cause(const kd_err *e) { return e ? e->cause : NULL; }

/* Appends to buf without overflowing; returns how much it wanted to write. */
static size_t put(char *buf, size_t n, size_t at, const char *s)
{
	size_t len = strlen(s);
	if (at < n) {
		size_t room = n - at - 1;
		size_t c = len < room ? len : room;
		memcpy(buf + at, s, c);
		buf[at + c] = '\0';
	}
	return len;
}

size_t kd_err_format(const kd_err *e, char *buf, size_t n)
{
	size_t at = 0;
	if (n > 0)
		buf[0] = '\0';
	const char *sep = "";
	int errnum = 0;
	for (const kd_err *l = e; l; l = l->cause) {
		if (l->msg[0]) {
			at += put(buf, n, at, sep);
			at += put(buf, n, at, l->msg);
			sep = ": ";
		}
		errnum = l->errnum;
	}
	if (errnum) {
		at += put(buf, n, at, sep);
		at += put(buf, n, at, strerror(errnum));
	}
	return at;
}

void kd_err_print(FILE *f, const char *prog, const kd_err *e)
{
	char small[512];
	size_t need = kd_err_format(e, small, sizeof(small));
	if (need < sizeof(small)) {
		fprintf(f, "%s: %s\n", prog, small);
		return;
	}
	char *big = malloc(need + 1);
	if (big) {
		kd_err_format(e, big, need + 1);
		fprintf(f, "%s: %s\n", prog, big);
		free(big);
	} else {
		fprintf(f, "%s: %s\n", prog, small);
	}
}

void kd_err_free(kd_err *e)
{
	while (e) {
		kd_err *next = e->cause;
		if (!e->is_static)
			free(e);
		e = next;
	}
}

int kd_err_ignore(kd_err *e)
{
	int had = e != NULL;
	kd_err_free(e);
	return had;
}

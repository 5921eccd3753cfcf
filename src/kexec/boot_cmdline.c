#include "kexec/boot_cmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cmdline.h"

/* /proc/cmdline holds at most COMMAND_LINE_SIZE (2048 on x86, more elsewhere) */
#define CMDLINE_READ_MAX (64u << 10)

kd_err *kd_boot_cmdline_read(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_wrap(kd_err_errno("opening"), "%s", path);
	char *buf = malloc(CMDLINE_READ_MAX + 1);
	if (!buf) {
		close(fd);
		return kd_err_new(ENOMEM, "reading %s", path);
	}
	size_t n = 0;
	while (n < CMDLINE_READ_MAX) {
		ssize_t r = read(fd, buf + n, CMDLINE_READ_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kd_err *e = kd_err_wrap(kd_err_errno("reading"), "%s", path);
			close(fd);
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	char *nl = strpbrk(buf, "\r\n");
	if (nl)
		*nl = '\0';
	*out = buf;
	return NULL;
}

static int blank(const char *s)
{
	return !s || !s[strspn(s, " \t\n")];
}

/* a, then b after a space (either may be empty) */
static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + 1 + lb + 1);
	if (!s)
		return NULL;
	memcpy(s, a, la);
	size_t at = la;
	if (la && lb)
		s[at++] = ' ';
	memcpy(s + at, b, lb + 1);
	return s;
}

kd_err *kd_boot_cmdline_build(const char *running, int panic, const char *append, char **out)
{
	*out = NULL;
	if (blank(running) && blank(append))
		return NULL;
	if (blank(running)) {
		*out = strdup(append);
		return *out ? NULL : kd_err_new(ENOMEM, "building the command line");
	}
	struct kd_cmdline cl;
	kd_err *e = kd_cmdline_parse(running, &cl);
	if (e)
		return kd_err_wrap(e, "the running kernel's command line");
	kd_cmdline_remove(&cl, "BOOT_IMAGE");
	if (panic)
		kd_cmdline_remove(&cl, "crashkernel");
	/* Appended parameters are the kernel's: they go before a reused "-- init args". */
	char *init = cl.init_args;
	cl.init_args = NULL;
	char *kern = kd_cmdline_str(&cl);
	cl.init_args = init;
	char *withapp = kern ? join(kern, blank(append) ? "" : append) : NULL;
	char *s = NULL;
	if (withapp && init) {
		char *dashes = join(withapp, "--");
		s = dashes ? join(dashes, init) : NULL;
		free(dashes);
	} else if (withapp) {
		s = withapp;
		withapp = NULL;
	}
	free(withapp);
	free(kern);
	kd_cmdline_free(&cl);
	if (!s)
		return kd_err_new(ENOMEM, "building the command line");
	if (!*s) {
		free(s);
		s = NULL;
	}
	*out = s;
	return NULL;
}

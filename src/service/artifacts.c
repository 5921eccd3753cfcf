/* The files beside a dump: its log, its triage report, the capture kernel's own log. */
#include "service/artifacts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include "printk/printk.h"
#include "report/report.h"

/* syslog(2)'s actions (glibc has no names for them) */
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

/* The capture kernel's log buffer is small (log_buf_len); a bigger answer is not believed. */
#define KLOG_MAX (64u << 20)

typedef kd_err *(*render_fn)(void *arg, FILE *f);

/* Render into <dir>/<name>-incomplete through a FILE; committed (fsync, rename, fsync dir)
 * when render succeeds and every byte was written, left under the incomplete name otherwise. */
static kd_err *render_file(const struct kd_dumpdir *d, const char *name, render_fn fn, void *arg)
{
	char path[4200];
	int fd;
	kd_err *e = kd_dumpdir_path(d, name, 1, path, sizeof(path));
	if (!e)
		e = kd_dumpdir_open_incomplete(d, name, &fd);
	if (e)
		return e;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		e = kd_err_errno("writing %s", path);
		close(fd);
		return e;
	}
	e = fn(arg, f);
	int werr = fflush(f) ? errno : ferror(f) ? EIO : 0;
	if (fclose(f) && !werr)
		werr = errno;
	if (werr && !e)
		e = kd_err_new(werr, "writing %s", path);
	if (e)
		return kd_err_wrap(e, "%s (kept as %s)", name, path);
	return kd_dumpdir_commit(d, name);
}

static kd_err *render_dmesg(void *arg, FILE *f)
{
	struct kd_dump *dump = arg;
	struct kd_mem mem = kd_dump_mem(dump);
	return kd_printk_write(&mem, f, NULL);
}

kd_err *kd_artifacts_dmesg(const struct kd_dumpdir *d, const char *vmcore)
{
	struct kd_dump *dump;
	kd_err *e = kd_dump_open(vmcore, &dump);
	if (e)
		return kd_err_wrap(e, "the dead kernel's log");
	/* a damaged log is written as far as it goes, then stays "-incomplete" */
	e = render_file(d, d->dmesg, render_dmesg, dump);
	kd_dump_close(dump);
	return e ? kd_err_wrap(e, "the log of %s", vmcore) : NULL;
}

static kd_err *render_text(void *arg, FILE *f)
{
	return kd_report_print_text(arg, f);
}

static kd_err *render_json(void *arg, FILE *f)
{
	return kd_report_print_json(arg, f);
}

kd_err *kd_artifacts_report(const struct kd_dumpdir *d, const char *vmcore)
{
	struct kd_dump *dump;
	kd_err *e = kd_dump_open(vmcore, &dump);
	if (e)
		return kd_err_wrap(e, "the report");
	struct kd_report *r = NULL;
	kd_err *built = kd_report_build(dump, &r);
	/* A report that could be built in part lists what it could not show: it is complete as
	 * a report and is committed; the error still goes back to be logged. */
	if (r) {
		r->path = vmcore;
		e = render_file(d, "report.txt", render_text, r);
		if (!e)
			e = render_file(d, "report.json", render_json, r);
	}
	kd_report_free(r);
	kd_dump_close(dump);
	/* a file that could not be written says more than the report's own problems */
	if (e)
		kd_err_free(built);
	else
		e = built;
	return e ? kd_err_wrap(e, "the report of %s", vmcore) : NULL;
}

struct klog {
	const char *buf;
	size_t len;
};

/* The kernel's raw log ("<6>[    1.234567] text" lines) as dmesg shows it: the level
 * prefix of each line dropped. */
static kd_err *render_klog(void *arg, FILE *f)
{
	const struct klog *k = arg;
	const char *p = k->buf, *end = k->buf + k->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;
		const char *s = p;
		if (*s == '<') {
			const char *q = s + 1;
			while (q < le && *q >= '0' && *q <= '9')
				q++;
			if (q > s + 1 && q < le && *q == '>')
				s = q + 1;
		}
		fwrite(s, 1, (size_t)(le - s), f);
		p = le;
	}
	if (k->len && k->buf[k->len - 1] != '\n')
		fputc('\n', f);
	return NULL;
}

kd_err *kd_artifacts_write_klog(const struct kd_dumpdir *d, const char *raw, size_t len)
{
	struct klog k = { raw, len };
	return kd_err_wrap(render_file(d, "kexec-dmesg.log", render_klog, &k),
			   "the capture kernel's log");
}

kd_err *kd_artifacts_kexec_dmesg(const struct kd_dumpdir *d)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size < 0)
		return kd_err_errno("the capture kernel's log: klogctl(SIZE_BUFFER)");
	if ((unsigned)size > KLOG_MAX)
		size = (int)KLOG_MAX;
	char *buf = malloc((size_t)size + 1);
	if (!buf)
		return kd_err_new(ENOMEM, "the capture kernel's log (%d bytes)", size);
	int n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	kd_err *e = n < 0 ? kd_err_errno("the capture kernel's log: klogctl(READ_ALL)") :
			    kd_artifacts_write_klog(d, buf, (size_t)n);
	free(buf);
	return e;
}

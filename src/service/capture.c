/* Saving one dump into a directory: the steps every directory target shares (capture.h). */
#include "service/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/progress.h"
#include "dumpfile/mdf_cmd.h"
#include "service/artifacts.h"

void kd_capture_init(struct kd_capture *cap, struct kd_svc_config *cfg)
{
	*cap = (struct kd_capture){
		.cfg = cfg,
		.vmcore = "/proc/vmcore",
		.when = time(NULL),
		.wait_ms = 60000,
		.mnt = "/kdump/target",
		.msg = stderr,
		.kmsg_fd = -1,
	};
}

/* cp/cat: every byte of the vmcore, an ELF file any reader takes. */
static kd_err *copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return kd_err_errno("opening %s", from);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		kd_err *e = kd_err_errno("creating %s", to);
		close(in);
		return e;
	}
	struct stat st;
	uint64_t total = fstat(in, &st) == 0 ? (uint64_t)st.st_size : 0;
	struct kd_progress pr;
	kd_progress_begin(&pr, "Copying vmcore", total, 0);
	size_t cap = 1u << 20;
	char *buf = malloc(cap);
	kd_err *e = buf ? NULL : kd_err_new(ENOMEM, "copying %s", from);
	uint64_t done = 0;
	while (!e) {
		ssize_t n = read(in, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = kd_err_errno("reading %s at offset %llu", from, (unsigned long long)done);
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				e = w < 0 ? kd_err_errno("writing %s at offset %llu", to,
							  (unsigned long long)(done + (uint64_t)off))
					  : kd_err_new(EIO, "writing %s: short write", to);
				break;
			}
			off += w;
		}
		done += (uint64_t)n;
		kd_progress_update(&pr, done);
	}
	kd_progress_end(&pr);
	free(buf);
	if (close(out) < 0 && !e)
		e = kd_err_errno("closing %s", to);
	close(in);
	return e;
}

kd_err *kd_capture_run_collector(struct kd_capture *cap, const char *output, int flat_fd,
				 const char *flat_name)
{
	char *const *cv = cap->cfg->collector_argv;
	kd_err *e = kd_mdf_check_collector(cv);
	if (e)
		return e;
	if (kd_mdf_collector_is_copy(cv)) {
		if (flat_fd >= 0)
			return kd_err_new(EINVAL, "core_collector %s cannot write the flattened "
					  "stream a raw target needs: use makedumpfile", cv[0]);
		return copy_file(cap->vmcore, output);
	}
	struct kd_mdf_cmd cmd;
	if ((e = kd_mdf_collector_cmd(cv, cap->vmcore, flat_fd >= 0 ? NULL : output, &cmd)))
		return e;
	kd_info("running %s on %s into %s%s", cap->cfg->core_collector ? cap->cfg->core_collector
		: cv[0], cap->vmcore, flat_fd >= 0 ? flat_name : output,
		flat_fd >= 0 ? " (flattened)" : "");
	return kd_mdf_run(&cmd, flat_fd, flat_name, cap->msg);
}

/* A step whose failure costs a file beside the dump, not the dump. */
#define SAVED " (the dump itself is saved)"
static void warn_step(kd_err *e, const char *what, const char *dir, const char *note)
{
	if (!e)
		return;
	char buf[1024];
	kd_err_format(e, buf, sizeof(buf));
	kd_warn("%s in %s failed%s: %s", what, dir, note, buf);
	kd_err_free(e);
}

/* The failure into the kernel log as well, one record, so kexec-dmesg.log holds it. */
static void to_kmsg(const struct kd_capture *cap, const kd_err *e)
{
	if (cap->kmsg_fd < 0)
		return;
	char buf[900];
	int n = snprintf(buf, sizeof(buf), "<3>kdumpkit: the dump was not saved: ");
	kd_err_format(e, buf + n, sizeof(buf) - (size_t)n - 1);
	size_t len = strlen(buf);
	buf[len++] = '\n';
	ssize_t rc = write(cap->kmsg_fd, buf, len);
	(void)rc; /* best effort: the console has it anyway */
}

kd_err *kd_capture_save_dir(struct kd_capture *cap, const char *basedir)
{
	const struct kd_svc_config *c = cap->cfg;
	struct kd_dumpdir *d = &cap->dir;
	memset(d, 0, sizeof(*d));
	kd_err *e = kd_dumpdir_create(basedir, c->personality, cap->when, d);
	if (e) {
		memset(d, 0, sizeof(*d));
		return kd_err_wrap(e, "creating the dump directory under %s", basedir);
	}
	kd_info("saving the dump into %s", d->dir);

	/* The log first: small, and what an engineer reads when the dump itself does not fit. */
	if (c->dump_dmesg)
		warn_step(kd_artifacts_dmesg(d, cap->vmcore), d->dmesg, d->dir,
			  " (the dump goes on)");

	char part[4096 + 96];
	if ((size_t)snprintf(part, sizeof(part), "%s/%s-incomplete", d->dir, d->vmcore) >=
	    sizeof(part))
		return kd_err_new(ENAMETOOLONG, "dump directory %s: name too long", d->dir);
	e = kd_capture_run_collector(cap, part, -1, NULL);
	if (!e)
		e = kd_dumpdir_commit(d, d->vmcore);
	if (e) {
		/* the capture kernel's own log says why; the partial dump keeps its name */
		e = kd_err_wrap(e, "saving %s into %s (what was written stays as %s-incomplete)",
				cap->vmcore, d->dir, d->vmcore);
		to_kmsg(cap, e);
		warn_step(kd_artifacts_kexec_dmesg(d), "kexec-dmesg.log", d->dir, "");
		return e;
	}

	char done[4096 + 96];
	snprintf(done, sizeof(done), "%s/%s", d->dir, d->vmcore);
	kd_info("saved %s", done);
	/* the report reads the saved dump: it names that file, and proves it readable */
	warn_step(kd_artifacts_report(d, done), "report.txt/report.json", d->dir, SAVED);
	warn_step(kd_artifacts_kexec_dmesg(d), "kexec-dmesg.log", d->dir, SAVED);
	if (c->num_dumps)
		warn_step(kd_dumpdir_rotate(basedir, c->personality, c->num_dumps, d),
			  "rotating old dumps", basedir, SAVED);
	return NULL;
}

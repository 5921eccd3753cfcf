/* The service's status (status.h). */
#include "service/status.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/size.h"
#include "kexec/status.h"
#include "service/dumpdir.h"
#include "service/initramfs.h"

static void err_to(kd_err *e, char *buf, size_t n)
{
	kd_err_format(e, buf, n);
	kd_err_free(e);
}

void kd_status_target(const struct kd_svc_config *c, char *buf, size_t n)
{
	const char *path = c->path ? c->path : "/var/crash";
	switch (c->target) {
	case KD_TGT_PATH:
		snprintf(buf, n, "%s (on the file system that holds it)", path);
		break;
	case KD_TGT_FS:
		snprintf(buf, n, "%s %s, directory %s", c->fstype ? c->fstype : "?",
			 c->device ? c->device : "?", path);
		break;
	case KD_TGT_RAW:
		snprintf(buf, n, "raw %s (recovered into %s at the next start)",
			 c->device ? c->device : "?", path);
		break;
	case KD_TGT_SSH:
		snprintf(buf, n, "ssh %s, directory %s", c->ssh ? c->ssh : "?", path);
		break;
	case KD_TGT_NFS:
		snprintf(buf, n, "nfs %s, directory %s", c->nfs ? c->nfs : "?", path);
		break;
	}
}

/* Dumps are under `path` on this system for the path and raw targets (raw ones once
 * recovered); for a named file system, under `path` inside it, which is known only while it is
 * mounted here (mount_prefix, filled when the target is prepared). */
static void find_last_dump(const char *root, const struct kd_svc_config *c, struct kd_status *st)
{
	const char *path = c->path ? c->path : "/var/crash";
	const char *prefix = "";
	if (c->target == KD_TGT_FS) {
		if (!c->mount_prefix)
			return;
		prefix = strcmp(c->mount_prefix, "/") ? c->mount_prefix : "";
	} else if (c->target != KD_TGT_PATH && c->target != KD_TGT_RAW) {
		return; /* remote targets: nothing to look at here */
	}
	snprintf(st->dump_base, sizeof(st->dump_base), "%s%s", prefix, path);
	char base[4096];
	if ((size_t)snprintf(base, sizeof(base), "%s%s", root ? root : "", st->dump_base) >=
	    sizeof(base))
		return;
	kd_err *e = kd_dumpdir_last(base, c->personality, st->last_dump, sizeof(st->last_dump),
				    &st->last_complete);
	if (e) {
		kd_err_free(e);
		return;
	}
	st->last_known = 1;
}

/* An image kdumpkit built (its manifest beside it): how it is compressed, how many modules,
 * and whether it still is what the manifest says. Another initramfs (KDUMP_INITRD): nothing. */
static void initramfs_detail(const char *root, struct kd_status *st)
{
	char outdir[4096], own[4608];
	if (kd_err_ignore(kd_load_rooted(root, "/var/lib/kdumpkit", outdir, sizeof(outdir))))
		return;
	snprintf(own, sizeof(own), "%s/initrd-%s.img", outdir, st->rec.release);
	if (strcmp(own, st->rec.initrd))
		return;
	struct kd_initramfs_res res;
	kd_err *e = kd_initramfs_status(outdir, st->rec.release, &res);
	if (e) {
		char b[256];
		kd_err_format(e, b, sizeof(b));
		kd_err_free(e);
		snprintf(st->initrd_detail, sizeof(st->initrd_detail), "%s", b);
		return;
	}
	snprintf(st->initrd_detail, sizeof(st->initrd_detail), "%s, %u module%s", res.compression,
		 res.nmodules, res.nmodules == 1 ? "" : "s");
}

void kd_status_read(const char *root, const struct kd_svc_config *cfg, struct kd_status *st)
{
	memset(st, 0, sizeof(*st));
	char path[4096];
	kd_err *e = kd_load_reservation_read(root, &st->res);
	if (e)
		err_to(e, st->res_error, sizeof(st->res_error));

	st->loaded = -1;
	if ((e = kd_load_rooted(root, KD_KEXEC_CRASH_LOADED_PATH, path, sizeof(path))) ||
	    (e = kd_kexec_loaded_at(path, &st->loaded))) {
		st->loaded = -1;
		err_to(e, st->loaded_error, sizeof(st->loaded_error));
	}

	if ((e = kd_load_record_read(root, &st->rec, &st->have_record)))
		kd_err_free(e); /* the record only adds detail */
	struct stat sb;
	if (st->have_record && st->rec.initrd[0] && stat(st->rec.initrd, &sb) == 0) {
		st->initrd_present = 1;
		st->initrd_size = (uint64_t)sb.st_size;
	}

	if (st->initrd_present && st->rec.release[0])
		initramfs_detail(root, st);
	if (cfg) {
		kd_status_target(cfg, st->target, sizeof(st->target));
		find_last_dump(root, cfg, st);
	}
}

const char *kd_status_line(const struct kd_status *st)
{
	return st->loaded == 1 ? "Kdump is operational" : "Kdump is not operational";
}

const char *kd_status_state(const struct kd_status *st)
{
	return st->loaded == 1 ? "ready to kdump" : "Not ready to kdump";
}

void kd_status_print(FILE *f, const struct kd_status *st)
{
	char a[32];
	const struct kd_load_reservation *r = &st->res;
	if (r->size && r->have_range)
		fprintf(f, "reservation:  %s at %#llx-%#llx", kd_size_human(r->size, a, sizeof(a)),
			(unsigned long long)r->start, (unsigned long long)r->end);
	else if (r->size)
		fprintf(f, "reservation:  %s (its range in /proc/iomem is shown to root only)",
			kd_size_human(r->size, a, sizeof(a)));
	else if (st->res_error[0])
		fprintf(f, "reservation:  unknown (%s)", st->res_error);
	else
		fprintf(f, "reservation:  none");
	fprintf(f, "%s%s%s\n", r->crashkernel[0] ? " (" : "", r->crashkernel,
		r->crashkernel[0] ? ")" : "");
	if (st->loaded < 0)
		fprintf(f, "loaded:       unknown (%s)\n", st->loaded_error);
	else
		fprintf(f, "loaded:       %s\n", st->loaded ? "yes" : "no");
	if (st->have_record) {
		fprintf(f, "kernel:       %s\n", st->rec.kernel);
		if (!st->rec.initrd[0])
			fprintf(f, "initramfs:    none\n");
		else if (st->initrd_present)
			fprintf(f, "initramfs:    %s (%s%s%s)\n", st->rec.initrd,
				kd_size_human(st->initrd_size, a, sizeof(a)),
				st->initrd_detail[0] ? ", " : "", st->initrd_detail);
		else
			fprintf(f, "initramfs:    %s (no longer there)\n", st->rec.initrd);
		fprintf(f, "command line: %s\n", st->rec.cmdline);
		char when[64] = "?";
		struct tm tm;
		if (gmtime_r(&st->rec.time, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fprintf(f, "loaded at:    %s%s\n", when,
			st->loaded == 1 ? "" : " (since unloaded by something else)");
	} else if (st->loaded == 1) {
		fprintf(f, "kernel:       loaded by something else than kdumpkit (no record in %s)\n",
			KD_LOAD_RECORD_PATH);
	}
	if (st->target[0])
		fprintf(f, "target:       %s\n", st->target);
	if (st->dump_base[0] && st->last_known) {
		if (st->last_dump[0])
			fprintf(f, "last dump:    %s%s\n", st->last_dump,
				st->last_complete ? "" : " (incomplete)");
		else
			fprintf(f, "last dump:    none under %s\n", st->dump_base);
	}
}

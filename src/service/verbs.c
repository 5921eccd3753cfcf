/* The service's verbs (verbs.h). */
#include "service/verbs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/size.h"
#include "dumpfile/mdf_cmd.h"
#include "kexec/status.h"
#include "service/capture.h"
#include "service/initramfs.h"
#include "service/load.h"
#include "service/raw_recover.h"
#include "service/status.h"
#include "service/target.h"

#define MiB (1ULL << 20)
#define LOCK_PATH "/run/kdumpkit.lock"
#define SYSRQ_PATH "/proc/sysrq-trigger"
#define OUTDIR "/var/lib/kdumpkit"

static const char *const std_files[3] = { "/etc/kdump.conf", "/etc/sysconfig/kdump",
					   "/etc/default/kdump-tools" };

kd_err *kd_svc_ctx_init(struct kd_svc_ctx *x, const char *root, int dry_run, int as_kdump_config,
			FILE *out, FILE *in)
{
	memset(x, 0, sizeof(*x));
	x->root = root ? root : "";
	x->dry_run = dry_run;
	x->as_kdump_config = as_kdump_config;
	x->out = out;
	x->in = in;
	x->lock_fd = -1;
	for (int i = 0; i < 3; i++) {
		kd_err *e = kd_load_rooted(x->root, std_files[i], x->paths[i], sizeof(x->paths[i]));
		if (e)
			return e;
	}
	x->files.kdump_conf = x->paths[0];
	x->files.sysconfig = x->paths[1];
	x->files.kdump_tools = x->paths[2];
	return NULL;
}

void kd_svc_ctx_fini(struct kd_svc_ctx *x)
{
	if (x->lock_fd >= 0)
		close(x->lock_fd);
	x->lock_fd = -1;
}

/* One start, stop or reload at a time (boot, an operator and a hot-plug reload can meet). */
static kd_err *take_lock(struct kd_svc_ctx *x)
{
	if (x->lock_fd >= 0)
		return NULL;
	char path[4096];
	kd_err *e = kd_load_rooted(x->root, LOCK_PATH, path, sizeof(path));
	if (e)
		return e;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == ENOENT) { /* no /run (a bare test root): nothing to serialise with */
			kd_debug("no %s: not locking", path);
			return NULL;
		}
		return kd_err_errno("opening the lock %s", path);
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			e = kd_err_errno("locking %s", path);
			close(fd);
			return e;
		}
	}
	x->lock_fd = fd;
	return NULL;
}

static kd_err *load_config(struct kd_svc_ctx *x, struct kd_svc_config *c)
{
	memset(c, 0, sizeof(*c));
	return kd_svc_config_load(&x->files, x->as_kdump_config, c);
}

/* kdump-tools loads nothing unless USE_KDUMP is set (Debian's check, an error for load). */
static kd_err *check_use_kdump(struct kd_svc_ctx *x, const struct kd_svc_config *c)
{
	if (c->use_kdump)
		return NULL;
	return kd_err_new(0, "%s: USE_KDUMP is not set or zero: set USE_KDUMP=1 to load a "
			  "capture kernel", x->paths[2]);
}

static int crash_loaded(struct kd_svc_ctx *x, kd_err **err)
{
	char path[4096];
	int loaded = 0;
	kd_err *e = kd_load_rooted(x->root, KD_KEXEC_CRASH_LOADED_PATH, path, sizeof(path));
	if (!e)
		e = kd_kexec_loaded_at(path, &loaded);
	if (e) {
		if (err)
			*err = kd_err_wrap(e, "this kernel cannot load a capture kernel (no "
					   "CONFIG_CRASH_DUMP/KEXEC?)");
		else
			kd_err_free(e);
		return -1;
	}
	return loaded;
}

/* The core collector must be one the capture kernel can run: checked now, not after a panic. */
static kd_err *check_collector(struct kd_svc_ctx *x, const struct kd_svc_config *c)
{
	if (!c->collector_argv || !c->collector_argv[0])
		return NULL;
	kd_err *e = kd_mdf_check_collector(c->collector_argv);
	if (!e)
		return NULL;
	static const char *const names[] = { "core_collector", "MAKEDUMP_ARGS", NULL };
	const char *files[] = { x->paths[0], x->paths[2], NULL };
	char origin[4200];
	kd_load_origin(files, names, origin, sizeof(origin));
	return kd_err_wrap(e, "%s%score collector \"%s\"", origin, *origin ? ": " : "",
			   c->core_collector ? c->core_collector : c->collector_argv[0]);
}

static void initramfs_req(struct kd_svc_ctx *x, const struct kd_svc_config *c,
			  const struct kd_target_needs *needs, const char *release, int force,
			  char bufs[3][4096], struct kd_initramfs_req *rq)
{
	char rel[4200];
	snprintf(rel, sizeof(rel), "/lib/modules/%s", release);
	kd_err_ignore(kd_load_rooted(x->root, rel, bufs[0], sizeof(bufs[0])));
	snprintf(rel, sizeof(rel), "/boot/config-%s", release);
	kd_err_ignore(kd_load_rooted(x->root, rel, bufs[1], sizeof(bufs[1])));
	kd_err_ignore(kd_load_rooted(x->root, OUTDIR, bufs[2], sizeof(bufs[2])));
	*rq = (struct kd_initramfs_req){
		.release = release, .moddir = bufs[0], .kernel_config = bufs[1],
		.outdir = bufs[2], .sysfs_root = x->root[0] ? x->root : NULL, .cfg = c,
		.needs = needs, .force = force,
	};
}

/* Prepare the target and make sure the capture initramfs is current; *initrd gets its path
 * (the configured KDUMP_INITRD when there is one, which kdumpkit does not build). */
static kd_err *prepare(struct kd_svc_ctx *x, struct kd_svc_config *c, int force_rebuild,
		       char *initrd, size_t n)
{
	const struct kd_target_ops *ops = kd_target_ops_for(c->target);
	if (!ops)
		return kd_err_new(ENOTSUP, "dump target \"%s\" is not supported by this kdumpkit: "
				  "save to a local file system or a raw device",
				  kd_svc_target_name(c->target));
	struct kd_target_needs needs = { 0 };
	kd_err *e = ops->prepare(c, &needs);
	if (e) {
		kd_target_needs_free(&needs);
		return kd_err_wrap(e, "dump target");
	}
	if ((e = check_collector(x, c))) {
		kd_target_needs_free(&needs);
		return e;
	}
	if (c->initrd && *c->initrd && !force_rebuild) {
		kd_target_needs_free(&needs);
		return kd_load_rooted(x->root, c->initrd, initrd, n);
	}
	char release[256], bufs[3][4096];
	if ((e = kd_load_release(c, release, sizeof(release)))) {
		kd_target_needs_free(&needs);
		return e;
	}
	struct kd_initramfs_req rq;
	struct kd_initramfs_res res;
	initramfs_req(x, c, &needs, release, force_rebuild, bufs, &rq);
	e = kd_initramfs_ensure(&rq, &res);
	kd_target_needs_free(&needs);
	if (e)
		return kd_err_wrap(e, "building the capture initramfs");
	if (res.rebuilt) {
		char a[32];
		fprintf(x->out, "Rebuilt %s (%s, %s, %u modules): %s\n", res.path,
			kd_size_human(res.size, a, sizeof(a)), res.compression, res.nmodules, res.why);
	}
	snprintf(initrd, n, "%s", res.path);
	return NULL;
}

static kd_err *load(struct kd_svc_ctx *x, struct kd_svc_config *c, const char *initrd)
{
	struct kd_load_req rq = { .root = x->root, .cfg = c, .files = &x->files,
				  .initrd = initrd[0] ? initrd : NULL, .dry_run = x->dry_run };
	struct kd_load_plan p;
	kd_err *e = kd_load_plan_make(&rq, &p);
	if (!e)
		e = kd_load_exec(&rq, &p);
	if (!e)
		kd_info("loaded %s with \"%s\"%s", p.kernel, p.cmdline,
			x->dry_run ? " (dry run: nothing was loaded)" : "");
	kd_load_plan_free(&p);
	return e;
}

/* A raw target's last dump is saved into `path` before anything else (kdump-utils does it
 * at start too: the next crash would overwrite it). */
static kd_err *recover_raw(struct kd_svc_ctx *x, const struct kd_svc_config *c)
{
	if (c->target != KD_TGT_RAW)
		return NULL;
	if (x->dry_run) {
		fprintf(x->out, "dry run: not looking for a dump on %s\n", c->device);
		return NULL;
	}
	int found = 0;
	char dir[4096] = "";
	kd_err *e = kd_raw_recover(c, c->device, &found, dir, sizeof(dir));
	if (e)
		return kd_err_wrap(e, "saving the dump left on %s", c->device);
	if (found)
		fprintf(x->out, "Saved the dump left on %s in %s\n", c->device, dir);
	return NULL;
}

/* What can be refused before anything is built: the kernel, KEXEC_ARGS, KDUMP_SYSCTL, the
 * command line, and a machine with no reservation at all (the need is then a lower bound:
 * the initramfs is not counted yet). */
static kd_err *early_checks(struct kd_svc_ctx *x, struct kd_svc_config *c)
{
	struct kd_load_req rq = { .root = x->root, .cfg = c, .files = &x->files,
				  .dry_run = x->dry_run };
	struct kd_load_plan p;
	kd_err *e = kd_load_plan_make(&rq, &p);
	if (e)
		return e;
	if (p.res.size == 0)
		e = kd_load_need_check(&p.res, &p.need);
	kd_load_plan_free(&p);
	return e;
}

static kd_err *start_locked(struct kd_svc_ctx *x, int reload)
{
	struct kd_svc_config c;
	kd_err *e = load_config(x, &c);
	if (e)
		return e;
	/* whichever front end runs (the unit runs kdumpctl for both personalities) */
	if ((e = check_use_kdump(x, &c)))
		goto out;
	if ((e = recover_raw(x, &c)))
		goto out;
	int loaded = crash_loaded(x, &e);
	if (loaded < 0)
		goto out;
	if (loaded && !reload) {
		fprintf(x->out, x->as_kdump_config ? "kdump kernel already loaded\n" :
			"Kdump already running: [WARNING]\n");
		goto out;
	}
	if ((e = early_checks(x, &c)))
		goto out;
	char initrd[4096] = "";
	if ((e = prepare(x, &c, 0, initrd, sizeof(initrd))))
		goto out;
	/* everything is ready: only now is the loaded kernel given up (the kernel would free it
	 * anyway when the new one is loaded into the same region) */
	if (loaded && (e = kd_load_unload(x->root, x->dry_run)))
		goto out;
	if ((e = load(x, &c, initrd)))
		goto out;
	fprintf(x->out, x->as_kdump_config ? "loaded kdump kernel\n" :
		"kexec: loaded kdump kernel\nStarting kdump: [OK]\n");
out:
	kd_svc_config_free(&c);
	return e;
}

kd_err *kd_svc_start(struct kd_svc_ctx *x)
{
	kd_err *e = take_lock(x);
	return e ? e : start_locked(x, 0);
}

kd_err *kd_svc_stop(struct kd_svc_ctx *x)
{
	kd_err *e = take_lock(x);
	if (!e)
		e = kd_load_unload(x->root, x->dry_run);
	if (e)
		return e;
	fprintf(x->out, x->as_kdump_config ? "unloaded kdump kernel\n" :
		"kexec: unloaded kdump kernel\nStopping kdump: [OK]\n");
	return NULL;
}

kd_err *kd_svc_reload(struct kd_svc_ctx *x, int try_only)
{
	kd_err *e = take_lock(x);
	if (e)
		return e;
	int loaded = crash_loaded(x, &e);
	if (loaded < 0)
		return e;
	if (!loaded && try_only)
		return NULL;
	if (!loaded && !x->as_kdump_config)
		fprintf(x->out, "Kdump was not running: [WARNING]\n");
	return start_locked(x, 1);
}

kd_err *kd_svc_rebuild(struct kd_svc_ctx *x)
{
	kd_err *e = take_lock(x);
	if (e)
		return e;
	struct kd_svc_config c;
	if ((e = load_config(x, &c)))
		return e;
	char initrd[4096];
	if (c.initrd && *c.initrd)
		e = kd_err_new(0, "KDUMP_INITRD names %s: kdumpkit builds only its own initramfs; "
			       "remove KDUMP_INITRD to have one built", c.initrd);
	else
		e = prepare(x, &c, 1, initrd, sizeof(initrd));
	kd_svc_config_free(&c);
	return e;
}

kd_err *kd_svc_status(struct kd_svc_ctx *x, int details, int *loaded)
{
	struct kd_svc_config c;
	kd_err *cfg_err = load_config(x, &c);
	struct kd_status st;
	kd_status_read(x->root, cfg_err ? NULL : &c, &st);
	*loaded = st.loaded == 1;
	if (x->as_kdump_config && !details) {
		fprintf(x->out, "current state   : %s\n", kd_status_state(&st));
	} else if (x->as_kdump_config) {
		char a[32];
		fprintf(x->out, "DUMP_MODE:        kdump\n");
		if (!cfg_err) {
			fprintf(x->out, "USE_KDUMP:        %d\n", c.use_kdump);
			fprintf(x->out, "KDUMP_COREDIR:    %s\n", c.path ? c.path : "/var/crash");
		}
		if (st.res.have_range)
			fprintf(x->out, "crashkernel addr: %#llx\n", (unsigned long long)st.res.start);
		fprintf(x->out, "crashkernel size: %s\n", kd_size_human(st.res.size, a, sizeof(a)));
		fprintf(x->out, "current state:    %s\n\n", kd_status_state(&st));
		kd_status_print(x->out, &st);
	} else {
		fprintf(x->out, "%s\n", kd_status_line(&st));
		if (details)
			kd_status_print(x->out, &st);
	}
	if (cfg_err) {
		char b[1024];
		kd_err_format(cfg_err, b, sizeof(b));
		fprintf(x->out, "configuration: %s\n", b);
		kd_err_free(cfg_err);
	} else {
		kd_svc_config_free(&c);
	}
	if (st.loaded < 0 && !x->as_kdump_config)
		return kd_err_new(0, "cannot tell whether a capture kernel is loaded: %s",
				  st.loaded_error);
	return NULL;
}

kd_err *kd_svc_showmem(struct kd_svc_ctx *x)
{
	struct kd_load_reservation r;
	kd_err *e = kd_load_reservation_read(x->root, &r);
	if (e)
		return e;
	/* kdump-utils' line, which scripts read */
	fprintf(x->out, "Reserved %lluMB memory for crash kernel\n",
		(unsigned long long)(r.size / MiB));
	if (r.have_range)
		fprintf(x->out, "Crash kernel region %#llx-%#llx\n", (unsigned long long)r.start,
			(unsigned long long)r.end);
	if (r.crashkernel[0])
		fprintf(x->out, "Kernel command line: %s\n", r.crashkernel);
	return NULL;
}

kd_err *kd_svc_crash_test(struct kd_svc_ctx *x, int force, int *cancelled)
{
	*cancelled = 0;
	kd_err *e = NULL;
	int loaded = crash_loaded(x, &e);
	if (loaded < 0)
		return e;
	if (!loaded)
		return kd_err_new(0, "Kdump is not operational: load the capture kernel (kdumpctl "
				  "start) before testing it");
	if (!force) {
		fprintf(x->out, "This crashes the machine now: the capture kernel saves a dump and "
			"the system reboots. Continue? [y/N] ");
		fflush(x->out);
		char answer[16] = "";
		if (!x->in || !fgets(answer, sizeof(answer), x->in) ||
		    (strcmp(answer, "y\n") && strcmp(answer, "Y\n") && strcmp(answer, "yes\n"))) {
			fprintf(x->out, "%sCancelled: nothing was done.\n",
				answer[0] && strchr(answer, '\n') ? "" : "\n");
			*cancelled = 1;
			return NULL;
		}
	}
	char path[4096];
	if ((e = kd_load_rooted(x->root, SYSRQ_PATH, path, sizeof(path))))
		return e;
	if (x->dry_run) {
		fprintf(x->out, "dry run: not writing c to %s\n", path);
		return NULL;
	}
	/* what can be saved to disk is, before the crash: the dump goes elsewhere anyway */
	sync();
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening %s", path);
	if (write(fd, "c", 1) != 1)
		e = kd_err_errno("writing c to %s", path);
	close(fd);
	return e; /* on a real machine, not reached */
}

kd_err *kd_svc_dry_run(struct kd_svc_ctx *x)
{
	struct kd_svc_config c;
	kd_err *e = load_config(x, &c);
	if (e)
		return e;
	if (!c.use_kdump)
		fprintf(x->out, "%s: USE_KDUMP is not set or zero: load would refuse\n", x->paths[2]);
	char release[256], image[4608] = "", outdir[4096];
	if ((e = kd_load_release(&c, release, sizeof(release))))
		goto out;
	int built_by_load = 0;
	if (c.initrd && *c.initrd) {
		e = kd_load_rooted(x->root, c.initrd, image, sizeof(image));
	} else {
		e = kd_load_rooted(x->root, OUTDIR, outdir, sizeof(outdir));
		snprintf(image, sizeof(image), "%s/initrd-%s.img", outdir, release);
		built_by_load = access(image, F_OK) != 0;
	}
	if (e)
		goto out;
	struct kd_load_req rq = { .root = x->root, .cfg = &c, .files = &x->files,
				  .initrd = built_by_load ? NULL : image, .dry_run = 1 };
	struct kd_load_plan p;
	if ((e = kd_load_plan_make(&rq, &p)))
		goto out;
	char a[32], b[32];
	fprintf(x->out, "USE_KDUMP:        %d\n", c.use_kdump);
	fprintf(x->out, "KDUMP_COREDIR:    %s\n", c.path ? c.path : "/var/crash");
	if (p.res.have_range)
		fprintf(x->out, "crashkernel addr: %#llx\n", (unsigned long long)p.res.start);
	fprintf(x->out, "kdump kernel:\n   %s\n", p.kernel);
	fprintf(x->out, "kdump initrd:\n   %s%s\n", image,
		built_by_load ? " (not built yet: load builds it)" : "");
	fprintf(x->out, "kdump command line:\n   %s\n", p.cmdline);
	kd_err *fit = kd_load_need_check(&p.res, &p.need);
	if (fit) {
		char m[1024];
		kd_err_format(fit, m, sizeof(m));
		kd_err_free(fit);
		fprintf(x->out, "reservation:      load would fail: %s\n", m);
	} else {
		fprintf(x->out, "reservation:      %s reserved, %s needed%s\n",
			kd_size_human(p.res.size, a, sizeof(a)), kd_size_human(p.need.needed, b,
			sizeof(b)), built_by_load ? " before the initramfs is counted" : "");
	}
	const char *only = kd_load_file_load_only(x->root);
	fprintf(x->out, "loader:           %s%s%s%s\n",
		p.kexec.syscall == KD_KEXEC_FILE ? "kexec_file_load only" :
		p.kexec.syscall == KD_KEXEC_CLASSIC ? "kexec_load (kdumpkit's own purgatory)" :
		"kexec_file_load, kexec_load if the kernel cannot load the image itself",
		only ? " (" : "", only ? only : "", only ? ")" : "");
	/* the kexec-tools command it amounts to (it runs in-process: nothing is executed) */
	fprintf(x->out, "kexec command to be used:\n  kexec -p%s%s%s%s --command-line=\"%s\"",
		p.kexec.syscall == KD_KEXEC_FILE ? " -s" :
		p.kexec.syscall == KD_KEXEC_CLASSIC ? " -c" : "", p.kexec.debug ? " -d" : "",
		p.kexec.type[0] ? " -t " : "", p.kexec.type, p.cmdline);
	if (p.kexec.mem_min)
		fprintf(x->out, " --mem-min=%#llx", (unsigned long long)p.kexec.mem_min);
	if (p.kexec.mem_max)
		fprintf(x->out, " --mem-max=%#llx", (unsigned long long)p.kexec.mem_max);
	fprintf(x->out, " --initrd=%s %s\n", image, p.kernel);
	kd_load_plan_free(&p);
	if (!e && (e = check_collector(x, &c)))
		goto out;
out:
	kd_svc_config_free(&c);
	return e;
}

kd_err *kd_svc_savecore(struct kd_svc_ctx *x)
{
	char vmcore[4096], base[4608];
	kd_err *e = kd_load_rooted(x->root, "/proc/vmcore", vmcore, sizeof(vmcore));
	if (e)
		return e;
	if (access(vmcore, R_OK) < 0)
		return kd_err_wrap(kd_err_errno("%s", vmcore), "savecore saves a crashed kernel's "
				   "memory from the capture kernel it booted, which has /proc/vmcore");
	struct kd_svc_config c;
	if ((e = load_config(x, &c)))
		return e;
	struct kd_capture cap;
	kd_capture_init(&cap, &c);
	cap.vmcore = vmcore;
	cap.msg = x->out;
	if (x->dry_run) {
		fprintf(x->out, "dry run: not saving %s\n", vmcore);
	} else if (c.target == KD_TGT_PATH) {
		/* booted by other means, with this system's file systems mounted: `path` is here */
		snprintf(base, sizeof(base), "%s%s", x->root, c.path ? c.path : "/var/crash");
		e = kd_capture_save_dir(&cap, base);
	} else {
		const struct kd_target_ops *ops = kd_target_ops_for(c.target);
		struct kd_target_needs needs = { 0 };
		if (!ops)
			e = kd_err_new(ENOTSUP, "dump target \"%s\" is not supported by this "
				       "kdumpkit", kd_svc_target_name(c.target));
		else if (!(e = ops->prepare(&c, &needs)))
			e = ops->save(&cap);
		kd_target_needs_free(&needs);
	}
	if (!e && cap.dir.dir[0])
		fprintf(x->out, "saved vmcore in %s\n", cap.dir.dir);
	else if (e && cap.dir.dir[0])
		e = kd_err_wrap(e, "saving %s in %s (what was written keeps its -incomplete name)",
				vmcore, cap.dir.dir);
	kd_svc_config_free(&c);
	return e;
}

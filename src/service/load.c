/* Loading for the service (load.h): the plan (kernel, initramfs, command line, kexec options,
 * reservation), the load through kexec/ in this process, the record of what was loaded. */
#include "service/load.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/log.h"
#include "kexec/boot_cmdline.h"
#include "kexec/load.h"
#include "kexec/sysfs_file.h"

kd_err *kd_load_rooted(const char *root, const char *path, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%s%s", root ? root : "", path);
	if (len < 0 || (size_t)len >= n)
		return kd_err_new(ENAMETOOLONG, "path %s%s is too long", root ? root : "", path);
	return NULL;
}

kd_err *kd_load_release(const struct kd_svc_config *c, char *buf, size_t n)
{
	if (c->kernel_ver && *c->kernel_ver) {
		if ((size_t)snprintf(buf, n, "%s", c->kernel_ver) >= n)
			return kd_err_new(EINVAL, "KDUMP_KERNELVER \"%s\" is too long", c->kernel_ver);
		return NULL;
	}
	struct utsname u;
	if (uname(&u) < 0)
		return kd_err_errno("uname");
	snprintf(buf, n, "%s", u.release);
	return NULL;
}

kd_err *kd_load_kernel_path(const struct kd_svc_config *c, const char *root, const char *release,
			    char *buf, size_t n)
{
	char rel[4096];
	kd_err *e;
	if (c->kernel && *c->kernel) {
		if ((e = kd_load_rooted(root, c->kernel, buf, n)))
			return e;
		if (access(buf, R_OK) < 0)
			return kd_err_errno("KDUMP_KERNEL %s", buf);
		return NULL;
	}
	snprintf(rel, sizeof(rel), "/boot/vmlinuz-%s", release);
	if ((e = kd_load_rooted(root, rel, buf, n)))
		return e;
	if (access(buf, R_OK) < 0)
		return kd_err_wrap(kd_err_errno("%s", buf),
				   "no kernel for release %s: install its kernel package, or name "
				   "another release (KDUMP_KERNELVER) or file (KDUMP_KERNEL)", release);
	return NULL;
}

/* ---- KEXEC_ARGS ---- */

/* Words as a shell would split a line without expansions (the configuration reader has
 * already refused $, `, and the like): blanks separate, '...' and "..." group. */
static kd_err *split_words(const char *s, char ***out, int *count)
{
	size_t len = strlen(s);
	char **w = calloc(len / 2 + 2, sizeof(*w));
	char *buf = malloc(len + 1);
	int n = 0;
	if (!w || !buf) {
		free(w);
		free(buf);
		return kd_err_new(ENOMEM, "splitting words");
	}
	char *o = buf;
	const char *p = s;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		w[n++] = o;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				while (*p && *p != q)
					*o++ = *p++;
				if (*p != q) {
					free(w);
					free(buf);
					return kd_err_new(EINVAL, "unterminated %c quote", q);
				}
				p++;
			} else {
				*o++ = *p++;
			}
		}
		*o++ = '\0';
	}
	w[n] = NULL;
	if (n == 0)
		free(buf);
	*out = w;
	*count = n;
	return NULL;
}

static void free_words(char **w)
{
	if (w && w[0])
		free(w[0]); /* one buffer holds every word */
	free(w);
}

/* What kd_kexec_parse_args cannot tell once the service's own "-p ... KERNEL" is around the
 * words: a file name among them, an option missing its argument, and -x/-y (kexec -e's; -p
 * leaves no trace of them). */
static const char *word_problem(char **w, int n, const char **why)
{
	for (int i = 0; i < n; i++) {
		if (w[i][0] != '-' || !w[i][1]) {
			*why = "a kernel file (the service picks the kernel: KDUMP_KERNEL, "
			       "KDUMP_KERNELVER)";
			return w[i];
		}
		if (!strcmp(w[i], "--no-ifdown") || !strcmp(w[i], "--no-sync") ||
		    (w[i][1] != '-' && strpbrk(w[i] + 1, "xy"))) {
			*why = "an option of kexec -e";
			return w[i];
		}
		int takes_arg = !strcmp(w[i], "--type") || !strcmp(w[i], "--mem-min") ||
				!strcmp(w[i], "--mem-max") ||
				(w[i][1] != '-' && w[i][strlen(w[i]) - 1] == 't');
		if (takes_arg && i + 1 == n) {
			*why = "an option without its argument";
			return w[i];
		}
		if (takes_arg)
			i++; /* its argument is not an option */
	}
	return NULL;
}

kd_err *kd_load_kexec_args(const char *args, const char *origin, struct kd_load_kexec *k)
{
	memset(k, 0, sizeof(*k));
	k->syscall = KD_KEXEC_AUTO;
	if (!args || !*args)
		return NULL;
	const char *where = origin && *origin ? origin : "KEXEC_ARGS";
	char **w = NULL;
	int n = 0;
	kd_err *e = split_words(args, &w, &n);
	if (e)
		return kd_err_wrap(e, "%s: \"%s\"", where, args);
	/* kexec -p WORDS... KERNEL: what the words change is what they would change there */
	char **argv = calloc((size_t)n + 4, sizeof(*argv));
	if (!argv) {
		free_words(w);
		return kd_err_new(ENOMEM, "parsing %s", where);
	}
	static char prog[] = "kexec", panic[] = "-p", kernel[] = "/kdumpkit/capture-kernel";
	int argc = 0;
	argv[argc++] = prog;
	argv[argc++] = panic;
	for (int i = 0; i < n; i++)
		argv[argc++] = w[i];
	argv[argc++] = kernel;
	struct kd_kexec_opts o;
	const char *bad = NULL, *why = NULL;
	if ((bad = word_problem(w, n, &why)))
		e = kd_err_new(EINVAL, "%s: %s is not a load option", bad, why);
	else
		e = kd_kexec_parse_args(argc, argv, &o);
	if (!e) {
		if (o.help || o.version || o.print_ckr_size || o.status)
			bad = o.help ? "--help" : o.version ? "--version" :
			      o.status ? "-S/--status" : "--print-ckr-size";
		else if (o.unload || !o.load || o.exec || o.opt_load || o.shutdown)
			bad = o.unload ? "-u/--unload" : o.exec ? "-e/-f" : "-l/--load";
		else if (o.append || o.reuse_cmdline)
			bad = "--append/--command-line/--reuse-cmdline";
		else if (o.initrd)
			bad = "--initrd";
		if (bad)
			e = kd_err_new(EINVAL, "%s is not a load option: the service chooses what to "
				       "load and when (KDUMP_COMMANDLINE*, KDUMP_KERNEL...); remove it",
				       bad);
		else if (o.classic_option)
			e = kd_err_new(EINVAL, "--%s is an option of kexec-tools' own image loaders, "
				       "which kdumpkit does not have; remove it", o.classic_option);
	}
	if (!e) {
		k->syscall = o.syscall;
		k->debug = o.debug;
		k->mem_min = o.mem_min;
		k->mem_max = o.mem_max;
		if (o.type && (size_t)snprintf(k->type, sizeof(k->type), "%s", o.type) >= sizeof(k->type))
			e = kd_err_new(EINVAL, "-t %s: no such kernel type", o.type);
	}
	free(argv);
	free_words(w);
	return e ? kd_err_wrap(e, "%s: \"%s\"", where, args) : NULL;
}

/* A VAR=value line (optionally "export VAR=...") setting `name`. */
static int sets_var(const char *line, const char *name)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (!strncmp(line, "export", 6) && (line[6] == ' ' || line[6] == '\t')) {
		line += 6;
		while (*line == ' ' || *line == '\t')
			line++;
	}
	size_t n = strlen(name);
	return !strncmp(line, name, n) && line[n] == '=';
}

void kd_load_origin(const char *const *files, const char *const *names, char *buf, size_t n)
{
	buf[0] = '\0';
	for (const char *const *f = files; *f; f++) {
		if (!**f)
			continue;
		FILE *fp = fopen(*f, "re");
		if (!fp)
			continue;
		char line[4096];
		unsigned lineno = 0;
		while (fgets(line, sizeof(line), fp)) {
			lineno++;
			for (const char *const *nm = names; *nm; nm++)
				if (sets_var(line, *nm))
					snprintf(buf, n, "%s:%u", *f, lineno);
		}
		fclose(fp);
	}
}

/* ---- Secure Boot and lockdown ---- */

#define EFI_GLOBAL "8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* The value byte of an EFI variable file (4 bytes of attributes, then the data); -1 if none. */
static int efivar_byte(const char *root, const char *name)
{
	char rel[256], path[4096];
	snprintf(rel, sizeof(rel), "/sys/firmware/efi/efivars/%s-" EFI_GLOBAL, name);
	if (kd_err_ignore(kd_load_rooted(root, rel, path, sizeof(path))))
		return -1;
	unsigned char b[5];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof(b));
	close(fd);
	return n == (ssize_t)sizeof(b) ? b[4] : -1;
}

const char *kd_load_file_load_only(const char *root)
{
	char path[4096], line[128];
	if (!kd_err_ignore(kd_load_rooted(root, "/sys/kernel/security/lockdown", path,
					  sizeof(path))) &&
	    !kd_err_ignore(kd_sysfs_line(path, line, sizeof(line))) &&
	    strchr(line, '[') && !strstr(line, "[none]"))
		return "the kernel is locked down";
	if (efivar_byte(root, "SecureBoot") == 1 && efivar_byte(root, "SetupMode") != 1)
		return "Secure Boot is on";
	return NULL;
}

const char *kd_load_refusal(const char *root, enum kd_kexec_syscall sc)
{
	char path[4096], line[32];
	if (!kd_err_ignore(kd_load_rooted(root, "/proc/sys/kernel/kexec_load_disabled", path,
					  sizeof(path))) &&
	    !kd_err_ignore(kd_sysfs_line(path, line, sizeof(line))) && !strcmp(line, "1"))
		return "kexec is turned off until the next boot (kernel.kexec_load_disabled=1)";
	const char *only = kd_load_file_load_only(root);
	if (only && sc == KD_KEXEC_CLASSIC)
		return "KEXEC_ARGS asks for kexec_load (-c), which is refused when Secure Boot is "
		       "on or the kernel is locked down: remove -c";
	if (only || sc != KD_KEXEC_CLASSIC)
		return "kexec_file_load (tried first: the only load Secure Boot and lockdown allow) "
		       "refused the kernel: it must be signed by a key the kernel trusts";
	return NULL;
}

/* ---- the plan ---- */

static kd_err *files_rooted(const struct kd_load_req *rq, char paths[3][4096],
			    const char *list[4])
{
	static const char *const std[3] = { "/etc/kdump.conf", "/etc/sysconfig/kdump",
					    "/etc/default/kdump-tools" };
	const struct kd_svc_config_files *f = rq->files;
	const char *given[3] = { f ? f->kdump_conf : NULL, f ? f->sysconfig : NULL,
				 f ? f->kdump_tools : NULL };
	int k = 0;
	for (int i = 0; i < 3; i++) {
		if (given[i]) { /* as given: already a full path, or "" (not read) */
			snprintf(paths[i], sizeof(paths[i]), "%s", given[i]);
		} else {
			kd_err *e = kd_load_rooted(rq->root, std[i], paths[i], sizeof(paths[i]));
			if (e)
				return e;
		}
		list[k++] = paths[i];
	}
	list[k] = NULL;
	return NULL;
}

kd_err *kd_load_plan_make(const struct kd_load_req *rq, struct kd_load_plan *p)
{
	memset(p, 0, sizeof(*p));
	const struct kd_svc_config *c = rq->cfg;
	const char *root = rq->root ? rq->root : "";
	char path[4096];
	kd_err *e;
	if ((e = kd_load_release(c, p->release, sizeof(p->release))))
		return e;
	if ((e = kd_load_kernel_path(c, root, p->release, p->kernel, sizeof(p->kernel))))
		return e;

	const char *initrd = rq->initrd ? rq->initrd : NULL;
	if (!initrd && c->initrd && *c->initrd) {
		if ((e = kd_load_rooted(root, c->initrd, path, sizeof(path))))
			return e;
		initrd = path;
	}
	if (initrd) {
		struct stat st;
		if (stat(initrd, &st) < 0)
			return kd_err_wrap(kd_err_errno("%s", initrd), "the capture initramfs");
		snprintf(p->initrd, sizeof(p->initrd), "%s", initrd);
		p->initrd_size = (uint64_t)st.st_size;
	}

	char fpaths[3][4096], origin[4200];
	const char *flist[4];
	if ((e = files_rooted(rq, fpaths, flist)))
		return e;
	static const char *const kexec_names[] = { "KEXEC_ARGS", "KDUMP_KEXEC_ARGS", NULL };
	kd_load_origin(flist, kexec_names, origin, sizeof(origin));
	if ((e = kd_load_kexec_args(c->kexec_args, origin, &p->kexec)))
		return e;
	/* kexec_load is refused there anyway: do not try it after a kexec_file_load refusal (as
	 * kdump-utils and kdump-tools pass -s) */
	const char *why = kd_load_file_load_only(root);
	if (why && p->kexec.syscall == KD_KEXEC_AUTO) {
		p->kexec.syscall = KD_KEXEC_FILE;
		kd_debug("%s: kexec_file_load only", why);
	}

	if (c->sysctl && (e = kd_load_sysctl_check(root, c->sysctl))) {
		static const char *const sysctl_names[] = { "KDUMP_SYSCTL", NULL };
		kd_load_origin(flist, sysctl_names, origin, sizeof(origin));
		return kd_err_wrap(e, "%s", *origin ? origin : "KDUMP_SYSCTL");
	}

	char *running = NULL;
	if (!c->cmdline) {
		if ((e = kd_load_rooted(root, "/proc/cmdline", path, sizeof(path))) ||
		    (e = kd_boot_cmdline_read(path, &running)))
			return e;
	}
	char apicid[32];
	kd_load_boot_apicid(root, apicid, sizeof(apicid));
	e = kd_load_cmdline(c, running, apicid, &p->cmdline);
	free(running);
	if (e) {
		static const char *const cl_names[] = { "KDUMP_COMMANDLINE", "KDUMP_CMDLINE",
			"KDUMP_COMMANDLINE_APPEND", "KDUMP_CMDLINE_APPEND", NULL };
		kd_load_origin(flist, cl_names, origin, sizeof(origin));
		return *origin ? kd_err_wrap(e, "%s", origin) : e;
	}

	if ((e = kd_load_reservation_read(root, &p->res)))
		goto fail;
	uint64_t init_size, align;
	if ((e = kd_load_kernel_size(p->kernel, &init_size, &align)))
		goto fail;
	kd_load_need_compute(init_size, align, p->initrd_size, &p->need);
	return NULL;
fail:
	kd_load_plan_free(p);
	return e;
}

void kd_load_plan_free(struct kd_load_plan *p)
{
	free(p->cmdline);
	p->cmdline = NULL;
}

/* ---- loading ---- */

/* <root>/proc/sys/<name>: dots separate the levels unless the name uses slashes (sysctl(8)). */
static kd_err *sysctl_path(const char *root, const char *setting, char *path, size_t n)
{
	const char *eq = strchr(setting, '=');
	size_t kn = eq ? (size_t)(eq - setting) : 0;
	char rel[512];
	if (!eq || !kn || kn + sizeof("/proc/sys/") > sizeof(rel))
		return kd_err_new(EINVAL, "sysctl setting \"%s\" is not name=value", setting);
	int slashes = memchr(setting, '/', kn) != NULL;
	memcpy(rel, "/proc/sys/", 10);
	for (size_t j = 0; j < kn; j++)
		rel[10 + j] = !slashes && setting[j] == '.' ? '/' : setting[j];
	rel[10 + kn] = '\0';
	/* a name that climbs out of /proc/sys, or names nothing */
	if (strstr(rel + 9, "/.") || strstr(rel + 9, "//") || rel[9 + kn] == '/')
		return kd_err_new(EINVAL, "sysctl setting \"%s\" is not name=value", setting);
	return kd_load_rooted(root, rel, path, n);
}

kd_err *kd_load_sysctl_check(const char *root, const char *settings)
{
	char **w = NULL;
	int n = 0;
	kd_err *e = split_words(settings ? settings : "", &w, &n);
	if (e)
		return kd_err_wrap(e, "sysctl settings \"%s\"", settings);
	char path[4096];
	for (int i = 0; i < n && !e; i++) {
		if ((e = sysctl_path(root, w[i], path, sizeof(path))))
			break;
		if (access(path, W_OK) < 0 && errno != EACCES)
			e = kd_err_errno("sysctl %.*s: %s", (int)(strchr(w[i], '=') - w[i]), w[i],
					 path);
	}
	free_words(w);
	return e;
}

kd_err *kd_load_sysctl(const char *root, const char *settings)
{
	char **w = NULL;
	int n = 0;
	kd_err *e = split_words(settings ? settings : "", &w, &n);
	if (e)
		return kd_err_wrap(e, "sysctl settings \"%s\"", settings);
	for (int i = 0; i < n && !e; i++) {
		char path[4096];
		if ((e = sysctl_path(root, w[i], path, sizeof(path))))
			break;
		const char *val = strchr(w[i], '=') + 1;
		int kn = (int)(val - 1 - w[i]);
		int fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
		if (fd < 0) {
			e = kd_err_errno("setting %.*s: opening %s", kn, w[i], path);
			break;
		}
		size_t vl = strlen(val);
		ssize_t wr = write(fd, val, vl);
		if (wr < 0 || (size_t)wr != vl)
			e = wr < 0 ? kd_err_errno("setting %s: writing %s", w[i], path) :
			    kd_err_new(EIO, "setting %s: short write to %s", w[i], path);
		if (close(fd) < 0 && !e)
			e = kd_err_errno("setting %s: writing %s", w[i], path);
		if (!e)
			kd_debug("sysctl %s", w[i]);
	}
	free_words(w);
	return e;
}

kd_err *kd_load_exec(const struct kd_load_req *rq, const struct kd_load_plan *p)
{
	const char *root = rq->root ? rq->root : "";
	kd_err *e = kd_load_need_check(&p->res, &p->need);
	if (e)
		return e;
	char iomem[4096];
	if ((e = kd_load_rooted(root, "/proc/iomem", iomem, sizeof(iomem))))
		return e;
	struct kd_kexec_load_req kq = {
		.kernel = p->kernel, .initrd = p->initrd[0] ? p->initrd : NULL,
		.cmdline = p->cmdline, .panic = 1, .syscall = p->kexec.syscall,
		.type = p->kexec.type[0] ? p->kexec.type : NULL, .kernel_debug = p->kexec.debug,
		.iomem_path = iomem, .mem_min = p->kexec.mem_min, .mem_max = p->kexec.mem_max,
		.root = root, .dry_run = rq->dry_run,
	};
	struct kd_kexec_load_res kr;
	if ((e = kd_kexec_load(&kq, &kr))) {
		int errnum = kd_err_errnum(e);
		const char *why = NULL;
		if (geteuid() == 0 && (errnum == EPERM || errnum == EKEYREJECTED ||
				       errnum == ENOKEY || errnum == EBADMSG))
			why = kd_load_refusal(root, p->kexec.syscall);
		if (why)
			e = kd_err_wrap(e, "%s", why);
		return kd_err_wrap(e, "loading the capture kernel %s", p->kernel);
	}
	if (rq->dry_run)
		return NULL;
	struct kd_load_record r = { .time = time(NULL) };
	snprintf(r.release, sizeof(r.release), "%s", p->release);
	snprintf(r.kernel, sizeof(r.kernel), "%s", p->kernel);
	snprintf(r.initrd, sizeof(r.initrd), "%s", p->initrd);
	snprintf(r.cmdline, sizeof(r.cmdline), "%s", p->cmdline);
	if ((e = kd_load_record_write(root, &r))) {
		/* loaded all the same: status reads /sys, the record only adds detail */
		char b[512];
		kd_err_format(e, b, sizeof(b));
		kd_warn("capture kernel loaded, but not recorded: %s", b);
		kd_err_free(e);
	}
	/* KDUMP_SYSCTL (kdump-tools; kernel.panic_on_oops=1 unless configured otherwise): a
	 * capture kernel that an oops does not reach is of little use */
	if (rq->cfg->sysctl && (e = kd_load_sysctl(root, rq->cfg->sysctl)))
		return kd_err_wrap(e, "capture kernel loaded, but KDUMP_SYSCTL is not applied");
	return NULL;
}

kd_err *kd_load_unload(const char *root, int dry_run)
{
	if (!dry_run) {
		kd_err *e = kd_kexec_unload(1, KD_KEXEC_AUTO);
		if (e)
			return kd_err_wrap(e, "unloading the capture kernel");
	}
	return dry_run ? NULL : kd_load_record_remove(root);
}

/* ---- the record ---- */

kd_err *kd_load_record_write(const char *root, const struct kd_load_record *r)
{
	char path[4096], tmp[4200], dir[4096];
	kd_err *e;
	if ((e = kd_load_rooted(root, KD_LOAD_RECORD_PATH, path, sizeof(path))))
		return e;
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	/* /var/lib/kdumpkit: made by the package; made here too for a first start */
	for (char *p = dir + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, c ? 0755 : 0700) < 0 && errno != EEXIST)
			return kd_err_errno("creating %s", dir);
		if (!(*p = c))
			break;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return kd_err_errno("creating %s", tmp);
	fprintf(f, "release %s\nkernel %s\ninitrd %s\ncmdline %s\ntime %lld\n", r->release,
		r->kernel, r->initrd, r->cmdline, (long long)r->time);
	int bad = ferror(f) | (fflush(f) != 0) | (fsync(fileno(f)) != 0);
	if (fclose(f) != 0 || bad) {
		e = kd_err_errno("writing %s", tmp);
		unlink(tmp);
		return e;
	}
	if (rename(tmp, path) < 0) {
		e = kd_err_errno("renaming %s to %s", tmp, path);
		unlink(tmp);
		return e;
	}
	return NULL;
}

kd_err *kd_load_record_read(const char *root, struct kd_load_record *r, int *found)
{
	memset(r, 0, sizeof(*r));
	*found = 0;
	char path[4096];
	kd_err *e = kd_load_rooted(root, KD_LOAD_RECORD_PATH, path, sizeof(path));
	if (e)
		return e;
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? NULL : kd_err_errno("reading %s", path);
	char line[4200];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *sp = strchr(line, ' ');
		const char *v = sp ? sp + 1 : "";
		if (sp)
			*sp = '\0';
		if (!strcmp(line, "release"))
			snprintf(r->release, sizeof(r->release), "%s", v);
		else if (!strcmp(line, "kernel"))
			snprintf(r->kernel, sizeof(r->kernel), "%s", v);
		else if (!strcmp(line, "initrd"))
			snprintf(r->initrd, sizeof(r->initrd), "%s", v);
		else if (!strcmp(line, "cmdline"))
			snprintf(r->cmdline, sizeof(r->cmdline), "%s", v);
		else if (!strcmp(line, "time"))
			r->time = (time_t)strtoll(v, NULL, 10);
	}
	fclose(f);
	*found = 1;
	return NULL;
}

kd_err *kd_load_record_remove(const char *root)
{
	char path[4096];
	kd_err *e = kd_load_rooted(root, KD_LOAD_RECORD_PATH, path, sizeof(path));
	if (e)
		return e;
	if (unlink(path) < 0 && errno != ENOENT)
		return kd_err_errno("removing %s", path);
	return NULL;
}

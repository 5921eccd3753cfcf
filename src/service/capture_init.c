/* PID 1 of the capture kernel (capture.h): the environment, the watchdog, modules,
 * kdump_pre/kdump_post, the target's save and the final or failure action. Nothing here may
 * return to the kernel: every path ends in reboot(2). No shell, no dynamic loading; only what
 * the initramfs carries (this static binary as /init, /dev/console, the configuration
 * snapshot, the modules and the kdump_pre/kdump_post programs) is assumed. */
#define _GNU_SOURCE
#include "service/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "service/initramfs.h"
#include "service/target.h"

/* what the initramfs holds, where initramfs.c puts it */
#define SNAPSHOT KD_INITRAMFS_SNAPSHOT
#define MODULES KD_INITRAMFS_MODULES
#define MODDIR KD_INITRAMFS_MODDIR
#define ROOT_MNT "/kdump/root"

/* ---- the watchdog ------------------------------------------------------------------------ */

unsigned kd_capture_watchdog_limit(uint64_t vmcore_bytes, long override)
{
	if (override >= 0)
		return override > 86400L * 7 ? 86400u * 7 : (unsigned)override;
	uint64_t gib = (vmcore_bytes + (1ull << 30) - 1) >> 30;
	uint64_t s = KD_CAPTURE_WD_BASE + gib * KD_CAPTURE_WD_PER_GIB;
	return s > 86400u * 7 ? 86400u * 7 : (unsigned)s;
}

long kd_capture_watchdog_override(const char *cmdline)
{
	static const char key[] = "kdumpkit.watchdog=";
	for (const char *p = cmdline; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		const char *end = p + strcspn(p, " \t\n");
		if (!strncmp(p, key, sizeof(key) - 1)) {
			const char *v = p + sizeof(key) - 1;
			char *stop;
			errno = 0;
			unsigned long n = strtoul(v, &stop, 10);
			if (v == end || stop != end || errno || *v == '-' || n > 86400ul * 7)
				return -1;
			return (long)n;
		}
		p = end;
	}
	return -1;
}

struct kd_watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct timespec deadline; /* CLOCK_MONOTONIC */
	int stopped;
	void (*expire)(void *);
	void *arg;
};

static void *watchdog_thread(void *p)
{
	struct kd_watchdog *w = p;
	pthread_mutex_lock(&w->lock);
	int rc = 0;
	while (!w->stopped && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&w->cond, &w->lock, &w->deadline);
	int fire = !w->stopped;
	pthread_mutex_unlock(&w->lock);
	if (fire)
		w->expire(w->arg);
	return NULL;
}

kd_err *kd_watchdog_start(unsigned long ms, void (*expire)(void *), void *arg,
			  struct kd_watchdog **out)
{
	*out = NULL;
	struct kd_watchdog *w = calloc(1, sizeof(*w));
	if (!w)
		return kd_err_new(ENOMEM, "starting the watchdog");
	w->expire = expire;
	w->arg = arg;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &w->deadline);
	w->deadline.tv_sec += (time_t)(ms / 1000);
	w->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (w->deadline.tv_nsec >= 1000000000L) {
		w->deadline.tv_sec++;
		w->deadline.tv_nsec -= 1000000000L;
	}
	int rc = pthread_create(&w->thread, NULL, watchdog_thread, w);
	if (rc) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return kd_err_new(rc, "starting the watchdog thread");
	}
	*out = w;
	return NULL;
}

void kd_watchdog_stop(struct kd_watchdog *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopped = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int kd_capture_reboot_cmd(enum kd_svc_action a)
{
	switch (a) {
	case KD_ACT_HALT: return RB_HALT_SYSTEM;
	case KD_ACT_POWEROFF: return RB_POWER_OFF;
	case KD_ACT_REBOOT:
	case KD_ACT_DUMP_TO_ROOTFS: break;
	}
	return RB_AUTOBOOT;
}

/* ---- modules ----------------------------------------------------------------------------- */

kd_err *kd_capture_load_modules(const char *list, const char *moddir, unsigned *failed)
{
	*failed = 0;
	FILE *f = fopen(list, "re");
	if (!f)
		return errno == ENOENT ? NULL : kd_err_errno("opening %s", list);
	char line[1024];
	unsigned lineno = 0, loaded = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		char *name = line + strspn(line, " \t");
		if (!*name || *name == '#')
			continue;
		char path[4096 + 1024];
		if (name[0] == '/')
			snprintf(path, sizeof(path), "%s", name);
		else if (strchr(name, '/') || strstr(name, ".ko"))
			snprintf(path, sizeof(path), "%s/%s", moddir, name);
		else
			snprintf(path, sizeof(path), "%s/%s.ko", moddir, name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			kd_error("%s:%u: module %s: %s: %s", list, lineno, name, path,
				 strerror(errno));
			(*failed)++;
			continue;
		}
		long rc = syscall(SYS_finit_module, fd, "", 0);
		int err = errno;
		close(fd);
		if (rc == 0)
			loaded++;
		else if (err != EEXIST) {
			kd_error("loading module %s (%s): %s", name, path, strerror(err));
			(*failed)++;
		}
	}
	int rerr = ferror(f);
	fclose(f);
	if (rerr)
		return kd_err_new(EIO, "reading %s", list);
	kd_info("%u modules loaded from %s%s", loaded, list, *failed ? " (some failed)" : "");
	return NULL;
}

/* ---- PID 1 ------------------------------------------------------------------------------- */

static void mount_one(const char *src, const char *dir, const char *type, unsigned long flags,
		      const char *data)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, flags, data) < 0 && errno != EBUSY)
		kd_error("mounting %s on %s: %s", type, dir, strerror(errno));
}

static void console(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return; /* keep what the kernel gave us, if anything */
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
	setvbuf(stderr, NULL, _IONBF, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void log_err(const char *what, kd_err *e)
{
	char buf[2048];
	kd_err_format(e, buf, sizeof(buf));
	kd_error("%s: %s", what, buf);
	kd_err_free(e);
}

__attribute__((noreturn)) static void finish(enum kd_svc_action a, int do_sync)
{
	int cmd = kd_capture_reboot_cmd(a);
	kd_info("%s", a == KD_ACT_HALT ? "halting" : a == KD_ACT_POWEROFF ? "powering off"
		: "rebooting");
	if (do_sync)
		sync();
	reboot(cmd);
	kd_error("reboot(2) failed: %s; trying a plain reboot", strerror(errno));
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* The watchdog's end: sync what can be synced in a few seconds (a hung device must not hang
 * this too), then reboot. */
static unsigned wd_limit;
static void *sync_thread(void *p)
{
	sync();
	*(volatile int *)p = 1;
	return NULL;
}
static void watchdog_expired(void *arg)
{
	(void)arg;
	kd_error("capture took longer than %u s: rebooting", wd_limit);
	static volatile int synced;
	pthread_t t;
	if (pthread_create(&t, NULL, sync_thread, (void *)&synced) == 0) {
		pthread_detach(t);
		for (int i = 0; i < 100 && !synced; i++)
			usleep(100000);
	}
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* A fault in PID 1 would panic the capture kernel ("Attempted to kill init") and leave the
 * machine down: say so and reboot instead. SIGBUS is real here: the collector maps
 * /proc/vmcore, and a page the dead kernel's memory cannot give faults. Only
 * async-signal-safe calls; an alternate stack so a stack overflow also gets here. */
static void fatal_signal(int sig)
{
	static const char msg[] = "kdumpkit: fatal signal in the capture (SIGSEGV, SIGBUS, SIGFPE, "
				  "SIGILL or SIGABRT): the dump was not saved; rebooting\n";
	(void)sig;
	ssize_t rc = write(2, msg, sizeof(msg) - 1);
	(void)rc;
	reboot(RB_AUTOBOOT);
	_exit(1);
}

static void catch_faults(void)
{
	static char stack[64 * 1024];
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack) };
	sigaltstack(&ss, NULL);
	struct sigaction sa = { .sa_handler = fatal_signal, .sa_flags = SA_ONSTACK };
	sigemptyset(&sa.sa_mask);
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* kdump_pre / kdump_post: a static program, no shell. kdump_post gets the dump's result as
 * its argument ("0": saved), as kdump-utils passes it. */
static kd_err *run_program(const char *what, const char *path, const char *arg)
{
	kd_info("running %s %s", what, path);
	pid_t pid = fork();
	if (pid < 0)
		return kd_err_errno("%s %s: fork", what, path);
	if (pid == 0) {
		char *argv[] = { (char *)path, (char *)arg, NULL };
		char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"HOME=/",
				 (char *)"TERM=linux", NULL };
		execve(path, argv, envp);
		fprintf(stderr, "kdumpkit: %s %s: %s\n", what, path, strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return kd_err_errno("%s %s: waiting", what, path);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return NULL;
	if (WIFEXITED(st))
		return kd_err_new(0, "%s %s exited with status %d", what, path, WEXITSTATUS(st));
	return kd_err_new(0, "%s %s was killed by signal %d", what, path, WTERMSIG(st));
}

static uint64_t vmcore_size(const char *vmcore)
{
	struct stat st;
	return stat(vmcore, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static char *read_small(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

/* failure_action dump_to_rootfs: the root file system recorded at load time, `path` on it. */
static kd_err *dump_to_rootfs(struct kd_capture *cap, const char *mnt)
{
	const struct kd_svc_config *c = cap->cfg;
	if (!c->rootfs_device || !c->rootfs_fstype)
		return kd_err_new(0, "no root file system was recorded when the service loaded");
	kd_err *e = kd_target_mount(c->rootfs_device, c->rootfs_fstype, mnt, cap->wait_ms);
	if (e)
		return e;
	char base[8192];
	snprintf(base, sizeof(base), "%s%s", mnt, c->path ? c->path : "/var/crash");
	e = kd_capture_save_dir(cap, base);
	sync();
	umount2(mnt, 0);
	return e;
}

static void env_defaults(struct kd_capture_env *env)
{
	if (!env->snapshot)
		env->snapshot = SNAPSHOT;
	if (!env->modules)
		env->modules = MODULES;
	if (!env->vmcore)
		env->vmcore = "/proc/vmcore";
	if (!env->root_mnt)
		env->root_mnt = ROOT_MNT;
}

enum kd_svc_action kd_capture_run(struct kd_capture_env *env)
{
	env_defaults(env);
	env->saved = 0;
	env->dir[0] = 0;
	struct kd_svc_config cfg = { 0 };
	struct kd_capture cap;
	kd_capture_init(&cap, &cfg);
	cap.vmcore = env->vmcore;
	if (env->wait_ms)
		cap.wait_ms = env->wait_ms;
	if (env->mnt)
		cap.mnt = env->mnt;
	cap.msg = env->msg;
	if (env->kmsg)
		cap.kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	uint64_t bytes = vmcore_size(cap.vmcore);
	wd_limit = kd_capture_watchdog_limit(bytes, kd_capture_watchdog_override(env->cmdline));
	struct kd_watchdog *wd = NULL;
	if (wd_limit) {
		kd_err *e = kd_watchdog_start(wd_limit * 1000ul, env->on_watchdog ? env->on_watchdog
					      : watchdog_expired, env->watchdog_arg, &wd);
		if (e)
			log_err("no watchdog", e);
		else
			kd_info("watchdog: %u s for %llu MiB of %s", wd_limit,
				(unsigned long long)(bytes >> 20), cap.vmcore);
	}

	enum kd_svc_action act;
	kd_err *e = kd_svc_config_snapshot_read(env->snapshot, &cfg);
	if (e) {
		log_err("reading the configuration", e);
		act = KD_ACT_REBOOT;
		goto out;
	}
	if (access(cap.vmcore, R_OK) < 0) {
		kd_error("%s: %s: this is not a capture kernel (booted by a crash)", cap.vmcore,
			 strerror(errno));
		act = cfg.final_action;
		goto out;
	}

	char moddir[512];
	struct utsname u;
	if (env->moddir)
		snprintf(moddir, sizeof(moddir), "%s", env->moddir);
	else
		snprintf(moddir, sizeof(moddir), MODDIR "/%s", uname(&u) == 0 ? u.release : "");
	unsigned failed_modules = 0;
	if ((e = kd_capture_load_modules(env->modules, moddir, &failed_modules)))
		log_err("loading modules", e);

	const struct kd_target_ops *t = kd_target_ops_for(cfg.target);
	if (cfg.kdump_pre)
		e = run_program("kdump_pre", cfg.kdump_pre, NULL);
	if (!e && !t)
		e = kd_err_new(0, "the %s target is not built in this kdumpkit",
			       kd_svc_target_name(cfg.target));
	if (!e)
		e = t->save(&cap);
	env->saved = e == NULL;
	if (e) {
		if (failed_modules)
			e = kd_err_wrap(e, "(%u modules failed to load, see above)", failed_modules);
		log_err("the dump was not saved", e);
	} else {
		snprintf(env->dir, sizeof(env->dir), "%s", cap.dir.dir);
	}
	if (cfg.kdump_post &&
	    (e = run_program("kdump_post", cfg.kdump_post, env->saved ? "0" : "1")))
		log_err("kdump_post", e);

	act = env->saved ? cfg.final_action : cfg.failure_action;
	if (!env->saved && cfg.failure_action == KD_ACT_DUMP_TO_ROOTFS) {
		kd_info("failure_action dump_to_rootfs: saving to %s on the root file system",
			cfg.path ? cfg.path : "/var/crash");
		if ((e = dump_to_rootfs(&cap, env->root_mnt)))
			log_err("dump_to_rootfs", e);
		else {
			env->saved = 1;
			snprintf(env->dir, sizeof(env->dir), "%s", cap.dir.dir);
		}
		act = cfg.final_action;
	}
out:
	if (cap.kmsg_fd >= 0)
		close(cap.kmsg_fd);
	kd_watchdog_stop(wd);
	kd_svc_config_free(&cfg);
	return act == KD_ACT_DUMP_TO_ROOTFS ? KD_ACT_REBOOT : act;
}

void kd_capture_pid1(void)
{
	catch_faults();
	mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	console();
	kd_log_set_prog("kdumpkit");
	kd_log_set_level(KD_LOG_INFO);
	mount_one("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_one("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	mount_one("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	umask(077);
	struct kd_capture_env env = { .cmdline = read_small("/proc/cmdline"), .msg = stderr,
				      .kmsg = 1 };
	finish(kd_capture_run(&env), 1);
}

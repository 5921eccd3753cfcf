/* Dump directories: naming, files written under "-incomplete" and committed, rotation. */
#define _GNU_SOURCE /* O_DIRECTORY, O_NOFOLLOW with openat */
#include "service/dumpdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

/* A directory name taken this many times in the same second (minute for kdump-tools) means
 * something else is wrong. */
#define SUFFIX_MAX 999
/* kdump-utils names a local dump after the loopback address. */
#define LOCAL_HOST "127.0.0.1"

static const char incomplete_suffix[] = "-incomplete";

kd_err *kd_dumpdir_path(const struct kd_dumpdir *d, const char *name, int incomplete, char *buf,
			size_t len)
{
	int n = snprintf(buf, len, "%s/%s%s", d->dir, name, incomplete ? incomplete_suffix : "");
	if (n < 0 || (size_t)n >= len)
		return kd_err_new(ENAMETOOLONG, "%s/%s: the path is too long", d->dir, name);
	return NULL;
}

static kd_err *fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening %s to sync it", dir);
	kd_err *e = NULL;
	if (fsync(fd) < 0 && errno != EINVAL)
		e = kd_err_errno("syncing directory %s", dir);
	close(fd);
	return e;
}

/* The directory holding path (its name's entry lives there). */
static kd_err *fsync_parent(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	char *slash = strrchr(p, '/');
	if (!slash)
		return fsync_dir(".");
	if (slash == p)
		slash[1] = '\0';
	else
		*slash = '\0';
	return fsync_dir(p);
}

/* mkdir -p, new components 0700, each new entry synced into its parent. */
static kd_err *make_base(const char *base)
{
	char p[PATH_MAX];
	if (strlen(base) >= sizeof(p))
		return kd_err_new(ENAMETOOLONG, "creating %s", base);
	strcpy(p, base);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (s > p + 1 && s[-1] != '/') {
			if (mkdir(p, 0700) == 0) {
				kd_err *e = fsync_parent(p);
				if (e)
					return e;
			} else if (errno != EEXIST) {
				return kd_err_errno("creating %s", p);
			}
		}
		*s = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(base, &st) < 0)
		return kd_err_errno("creating %s", base);
	if (!S_ISDIR(st.st_mode))
		return kd_err_new(ENOTDIR, "creating %s: it exists and is not a directory", base);
	return NULL;
}

kd_err *kd_dumpdir_create(const char *base, enum kd_svc_personality p, time_t t,
			  struct kd_dumpdir *d)
{
	*d = (struct kd_dumpdir){ 0 };
	if (!base || !base[0])
		return kd_err_new(EINVAL, "dump directory: no base directory (path) given");
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return kd_err_new(EINVAL, "dump directory: time %lld cannot be shown as a date",
				  (long long)t);
	char name[64];
	if (p == KD_SVC_KDUMP_TOOLS) {
		strftime(d->stamp, sizeof(d->stamp), "%Y%m%d%H%M", &tm);
		snprintf(name, sizeof(name), "%s", d->stamp);
		snprintf(d->vmcore, sizeof(d->vmcore), "dump.%s", d->stamp);
		snprintf(d->dmesg, sizeof(d->dmesg), "dmesg.%s", d->stamp);
	} else {
		strftime(d->stamp, sizeof(d->stamp), "%Y-%m-%d-%H:%M:%S", &tm);
		snprintf(name, sizeof(name), LOCAL_HOST "-%s", d->stamp);
		strcpy(d->vmcore, "vmcore");
		strcpy(d->dmesg, "vmcore-dmesg.txt");
	}
	kd_err *e = make_base(base);
	if (e)
		return kd_err_wrap(e, "dump directory");
	const char *sep = base[0] && base[strlen(base) - 1] == '/' ? "" : "/";
	for (unsigned i = 0; i <= SUFFIX_MAX; i++) {
		int n = i ? snprintf(d->dir, sizeof(d->dir), "%s%s%s.%u", base, sep, name, i) :
			    snprintf(d->dir, sizeof(d->dir), "%s%s%s", base, sep, name);
		if (n < 0 || (size_t)n >= sizeof(d->dir))
			return kd_err_new(ENAMETOOLONG, "dump directory under %s: the path is too "
					  "long", base);
		if (mkdir(d->dir, 0700) == 0) {
			/* the umask may have taken bits away; exactly 0700 whatever it is */
			if (chmod(d->dir, 0700) < 0)
				return kd_err_errno("setting the mode of %s", d->dir);
			/* a crash or power cut later must not lose the directory the dump is in */
			return fsync_parent(d->dir);
		}
		if (errno != EEXIST)
			return kd_err_errno("creating dump directory %s", d->dir);
	}
	return kd_err_new(EEXIST, "dump directory %s/%s: taken %u times over; clean up %s", base,
			  name, SUFFIX_MAX + 1, base);
}

kd_err *kd_dumpdir_open_incomplete(const struct kd_dumpdir *d, const char *name, int *fd)
{
	char path[PATH_MAX];
	kd_err *e = kd_dumpdir_path(d, name, 1, path, sizeof(path));
	if (e)
		return e;
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		return kd_err_errno("creating %s", path);
	if (fchmod(*fd, 0600) < 0) {
		e = kd_err_errno("setting the mode of %s", path);
		close(*fd);
		*fd = -1;
	}
	return e;
}

kd_err *kd_dumpdir_commit(const struct kd_dumpdir *d, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX];
	kd_err *e = kd_dumpdir_path(d, name, 1, from, sizeof(from));
	if (!e)
		e = kd_dumpdir_path(d, name, 0, to, sizeof(to));
	if (e)
		return e;
	int fd = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return kd_err_errno("committing %s", from);
	/* the data reaches the disk before the name says it is complete */
	if (fsync(fd) < 0 && errno != EINVAL) {
		e = kd_err_errno("syncing %s", from);
		close(fd);
		return e;
	}
	close(fd);
	if (rename(from, to) < 0)
		return kd_err_errno("renaming %s to %s", from, to);
	return fsync_dir(d->dir);
}

static kd_err *write_all(int fd, const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_errno("writing %s at offset %zu", path, done);
		if (n == 0)
			return kd_err_new(EIO, "writing %s at offset %zu: short write", path, done);
		done += (size_t)n;
	}
	return NULL;
}

kd_err *kd_dumpdir_write_file(const struct kd_dumpdir *d, const char *name, const void *buf,
			      size_t len)
{
	int fd;
	char path[PATH_MAX];
	kd_err *e = kd_dumpdir_path(d, name, 1, path, sizeof(path));
	if (!e)
		e = kd_dumpdir_open_incomplete(d, name, &fd);
	if (e)
		return e;
	e = write_all(fd, path, buf, len);
	if (close(fd) < 0 && !e)
		e = kd_err_errno("closing %s", path);
	if (!e)
		e = kd_dumpdir_commit(d, name);
	return e;
}

/* ---- rotation ---- */

struct entry {
	char name[256];
	char stamp[32];   /* the time part of the name: sorts in time order */
	unsigned suffix;  /* ".N": taken later in the same second/minute */
	int complete;
	dev_t dev;
	ino_t ino;
};

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Whether `name` is a dump directory name of personality p; fills stamp and suffix. */
static int parse_name(const char *name, enum kd_svc_personality p, struct entry *e)
{
	const char *s = name;
	size_t n;
	if (p == KD_SVC_KDUMP_TOOLS) {
		if (!all_digits(s, 12))
			return 0;
		n = 12;
	} else {
		static const char host[] = LOCAL_HOST "-";
		if (strncmp(s, host, sizeof(host) - 1))
			return 0;
		s += sizeof(host) - 1;
		/* YYYY-MM-DD-HH:MM:SS */
		static const char shape[] = "dddd-dd-dd-dd:dd:dd";
		for (n = 0; shape[n]; n++)
			if (shape[n] == 'd' ? !all_digits(s + n, 1) : s[n] != shape[n])
				return 0;
	}
	memcpy(e->stamp, s, n);
	e->stamp[n] = '\0';
	e->suffix = 0;
	const char *rest = s + n;
	if (!*rest)
		return 1;
	if (rest[0] != '.' || !rest[1] || strlen(rest + 1) > 3 || !all_digits(rest + 1, strlen(rest + 1)) ||
	    rest[1] == '0')
		return 0;
	e->suffix = (unsigned)atoi(rest + 1);
	return 1;
}

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(y->stamp, x->stamp);
	if (c)
		return c;
	return (y->suffix > x->suffix) - (y->suffix < x->suffix);
}

/* Our dump directories under base, newest first. A missing base holds none. */
static kd_err *list_dumps(const char *base, enum kd_svc_personality p, struct entry **out,
			  size_t *count)
{
	*out = NULL;
	*count = 0;
	int bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return errno == ENOENT ? NULL : kd_err_errno("opening %s", base);
	DIR *dir = fdopendir(bfd);
	if (!dir) {
		close(bfd);
		return kd_err_errno("reading %s", base);
	}
	struct entry *v = NULL;
	size_t n = 0, cap = 0;
	kd_err *err = NULL;
	struct dirent *de;
	while ((de = readdir(dir))) {
		struct entry e = { 0 };
		struct stat st;
		if (strlen(de->d_name) >= sizeof(e.name) || !parse_name(de->d_name, p, &e))
			continue;
		/* a symlink is not ours, whatever its name */
		if (fstatat(bfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		strcpy(e.name, de->d_name);
		e.dev = st.st_dev;
		e.ino = st.st_ino;
		char vm[320];
		if (p == KD_SVC_KDUMP_TOOLS)
			snprintf(vm, sizeof(vm), "%s/dump.%s", e.name, e.stamp);
		else
			snprintf(vm, sizeof(vm), "%s/vmcore", e.name);
		e.complete = fstatat(bfd, vm, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct entry *nv = realloc(v, c * sizeof(*v));
			if (!nv) {
				err = kd_err_new(ENOMEM, "listing dumps in %s", base);
				break;
			}
			v = nv;
			cap = c;
		}
		v[n++] = e;
	}
	closedir(dir);
	if (err) {
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), newest_first);
	*out = v;
	*count = n;
	return NULL;
}

/* Remove a dump directory of ours: its files, then itself. One holding anything but regular
 * files and symlinks (a directory someone made there) is not a dump we wrote: it stays
 * untouched (*skipped set). */
static kd_err *remove_dump(const char *base, const char *name, int *skipped)
{
	char path[PATH_MAX];
	*skipped = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", base, name) >= sizeof(path))
		return kd_err_new(ENAMETOOLONG, "removing old dump %s/%s", base, name);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("removing old dump %s", path);
	DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return kd_err_errno("removing old dump %s", path);
	}
	kd_err *e = NULL;
	/* first look, then delete: never half of a directory that is not ours */
	for (int pass = 0; pass < 2 && !e && !*skipped; pass++) {
		rewinddir(dir);
		struct dirent *de;
		while (!e && (de = readdir(dir))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			struct stat st;
			if (pass == 0) {
				if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
					e = kd_err_errno("removing old dump %s: %s", path,
							 de->d_name);
				else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
					kd_warn("not removing old dump %s: %s in it is not a file a "
						"dump holds", path, de->d_name);
					*skipped = 1;
					break;
				}
			} else if (unlinkat(fd, de->d_name, 0) < 0)
				e = kd_err_errno("removing %s/%s", path, de->d_name);
		}
	}
	closedir(dir);
	if (e || *skipped)
		return e;
	if (rmdir(path) < 0)
		return kd_err_errno("removing old dump %s", path);
	kd_info("removed old dump %s", path);
	return NULL;
}

kd_err *kd_dumpdir_rotate(const char *base, enum kd_svc_personality p, unsigned keep,
			  const struct kd_dumpdir *d)
{
	if (!keep)
		return NULL;
	struct stat cur = { 0 };
	int have_cur = d && d->dir[0] && stat(d->dir, &cur) == 0;
	struct entry *v;
	size_t n;
	kd_err *e = list_dumps(base, p, &v, &n);
	if (e)
		return kd_err_wrap(e, "rotating dumps");
	/* the dump just written counts as one of those kept, wherever it is in the order */
	unsigned kept = 0;
	for (size_t i = 0; i < n; i++)
		if (have_cur && v[i].dev == cur.st_dev && v[i].ino == cur.st_ino && v[i].complete)
			kept++;
	kd_err *first = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].complete)
			continue; /* a failed capture's leftovers: an operator looks at those */
		if (have_cur && v[i].dev == cur.st_dev && v[i].ino == cur.st_ino)
			continue;
		if (kept < keep) {
			kept++;
			continue;
		}
		int skipped;
		kd_err *r = remove_dump(base, v[i].name, &skipped);
		if (r && !first)
			first = r;
		else if (r) {
			char msg[512];
			kd_err_format(r, msg, sizeof(msg));
			kd_warn("%s", msg);
			kd_err_free(r);
		}
	}
	free(v);
	return first ? kd_err_wrap(first, "rotating dumps in %s (keeping %u)", base, keep) : NULL;
}

kd_err *kd_dumpdir_last(const char *base, enum kd_svc_personality p, char *dir, size_t len,
			int *complete)
{
	struct entry *v;
	size_t n;
	if (len)
		dir[0] = '\0';
	*complete = 0;
	kd_err *e = list_dumps(base, p, &v, &n);
	if (e)
		return kd_err_wrap(e, "finding the last dump");
	if (n) {
		int w = snprintf(dir, len, "%s/%s", base, v[0].name);
		if (w < 0 || (size_t)w >= len)
			e = kd_err_new(ENAMETOOLONG, "%s/%s: the path is too long", base, v[0].name);
		else
			*complete = v[0].complete;
	}
	free(v);
	return e;
}

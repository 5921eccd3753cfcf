/* Block devices through libblkid's low-level probing (no cache file), and the mount that holds
 * a path. */
#define _GNU_SOURCE /* strcasecmp, realpath of a prefix */
#include "service/blockdev.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "service/mountinfo.h"

/* How often the device list is looked at again while waiting. */
#define POLL_MS 100u
/* Device names listed in a "not found" error. */
#define SEEN_MAX 16

static const char *root_sys(const struct kd_blockdev_roots *r)
{
	return r && r->sys ? r->sys : "/sys";
}

static const char *root_dev(const struct kd_blockdev_roots *r)
{
	return r && r->dev ? r->dev : "/dev";
}

/* snprintf for paths: -1 when it does not fit (buf then holds a cut name nobody opens). */
static int __attribute__((format(printf, 3, 4))) pathf(char *buf, size_t cap, const char *fmt,
							...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static void copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void value(blkid_probe pr, const char *name, char *dst, size_t cap)
{
	const char *v;
	size_t n;
	dst[0] = '\0';
	/* the length blkid reports counts the NUL */
	if (!blkid_probe_lookup_value(pr, name, &v, &n) && v)
		copy(dst, cap, v, strnlen(v, n));
}

/* Read a small sysfs attribute into buf, trailing newline removed; -1 when it cannot be read. */
static int read_attr(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n;
	do
		n = read(fd, buf, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* DEVNAME= of a sysfs device's uevent ("vda1", "cciss/c0d0"); -1 when it has none. */
static int uevent_devname(const char *sysdir, char *name, size_t cap)
{
	char path[PATH_MAX], buf[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/uevent", sysdir) >= sizeof(path) ||
	    read_attr(path, buf, sizeof(buf)))
		return -1;
	char *save;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "DEVNAME=", 8) && line[8] && !strstr(line + 8, "..")) {
			copy(name, cap, line + 8, strlen(line + 8));
			return 0;
		}
	return -1;
}

/* <sys>/class/block/<kernel name> of a device number, "" when sysfs does not know it. */
static void sysfs_of(const struct kd_blockdev_roots *r, dev_t rdev, char *out, size_t cap)
{
	char link[PATH_MAX], target[PATH_MAX];
	out[0] = '\0';
	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", root_sys(r), major(rdev), minor(rdev));
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	if (pathf(out, cap, "%s/class/block/%s", root_sys(r), base ? base + 1 : target))
		out[0] = '\0';
}

/* A whole disk's serial as the driver shows it in sysfs (virtio-blk's `serial`, what udev's
 * by-id/virtio-<serial> link is named after), trailing blanks dropped; "" when none. */
static void read_serial(struct kd_blkinfo *b)
{
	static const char *const names[] = { "serial", "device/serial" };
	if (!b->sysfs[0])
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", b->sysfs, names[i]) >= sizeof(path))
			return;
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		size_t n = fread(b->serial, 1, sizeof(b->serial) - 1, f);
		fclose(f);
		while (n > 0 && (b->serial[n - 1] == '\n' || b->serial[n - 1] == ' ' ||
				 b->serial[n - 1] == '\0'))
			n--;
		b->serial[n] = '\0';
		if (n)
			return;
	}
}

static kd_err *probe_in(const struct kd_blockdev_roots *r, const char *devnode,
			struct kd_blkinfo *out)
{
	*out = (struct kd_blkinfo){ 0 };
	if (strlen(devnode) >= sizeof(out->devnode))
		return kd_err_new(ENAMETOOLONG, "probing %s: the name is too long", devnode);
	copy(out->devnode, sizeof(out->devnode), devnode, strlen(devnode));
	struct stat st;
	if (stat(devnode, &st) < 0)
		return kd_err_errno("probing %s", devnode);
	if (S_ISBLK(st.st_mode)) {
		sysfs_of(r, st.st_rdev, out->sysfs, sizeof(out->sysfs));
		read_serial(out);
	}
	else if (!S_ISREG(st.st_mode))
		return kd_err_new(ENOTBLK, "probing %s: neither a block device nor an image file",
				  devnode);

	errno = 0;
	blkid_probe pr = blkid_new_probe_from_filename(devnode);
	if (!pr)
		return kd_err_new(errno ? errno : EIO, "opening %s for probing", devnode);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	int rc = blkid_do_safeprobe(pr);
	kd_err *e = NULL;
	if (rc == -2)
		e = kd_err_new(EINVAL, "%s holds more than one signature (ambiguous: `wipefs %s` "
			       "lists them)", devnode, devnode);
	else if (rc < 0)
		e = kd_err_new(EIO, "probing %s with libblkid failed", devnode);
	else if (rc == 0) {
		value(pr, "TYPE", out->type, sizeof(out->type));
		value(pr, "UUID", out->uuid, sizeof(out->uuid));
		value(pr, "LABEL", out->label, sizeof(out->label));
		value(pr, "PTTYPE", out->pttype, sizeof(out->pttype));
		value(pr, "PART_ENTRY_UUID", out->partuuid, sizeof(out->partuuid));
		value(pr, "PART_ENTRY_NAME", out->partlabel, sizeof(out->partlabel));
	}
	blkid_free_probe(pr);
	return e;
}

kd_err *kd_blockdev_probe(const char *devnode, struct kd_blkinfo *out)
{
	return probe_in(NULL, devnode, out);
}

enum tag { TAG_PATH, TAG_UUID, TAG_LABEL, TAG_PARTUUID, TAG_PARTLABEL, TAG_SERIAL };

static const struct {
	const char *key, *bylink;
	enum tag tag;
} tags[] = {
	{ "UUID=", "/dev/disk/by-uuid/", TAG_UUID },
	{ "LABEL=", "/dev/disk/by-label/", TAG_LABEL },
	{ "PARTUUID=", "/dev/disk/by-partuuid/", TAG_PARTUUID },
	{ "PARTLABEL=", "/dev/disk/by-partlabel/", TAG_PARTLABEL },
	/* a disk without a file system (a raw target) has no UUID: its serial names it */
	{ "SERIAL=", "/dev/disk/by-id/virtio-", TAG_SERIAL },
};

/* udev's link names escape '/', ' ' and other bytes as \xHH. */
static void unhex(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 1 < cap; s++) {
		unsigned v;
		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1 && v) {
			out[o++] = (char)v;
			s += 3;
			continue;
		}
		out[o++] = *s;
	}
	out[o] = '\0';
}

static int matches(enum tag t, const char *want, const struct kd_blkinfo *b)
{
	switch (t) {
	case TAG_UUID:
		return b->uuid[0] && !strcasecmp(b->uuid, want);
	case TAG_LABEL:
		return b->label[0] && !strcmp(b->label, want);
	case TAG_PARTUUID:
		return b->partuuid[0] && !strcasecmp(b->partuuid, want);
	case TAG_PARTLABEL:
		return b->partlabel[0] && !strcmp(b->partlabel, want);
	case TAG_SERIAL:
		return b->serial[0] && !strcmp(b->serial, want);
	default:
		return 0;
	}
}

struct seen {
	char names[SEEN_MAX][64];
	unsigned n, total;
	/* devices probed and not matching, as "name size": not opened again while waiting
	 * (a machine with hundreds of disks is looked through ten times a second) unless
	 * their size changes (media inserted, a partition table re-read) */
	char **probed;
	size_t nprobed, cap;
};

static int was_probed(const struct seen *s, const char *key)
{
	for (size_t i = 0; i < s->nprobed; i++)
		if (!strcmp(s->probed[i], key))
			return 1;
	return 0;
}

static void remember(struct seen *s, const char *key)
{
	if (s->nprobed == s->cap) {
		size_t c = s->cap ? s->cap * 2 : 32;
		char **v = realloc(s->probed, c * sizeof(*v));
		if (!v)
			return; /* probing again is only slower */
		s->probed = v;
		s->cap = c;
	}
	if ((s->probed[s->nprobed] = strdup(key)))
		s->nprobed++;
}

/* One look through <sys>/class/block: 1 and *out filled when a device matches. */
static int scan(const struct kd_blockdev_roots *r, enum tag t, const char *want,
		struct kd_blkinfo *out, struct seen *seen, const char *spec)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/class/block", root_sys(r));
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int found = 0;
	seen->n = seen->total = 0;
	struct kd_blkinfo b;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char sysdir[PATH_MAX], attr[PATH_MAX], buf[64] = "", name[256], node[PATH_MAX];
		char key[320];
		if (pathf(sysdir, sizeof(sysdir), "%s/%s", dir, de->d_name))
			continue;
		if (seen->n < SEEN_MAX)
			copy(seen->names[seen->n++], sizeof(seen->names[0]), de->d_name,
			     strlen(de->d_name));
		seen->total++;
		/* an empty loop device or a drive without media has nothing to probe */
		if (!pathf(attr, sizeof(attr), "%s/size", sysdir) &&
		    read_attr(attr, buf, sizeof(buf)))
			buf[0] = '\0';
		if (!strcmp(buf, "0"))
			continue;
		if (pathf(key, sizeof(key), "%s %s", de->d_name, buf) || was_probed(seen, key))
			continue;
		if (uevent_devname(sysdir, name, sizeof(name))) {
			/* sysfs writes '/' in a device's name as '!' */
			copy(name, sizeof(name), de->d_name, strlen(de->d_name));
			for (char *c = name; *c; c++)
				if (*c == '!')
					*c = '/';
		}
		if ((size_t)snprintf(node, sizeof(node), "%s/%s", root_dev(r), name) >= sizeof(node))
			continue;
		kd_err *e = probe_in(r, node, &b);
		if (e) {
			char msg[512];
			kd_err_format(e, msg, sizeof(msg));
			kd_debug("looking for %s: %s", spec, msg);
			kd_err_free(e);
			continue;
		}
		if (!b.sysfs[0])
			copy(b.sysfs, sizeof(b.sysfs), sysdir, strlen(sysdir));
		if (!b.serial[0])
			read_serial(&b);
		if (!matches(t, want, &b)) {
			remember(seen, key);
			continue;
		}
		if (found) {
			kd_warn("%s: both %s and %s match; using %s", spec, out->devnode, b.devnode,
				out->devnode);
			continue;
		}
		*out = b;
		found = 1;
	}
	closedir(d);
	return found;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

kd_err *kd_blockdev_find_in(const struct kd_blockdev_roots *r, const char *spec,
			    unsigned timeout_ms, struct kd_blkinfo *out)
{
	if (!spec || !spec[0])
		return kd_err_new(EINVAL, "finding a block device: no device given");
	enum tag t = TAG_PATH;
	char want[256] = "", path[PATH_MAX];
	struct stat st;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t kl = strlen(tags[i].key), bl = strlen(tags[i].bylink);
		if (!strncasecmp(spec, tags[i].key, kl)) {
			t = tags[i].tag;
			const char *v = spec + kl;
			size_t n = strlen(v);
			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
				v++;
				n -= 2;
			}
			copy(want, sizeof(want), v, n);
		} else if (!strncmp(spec, tags[i].bylink, bl) && lstat(spec, &st) < 0) {
			/* udev's links: none in a capture kernel without udev */
			t = tags[i].tag;
			unhex(spec + bl, want, sizeof(want));
		}
	}
	if (t != TAG_PATH && !want[0])
		return kd_err_new(EINVAL, "%s: nothing after the '='", spec);
	if (t == TAG_PATH) {
		if (spec[0] != '/')
			return kd_err_new(EINVAL, "%s: not a device (write /dev/..., UUID=..., "
					  "LABEL=..., PARTUUID=... or PARTLABEL=...)", spec);
		const char *rest = !strncmp(spec, "/dev/", 5) ? spec + 4 : NULL;
		if ((size_t)snprintf(path, sizeof(path), "%s%s", rest ? root_dev(r) : "",
				     rest ? rest : spec) >= sizeof(path))
			return kd_err_new(ENAMETOOLONG, "%s: the name is too long", spec);
	}

	uint64_t start = now_ms(), waited;
	uint64_t next_note = start + 5000;
	struct seen *seen = calloc(1, sizeof(*seen));
	if (!seen)
		return kd_err_new(ENOMEM, "finding %s", spec);
	kd_err *e = NULL;
	for (;;) {
		if (t == TAG_PATH) {
			if (stat(path, &st) == 0) {
				/* a udev link (/dev/disk/by-id/...) names the device by its node */
				char *real = S_ISBLK(st.st_mode) ? realpath(path, NULL) : NULL;
				e = probe_in(r, real ? real : path, out);
				free(real);
				break;
			}
			if (errno != ENOENT && errno != ENXIO && errno != ENODEV) {
				e = kd_err_errno("finding %s", spec);
				break;
			}
		} else if (scan(r, t, want, out, seen, spec))
			break;
		waited = now_ms() - start;
		if (waited >= timeout_ms) {
			char list[SEEN_MAX * 66] = "";
			size_t o = 0;
			for (unsigned i = 0; i < seen->n && o < sizeof(list); i++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
						      seen->names[i]);
			if (t == TAG_PATH)
				e = kd_err_new(ENOENT, "%s did not appear (waited %u ms): check that "
					       "the capture kernel has its driver (extra_modules)",
					       spec, timeout_ms);
			else if (!seen->total)
				e = kd_err_new(ENOENT, "no block device holds %s (waited %u ms; no "
					       "block devices in %s/class/block): check that the "
					       "capture kernel has the disk's driver (extra_modules)",
					       spec, timeout_ms, root_sys(r));
			else
				e = kd_err_new(ENOENT, "no block device holds %s (waited %u ms; "
					       "saw %u: %s%s)", spec, timeout_ms, seen->total,
					       list, seen->total > seen->n ? ", ..." : "");
			break;
		}
		if (now_ms() >= next_note) {
			kd_info("waiting for %s (%llu of %u s)", spec,
				(unsigned long long)(waited / 1000), timeout_ms / 1000);
			next_note += 5000;
		}
		uint64_t left = timeout_ms - waited;
		sleep_ms(left < POLL_MS ? (unsigned)left : POLL_MS);
	}
	for (size_t i = 0; i < seen->nprobed; i++)
		free(seen->probed[i]);
	free(seen->probed);
	free(seen);
	return e;
}

kd_err *kd_blockdev_find(const char *spec, unsigned timeout_ms, struct kd_blkinfo *out)
{
	return kd_blockdev_find_in(NULL, spec, timeout_ms, out);
}

/* Lexically clean an absolute path: no "//", ".", ".."; no trailing '/'. */
static void clean(char *p)
{
	char *out = p, *s = p;
	while (*s) {
		while (*s == '/')
			s++;
		char *c = s;
		while (*s && *s != '/')
			s++;
		size_t n = (size_t)(s - c);
		if (!n || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, c, n);
		out += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

/* path made canonical: its longest existing prefix through realpath, the rest appended. */
static kd_err *canonical(const char *path, char *out, size_t cap)
{
	char buf[PATH_MAX];
	if (path[0] != '/') {
		if (!getcwd(buf, sizeof(buf)))
			return kd_err_errno("resolving %s", path);
		if (strlen(buf) + 1 + strlen(path) >= sizeof(buf))
			return kd_err_new(ENAMETOOLONG, "resolving %s", path);
		strcat(strcat(buf, "/"), path);
	} else {
		if (strlen(path) >= sizeof(buf))
			return kd_err_new(ENAMETOOLONG, "resolving %s", path);
		strcpy(buf, path);
	}
	clean(buf);
	size_t cut = strlen(buf);
	for (;;) {
		char saved = buf[cut];
		buf[cut] = '\0';
		char *real = realpath(cut ? buf : "/", NULL);
		buf[cut] = saved;
		if (real) {
			int n = snprintf(out, cap, "%s%s", strcmp(real, "/") ? real : "", buf + cut);
			free(real);
			if (n < 0 || (size_t)n >= cap)
				return kd_err_new(ENAMETOOLONG, "resolving %s", path);
			if (!out[0])
				strcpy(out, "/");
			return NULL;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return kd_err_errno("resolving %s", path);
		if (!cut)
			return kd_err_errno("resolving %s", path);
		while (cut > 0 && buf[--cut] != '/')
			;
	}
}

kd_err *kd_blockdev_mount_of_path(const struct kd_blockdev_roots *r, const char *path,
				  struct kd_mount *m)
{
	char canon[PATH_MAX];
	const char *mi = r && r->mountinfo ? r->mountinfo : "/proc/self/mountinfo";
	kd_err *e = canonical(path, canon, sizeof(canon));
	if (!e)
		e = kd_mountinfo_find_file(mi, canon, m);
	if (e)
		return kd_err_wrap(e, "the file system holding %s", path);
	if (m->major) {
		char sysdir[PATH_MAX], name[256];
		snprintf(sysdir, sizeof(sysdir), "%s/dev/block/%u:%u", root_sys(r), m->major,
			 m->minor);
		if (!uevent_devname(sysdir, name, sizeof(name)))
			snprintf(m->source, sizeof(m->source), "%s/%s", root_dev(r), name);
		else if (strncmp(m->source, "/dev/", 5) || !strcmp(m->source, "/dev/root"))
			return kd_err_new(ENODEV, "the file system holding %s (%s on %s) is on "
					  "device %u:%u, which %s/dev/block does not know", path,
					  m->fstype, m->mountpoint, m->major, m->minor, root_sys(r));
	}
	return NULL;
}

kd_err *kd_blockdev_fs_of_path(const char *path, char *devnode, size_t devlen, char *fstype,
			       size_t fslen, char *mountpoint, size_t mplen)
{
	struct kd_mount *m = malloc(sizeof(*m));
	if (!m)
		return kd_err_new(ENOMEM, "the file system holding %s", path);
	kd_err *e = kd_blockdev_mount_of_path(NULL, path, m);
	if (!e && (strlen(m->source) >= devlen || strlen(m->fstype) >= fslen ||
		   strlen(m->mountpoint) >= mplen))
		e = kd_err_new(ENAMETOOLONG, "the file system holding %s: a name is too long",
			       path);
	if (!e) {
		strcpy(devnode, m->source);
		strcpy(fstype, m->fstype);
		strcpy(mountpoint, m->mountpoint);
	}
	free(m);
	return e;
}

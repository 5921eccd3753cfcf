/* The modules of a block device's driver chain, read from sysfs (kmod.h): the disk of a
 * partition, the disks under device-mapper and md devices, and each ancestor device's
 * driver -> module link. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "service/kmod.h"

static int exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static kd_err *add_unique(char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return NULL;
	return kd_kmod_strv_add(v, n, s, strlen(s));
}

/* The module behind an md array's personality ("raid1" -> raid1, "raid5" -> raid456). */
static const char *md_level_module(const char *level)
{
	if (!strcmp(level, "raid0") || !strcmp(level, "raid1") || !strcmp(level, "raid10"))
		return level;
	if (!strcmp(level, "raid4") || !strcmp(level, "raid5") || !strcmp(level, "raid6"))
		return "raid456";
	return NULL;
}

/* One disk (a partition's disk) at its resolved sysfs directory `p`. */
static kd_err *chain_disk(const char *devices, char *p, char ***v, size_t *n, int depth)
{
	if (depth > 16)
		return kd_err_new(ELOOP, "%s: block devices stacked deeper than 16", p);
	if (exists(p, "partition")) {
		char *slash = strrchr(p, '/');
		if (slash)
			*slash = 0;
	}
	kd_err *e = NULL;
	/* the disks under device-mapper and md devices, in name order */
	char sl[PATH_MAX];
	snprintf(sl, sizeof(sl), "%s/slaves", p);
	struct dirent **ents = NULL;
	int ne = scandir(sl, &ents, NULL, alphasort);
	for (int i = 0; i < ne; i++) {
		char link[PATH_MAX + 256], real[PATH_MAX];
		snprintf(link, sizeof(link), "%s/%s", sl, ents[i]->d_name);
		if (!e && ents[i]->d_name[0] != '.' && realpath(link, real))
			e = chain_disk(devices, real, v, n, depth + 1);
		free(ents[i]);
	}
	free(ents);
	if (e)
		return e;
	const char *base = strrchr(p, '/');
	base = base ? base + 1 : p;
	if (!strncmp(base, "dm-", 3) && (e = add_unique(v, n, "dm_mod")))
		return e;
	char lvl[PATH_MAX], level[32] = "";
	snprintf(lvl, sizeof(lvl), "%s/md/level", p);
	FILE *f = fopen(lvl, "re");
	if (f) {
		if (fgets(level, sizeof(level), f))
			level[strcspn(level, "\n")] = 0;
		fclose(f);
		const char *lm = md_level_module(level);
		if ((e = add_unique(v, n, "md_mod")) || (lm && (e = add_unique(v, n, lm))))
			return e;
	}

	/* the device and every ancestor up to /sys/devices: driver -> module */
	char dev[PATH_MAX + 16], d[PATH_MAX];
	snprintf(dev, sizeof(dev), "%s/device", p);
	if (!realpath(dev, d))
		return NULL;   /* a virtual device (loop, zram, dm): no hardware driver */
	char **up = NULL;
	size_t nup = 0;
	size_t dl = strlen(devices);
	while (!e && !strncmp(d, devices, dl) && d[dl] == '/') {
		char modlink[PATH_MAX + 32], mod[PATH_MAX];
		snprintf(modlink, sizeof(modlink), "%s/driver/module", d);
		if (realpath(modlink, mod)) {
			const char *mb = strrchr(mod, '/');
			char *name = kd_kmod_name(mb ? mb + 1 : mod);
			e = name ? add_unique(&up, &nup, name) : kd_err_new(ENOMEM, "%s", mod);
			free(name);
		}
		char *slash = strrchr(d, '/');
		*slash = 0;
	}
	/* bus drivers first: the order they would be loaded in */
	for (size_t i = nup; !e && i-- > 0;)
		e = add_unique(v, n, up[i]);
	kd_kmod_strv_free(up);
	return e;
}

kd_err *kd_kmod_block_chain(const char *sysfs_root, const char *dev, char ***names, size_t *n)
{
	char link[PATH_MAX], p[PATH_MAX], devices[PATH_MAX];
	struct stat st;
	*names = NULL;
	*n = 0;
	snprintf(link, sizeof(link), "%s/sys/devices", sysfs_root);
	if (!realpath(link, devices))
		return kd_err_errno("%s: is sysfs mounted?", link);
	if (!*sysfs_root && stat(dev, &st) == 0 && S_ISBLK(st.st_mode)) {
		snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_rdev),
			 minor(st.st_rdev));
	} else {
		const char *b = strrchr(dev, '/');
		snprintf(link, sizeof(link), "%s/sys/class/block/%s", sysfs_root, b ? b + 1 : dev);
	}
	if (!realpath(link, p))
		return kd_err_errno("block device %s: %s", dev, link);
	kd_err *e = chain_disk(devices, p, names, n, 0);
	if (e) {
		kd_kmod_strv_free(*names);
		*names = NULL;
		*n = 0;
		return kd_err_wrap(e, "the driver chain of %s", dev);
	}
	if (!*names) {
		*names = calloc(1, sizeof(char *));
		if (!*names)
			return kd_err_new(ENOMEM, "%s", dev);
	}
	return NULL;
}


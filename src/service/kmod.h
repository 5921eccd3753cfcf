/* Kernel modules for the capture initramfs, without libkmod (Debian ships no static one):
 *  - the index of a module tree: modules.dep (the dependencies depmod computed) and
 *    modules.builtin; a tree depmod never ran on (an unpacked kernel package) is scanned and
 *    each module's dependencies read from its own .modinfo (`depends=`, `softdep=pre:`) when
 *    it is needed;
 *  - the closure of a set of modules in load order: dependencies first, each module once;
 *    names compare with '-' and '_' equal; a built-in module needs nothing;
 *  - the driver chain of a block device, read from sysfs: the device, a partition's disk, the
 *    disks under a device-mapper or md device, and every ancestor's `driver` -> `module`;
 *  - a module's bytes, decompressed from .ko.xz, .ko.zst or .ko.gz into a plain .ko.
 *
 * kmod.c: the index and closures; kmod_sysfs.c: the driver chain; kmod_file.c: module files.
 * modules.dep is parsed as untrusted text: a malformed line is an error quoting file:line.
 * Everything returned is owned by the caller (or the index) and freed with the functions
 * below. */
#ifndef KD_SERVICE_KMOD_H
#define KD_SERVICE_KMOD_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct kd_kmod {
	char *name;       /* normalized: '-' -> '_' */
	char *path;       /* as modules.dep names it: relative to the tree, or absolute */
	char **deps;      /* names of the modules it needs (modules.dep: all of them, depmod's
			   * order; from .modinfo: the direct ones), ndeps long */
	size_t ndeps;
	char **softpre;   /* `softdep=pre:` names (modules.softdep or .modinfo): loaded first
			   * when they name a module or an alias of modules.alias */
	size_t nsoftpre;
	int deps_known;   /* 0: not read from .modinfo yet (scanned tree) */
	size_t seq;       /* position in modules.dep or the scan: of two copies of a name, the
			   * first wins (depmod's and the scan's priority order) */
};

struct kd_kmod_index {
	char *moddir;            /* NULL for an index parsed from text */
	struct kd_kmod *mods;    /* sorted by name */
	size_t n;
	char **builtin;          /* sorted names from modules.builtin */
	size_t nbuiltin;
	struct kd_kmod_alias {   /* modules.alias and modules.builtin.alias, exact names only */
		char *alias, *module;   /* normalized */
	} *aliases;              /* sorted by alias */
	size_t naliases;
	int scanned;             /* no modules.dep: the tree was scanned */
};

/* Read <moddir>/modules.dep and modules.builtin; without modules.dep, scan the tree. */
kd_err *kd_kmod_index_load(const char *moddir, struct kd_kmod_index **out);
/* modules.dep text alone (`where` names it in errors). */
kd_err *kd_kmod_index_parse(const char *text, size_t len, const char *where,
			    struct kd_kmod_index **out);
/* modules.builtin text: one path per line. */
kd_err *kd_kmod_index_parse_builtin(struct kd_kmod_index *ix, const char *text, size_t len);
/* modules.alias text ("alias <name> <module>"); patterns with wildcards (device IDs) are
 * skipped: only names such as "crypto-crc32c" or "fs-xfs" are looked up. */
kd_err *kd_kmod_index_parse_alias(struct kd_kmod_index *ix, const char *text, size_t len);
void kd_kmod_index_free(struct kd_kmod_index *ix);

/* "kernel/fs/xfs/xfs.ko.xz" or "virtio-pci" -> "xfs" / "virtio_pci" (malloc'd). */
char *kd_kmod_name(const char *path_or_name);
const struct kd_kmod *kd_kmod_find(const struct kd_kmod_index *ix, const char *name);
int kd_kmod_is_builtin(const struct kd_kmod_index *ix, const char *name);

/* A closure in load order. */
struct kd_kmod_list {
	char **names;     /* normalized */
	char **paths;     /* full paths of the module files */
	size_t n;
	char **builtin;   /* requested (or needed) names that are built in: nothing to load */
	size_t nbuiltin;
};
void kd_kmod_list_free(struct kd_kmod_list *l);

/* Everything `want` needs, dependencies first, each once, in the order asked. A wanted name
 * that is not a module may be an alias (every module it names is taken, as modprobe does). A
 * name that is neither a module of the tree, nor built in, nor an alias is an error naming the
 * tree. */
kd_err *kd_kmod_resolve(struct kd_kmod_index *ix, const char *const *want, size_t nwant,
			struct kd_kmod_list *out);

/* The modules of a block device's driver chain, bus drivers first, each once (names,
 * normalized; NULL-ended, malloc'd). `dev` is a device node (/dev/vda1: its major:minor when
 * it is a block device, else its name) or a name (vda1); sysfs_root "" is the real /sys. A
 * device sysfs does not know is an error; built-in drivers (no `module` link) add nothing. */
kd_err *kd_kmod_block_chain(const char *sysfs_root, const char *dev, char ***names, size_t *n);

/* A module file's bytes as a plain ELF .ko (decompressed by its magic: xz, zstd, gzip). */
kd_err *kd_kmod_read(const char *path, uint8_t **buf, size_t *len);
/* The values of `key` in a .ko's .modinfo section, in order (NULL-ended, malloc'd). */
kd_err *kd_kmod_modinfo(const uint8_t *ko, size_t len, const char *key, char ***vals,
			size_t *n);

void kd_kmod_strv_free(char **v);
/* Append a copy of s[0..len) to the NULL-ended vector *v of *n entries. */
kd_err *kd_kmod_strv_add(char ***v, size_t *n, const char *s, size_t len);

#endif

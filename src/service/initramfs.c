#define _GNU_SOURCE
#include "service/initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/log.h"
#include "purgatory/sha256.h"
#include "service/cpio.h"
#include "service/initramfs_compress.h"
#include "service/kmod.h"

#define DEFAULT_OUTDIR "/var/lib/kdumpkit"
#define INPUT_MAX_BYTES (512ULL << 20)    /* kdumpkit, a hook program */
#define MANIFEST_FORMAT "1"

/* ---- small file helpers ---- */

/* snprintf for paths whose parts were checked to fit (gather() bounds outdir and release). */
static void path_fmt(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void path_fmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

static kd_err *read_file(const char *path, const char *what, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("%s %s", what, path);
	struct stat st;
	kd_err *e = NULL;
	uint8_t *b = NULL;
	size_t got = 0;
	if (fstat(fd, &st) < 0)
		e = kd_err_errno("%s %s", what, path);
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > INPUT_MAX_BYTES)
		e = kd_err_new(EINVAL, "%s %s: not a regular file of at most %llu MiB", what, path,
			       INPUT_MAX_BYTES >> 20);
	else if (!(b = malloc((size_t)st.st_size + 1)))
		e = kd_err_new(ENOMEM, "%s %s", what, path);
	while (!e && got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			e = r < 0 ? kd_err_errno("reading %s %s", what, path)
				  : kd_err_new(EIO, "%s %s shrank while being read", what, path);
		else
			got += (size_t)r;
	}
	close(fd);
	if (e) {
		free(b);
		return e;
	}
	*buf = b;
	*len = got;
	return NULL;
}

static void hex_sha256(const void *data, size_t len, char out[65])
{
	uint8_t d[KD_SHA256_DIGEST_SIZE];
	kd_sha256(data, len, d);
	for (int i = 0; i < KD_SHA256_DIGEST_SIZE; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* mkdir -p; the last component 0700 (the image holds the configuration). */
static kd_err *make_outdir(const char *dir)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return kd_err_new(ENAMETOOLONG, "output directory %s", dir);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return kd_err_errno("creating %s", p);
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return kd_err_errno("creating %s", p);
	struct stat st;
	if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		return kd_err_new(ENOTDIR, "%s is not a directory", p);
	return NULL;
}

/* dir/name replaced atomically: a temporary file in dir, fsync, rename, fsync of dir. */
static kd_err *write_atomic(const char *dir, const char *name, const void *data, size_t len,
			    mode_t mode)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(tmp))
		return kd_err_new(ENAMETOOLONG, "%s", dst);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("creating a temporary file in %s", dir);
	kd_err *e = NULL;
	if (fchmod(fd, mode) < 0)
		e = kd_err_errno("chmod %s", tmp);
	for (size_t off = 0; !e && off < len;) {
		ssize_t r = write(fd, (const uint8_t *)data + off, len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			e = kd_err_errno("writing %s at offset %zu", tmp, off);
		else
			off += (size_t)r;
	}
	if (!e && fsync(fd) < 0)
		e = kd_err_errno("fsync %s", tmp);
	if (close(fd) < 0 && !e)
		e = kd_err_errno("closing %s", tmp);
	if (!e && rename(tmp, dst) < 0)
		e = kd_err_errno("renaming %s to %s", tmp, dst);
	if (e) {
		unlink(tmp);
		return e;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		e = kd_err_errno("fsync of directory %s", dir);
	if (dfd >= 0)
		close(dfd);
	return e;
}

/* ---- the kernel's config ---- */

kd_err *kd_initramfs_compression_for(const char *kernel_config, char out[16])
{
	FILE *f = fopen(kernel_config, "re");
	if (!f) {
		if (errno != ENOENT)
			return kd_err_errno("reading kernel config %s", kernel_config);
		kd_debug("%s: no kernel config, the image is gzip-compressed", kernel_config);
		snprintf(out, 16, "gzip");
		return NULL;
	}
	int zstd = 0, xz = 0, gz = 0;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		zstd |= !strcmp(line, "CONFIG_RD_ZSTD=y\n");
		xz |= !strcmp(line, "CONFIG_RD_XZ=y\n");
		gz |= !strcmp(line, "CONFIG_RD_GZIP=y\n");
	}
	int err = ferror(f);
	fclose(f);
	if (err)
		return kd_err_new(EIO, "reading kernel config %s", kernel_config);
	snprintf(out, 16, "%s", zstd ? "zstd" : xz ? "xz" : gz ? "gzip" : "none");
	return NULL;
}

/* ---- the inputs ---- */

struct hook {
	const char *name;   /* kdump_pre / kdump_post */
	const char *path;   /* as configured */
	uint8_t *bytes;
	size_t len;
};

struct inputs {
	char release[256], moddir[PATH_MAX], config[PATH_MAX], exe[PATH_MAX], outdir[PATH_MAX];
	const char *sysfs_root;
	uint8_t *exe_bytes;
	size_t exe_len;
	char *snapshot;
	size_t snap_len;
	struct kd_kmod_list mods;
	struct hook hooks[2];
	char compression[16];
	char *manifest;       /* every input, one line each; the image line is added after */
	size_t manifest_len;
};

static void inputs_free(struct inputs *in)
{
	free(in->exe_bytes);
	free(in->snapshot);
	kd_kmod_list_free(&in->mods);
	for (int i = 0; i < 2; i++)
		free(in->hooks[i].bytes);
	free(in->manifest);
}

static kd_err *add_chain(const char *sysfs_root, const char *dev, char ***want, size_t *n)
{
	char **chain;
	size_t nc;
	kd_err *e = kd_kmod_block_chain(sysfs_root, dev, &chain, &nc);
	for (size_t i = 0; !e && i < nc; i++) {
		char **nw = realloc(*want, (*n + 2) * sizeof(char *));
		if (!nw) {
			e = kd_err_new(ENOMEM, "module list");
			break;
		}
		*want = nw;
		nw[(*n)++] = chain[i];
		nw[*n] = NULL;
		chain[i] = NULL;
	}
	if (!e)
		free(chain);
	else
		kd_kmod_strv_free(chain);
	return e;
}

static kd_err *add_name(const char *name, char ***want, size_t *n)
{
	char **nw = realloc(*want, (*n + 2) * sizeof(char *));
	if (!nw)
		return kd_err_new(ENOMEM, "module list");
	*want = nw;
	if (!(nw[*n] = strdup(name)))
		return kd_err_new(ENOMEM, "module list");
	nw[++*n] = NULL;
	return NULL;
}

/* The file system's module: ext2 and ext3 are served by ext4 when they are not modules of
 * their own (CONFIG_EXT4_USE_FOR_EXT2, every distribution kernel). */
static const char *fs_module(const struct kd_kmod_index *ix, const char *fstype)
{
	if ((!strcmp(fstype, "ext2") || !strcmp(fstype, "ext3")) && !kd_kmod_find(ix, fstype) &&
	    !kd_kmod_is_builtin(ix, fstype))
		return "ext4";
	return fstype;
}

static kd_err *resolve_modules(const struct kd_initramfs_req *rq, struct inputs *in)
{
	const struct kd_target_needs *nd = rq->needs;
	const struct kd_svc_config *c = rq->cfg;
	char **want = NULL;
	size_t n = 0;
	kd_err *e = NULL;
	struct kd_kmod_index *ix = NULL;
	int rootfs = c && c->failure_action == KD_ACT_DUMP_TO_ROOTFS;

	if (nd && nd->block_device)
		e = add_chain(in->sysfs_root, nd->block_device, &want, &n);
	if (!e && rootfs && nd && nd->rootfs_block_device)
		e = add_chain(in->sysfs_root, nd->rootfs_block_device, &want, &n);
	int need_fs = (nd && nd->fstype) || (rootfs && nd && nd->rootfs_fstype);
	int need_extra = c && c->extra_modules && c->extra_modules[0];
	if (e || (!n && !need_fs && !need_extra))
		goto out;
	if ((e = kd_kmod_index_load(in->moddir, &ix)))
		goto out;
	if (nd && nd->fstype)
		e = add_name(fs_module(ix, nd->fstype), &want, &n);
	if (!e && rootfs && nd && nd->rootfs_fstype)
		e = add_name(fs_module(ix, nd->rootfs_fstype), &want, &n);
	for (char **x = need_extra ? c->extra_modules : NULL; !e && x && *x; x++)
		e = add_name(*x, &want, &n);
	if (!e)
		e = kd_kmod_resolve(ix, (const char *const *)want, n, &in->mods);
out:
	kd_kmod_index_free(ix);
	kd_kmod_strv_free(want);
	return e ? kd_err_wrap(e, "the capture initramfs's modules") : NULL;
}

static kd_err *gather(const struct kd_initramfs_req *rq, struct inputs *in)
{
	struct utsname u;
	if (rq->release)
		snprintf(in->release, sizeof(in->release), "%s", rq->release);
	else if (uname(&u) == 0)
		snprintf(in->release, sizeof(in->release), "%s", u.release);
	else
		return kd_err_errno("uname");
	if (!in->release[0] || strchr(in->release, '/'))
		return kd_err_new(EINVAL, "kernel release \"%s\"", in->release);
	snprintf(in->moddir, sizeof(in->moddir), rq->moddir ? "%s" : "/lib/modules/%s",
		 rq->moddir ? rq->moddir : in->release);
	snprintf(in->config, sizeof(in->config), rq->kernel_config ? "%s" : "/boot/config-%s",
		 rq->kernel_config ? rq->kernel_config : in->release);
	snprintf(in->exe, sizeof(in->exe), "%s", rq->kdumpkit_exe ? rq->kdumpkit_exe
								   : "/proc/self/exe");
	snprintf(in->outdir, sizeof(in->outdir), "%s", rq->outdir ? rq->outdir : DEFAULT_OUTDIR);
	in->sysfs_root = rq->sysfs_root ? rq->sysfs_root : "";
	if (strlen(in->outdir) > PATH_MAX - 300)
		return kd_err_new(ENAMETOOLONG, "initramfs directory %s", in->outdir);
	if (!rq->cfg)
		return kd_err_new(EINVAL, "the capture initramfs needs a configuration");

	kd_err *e = read_file(in->exe, "kdumpkit executable", &in->exe_bytes, &in->exe_len);
	if (e)
		return e;

	FILE *f = open_memstream(&in->snapshot, &in->snap_len);
	if (!f)
		return kd_err_errno("configuration snapshot");
	e = kd_svc_config_snapshot_write(rq->cfg, f);
	if (fclose(f) && !e)
		e = kd_err_new(ENOMEM, "configuration snapshot");
	if (e)
		return kd_err_wrap(e, "the configuration snapshot");

	if ((e = resolve_modules(rq, in)))
		return e;
	in->hooks[0] = (struct hook){ .name = "kdump_pre", .path = rq->cfg->kdump_pre };
	in->hooks[1] = (struct hook){ .name = "kdump_post", .path = rq->cfg->kdump_post };
	for (int i = 0; i < 2 && !e; i++)
		if (in->hooks[i].path)
			e = read_file(in->hooks[i].path, in->hooks[i].name, &in->hooks[i].bytes,
				      &in->hooks[i].len);
	if (!e)
		e = kd_initramfs_compression_for(in->config, in->compression);
	return e;
}

/* The manifest's input lines, in a fixed order. Modules are hashed as stored (compressed):
 * what the image holds is a function of those bytes. */
static kd_err *manifest(const struct kd_initramfs_req *rq, struct inputs *in)
{
	FILE *f = open_memstream(&in->manifest, &in->manifest_len);
	if (!f)
		return kd_err_errno("manifest");
	char h[65];
	kd_err *e = NULL;
	fprintf(f, "format %s\nrelease %s\ncompression %s\n", MANIFEST_FORMAT, in->release,
		in->compression);
	hex_sha256(in->exe_bytes, in->exe_len, h);
	fprintf(f, "kdumpkit %s %zu\n", h, in->exe_len);
	hex_sha256(in->snapshot, in->snap_len, h);
	fprintf(f, "config %s %zu\n", h, in->snap_len);
	fprintf(f, "target %s\n", rq->needs && rq->needs->identity ? rq->needs->identity : "-");
	for (size_t i = 0; i < in->mods.n && !e; i++) {
		uint8_t *b;
		size_t len;
		if ((e = read_file(in->mods.paths[i], "module", &b, &len)))
			break;
		hex_sha256(b, len, h);
		free(b);
		fprintf(f, "module %s %s %s\n", in->mods.names[i], h, in->mods.paths[i]);
	}
	for (int i = 0; i < 2; i++) {
		if (!in->hooks[i].path)
			continue;
		hex_sha256(in->hooks[i].bytes, in->hooks[i].len, h);
		fprintf(f, "hook %s %s %s\n", in->hooks[i].name, h, in->hooks[i].path);
	}
	if (fclose(f) && !e)
		e = kd_err_new(ENOMEM, "manifest");
	return e;
}

/* ---- comparing manifests ---- */

/* The rest of the first line starting with "key " (its length in *len), or NULL. */
static const char *field(const char *m, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	for (const char *l = m; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, key, kl) && l[kl] == ' ') {
			const char *v = l + kl + 1;
			*len = strcspn(v, "\n");
			return v;
		}
	}
	return NULL;
}

static int same_field(const char *a, const char *b, const char *key)
{
	size_t la = 0, lb = 0;
	const char *va = field(a, key, &la), *vb = field(b, key, &lb);
	if (!va || !vb)
		return va == vb;
	return la == lb && !memcmp(va, vb, la);
}

static void append(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *why, size_t n, const char *fmt, ...)
{
	size_t l = strlen(why);
	if (l && l + 2 < n) {
		strcpy(why + l, "; ");
		l += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why + l, n - l, fmt, ap);
	va_end(ap);
}

/* "module <name> <hash> <path>" lines -> name and the rest. */
static int module_line(const char *l, char *name, size_t nn, const char **rest)
{
	if (strncmp(l, "module ", 7))
		return 0;
	l += 7;
	size_t k = strcspn(l, " \n");
	snprintf(name, nn, "%.*s", (int)k, l);
	*rest = l + k;
	return 1;
}

static const char *find_module(const char *m, const char *name, size_t *len)
{
	char n[256];
	const char *rest;
	for (const char *l = m; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (module_line(l, n, sizeof(n), &rest) && !strcmp(n, name)) {
			*len = strcspn(rest, "\n");
			return rest;
		}
	return NULL;
}

/* What differs between the recorded inputs `old` and the current `cur`, for the log. */
static void describe(const char *old, const char *cur, char *why, size_t n)
{
	why[0] = 0;
	size_t lo, lc;
	const char *vo, *vc;
	if (!same_field(old, cur, "format")) {
		append(why, n, "manifest format changed");
		return;
	}
	if (!same_field(old, cur, "release")) {
		vo = field(old, "release", &lo);
		vc = field(cur, "release", &lc);
		append(why, n, "kernel release changed: %.*s -> %.*s", vo ? (int)lo : 1,
		       vo ? vo : "?", (int)lc, vc);
	}
	if (!same_field(old, cur, "kdumpkit"))
		append(why, n, "kdumpkit binary changed");
	if (!same_field(old, cur, "config"))
		append(why, n, "kdump configuration changed");
	if (!same_field(old, cur, "target")) {
		vo = field(old, "target", &lo);
		vc = field(cur, "target", &lc);
		append(why, n, "target changed: %.*s -> %.*s", vo ? (int)lo : 1, vo ? vo : "?",
		       (int)lc, vc);
	}
	if (!same_field(old, cur, "compression")) {
		vo = field(old, "compression", &lo);
		vc = field(cur, "compression", &lc);
		append(why, n, "compression changed: %.*s -> %.*s", vo ? (int)lo : 1,
		       vo ? vo : "?", (int)lc, vc);
	}
	/* modules: added, removed, then changed */
	char set[200] = "", changed[200] = "", name[256];
	const char *rest;
	for (const char *l = cur; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!module_line(l, name, sizeof(name), &rest))
			continue;
		size_t ol, cl = strcspn(rest, "\n");
		const char *o = find_module(old, name, &ol);
		if (!o)
			path_fmt(set + strlen(set), sizeof(set) - strlen(set), " +%s", name);
		else if (ol != cl || memcmp(o, rest, cl))
			path_fmt(changed + strlen(changed), sizeof(changed) - strlen(changed), " %s",
				 name);
	}
	for (const char *l = old; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t ol;
		if (module_line(l, name, sizeof(name), &rest) && !find_module(cur, name, &ol))
			path_fmt(set + strlen(set), sizeof(set) - strlen(set), " -%s", name);
	}
	if (set[0])
		append(why, n, "module set changed:%s", set);
	if (changed[0])
		append(why, n, "module changed:%s", changed);
	if (!same_field(old, cur, "hook kdump_pre"))
		append(why, n, "kdump_pre changed");
	if (!same_field(old, cur, "hook kdump_post"))
		append(why, n, "kdump_post changed");
	if (!why[0])
		append(why, n, "module load order changed");
}

/* Does the image match the "image <sha256> <size>" line of its manifest? */
static kd_err *check_image(const char *path, const char *man, uint64_t *size, int *ok)
{
	*ok = 0;
	size_t l;
	const char *v = field(man, "image", &l);
	char want[65 + 32];
	if (!v || l >= sizeof(want))
		return NULL;
	memcpy(want, v, l);
	want[l] = 0;
	uint8_t *b;
	size_t len;
	if (access(path, F_OK) < 0)
		return NULL;
	kd_err *e = read_file(path, "initramfs", &b, &len);
	if (e)
		return e;
	char h[65], got[65 + 32];
	hex_sha256(b, len, h);
	free(b);
	snprintf(got, sizeof(got), "%s %zu", h, len);
	*ok = !strcmp(got, want);
	*size = len;
	return NULL;
}

/* ---- building ---- */

static kd_err *build(struct inputs *in, uint8_t **img, size_t *img_len)
{
	struct kd_cpio *c;
	kd_err *e = kd_cpio_new(0, &c);
	if (e)
		return e;
	char p[PATH_MAX + 64];
	/* /init is kdumpkit itself: argv[0] "init" runs the capture applet */
	e = kd_cpio_add_file(c, "/init", 0755, in->exe_bytes, in->exe_len);
	if (!e)
		e = kd_cpio_add_symlink(c, "/bin/kdumpkit", "/init");
	/* the kernel opens /dev/console for init before anything is mounted */
	if (!e)
		e = kd_cpio_add_chardev(c, "/dev/console", 0600, 5, 1);
	if (!e)
		e = kd_cpio_add_chardev(c, "/dev/kmsg", 0644, 1, 11);
	if (!e)
		e = kd_cpio_add_chardev(c, "/dev/null", 0666, 1, 3);
	static const char *const dirs[] = { "/proc", "/sys", "/dev", "/run", "/mnt", "/kdump" };
	for (size_t i = 0; !e && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		e = kd_cpio_add_dir(c, dirs[i], 0755);
	if (!e)
		e = kd_cpio_add_dir(c, "/tmp", 01777);
	if (!e)
		e = kd_cpio_add_file(c, KD_INITRAMFS_SNAPSHOT, 0600, in->snapshot, in->snap_len);

	char *list = NULL;
	size_t list_len = 0;
	FILE *f = e ? NULL : open_memstream(&list, &list_len);
	if (!e && !f)
		e = kd_err_errno("module list");
	for (size_t i = 0; !e && i < in->mods.n; i++) {
		uint8_t *ko;
		size_t len;
		if ((e = kd_kmod_read(in->mods.paths[i], &ko, &len)))
			break;
		snprintf(p, sizeof(p), KD_INITRAMFS_MODDIR "/%s/%s.ko", in->release,
			 in->mods.names[i]);
		e = kd_cpio_add_file_owned(c, p, 0644, ko, len);
		fprintf(f, "%s\n", in->mods.names[i]);
	}
	if (f && fclose(f) && !e)
		e = kd_err_new(ENOMEM, "module list");
	if (!e)
		e = kd_cpio_add_file_owned(c, KD_INITRAMFS_MODULES, 0644, list, list_len);
	else
		free(list);
	/* hooks: under the hooks directory, and at the configured path (what the snapshot
	 * names) as a symlink to it */
	for (int i = 0; i < 2 && !e; i++) {
		if (!in->hooks[i].path)
			continue;
		snprintf(p, sizeof(p), KD_INITRAMFS_HOOKS "/%s", in->hooks[i].name);
		e = kd_cpio_add_file(c, p, 0755, in->hooks[i].bytes, in->hooks[i].len);
		if (!e && strcmp(in->hooks[i].path, p))
			e = kd_cpio_add_symlink(c, in->hooks[i].path, p);
		if (e)
			e = kd_err_wrap(e, "%s %s", in->hooks[i].name, in->hooks[i].path);
	}
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	if (!e)
		e = kd_cpio_write_mem(c, &raw, &raw_len);
	kd_cpio_free(c);
	if (!e)
		e = kd_initramfs_compress(in->compression, raw, raw_len, img, img_len);
	if (!e)
		kd_debug("initramfs: %zu bytes of cpio, %zu compressed (%s)", raw_len, *img_len,
			 in->compression);
	free(raw);
	return e;
}

static void fill_res(struct kd_initramfs_res *res, const struct inputs *in)
{
	path_fmt(res->path, sizeof(res->path), "%s/initrd-%s.img", in->outdir, in->release);
	res->nmodules = (unsigned)in->mods.n;
	snprintf(res->compression, sizeof(res->compression), "%s", in->compression);
}

kd_err *kd_initramfs_ensure(const struct kd_initramfs_req *rq, struct kd_initramfs_res *res)
{
	memset(res, 0, sizeof(*res));
	struct inputs in = { 0 };
	char *old = NULL, name[PATH_MAX];
	uint8_t *img = NULL;
	size_t old_len = 0, img_len = 0;
	kd_err *e = gather(rq, &in);
	if (!e)
		e = manifest(rq, &in);
	if (e)
		goto out;
	fill_res(res, &in);

	path_fmt(name, sizeof(name), "%s/initrd-%s.manifest", in.outdir, in.release);
	kd_err *me = access(name, F_OK) ? NULL
			: read_file(name, "manifest", (uint8_t **)&old, &old_len);
	if (me) {   /* unreadable: as if there were none, the image is rebuilt */
		char b[512];
		kd_err_format(me, b, sizeof(b));
		kd_warn("%s", b);
		kd_err_free(me);
		old = NULL;
	} else if (old) {
		old[old_len] = 0;
	}
	int image_ok = 0;
	uint64_t have_size = 0;
	if (old && (e = check_image(res->path, old, &have_size, &image_ok)))
		goto out;
	/* the recorded inputs are the manifest minus its last (image) line */
	int same = 0;
	if (old && image_ok) {
		const char *img_line = strstr(old, "\nimage ");
		same = img_line && (size_t)(img_line + 1 - old) == in.manifest_len &&
		       !memcmp(old, in.manifest, in.manifest_len);
	}
	int forced = rq->force || rq->cfg->force_rebuild;
	if (!forced && same) {
		res->size = have_size;
		snprintf(res->why, sizeof(res->why), "up to date");
		goto out;
	}
	char why[sizeof(res->why)];
	if (forced)
		snprintf(why, sizeof(why), "%s", rq->force ? "rebuild requested"
							   : "force_rebuild is set");
	else if (!old)
		snprintf(why, sizeof(why), "no image yet");
	else if (!image_ok)
		snprintf(why, sizeof(why), "%s", access(res->path, F_OK) ? "image missing"
			 : "image does not match its manifest (damaged or replaced)");
	else
		describe(old, in.manifest, why, sizeof(why));
	if (!forced && rq->cfg->force_no_rebuild) {
		struct stat st;
		if (stat(res->path, &st) < 0) {
			e = kd_err_new(ENOENT, "force_no_rebuild is set but there is no image %s to "
				       "use: remove force_no_rebuild (or run `kdumpctl rebuild`)",
				       res->path);
			goto out;
		}
		res->size = (uint64_t)st.st_size;
		snprintf(res->why, sizeof(res->why), "force_no_rebuild: kept although %.200s", why);
		kd_warn("%s: %s", res->path, res->why);
		goto out;
	}
	snprintf(res->why, sizeof(res->why), "%s", why);
	if ((e = build(&in, &img, &img_len)) || (e = make_outdir(in.outdir)))
		goto out;
	snprintf(name, sizeof(name), "initrd-%s.img", in.release);
	if ((e = write_atomic(in.outdir, name, img, img_len, 0600)))
		goto out;
	/* the manifest last: an image without its manifest is rebuilt next time */
	char h[65];
	hex_sha256(img, img_len, h);
	size_t mlen = in.manifest_len + 100;
	char *m = malloc(mlen);
	if (!m) {
		e = kd_err_new(ENOMEM, "manifest");
		goto out;
	}
	int ml = snprintf(m, mlen, "%simage %s %zu\n", in.manifest, h, img_len);
	snprintf(name, sizeof(name), "initrd-%s.manifest", in.release);
	e = write_atomic(in.outdir, name, m, (size_t)ml, 0600);
	free(m);
	if (e)
		goto out;
	res->rebuilt = 1;
	res->size = img_len;
	kd_info("built %s: %zu bytes, %s, %u modules (%s)", res->path, img_len, in.compression,
		res->nmodules, res->why);
out:
	free(img);
	free(old);
	inputs_free(&in);
	return e ? kd_err_wrap(e, "the capture initramfs") : NULL;
}

kd_err *kd_initramfs_status(const char *outdir, const char *release,
			    struct kd_initramfs_res *res)
{
	memset(res, 0, sizeof(*res));
	if (!outdir)
		outdir = DEFAULT_OUTDIR;
	char name[PATH_MAX];
	char *m;
	size_t len;
	if (strlen(outdir) > PATH_MAX - 300 || strlen(release) > 255)
		return kd_err_new(ENAMETOOLONG, "initramfs directory %s, release %s", outdir,
				  release);
	path_fmt(res->path, sizeof(res->path), "%s/initrd-%s.img", outdir, release);
	path_fmt(name, sizeof(name), "%s/initrd-%s.manifest", outdir, release);
	kd_err *e = read_file(name, "manifest", (uint8_t **)&m, &len);
	if (e)
		return kd_err_wrap(e, "no kdumpkit initramfs for %s (run `kdumpctl rebuild`)",
				   release);
	m[len] = 0;
	int ok;
	e = check_image(res->path, m, &res->size, &ok);
	if (!e && !ok)
		e = kd_err_new(EINVAL, "%s does not match its manifest %s (run `kdumpctl "
			       "rebuild`)", res->path, name);
	size_t l;
	const char *v = field(m, "compression", &l);
	if (v)
		snprintf(res->compression, sizeof(res->compression), "%.*s", (int)l, v);
	for (const char *p = m; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		res->nmodules += !strncmp(p, "module ", 7);
	free(m);
	return e;
}

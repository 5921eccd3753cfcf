/* The capture initramfs: built into a temporary directory from a fake module tree and sysfs;
 * its contents read back; reproducible bytes; rebuilt only when an input changed, with the
 * reason; force / force_no_rebuild; compression chosen by the kernel's config. With the lab
 * cache present, real images for the Debian 6.1 and 6.12 cloud kernels. */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "base/error.h"
#include "kmod_fixture.h"
#include "service/initramfs.h"
#include "service/kmod.h"
#include "test.h"

#define RELEASE "6.99.0-test"

struct fx {
	char *root;
	char moddir[512], sysfs[512], kconfig[512], exe[512], outdir[512], hook[512];
	struct kd_svc_config cfg;
	struct kd_target_needs needs;
	struct kd_initramfs_req rq;
};

static void put_ko(const char *moddir, const char *rel, const char *name, const char *deps,
		   const char *fmt)
{
	char p[1024];
	size_t len;
	uint8_t *ko = fx_fake_ko(name, deps, NULL, 20000, &len);
	CHECK(fx_file(moddir, rel, "") == 0);
	snprintf(p, sizeof(p), "%s/%s", moddir, rel);
	CHECK(fx_write(p, ko, len, fmt) == 0);
	free(ko);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int setup(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	x->root = fx_tmpdir("initramfs");
	CHECK(x->root != NULL);
	if (!x->root)
		return -1;
	snprintf(x->moddir, sizeof(x->moddir), "%s/lib/modules/" RELEASE, x->root);
	snprintf(x->sysfs, sizeof(x->sysfs), "%s/fakesys", x->root);
	snprintf(x->kconfig, sizeof(x->kconfig), "%s/config-" RELEASE, x->root);
	snprintf(x->exe, sizeof(x->exe), "%s/kdumpkit", x->root);
	snprintf(x->outdir, sizeof(x->outdir), "%s/var/lib/kdumpkit", x->root);
	snprintf(x->hook, sizeof(x->hook), "%s/pre-hook", x->root);
	put_ko(x->moddir, "kernel/drivers/virtio/virtio.ko.xz", "virtio", "", "xz");
	put_ko(x->moddir, "kernel/drivers/virtio/virtio_pci.ko.xz", "virtio_pci", "virtio", "xz");
	put_ko(x->moddir, "kernel/drivers/block/virtio_blk.ko.zst", "virtio_blk", "virtio", "zst");
	put_ko(x->moddir, "kernel/fs/xfs/xfs.ko.gz", "xfs", "libcrc32c", "gz");
	put_ko(x->moddir, "kernel/lib/libcrc32c.ko", "libcrc32c", "", "");
	CHECK(fx_file(x->moddir, "modules.builtin", "kernel/fs/ext4/ext4.ko\n") == 0);
	CHECK(fx_sysfs_virtio(x->sysfs) == 0);
	write_text(x->kconfig, "CONFIG_RD_GZIP=y\nCONFIG_RD_XZ=y\nCONFIG_RD_ZSTD=y\n");
	write_text(x->exe, "\177ELF pretend this is the static kdumpkit\n");
	write_text(x->hook, "\177ELF a static pre program\n");
	x->cfg.path = "/var/crash";
	x->needs.block_device = "/dev/vda1";
	x->needs.fstype = "ext4";
	x->needs.identity = "ext4 UUID=1234 /var/crash";
	x->rq = (struct kd_initramfs_req){ .release = RELEASE, .moddir = x->moddir,
		.kernel_config = x->kconfig, .kdumpkit_exe = x->exe, .outdir = x->outdir,
		.sysfs_root = x->sysfs, .cfg = &x->cfg, .needs = &x->needs };
	return 0;
}

static void teardown(struct fx *x)
{
	fx_rmtree(x->root);
	free(x->root);
}

static kd_err *ensure(struct fx *x, struct kd_initramfs_res *res)
{
	return kd_initramfs_ensure(&x->rq, res);
}

/* The image decompressed to its cpio bytes (any of the four formats). */
static uint8_t *unpack(const char *path, size_t *len)
{
	size_t zl;
	uint8_t *z = kd_test_slurp(path, &zl);
	if (!z)
		return NULL;
	size_t cap = 12u << 20, out = 0;   /* the largest cpio here is ~7 MB */
	uint8_t *o = malloc(cap);
	if (zl >= 4 && !memcmp(z, "\x28\xb5\x2f\xfd", 4)) {
		out = ZSTD_decompress(o, cap, z, zl);
		if (ZSTD_isError(out))
			out = 0;
	} else if (zl >= 6 && !memcmp(z, "\xfd" "7zXZ", 5)) {
		uint64_t mem = UINT64_MAX;
		size_t ip = 0;
		if (lzma_stream_buffer_decode(&mem, 0, NULL, z, &ip, zl, o, &out, cap) != LZMA_OK)
			out = 0;
	} else if (zl >= 2 && z[0] == 0x1f && z[1] == 0x8b) {
		z_stream s = { .next_in = z, .avail_in = (uInt)zl, .next_out = o,
			       .avail_out = (uInt)cap };
		if (inflateInit2(&s, 31) == Z_OK && inflate(&s, Z_FINISH) == Z_STREAM_END)
			out = s.total_out;
		inflateEnd(&s);
	} else {
		memcpy(o, z, zl);
		out = zl;
	}
	free(z);
	*len = out;
	return o;
}

static int has(const uint8_t *cpio, size_t len, const char *name, const char *text)
{
	const uint8_t *d;
	uint32_t sz, mode, ma, mi;
	if (fx_cpio_find(cpio, len, name, &d, &sz, &mode, &ma, &mi) != 1)
		return 0;
	return !text || (sz == strlen(text) && !memcmp(d, text, sz));
}

static void test_build_contents(void)
{
	struct fx x;
	if (setup(&x))
		return;
	struct kd_initramfs_res res;
	CHECK_OK(ensure(&x, &res));
	CHECK(res.rebuilt);
	CHECK_STR(res.why, "no image yet");
	CHECK_STR(res.compression, "zstd");
	CHECK_U64(res.nmodules, 3);
	char want[1024];
	snprintf(want, sizeof(want), "%s/initrd-" RELEASE ".img", x.outdir);
	CHECK_STR(res.path, want);
	struct stat st;
	CHECK(stat(res.path, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	      (uint64_t)st.st_size == res.size);
	CHECK(stat(x.outdir, &st) == 0 && (st.st_mode & 0777) == 0700);
	snprintf(want, sizeof(want), "%s/initrd-" RELEASE ".manifest", x.outdir);
	CHECK(access(want, R_OK) == 0);

	size_t len;
	uint8_t *c = unpack(res.path, &len);
	CHECK(c && len > 0);
	if (c) {
		CHECK(has(c, len, "init", "\177ELF pretend this is the static kdumpkit\n"));
		CHECK(has(c, len, "bin/kdumpkit", "/init"));
		/* the snapshot, byte for byte what the configuration code writes */
		char *snap = NULL;
		size_t snap_len = 0;
		FILE *f = open_memstream(&snap, &snap_len);
		CHECK_OK(kd_svc_config_snapshot_write(&x.cfg, f));
		fclose(f);
		CHECK(has(c, len, "etc/kdumpkit/capture.conf", snap));
		CHECK(strstr(snap, "\npath /var/crash\n") != NULL);
		free(snap);
		CHECK(has(c, len, "etc/kdumpkit/modules", "virtio\nvirtio_pci\nvirtio_blk\n"));
		CHECK(!has(c, len, "lib/modules/" RELEASE "/ext4.ko", NULL));  /* built in */
		const uint8_t *d;
		uint32_t sz, mode, ma, mi;
		CHECK(fx_cpio_find(c, len, "dev/console", &d, &sz, &mode, &ma, &mi) == 1 &&
		      S_ISCHR(mode) && ma == 5 && mi == 1);
		CHECK(fx_cpio_find(c, len, "tmp", &d, &sz, &mode, &ma, &mi) == 1 &&
		      mode == (S_IFDIR | 01777));
		/* modules decompressed to the very ELF bytes */
		size_t kl;
		uint8_t *ko = fx_fake_ko("virtio_blk", "virtio", NULL, 20000, &kl);
		CHECK(fx_cpio_find(c, len, "lib/modules/" RELEASE "/virtio_blk.ko", &d, &sz, &mode,
				   &ma, &mi) == 1 && sz == kl && !memcmp(d, ko, kl));
		free(ko);
		static const char *const dirs[] = { "proc", "sys", "dev", "run", "mnt" };
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			CHECK(fx_cpio_find(c, len, dirs[i], &d, &sz, &mode, &ma, &mi) == 1 &&
			      S_ISDIR(mode));
	}
	free(c);

	/* the same inputs again: nothing to do */
	struct kd_initramfs_res again;
	CHECK_OK(ensure(&x, &again));
	CHECK(!again.rebuilt && again.size == res.size);
	CHECK_STR(again.why, "up to date");
	struct kd_initramfs_res st_res;
	CHECK_OK(kd_initramfs_status(x.outdir, RELEASE, &st_res));
	CHECK(st_res.size == res.size && st_res.nmodules == 3);
	CHECK_STR(st_res.compression, "zstd");
	CHECK_ERR_HAS(kd_initramfs_status(x.outdir, "5.0-other", &st_res), "kdumpctl rebuild");
	teardown(&x);
}

/* Two builds from the same inputs in two directories, and a forced rebuild: same bytes. */
static void test_reproducible(void)
{
	struct fx x;
	if (setup(&x))
		return;
	struct kd_initramfs_res a, b;
	CHECK_OK(ensure(&x, &a));
	char other[600];
	snprintf(other, sizeof(other), "%s/elsewhere", x.root);
	x.rq.outdir = other;
	CHECK_OK(ensure(&x, &b));
	CHECK(a.rebuilt && b.rebuilt && a.size == b.size);
	CHECK(kd_test_same_file(a.path, b.path));
	x.rq.force = 1;
	CHECK_OK(ensure(&x, &b));
	CHECK(b.rebuilt);
	CHECK_STR(b.why, "rebuild requested");
	CHECK(kd_test_same_file(a.path, b.path));
	teardown(&x);
}

static void expect_rebuild(struct fx *x, const char *why)
{
	struct kd_initramfs_res r;
	CHECK_OK(ensure(x, &r));
	CHECK(r.rebuilt);
	CHECK_STR(r.why, why);
	/* and the next call finds it up to date */
	CHECK_OK(ensure(x, &r));
	CHECK(!r.rebuilt);
}

static void test_changes(void)
{
	struct fx x;
	if (setup(&x))
		return;
	struct kd_initramfs_res r;
	CHECK_OK(ensure(&x, &r));
	x.cfg.path = "/srv/crash";
	expect_rebuild(&x, "kdump configuration changed");
	char *extra[] = { "xfs", NULL };
	x.cfg.extra_modules = extra;
	expect_rebuild(&x, "kdump configuration changed; module set changed: +libcrc32c +xfs");
	write_text(x.exe, "\177ELF a newer kdumpkit\n");
	expect_rebuild(&x, "kdumpkit binary changed");
	x.needs.identity = "xfs UUID=5678 /srv/crash";
	expect_rebuild(&x, "target changed: ext4 UUID=1234 /var/crash -> xfs UUID=5678 /srv/crash");
	put_ko(x.moddir, "kernel/drivers/block/virtio_blk.ko.zst", "virtio_blk", "virtio,xfs", "zst");
	expect_rebuild(&x, "module changed: virtio_blk");
	/* the block device's chain no longer needed: the modules leave the set */
	x.needs.block_device = NULL;
	expect_rebuild(&x, "module set changed: -virtio -virtio_pci -virtio_blk");
	x.needs.block_device = "/dev/vda1";
	expect_rebuild(&x, "module set changed: +virtio +virtio_pci +virtio_blk");
	/* (xz once: its encoder's 94 MiB are slow under MALLOC_PERTURB_) */
	write_text(x.kconfig, "CONFIG_RD_XZ=y\n");
	expect_rebuild(&x, "compression changed: zstd -> xz");
	write_text(x.kconfig, "CONFIG_RD_ZSTD=y\n");
	expect_rebuild(&x, "compression changed: xz -> zstd");
	x.cfg.kdump_pre = x.hook;
	expect_rebuild(&x, "kdump configuration changed; kdump_pre changed");
	write_text(x.hook, "\177ELF another pre program\n");
	expect_rebuild(&x, "kdump_pre changed");
	x.rq.release = "6.99.1-test";
	expect_rebuild(&x, "no image yet");   /* another release: another image and manifest */
	x.rq.release = RELEASE;
	/* the image itself damaged or removed */
	char img[1024];
	snprintf(img, sizeof(img), "%s/initrd-" RELEASE ".img", x.outdir);
	FILE *f = fopen(img, "r+");
	CHECK(f && fseek(f, 100, SEEK_SET) == 0 && fputc('!', f) != EOF);
	if (f)
		fclose(f);
	struct kd_initramfs_res st_res;
	CHECK_ERR_HAS(kd_initramfs_status(x.outdir, RELEASE, &st_res), "does not match its manifest");
	expect_rebuild(&x, "image does not match its manifest (damaged or replaced)");
	CHECK(unlink(img) == 0);
	expect_rebuild(&x, "image missing");
	teardown(&x);
}

static void test_hooks(void)
{
	struct fx x;
	if (setup(&x))
		return;
	x.cfg.kdump_pre = x.hook;
	struct kd_initramfs_res r;
	CHECK_OK(ensure(&x, &r));
	size_t len;
	uint8_t *c = unpack(r.path, &len);
	CHECK(c != NULL);
	if (c) {
		CHECK(has(c, len, "usr/lib/kdumpkit/hooks/kdump_pre", "\177ELF a static pre program\n"));
		/* the configured path (what the capture side runs) leads to it */
		CHECK(has(c, len, x.hook + 1, KD_INITRAMFS_HOOKS "/kdump_pre"));
		CHECK(!has(c, len, "usr/lib/kdumpkit/hooks/kdump_post", NULL));
	}
	free(c);
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/no-such-hook", x.root);
	x.cfg.kdump_post = missing;
	CHECK_ERR_HAS(ensure(&x, &r), "kdump_post");
	teardown(&x);
}

static void test_force_no_rebuild(void)
{
	struct fx x;
	if (setup(&x))
		return;
	x.cfg.force_no_rebuild = 1;
	struct kd_initramfs_res r;
	CHECK_ERR_HAS(ensure(&x, &r), "force_no_rebuild is set but there is no image");
	x.cfg.force_no_rebuild = 0;
	CHECK_OK(ensure(&x, &r));
	size_t before_len;
	uint8_t *before = kd_test_slurp(r.path, &before_len);
	x.cfg.force_no_rebuild = 1;
	x.cfg.path = "/elsewhere";
	CHECK_OK(ensure(&x, &r));
	CHECK(!r.rebuilt);
	CHECK_STR(r.why, "force_no_rebuild: kept although kdump configuration changed");
	size_t after_len;
	uint8_t *after = kd_test_slurp(r.path, &after_len);
	CHECK(before && after && before_len == after_len && !memcmp(before, after, after_len));
	free(before);
	free(after);
	/* force_rebuild and `kdumpctl rebuild` win */
	x.cfg.force_no_rebuild = 0;
	x.cfg.force_rebuild = 1;
	CHECK_OK(ensure(&x, &r));
	CHECK(r.rebuilt);
	CHECK_STR(r.why, "force_rebuild is set");
	x.cfg.force_rebuild = 0;
	x.cfg.force_no_rebuild = 1;
	x.rq.force = 1;
	CHECK_OK(ensure(&x, &r));
	CHECK(r.rebuilt);
	teardown(&x);
}

/* Each format from the kernel's config; every one unpacks to the same cpio. */
static void test_compression(void)
{
	struct fx x;
	if (setup(&x))
		return;
	static const struct { const char *config, *want; const uint8_t magic[6]; size_t ml; } c[] = {
		{ "CONFIG_RD_GZIP=y\nCONFIG_RD_XZ=y\nCONFIG_RD_ZSTD=y\n", "zstd",
		  { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
		{ "CONFIG_RD_GZIP=y\nCONFIG_RD_XZ=y\n# CONFIG_RD_ZSTD is not set\n", "xz",
		  { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
		{ "CONFIG_RD_GZIP=y\n", "gzip", { 0x1f, 0x8b, 8 }, 3 },
		{ "# CONFIG_RD_GZIP is not set\n", "none", { '0', '7', '0', '7', '0', '1' }, 6 },
		{ NULL, "gzip", { 0x1f, 0x8b, 8 }, 3 },   /* no config file */
	};
	uint8_t *ref = NULL;
	size_t ref_len = 0;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].config)
			write_text(x.kconfig, c[i].config);
		else
			unlink(x.kconfig);
		struct kd_initramfs_res r;
		CHECK_OK(ensure(&x, &r));
		CHECK_STR(r.compression, c[i].want);
		size_t zl;
		uint8_t *z = kd_test_slurp(r.path, &zl);
		CHECK(z && zl >= c[i].ml && !memcmp(z, c[i].magic, c[i].ml));
		if (z && !strcmp(c[i].want, "xz"))
			CHECK_U64(z[7], LZMA_CHECK_CRC32);   /* stream flags: the check type */
		free(z);
		size_t len;
		uint8_t *cp = unpack(r.path, &len);
		if (!ref) {
			ref = cp;
			ref_len = len;
		} else {
			CHECK(cp && len == ref_len && !memcmp(cp, ref, len));
			free(cp);
		}
	}
	free(ref);
	char out[16];
	CHECK_ERR_HAS(kd_initramfs_compression_for("/proc/self/mem/x", out), "kernel config");
	teardown(&x);
}

static void test_errors(void)
{
	struct fx x;
	if (setup(&x))
		return;
	struct kd_initramfs_res r;
	char *extra[] = { "nosuch-module", NULL };
	x.cfg.extra_modules = extra;
	CHECK_ERR_HAS(ensure(&x, &r), "module nosuch_module is neither in");
	x.cfg.extra_modules = NULL;
	x.needs.block_device = "/dev/sdq";
	CHECK_ERR_HAS(ensure(&x, &r), "block device /dev/sdq");
	x.needs.block_device = "/dev/vda1";
	char nowhere[600];
	snprintf(nowhere, sizeof(nowhere), "%s/nonexistent-moddir", x.root);
	x.rq.moddir = nowhere;
	CHECK_ERR_HAS(ensure(&x, &r), "nonexistent-moddir");
	x.rq.moddir = x.moddir;
	x.rq.kdumpkit_exe = nowhere;
	CHECK_ERR_HAS(ensure(&x, &r), "kdumpkit executable");
	CHECK(access(x.outdir, F_OK) != 0);   /* nothing written on any error */
	teardown(&x);
}

/* Real images for the lab's Debian cloud kernels (KD_KDUMPKIT: the kdumpkit to put in,
 * else this test program): ext4 on virtio and xfs on virtio. */
static void lab_image(const char *release, const char *fstype, const char *chain_want)
{
	char moddir[512], kconfig[512];
	snprintf(moddir, sizeof(moddir), "/var/cache/kdumpkit-lab/%s/root/lib/modules/%s",
		 release, release);
	snprintf(kconfig, sizeof(kconfig), "/var/cache/kdumpkit-lab/%s/root/boot/config-%s",
		 release, release);
	if (access(moddir, R_OK)) {
		CHECK(1);
		fprintf(stderr, "  %s not in the lab cache: skipped\n", release);
		return;
	}
	struct fx x;
	if (setup(&x))
		return;
	x.rq.release = release;
	x.rq.moddir = moddir;
	x.rq.kernel_config = kconfig;
	x.rq.kdumpkit_exe = getenv("KD_KDUMPKIT") ? getenv("KD_KDUMPKIT") : "/proc/self/exe";
	x.needs.fstype = (char *)fstype;
	struct kd_initramfs_res r;
	CHECK_OK(ensure(&x, &r));
	CHECK_STR(r.compression, "zstd");
	CHECK(r.size > 0 && r.size < (8u << 20));
	size_t len;
	uint8_t *c = unpack(r.path, &len);
	CHECK(c != NULL);
	if (c) {
		char mods[256];
		snprintf(mods, sizeof(mods), "%s", chain_want);
		CHECK(has(c, len, "etc/kdumpkit/modules", mods));
		fprintf(stderr, "  %s %s on virtio: %u modules, cpio %zu bytes, image %llu bytes "
			"(%s)\n", release, fstype, r.nmodules, len, (unsigned long long)r.size,
			r.compression);
	}
	free(c);
	teardown(&x);
}

static void test_lab_61(void)
{
	lab_image("6.1.0-57-cloud-amd64", "ext4",
		  "virtio_ring\nvirtio_pci_modern_dev\nvirtio_pci_legacy_dev\nvirtio\nvirtio_pci\n"
		  "virtio_blk\n");
	lab_image("6.1.0-57-cloud-amd64", "xfs",
		  "virtio_ring\nvirtio_pci_modern_dev\nvirtio_pci_legacy_dev\nvirtio\nvirtio_pci\n"
		  "virtio_blk\nlibcrc32c\nxfs\n");
}

static void test_lab_612(void)
{
	/* 6.12: virtio and virtio_pci are built in, modules are .ko.xz */
	lab_image("6.12.117+deb12-cloud-amd64", "ext4", "virtio_blk\n");
	lab_image("6.12.117+deb12-cloud-amd64", "xfs", "virtio_blk\nlibcrc32c\nxfs\n");
}

TEST_MAIN(T(test_build_contents), T(test_reproducible), T(test_changes), T(test_hooks),
	  T(test_force_no_rebuild), T(test_compression), T(test_errors), T(test_lab_61),
	  T(test_lab_612))

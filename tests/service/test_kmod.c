/* Kernel modules: modules.dep parsing, closures in load order, built-ins, a scanned tree read
 * through .modinfo, decompression, the driver chain from a fake sysfs; the real Debian 6.1 and
 * 6.12 cloud trees from the lab cache when present. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmod_fixture.h"
#include "service/kmod.h"
#include "test.h"

static const char dep_text[] =
	"# comment\n"
	"kernel/fs/xfs/xfs.ko.xz: kernel/lib/libcrc32c.ko.xz\n"
	"kernel/lib/libcrc32c.ko.xz:\n"
	"kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz "
	"kernel/drivers/virtio/virtio.ko.xz\n"
	"kernel/drivers/virtio/virtio_ring.ko.xz: kernel/drivers/virtio/virtio.ko.xz\n"
	"kernel/drivers/virtio/virtio.ko.xz:\n"
	"kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz "
	"kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz\n"
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz:\n"
	"kernel/drivers/md/dm-mod.ko.xz:\n"
	"updates/dm-mod.ko:\n"      /* a second copy: the first one listed wins */
	"\n"
	"kernel/fs/btrfs/btrfs.ko.xz: kernel/lib/libcrc32c.ko.xz kernel/crypto/xor.ko.xz\n";

static const char builtin_text[] = "kernel/fs/ext4/ext4.ko\nkernel/fs/jbd2/jbd2.ko\n"
				   "kernel/crypto/xor.ko\n";

static struct kd_kmod_index *fixture_index(void)
{
	struct kd_kmod_index *ix = NULL;
	CHECK_OK(kd_kmod_index_parse(dep_text, strlen(dep_text), "modules.dep", &ix));
	if (ix)
		CHECK_OK(kd_kmod_index_parse_builtin(ix, builtin_text, strlen(builtin_text)));
	return ix;
}

static void list_is(const struct kd_kmod_list *l, const char *want)
{
	char got[1024] = "";
	for (size_t i = 0; i < l->n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
			 l->names[i]);
	CHECK_STR(got, want);
}

static void test_parse(void)
{
	struct kd_kmod_index *ix = fixture_index();
	if (!ix)
		return;
	CHECK_U64(ix->n, 9);
	const struct kd_kmod *m = kd_kmod_find(ix, "virtio-blk");
	CHECK(m && !strcmp(m->name, "virtio_blk") && m->ndeps == 2);
	m = kd_kmod_find(ix, "dm_mod");
	CHECK(m && !strcmp(m->path, "kernel/drivers/md/dm-mod.ko.xz"));
	CHECK(kd_kmod_is_builtin(ix, "ext4"));
	CHECK(kd_kmod_is_builtin(ix, "kernel/fs/jbd2/jbd2.ko"));
	CHECK(!kd_kmod_is_builtin(ix, "xfs"));
	CHECK(!kd_kmod_find(ix, "nope"));
	char *n = kd_kmod_name("kernel/drivers/md/dm-mod.ko.zst");
	CHECK_STR(n, "dm_mod");
	free(n);
	kd_kmod_index_free(ix);
}

static void test_resolve_order(void)
{
	struct kd_kmod_index *ix = fixture_index();
	if (!ix)
		return;
	struct kd_kmod_list l;
	const char *want[] = { "virtio_pci", "virtio-blk", "ext4", "xfs", "xfs" };
	CHECK_OK(kd_kmod_resolve(ix, want, 5, &l));
	list_is(&l, "virtio virtio_ring virtio_pci_modern_dev virtio_pci virtio_blk libcrc32c xfs");
	/* virtio_ring is listed before virtio in modules.dep, yet virtio_ring needs virtio:
	 * a dependency is always loaded before what needs it */
	size_t vr = 0, v = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (!strcmp(l.names[i], "virtio_ring"))
			vr = i;
		if (!strcmp(l.names[i], "virtio"))
			v = i;
	}
	CHECK(v < vr || !"virtio must come first");
	CHECK(l.nbuiltin == 1 && !strcmp(l.builtin[0], "ext4"));
	CHECK_STR(l.paths[l.n - 1], "kernel/fs/xfs/xfs.ko.xz");
	kd_kmod_list_free(&l);
	/* btrfs: its built-in dependency (xor) is not loaded */
	const char *b[] = { "btrfs" };
	CHECK_OK(kd_kmod_resolve(ix, b, 1, &l));
	list_is(&l, "libcrc32c btrfs");
	CHECK(l.nbuiltin == 1 && !strcmp(l.builtin[0], "xor"));
	kd_kmod_list_free(&l);
	const char *bad[] = { "xfs", "zfs" };
	CHECK_ERR_HAS(kd_kmod_resolve(ix, bad, 2, &l), "module zfs is neither in");
	CHECK(l.n == 0 && !l.names);
	kd_kmod_index_free(ix);
}

static void test_errors(void)
{
	struct kd_kmod_index *ix = NULL;
	CHECK_ERR_HAS(kd_kmod_index_parse("a.ko:\nb.ko b.ko\n", 16, "m.dep", &ix), "m.dep:2: no ':'");
	CHECK_ERR_HAS(kd_kmod_index_parse("a.txt: b.ko\n", 12, "m.dep", &ix),
		      "m.dep:1: \"a.txt\" is not a module path");
	CHECK_ERR_HAS(kd_kmod_index_parse("a.ko: b\n", 8, "m.dep", &ix),
		      "m.dep:1: dependency \"b\" of a is not a module path");
	CHECK_ERR_HAS(kd_kmod_index_parse("x/a.ko: y/a.ko.xz\n", 18, "m.dep", &ix),
		      "a depends on itself");
	CHECK_ERR_HAS(kd_kmod_index_parse(".ko:\n", 5, "m.dep", &ix), "not a module path");
	/* a name the kernel would not have ("dm-mod.ko" from dm-mod.ko.ko) */
	CHECK_ERR_HAS(kd_kmod_index_parse("k/dm-mod.ko.ko:\n", 16, "m.dep", &ix),
		      "\"k/dm-mod.ko.ko\" is not a module path");
	CHECK(ix == NULL);
	/* a cycle, and a dependency with no line of its own */
	const char *cyc = "a.ko: b.ko\nb.ko: a.ko\nc.ko: d.ko\n";
	CHECK_OK(kd_kmod_index_parse(cyc, strlen(cyc), "m.dep", &ix));
	if (ix) {
		struct kd_kmod_list l;
		const char *a[] = { "a" }, *c[] = { "c" }, *e[] = { "" };
		CHECK_ERR_HAS(kd_kmod_resolve(ix, a, 1, &l), "cycle");
		CHECK_ERR_HAS(kd_kmod_resolve(ix, c, 1, &l), "module d, needed by c, is neither");
		CHECK_ERR_HAS(kd_kmod_resolve(ix, e, 1, &l), "not a module name");
		kd_kmod_index_free(ix);
	}
}

/* A tree with modules.dep, modules.builtin and modules.softdep on disk. */
static void test_load_files(void)
{
	char *d = fx_tmpdir("kmod");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(fx_file(d, "modules.dep", dep_text) == 0);
	CHECK(fx_file(d, "modules.builtin", builtin_text) == 0);
	CHECK(fx_file(d, "modules.softdep", "# soft\nsoftdep xfs pre: dm-mod nosuch post: virtio\n")
	      == 0);
	struct kd_kmod_index *ix = NULL;
	CHECK_OK(kd_kmod_index_load(d, &ix));
	if (ix) {
		CHECK(!ix->scanned);
		struct kd_kmod_list l;
		const char *w[] = { "xfs" };
		CHECK_OK(kd_kmod_resolve(ix, w, 1, &l));
		/* pre: dm_mod (a module) first; nosuch (no module, e.g. an alias) left out */
		list_is(&l, "dm_mod libcrc32c xfs");
		if (l.n == 3) {
			char want[4200];
			snprintf(want, sizeof(want), "%s/kernel/drivers/md/dm-mod.ko.xz", d);
			CHECK_STR(l.paths[0], want);
		}
		kd_kmod_list_free(&l);
		kd_kmod_index_free(ix);
	}
	fx_rmtree(d);
	free(d);
	CHECK_ERR_HAS(kd_kmod_index_load("/nonexistent/modules/6.1", &ix), "/nonexistent");
}

/* Soft dependencies and wanted names through modules.alias (exact names; device-ID patterns
 * skipped); an alias that leads back to its own module is no cycle. */
static void test_aliases(void)
{
	char *d = fx_tmpdir("kmod-alias");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(fx_file(d, "modules.dep", "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"
		      "kernel/lib/libcrc32c.ko:\nkernel/crypto/crc32c_generic.ko:\n"
		      "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
		      "kernel/drivers/virtio/virtio_pci.ko:\n") == 0);
	CHECK(fx_file(d, "modules.softdep", "softdep libcrc32c pre: crypto-crc32c\n"
		      "softdep crc32c_intel pre: crypto-crc32c\n") == 0);
	CHECK(fx_file(d, "modules.alias", "# Aliases extracted from modules themselves.\n"
		      "alias crypto-crc32c crc32c_generic\nalias crypto-crc32c crc32c-intel\n"
		      "alias fs-xfs xfs\nalias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n"
		      "alias crypto-gone gone_module\n") == 0);
	CHECK(fx_file(d, "modules.builtin.alias", "alias crypto-sha256 sha256_generic\n") == 0);
	CHECK(fx_file(d, "modules.builtin", "kernel/crypto/sha256_generic.ko\n") == 0);
	struct kd_kmod_index *ix = NULL;
	CHECK_OK(kd_kmod_index_load(d, &ix));
	if (ix) {
		CHECK_U64(ix->naliases, 5);   /* the pci: pattern left out */
		struct kd_kmod_list l;
		const char *w[] = { "fs-xfs", "crc32c-intel", "crypto-sha256" };
		CHECK_OK(kd_kmod_resolve(ix, w, 3, &l));
		list_is(&l, "crc32c_generic crc32c_intel libcrc32c xfs");
		CHECK(l.nbuiltin == 1 && !strcmp(l.builtin[0], "sha256_generic"));
		kd_kmod_list_free(&l);
		const char *gone[] = { "crypto-gone" };
		CHECK_ERR_HAS(kd_kmod_resolve(ix, gone, 1, &l), "module crypto_gone is neither");
		kd_kmod_index_free(ix);
	}
	fx_rmtree(d);
	free(d);
}

/* No modules.dep: the tree is scanned and each needed module's .modinfo read, whatever its
 * compression. */
static void test_scanned_tree(void)
{
	char *d = fx_tmpdir("kmod-scan");
	CHECK(d != NULL);
	if (!d)
		return;
	struct { const char *path, *name, *deps, *soft, *fmt; } mods[] = {
		{ "kernel/fs/xfs/xfs.ko.xz", "xfs", "libcrc32c", NULL, "xz" },
		{ "kernel/lib/libcrc32c.ko.zst", "libcrc32c", "", "pre: crc32c_generic", "zst" },
		{ "kernel/crypto/crc32c_generic.ko.gz", "crc32c_generic", "", NULL, "gz" },
		{ "kernel/drivers/block/virtio_blk.ko", "virtio_blk", "virtio_ring,virtio", NULL, "" },
		{ "kernel/drivers/virtio/virtio_ring.ko", "virtio_ring", "virtio", NULL, "" },
		{ "kernel/drivers/virtio/virtio.ko", "virtio", "", NULL, "" },
		{ "updates/virtio.ko", "virtio", "", NULL, "" },
	};
	char p[4200];
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		size_t len;
		uint8_t *ko = fx_fake_ko(mods[i].name, mods[i].deps, mods[i].soft, 4096, &len);
		CHECK(fx_file(d, mods[i].path, "") == 0);
		snprintf(p, sizeof(p), "%s/%s", d, mods[i].path);
		CHECK(fx_write(p, ko, len, mods[i].fmt) == 0);
		free(ko);
	}
	CHECK(fx_file(d, "kernel/fs/notes.txt", "not a module\n") == 0);
	struct kd_kmod_index *ix = NULL;
	CHECK_OK(kd_kmod_index_load(d, &ix));
	if (ix) {
		CHECK(ix->scanned);
		CHECK_U64(ix->n, 6);
		struct kd_kmod_list l;
		const char *w[] = { "virtio_blk", "xfs" };
		CHECK_OK(kd_kmod_resolve(ix, w, 2, &l));
		list_is(&l, "virtio virtio_ring virtio_blk crc32c_generic libcrc32c xfs");
		if (l.n == 6) {
			snprintf(p, sizeof(p), "%s/updates/virtio.ko", d);
			CHECK_STR(l.paths[0], p);   /* updates/ overrides kernel/ */
		}
		kd_kmod_list_free(&l);
		kd_kmod_index_free(ix);
	}
	/* decompression of each format back to the same ELF bytes */
	size_t want_len;
	uint8_t *want = fx_fake_ko("xfs", "libcrc32c", NULL, 4096, &want_len);
	uint8_t *got = NULL;
	size_t got_len = 0;
	snprintf(p, sizeof(p), "%s/kernel/fs/xfs/xfs.ko.xz", d);
	CHECK_OK(kd_kmod_read(p, &got, &got_len));
	CHECK(got && got_len == want_len && !memcmp(got, want, want_len));
	free(got);
	free(want);
	/* a corrupt .ko.xz and a file that is no ELF */
	snprintf(p, sizeof(p), "%s/bad.ko.xz", d);
	CHECK(fx_write(p, "\xfd" "7zXZ\0garbagegarbage", 19, "") == 0);
	CHECK_ERR_HAS(kd_kmod_read(p, &got, &got_len), "decompressing module");
	snprintf(p, sizeof(p), "%s/kernel/fs/notes.txt", d);
	CHECK_ERR_HAS(kd_kmod_read(p, &got, &got_len), "is not an ELF file");
	char **v;
	size_t nv;
	CHECK_ERR_HAS(kd_kmod_modinfo((const uint8_t *)"\x7f" "ELF", 4, "depends", &v, &nv),
		      "not an ELF");
	fx_rmtree(d);
	free(d);
}

static void test_block_chain(void)
{
	char *d = fx_tmpdir("sysfs");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(fx_sysfs_virtio(d) == 0);
	char **names;
	size_t n;
	CHECK_OK(kd_kmod_block_chain(d, "/dev/vda1", &names, &n));
	CHECK(n == 2 && !strcmp(names[0], "virtio_pci") && !strcmp(names[1], "virtio_blk"));
	kd_kmod_strv_free(names);
	CHECK_OK(kd_kmod_block_chain(d, "vda", &names, &n));
	CHECK_U64(n, 2);
	kd_kmod_strv_free(names);
	CHECK_OK(kd_kmod_block_chain(d, "/dev/dm-0", &names, &n));
	CHECK(n == 3 && !strcmp(names[0], "virtio_pci") && !strcmp(names[1], "virtio_blk") &&
	      !strcmp(names[2], "dm_mod"));
	kd_kmod_strv_free(names);
	CHECK_ERR_HAS(kd_kmod_block_chain(d, "/dev/sdz", &names, &n), "block device /dev/sdz");
	fx_rmtree(d);
	free(d);
}

/* The real /sys: a disk named by its device node (major:minor through /sys/dev/block) and by
 * its name (/sys/class/block) gives the same chain. Skipped without a disk that has one. */
static void test_block_chain_real(void)
{
	struct dirent **ents = NULL;
	int n = scandir("/sys/block", &ents, NULL, alphasort);
	char dev[300] = "", *name = NULL;
	for (int i = 0; i < n; i++) {
		char link[600], node[300];
		snprintf(link, sizeof(link), "/sys/block/%s/device", ents[i]->d_name);
		snprintf(node, sizeof(node), "/dev/%s", ents[i]->d_name);
		if (!*dev && !access(link, F_OK) && !access(node, F_OK)) {
			snprintf(dev, sizeof(dev), "%s", node);
			name = dev + 5;
		}
		free(ents[i]);
	}
	free(ents);
	if (!name) {
		CHECK(1);
		fprintf(stderr, "  no disk with a driver in /sys/block: skipped\n");
		return;
	}
	char **a = NULL, **b = NULL;
	size_t na = 0, nb = 0;
	CHECK_OK(kd_kmod_block_chain("", dev, &a, &na));
	CHECK_OK(kd_kmod_block_chain("", name, &b, &nb));
	CHECK(a && b && na == nb);
	for (size_t i = 0; a && b && i < na && i < nb; i++)
		CHECK_STR(a[i], b[i]);
	fprintf(stderr, "  %s:", dev);
	for (size_t i = 0; a && i < na; i++)
		fprintf(stderr, " %s", a[i]);
	fprintf(stderr, "%s\n", na ? "" : " (built-in drivers only)");
	kd_kmod_strv_free(a);
	kd_kmod_strv_free(b);
}

/* The Debian cloud kernels unpacked by the lab (no modules.dep there: scanned). */
static void lab_tree(const char *release, const char *virtio_want, const char *xfs_want)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "/var/cache/kdumpkit-lab/%s/root/lib/modules/%s", release,
		 release);
	if (access(dir, R_OK)) {
		CHECK(1);
		fprintf(stderr, "  %s not in the lab cache: skipped\n", release);
		return;
	}
	struct kd_kmod_index *ix = NULL;
	CHECK_OK(kd_kmod_index_load(dir, &ix));
	if (!ix)
		return;
	CHECK(ix->n > 1000);
	struct kd_kmod_list l;
	const char *ext4[] = { "virtio_pci", "virtio_blk", "ext4" };
	CHECK_OK(kd_kmod_resolve(ix, ext4, 3, &l));
	list_is(&l, virtio_want);
	CHECK(kd_kmod_is_builtin(ix, "ext4") && kd_kmod_is_builtin(ix, "jbd2") &&
	      kd_kmod_is_builtin(ix, "mbcache") && kd_kmod_is_builtin(ix, "crc16"));
	kd_kmod_list_free(&l);
	const char *xfs[] = { "xfs" };
	CHECK_OK(kd_kmod_resolve(ix, xfs, 1, &l));
	list_is(&l, xfs_want);
	for (size_t i = 0; i < l.n; i++) {
		uint8_t *ko;
		size_t len;
		CHECK_OK(kd_kmod_read(l.paths[i], &ko, &len));
		char **v = NULL;
		size_t nv = 0;
		CHECK_OK(kd_kmod_modinfo(ko, len, "name", &v, &nv));
		CHECK(nv == 1 && !strcmp(v[0], l.names[i]));
		kd_kmod_strv_free(v);
		free(ko);
	}
	kd_kmod_list_free(&l);
	const char *btrfs[] = { "btrfs" };
	CHECK_OK(kd_kmod_resolve(ix, btrfs, 1, &l));
	CHECK(l.n >= 3 && !strcmp(l.names[l.n - 1], "btrfs"));
	kd_kmod_list_free(&l);
	kd_kmod_index_free(ix);
}

static void test_lab_61(void)
{
	lab_tree("6.1.0-57-cloud-amd64",
		 "virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio virtio_pci "
		 "virtio_blk", "libcrc32c xfs");
}

static void test_lab_612(void)
{
	lab_tree("6.12.117+deb12-cloud-amd64", "virtio_blk", "libcrc32c xfs");
}

TEST_MAIN(T(test_parse), T(test_resolve_order), T(test_errors), T(test_load_files), T(test_aliases),
	  T(test_scanned_tree), T(test_block_chain), T(test_block_chain_real), T(test_lab_61), T(test_lab_612))

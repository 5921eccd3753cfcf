/* The newc writer: parsed back by a small reader here, and by GNU cpio when installed. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "service/cpio.h"
#include "test.h"

struct rec {
	char name[256];
	uint32_t ino, mode, uid, gid, nlink, mtime, size, rmaj, rmin;
	const uint8_t *data;
};

static uint32_t hex8(const uint8_t *p)
{
	char b[9];
	memcpy(b, p, 8);
	b[8] = 0;
	return (uint32_t)strtoul(b, NULL, 16);
}

/* Parse a whole archive; the number of records before the trailer, -1 if malformed. */
static int parse(const uint8_t *buf, size_t len, struct rec *out, int max)
{
	size_t off = 0;
	for (int n = 0; n <= max; n++) {
		if (off + 110 > len || memcmp(buf + off, "070701", 6))
			return -1;
		const uint8_t *h = buf + off + 6;
		struct rec r = { .ino = hex8(h), .mode = hex8(h + 8), .uid = hex8(h + 16),
				 .gid = hex8(h + 24), .nlink = hex8(h + 32), .mtime = hex8(h + 40),
				 .size = hex8(h + 48), .rmaj = hex8(h + 72), .rmin = hex8(h + 80) };
		uint32_t namesize = hex8(h + 88);
		if (!namesize || namesize > sizeof(r.name) || off + 110 + namesize > len)
			return -1;
		memcpy(r.name, buf + off + 110, namesize);
		if (r.name[namesize - 1])
			return -1;
		off = (off + 110 + namesize + 3) & ~(size_t)3;
		if (off + r.size > len)
			return -1;
		r.data = buf + off;
		off = (off + r.size + 3) & ~(size_t)3;
		if (!strcmp(r.name, "TRAILER!!!"))
			return off == len ? n : -1;
		if (n == max)
			return -1;
		out[n] = r;
	}
	return -1;
}

static struct kd_cpio *sample(void)
{
	struct kd_cpio *c = NULL;
	CHECK_OK(kd_cpio_new(0, &c));
	CHECK_OK(kd_cpio_add_file(c, "/init", 0755, "ELF!", 4));
	CHECK_OK(kd_cpio_add_file(c, "/lib/modules/6.1/kernel.ko", 0644, "abcdefg", 7));
	CHECK_OK(kd_cpio_add_symlink(c, "/bin/kdumpkit", "/init"));
	CHECK_OK(kd_cpio_add_chardev(c, "/dev/console", 0600, 5, 1));
	CHECK_OK(kd_cpio_add_dir(c, "/proc", 0555));
	CHECK_OK(kd_cpio_add_dir(c, "proc/", 0555));    /* same directory again: fine */
	CHECK_OK(kd_cpio_add_file_owned(c, "etc//kdumpkit/capture.conf", 0600, strdup("x 1\n"), 4));
	return c;
}

static void test_roundtrip(void)
{
	struct kd_cpio *c = sample();
	CHECK_U64(kd_cpio_count(c), 6);
	uint8_t *buf;
	size_t len;
	CHECK_OK(kd_cpio_write_mem(c, &buf, &len));
	kd_cpio_free(c);
	struct rec r[32];
	int n = parse(buf, len, r, 32);
	/* bin dev etc etc/kdumpkit etc/kdumpkit/capture.conf init lib lib/modules lib/modules/6.1
	 * lib/modules/6.1/kernel.ko proc, with bin/kdumpkit and dev/console */
	static const char *want[] = { "bin", "bin/kdumpkit", "dev", "dev/console", "etc",
		"etc/kdumpkit", "etc/kdumpkit/capture.conf", "init", "lib", "lib/modules",
		"lib/modules/6.1", "lib/modules/6.1/kernel.ko", "proc" };
	CHECK_U64(n, sizeof(want) / sizeof(want[0]));
	for (int i = 0; i < n && i < (int)(sizeof(want) / sizeof(want[0])); i++) {
		CHECK_STR(r[i].name, want[i]);
		CHECK_U64(r[i].ino, i + 1);
		CHECK_U64(r[i].uid, 0);
		CHECK_U64(r[i].gid, 0);
		CHECK_U64(r[i].mtime, 0);
	}
	if (n == 13) {
		CHECK_U64(r[0].mode, S_IFDIR | 0755);       /* implicit parent */
		CHECK_U64(r[1].mode, S_IFLNK | 0777);
		CHECK(r[1].size == 5 && !memcmp(r[1].data, "/init", 5));
		CHECK_U64(r[3].mode, S_IFCHR | 0600);
		CHECK(r[3].rmaj == 5 && r[3].rmin == 1 && r[3].size == 0);
		CHECK(r[6].size == 4 && !memcmp(r[6].data, "x 1\n", 4));
		CHECK_U64(r[7].mode, S_IFREG | 0755);
		CHECK(r[7].size == 4 && !memcmp(r[7].data, "ELF!", 4));
		CHECK(r[11].size == 7 && !memcmp(r[11].data, "abcdefg", 7));
		CHECK_U64(r[12].mode, S_IFDIR | 0555);      /* explicit, kept its mode */
		CHECK_U64(r[12].nlink, 2);
		CHECK_U64(r[7].nlink, 1);                   /* never a hard link */
	}
	free(buf);
}

/* Same entries in another order: the same bytes. */
static void test_reproducible(void)
{
	struct kd_cpio *a = sample(), *b = NULL;
	CHECK_OK(kd_cpio_new(0, &b));
	CHECK_OK(kd_cpio_add_file_owned(b, "/etc/kdumpkit/capture.conf", 0600, strdup("x 1\n"), 4));
	CHECK_OK(kd_cpio_add_dir(b, "/proc", 0555));
	CHECK_OK(kd_cpio_add_chardev(b, "/dev/console", 0600, 5, 1));
	CHECK_OK(kd_cpio_add_symlink(b, "/bin/kdumpkit", "/init"));
	CHECK_OK(kd_cpio_add_file(b, "/lib/modules/6.1/kernel.ko", 0644, "abcdefg", 7));
	CHECK_OK(kd_cpio_add_file(b, "/init", 0755, "ELF!", 4));
	uint8_t *pa, *pb;
	size_t la, lb;
	CHECK_OK(kd_cpio_write_mem(a, &pa, &la));
	CHECK_OK(kd_cpio_write_mem(b, &pb, &lb));
	CHECK(la == lb && !memcmp(pa, pb, la));
	CHECK_U64(la % 4, 0);
	free(pa);
	free(pb);
	kd_cpio_free(a);
	kd_cpio_free(b);
}

static void test_bad_paths(void)
{
	struct kd_cpio *c = NULL;
	CHECK_OK(kd_cpio_new(0, &c));
	CHECK_ERR_HAS(kd_cpio_add_dir(c, "/a/../b", 0755), "\"..\"");
	CHECK_ERR_HAS(kd_cpio_add_dir(c, "./a", 0755), "\".\"");
	CHECK_ERR_HAS(kd_cpio_add_dir(c, "///", 0755), "names no file");
	CHECK_ERR_HAS(kd_cpio_add_file_owned(c, "", 0644, strdup("x"), 1), "names no file");
	CHECK_OK(kd_cpio_add_file(c, "/init", 0755, "x", 1));
	CHECK_ERR_HAS(kd_cpio_add_file(c, "init", 0755, "y", 1), "/init added twice");
	CHECK_ERR_HAS(kd_cpio_add_dir(c, "init", 0755), "added twice");
	/* a file used as a directory: caught when written */
	CHECK_OK(kd_cpio_add_file(c, "/init/x", 0644, "y", 1));
	uint8_t *buf = NULL;
	size_t len;
	CHECK_ERR_HAS(kd_cpio_write_mem(c, &buf, &len), "not a directory");
	free(buf);
	kd_cpio_free(c);
}

/* GNU cpio lists and extracts what we wrote (skipped when cpio is not installed). */
static void test_gnu_cpio(void)
{
	if (access("/usr/bin/cpio", X_OK)) {
		CHECK(1);
		fprintf(stderr, "  cpio not installed: GNU cpio cross-check skipped\n");
		return;
	}
	struct kd_cpio *c = sample();
	uint8_t *buf;
	size_t len;
	CHECK_OK(kd_cpio_write_mem(c, &buf, &len));
	kd_cpio_free(c);
	char *arch = kd_test_tmpfile("cpio");
	FILE *f = fopen(arch, "w");
	CHECK(f && fwrite(buf, 1, len, f) == len);
	fclose(f);
	free(buf);
	char *list = kd_test_tmpfile("cpio-list");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cpio -t --quiet < %s > %s 2>&1", arch, list);
	CHECK(system(cmd) == 0);
	size_t ll;
	uint8_t *out = kd_test_slurp(list, &ll);
	CHECK(out != NULL);
	if (out) {
		out[ll] = 0;
		CHECK_STR((char *)out, "bin\nbin/kdumpkit\ndev\ndev/console\netc\netc/kdumpkit\n"
			  "etc/kdumpkit/capture.conf\ninit\nlib\nlib/modules\nlib/modules/6.1\n"
			  "lib/modules/6.1/kernel.ko\nproc\n");
	}
	free(out);
	unlink(arch);
	unlink(list);
	free(arch);
	free(list);
}

TEST_MAIN(T(test_roundtrip), T(test_reproducible), T(test_bad_paths), T(test_gnu_cpio))

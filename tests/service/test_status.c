/* The service's status in a fake root: nothing reserved or loaded, a loaded capture kernel with
 * the service's record, one loaded by something else, an unreadable /proc/iomem (a user who
 * is not root), the last dump under `path` (complete or not), and the printed lines. */
#include "service/status.h"

#include <stdlib.h>
#include <string.h>

#include "kexec/testutil.h"
#include "service/dumpdir.h"
#include "test.h"

#define IOMEM_1G "base/fixtures/iomem-qemu-q35-1G-6.1.txt"

static char *print(const struct kd_status *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	kd_status_print(f, st);
	fclose(f);
	return buf;
}

static void put_fixture(const char *rel, const char *fixture)
{
	size_t len;
	uint8_t *b = kd_test_slurp(kd_test_fixture(fixture), &len);
	CHECK(b && !tu_root_put(rel, b, len));
	free(b);
}

static void test_nothing(void)
{
	CHECK(tu_root_new("svcstatus") != NULL);
	struct kd_status st;
	kd_status_read(tu_root(), NULL, &st);
	CHECK(st.loaded == -1 && st.loaded_error[0] && st.res_error[0]);
	CHECK_STR(kd_status_line(&st), "Kdump is not operational");
	CHECK_STR(kd_status_state(&st), "Not ready to kdump");
	char *out = print(&st);
	CHECK(out && strstr(out, "reservation:  unknown (") && strstr(out, "loaded:       unknown ("));
	free(out);

	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_loaded", "0\n"));
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "0\n"));
	CHECK(!tu_root_put_str("proc/cmdline", "ro quiet\n"));
	kd_status_read(tu_root(), NULL, &st);
	CHECK(st.loaded == 0 && !st.have_record);
	out = print(&st);
	CHECK_STR(out, "reservation:  none\nloaded:       no\n");
	free(out);
	tu_root_drop();
}

static void test_loaded_with_record(void)
{
	CHECK(tu_root_new("svcstatus") != NULL);
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_loaded", "1\n"));
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "268435456\n"));
	put_fixture("proc/iomem", IOMEM_1G);
	CHECK(!tu_root_put_str("proc/cmdline", "ro crashkernel=256M\n"));
	char img[4096];
	memset(img, 1, sizeof(img));
	CHECK(!tu_root_put("var/lib/kdumpkit/initrd-6.1.img", img, sizeof(img)));
	struct kd_load_record r = { .time = 1764667800 }; /* 2025-12-02 09:30:00 UTC */
	snprintf(r.kernel, sizeof(r.kernel), "/boot/vmlinuz-6.1");
	snprintf(r.initrd, sizeof(r.initrd), "%s/var/lib/kdumpkit/initrd-6.1.img", tu_root());
	snprintf(r.cmdline, sizeof(r.cmdline), "ro irqpoll nr_cpus=1 reset_devices");
	CHECK_OK(kd_load_record_write(tu_root(), &r));

	struct kd_svc_config c = { 0 };
	c.target = KD_TGT_PATH;
	c.path = "/var/crash";
	struct kd_status st;
	kd_status_read(tu_root(), &c, &st);
	CHECK(st.loaded == 1 && st.have_record && st.initrd_present);
	CHECK_U64(st.initrd_size, 4096);
	CHECK(st.res.have_range && st.res.size == 256ULL << 20);
	CHECK(st.last_known && !st.last_dump[0]);
	CHECK_STR(kd_status_line(&st), "Kdump is operational");
	CHECK_STR(kd_status_state(&st), "ready to kdump");
	char *out = print(&st);
	char want[8192];
	snprintf(want, sizeof(want),
		 "reservation:  256M at %#llx-%#llx (crashkernel=256M)\n"
		 "loaded:       yes\n"
		 "kernel:       /boot/vmlinuz-6.1\n"
		 "initramfs:    %s (4.0K)\n"
		 "command line: ro irqpoll nr_cpus=1 reset_devices\n"
		 "loaded at:    2025-12-02 09:30:00 UTC\n"
		 "target:       /var/crash (on the file system that holds it)\n"
		 "last dump:    none under /var/crash\n",
		 (unsigned long long)st.res.start, (unsigned long long)st.res.end, r.initrd);
	CHECK_STR(out, want);
	free(out);

	/* kdumpkit's own image (initrd-<release>.img) is checked against its manifest */
	snprintf(r.release, sizeof(r.release), "6.1");
	CHECK_OK(kd_load_record_write(tu_root(), &r));
	kd_status_read(tu_root(), &c, &st);
	CHECK(strstr(st.initrd_detail, "no kdumpkit initramfs for 6.1 (run `kdumpctl rebuild`)"));
	out = print(&st);
	CHECK(out && strstr(out, "initrd-6.1.img (4.0K, no kdumpkit initramfs for 6.1"));
	free(out);

	/* a dump saved since: the newest directory, complete or not */
	char base[4096];
	snprintf(base, sizeof(base), "%s/var/crash", tu_root());
	struct kd_dumpdir d;
	CHECK_OK(kd_dumpdir_create(base, KD_SVC_KDUMP_CONF, 1764667800, &d));
	kd_status_read(tu_root(), &c, &st);
	CHECK(st.last_known && !st.last_complete && !strcmp(st.last_dump, d.dir));
	out = print(&st);
	CHECK(out && strstr(out, "(incomplete)\n"));
	free(out);
	CHECK_OK(kd_dumpdir_write_file(&d, d.vmcore, "x", 1));
	kd_status_read(tu_root(), &c, &st);
	CHECK(st.last_complete);

	/* a named file system not mounted here: where its dumps are is not known */
	c.target = KD_TGT_FS;
	c.fstype = "xfs";
	c.device = "UUID=1234";
	kd_status_read(tu_root(), &c, &st);
	CHECK(!st.last_known);
	CHECK_STR(st.target, "xfs UUID=1234, directory /var/crash");
	out = print(&st);
	CHECK(out && !strstr(out, "last dump"));
	free(out);

	/* unloaded behind our back: the record says what was, the state says it is gone */
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_loaded", "0\n"));
	CHECK(!tu_root_rm("var/lib/kdumpkit/initrd-6.1.img"));
	kd_status_read(tu_root(), NULL, &st);
	out = print(&st);
	CHECK(out && strstr(out, "(no longer there)") && strstr(out, "(since unloaded by"));
	free(out);
	tu_root_drop();
}

static void test_loaded_by_someone_else(void)
{
	CHECK(tu_root_new("svcstatus") != NULL);
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_loaded", "1\n"));
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "201326592\n"));
	/* not root: /proc/iomem shows zeros */
	CHECK(!tu_root_put_str("proc/iomem", "00000000-00000000 : System RAM\n"));
	struct kd_status st;
	kd_status_read(tu_root(), NULL, &st);
	char *out = print(&st);
	CHECK_STR(out, "reservation:  192M (its range in /proc/iomem is shown to root only)\n"
		  "loaded:       yes\n"
		  "kernel:       loaded by something else than kdumpkit (no record in "
		  "/var/lib/kdumpkit/loaded)\n");
	free(out);
	tu_root_drop();
}

static void test_target_lines(void)
{
	struct kd_svc_config c = { 0 };
	char buf[512];
	kd_status_target(&c, buf, sizeof(buf));
	CHECK_STR(buf, "/var/crash (on the file system that holds it)");
	c.target = KD_TGT_RAW;
	c.device = "/dev/vdc";
	c.path = "/srv/dumps";
	kd_status_target(&c, buf, sizeof(buf));
	CHECK_STR(buf, "raw /dev/vdc (recovered into /srv/dumps at the next start)");
}

TEST_MAIN(T(test_nothing), T(test_loaded_with_record), T(test_loaded_by_someone_else),
	  T(test_target_lines))

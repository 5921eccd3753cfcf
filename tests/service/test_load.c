/* Loading for the service, everything before the syscall: the capture command line built from
 * real /proc/cmdline lines, the boot CPU's APIC ID, kernel selection, KEXEC_ARGS, the
 * reservation read from a fake /sys and /proc and its arithmetic and message, sysctl writes,
 * the load record, and the plan end to end in a fake root (nothing is ever loaded here). */
#include "service/load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kexec/testutil.h"
#include "test.h"

#define HEAD61 "kexec/fixtures/vmlinuz-6.1.0-56-cloud-amd64.head"
#define HEAD612 "kexec/fixtures/vmlinuz-6.12.117+deb12-cloud-amd64.head"
#define IOMEM_1G "base/fixtures/iomem-qemu-q35-1G-6.1.txt"
#define CMDLINE_DEV "base/fixtures/cmdline-dev-vm.txt"
#define MiB (1ULL << 20)

/* Debian 12 cloud image booted with the lab's reservation (as GRUB writes it) */
static const char debian_line[] =
	"BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-cloud-amd64 root=PARTUUID=4a3f1c2e-01 ro "
	"console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0 "
	"crashkernel=0-1G:192M,1G-:256M quiet";
/* Fedora 39 workstation on LUKS + btrfs */
static const char fedora_line[] =
	"BOOT_IMAGE=(hd0,gpt2)/vmlinuz-6.5.6-300.fc39.x86_64 root=UUID=9d6d5b0c-2b4c "
	"ro rootflags=subvol=root rd.luks.uuid=luks-0a3b rd.lvm.lv=fedora/root rhgb quiet "
	"crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M";

static char *build(const struct kd_svc_config *c, const char *running, const char *apicid)
{
	char *out = NULL;
	CHECK_OK(kd_load_cmdline(c, running, apicid, &out));
	return out;
}

static int has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = line; (p = strstr(p, word)); p += n)
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static int has_prefix_word(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = line; (p = strstr(p, prefix)); p += n)
		if (p == line || p[-1] == ' ')
			return 1;
	return 0;
}

static void test_cmdline_debian(void)
{
	struct kd_svc_config c = { 0 };
	char *s = build(&c, debian_line, NULL);
	CHECK(s && !has_prefix_word(s, "BOOT_IMAGE=") && !has_prefix_word(s, "root=") &&
	      !has_prefix_word(s, "crashkernel=") && !has_word(s, "quiet"));
	/* what the capture kernel's console needs stays, in order */
	CHECK(s && strstr(s, "ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 "
			  "consoleblank=0 irqpoll nr_cpus=1 reset_devices ") == s);
	CHECK(s && has_word(s, "cma=0") && has_word(s, "hugetlb_cma=0") && has_word(s, "panic=10") &&
	      has_word(s, "novmcoredd") && has_word(s, "cgroup_disable=memory") &&
	      has_word(s, "numa=off"));
	CHECK(s && !has_prefix_word(s, "disable_cpu_apicid="));
	free(s);
}

static void test_cmdline_fedora(void)
{
	struct kd_svc_config c = { 0 };
	char *s = build(&c, fedora_line, "0");
	CHECK(s && !has_prefix_word(s, "rd.") && !has_prefix_word(s, "root=") &&
	      !has_prefix_word(s, "crashkernel="));
	/* rootflags= is not root=; rhgb harmless: both stay as written */
	CHECK(s && strstr(s, "ro rootflags=subvol=root rhgb irqpoll ") == s);
	CHECK(s && has_word(s, "disable_cpu_apicid=0"));
	free(s);
}

/* the development VM's line: rdinit= and init's arguments after "--", panic=1, swiotlb= */
static void test_cmdline_dev_vm(void)
{
	size_t len;
	char *line = (char *)kd_test_slurp(kd_test_fixture(CMDLINE_DEV), &len);
	CHECK(line != NULL);
	if (!line)
		return;
	line[len] = '\0';
	struct kd_svc_config c = { 0 };
	char *s = build(&c, line, NULL);
	CHECK(s && !strstr(s, " -- ") && !strstr(s, "firecracker") &&
	      !has_prefix_word(s, "rdinit=") && !has_prefix_word(s, "swiotlb=") &&
	      !has_word(s, "quiet"));
	CHECK(s && has_word(s, "panic=10") && !has_word(s, "panic=1"));
	CHECK(s && has_word(s, "mitigations=auto,no_guest_host,no_guest_guest") &&
	      has_word(s, "console=ttyS0"));
	free(s);
	free(line);
}

static void test_cmdline_memory_and_cpus(void)
{
	struct kd_svc_config c = { 0 };
	char *s = build(&c, "default_hugepagesz=1G hugepagesz=1G hugepages=16 hugepagesz=2M "
			"hugepages=512 nr_cpus=8 maxcpus=4 panic_on_warn=1 cma=2G hugetlb_cma=4G "
			"log_buf_len=16M slub_debug=FZ resume=/dev/vda3 irqpoll nr-cpus=2", NULL);
	CHECK_STR(s, "irqpoll nr_cpus=1 reset_devices cgroup_disable=memory numa=off "
		  "transparent_hugepage=never mce=off hest_disable pcie_ports=compat "
		  "acpi_no_memhotplug nokaslr novmcoredd cma=0 hugetlb_cma=0 panic=10");
	free(s);
}

static void test_cmdline_configured(void)
{
	struct kd_svc_config c = { 0 };
	/* KDUMP_COMMANDLINE_REMOVE: names (a value given is ignored), first kernel's line only */
	c.cmdline_remove = "console earlyprintk=x cma";
	char *s = build(&c, debian_line, NULL);
	CHECK(s && !has_prefix_word(s, "console=") && !has_prefix_word(s, "earlyprintk=") &&
	      has_word(s, "consoleblank=0") && has_word(s, "cma=0"));
	free(s);
	/* KDUMP_COMMANDLINE_APPEND: the operator's word wins over ours, appended as written */
	c.cmdline_remove = NULL;
	c.cmdline_append = "nr_cpus=2 console=ttyS1 \"acpi_osi=Linux x\" disable_cpu_apicid=3";
	s = build(&c, debian_line, "0");
	CHECK(s && !has_word(s, "nr_cpus=1") && has_word(s, "console=ttyS0,115200"));
	const char *tail = "nr_cpus=2 console=ttyS1 acpi_osi=\"Linux x\" disable_cpu_apicid=3";
	CHECK(s && strlen(s) >= strlen(tail) && !strcmp(s + strlen(s) - strlen(tail), tail));
	CHECK(s && !has_word(s, "disable_cpu_apicid=0"));
	free(s);
	/* KDUMP_COMMANDLINE replaces /proc/cmdline and is edited the same way */
	c.cmdline_append = NULL;
	c.cmdline = "root=/dev/vda1 console=ttyS0 crashkernel=256M";
	s = build(&c, debian_line, NULL);
	CHECK(s && strstr(s, "console=ttyS0 irqpoll ") == s && !strstr(s, "tty0"));
	free(s);
	/* init's arguments in the append text: kdumpkit is init and takes none */
	c.cmdline_append = "foo -- bar";
	char *out = NULL;
	CHECK_ERR_HAS(kd_load_cmdline(&c, NULL, NULL, &out), "KDUMP_COMMANDLINE_APPEND has \"--\"");
	CHECK(out == NULL);
	c.personality = KD_SVC_KDUMP_TOOLS;
	c.cmdline_append = "-- x";
	CHECK_ERR_HAS(kd_load_cmdline(&c, NULL, NULL, &out), "KDUMP_CMDLINE_APPEND has");
}

static void test_boot_apicid(void)
{
	char buf[32];
	CHECK(tu_root_new("svcload") != NULL);
	kd_load_boot_apicid(tu_root(), buf, sizeof(buf));
	CHECK_STR(buf, ""); /* no /proc/cpuinfo */
	CHECK(!tu_root_put_str("proc/cpuinfo",
		"processor\t: 0\nvendor_id\t: GenuineIntel\napicid\t\t: 2\ninitial apicid\t: 2\n"
		"\nprocessor\t: 1\ninitial apicid\t: 0\n"));
	kd_load_boot_apicid(tu_root(), buf, sizeof(buf));
	CHECK_STR(buf, "2");
	/* a CPU list without the field (other architectures): nothing */
	CHECK(!tu_root_put_str("proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 50.00\n\n"
			       "processor\t: 1\ninitial apicid\t: 7\n"));
	kd_load_boot_apicid(tu_root(), buf, sizeof(buf));
	CHECK_STR(buf, "");
	tu_root_drop();
}

static void test_kernel_selection(void)
{
	char buf[4096], want[4096];
	struct kd_svc_config c = { 0 };
	CHECK(tu_root_new("svcload") != NULL);
	CHECK(!tu_root_put_str("boot/vmlinuz-6.1.0-56-cloud-amd64", "k"));
	CHECK(!tu_root_put_str("opt/k/bzImage", "k"));
	CHECK_OK(kd_load_kernel_path(&c, tu_root(), "6.1.0-56-cloud-amd64", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "%s/boot/vmlinuz-6.1.0-56-cloud-amd64", tu_root());
	CHECK_STR(buf, want);
	CHECK_ERR_HAS(kd_load_kernel_path(&c, tu_root(), "6.12.9-amd64", buf, sizeof(buf)),
		      "no kernel for release 6.12.9-amd64");
	c.kernel = "/opt/k/bzImage";
	CHECK_OK(kd_load_kernel_path(&c, tu_root(), "6.12.9-amd64", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "%s/opt/k/bzImage", tu_root());
	CHECK_STR(buf, want);
	c.kernel = "/opt/k/missing";
	CHECK_ERR_HAS(kd_load_kernel_path(&c, tu_root(), "x", buf, sizeof(buf)),
		      "KDUMP_KERNEL");
	/* the release: KDUMP_KERNELVER, else uname -r */
	char rel[256];
	c.kernel_ver = "6.1.0-56-cloud-amd64";
	CHECK_OK(kd_load_release(&c, rel, sizeof(rel)));
	CHECK_STR(rel, "6.1.0-56-cloud-amd64");
	c.kernel_ver = NULL;
	CHECK_OK(kd_load_release(&c, rel, sizeof(rel)));
	CHECK(rel[0] != '\0');
	tu_root_drop();
}

static void test_kexec_args(void)
{
	struct kd_load_kexec k;
	CHECK_OK(kd_load_kexec_args(NULL, NULL, &k));
	CHECK(k.syscall == KD_KEXEC_AUTO && !k.debug && !k.type[0]);
	CHECK_OK(kd_load_kexec_args("-s", "x:1", &k));
	CHECK(k.syscall == KD_KEXEC_FILE);
	CHECK_OK(kd_load_kexec_args("  -c  -d ", "x:1", &k));
	CHECK(k.syscall == KD_KEXEC_CLASSIC && k.debug);
	CHECK_OK(kd_load_kexec_args("-t bzImage64 --elf64-core-headers -p", "x:1", &k));
	CHECK_STR(k.type, "bzImage64");
	CHECK_OK(kd_load_kexec_args("--mem-max=0x3fffffff -sd", NULL, &k));
	CHECK(k.mem_max == 0x3fffffff && k.syscall == KD_KEXEC_FILE && k.debug);
	/* what the service decides itself, quoted with where it was set */
	CHECK_ERR_HAS(kd_load_kexec_args("-u", "/etc/sysconfig/kdump:12", &k),
		      "/etc/sysconfig/kdump:12: \"-u\": -u/--unload is not a load option");
	CHECK_ERR_HAS(kd_load_kexec_args("-l", "f:1", &k), "-l/--load is not a load option");
	CHECK_ERR_HAS(kd_load_kexec_args("-e", "f:1", &k), "not a load option");
	CHECK_ERR_HAS(kd_load_kexec_args("-S", "f:1", &k), "-S/--status");
	CHECK_ERR_HAS(kd_load_kexec_args("--append='console=ttyS0'", "f:1", &k), "--append");
	CHECK_ERR_HAS(kd_load_kexec_args("--reuse-cmdline", "f:1", &k), "--append");
	CHECK_ERR_HAS(kd_load_kexec_args("--initrd=/boot/initrd.img", "f:1", &k), "--initrd");
	CHECK_ERR_HAS(kd_load_kexec_args("-s /boot/vmlinuz", "f:1", &k),
		      "/boot/vmlinuz: a kernel file (the service picks the kernel");
	CHECK_ERR_HAS(kd_load_kexec_args("-x", "f:1", &k), "-x: an option of kexec -e");
	CHECK_ERR_HAS(kd_load_kexec_args("-sy", "f:1", &k), "-sy: an option of kexec -e");
	CHECK_ERR_HAS(kd_load_kexec_args("--no-sync", "f:1", &k), "an option of kexec -e");
	CHECK_ERR_HAS(kd_load_kexec_args("--entry=0x1000", "f:7", &k),
		      "f:7: \"--entry=0x1000\": --entry is an option of kexec-tools' own");
	CHECK_ERR_HAS(kd_load_kexec_args("--frobnicate", "f:1", &k), "unknown option --frobnicate");
	CHECK_ERR_HAS(kd_load_kexec_args("-t", "f:1", &k), "-t: an option without its argument");
	CHECK_ERR_HAS(kd_load_kexec_args("-st", "f:1", &k), "without its argument");
	CHECK_ERR_HAS(kd_load_kexec_args("--mem-min", "f:1", &k), "without its argument");
	CHECK_OK(kd_load_kexec_args("-t bzImage -s", "f:1", &k));
	CHECK_STR(k.type, "bzImage");
	CHECK_ERR_HAS(kd_load_kexec_args("'-s", "f:1", &k), "unterminated ' quote");
	/* no origin: the variable's name */
	CHECK_ERR_HAS(kd_load_kexec_args("-u", NULL, &k), "KEXEC_ARGS: \"-u\"");
}

static void test_origin(void)
{
	CHECK(tu_root_new("svcload") != NULL);
	CHECK(!tu_root_put_str("etc/sysconfig/kdump", "# KEXEC_ARGS=\"-c\"\nKDUMP_KERNELVER=\"\"\n"
			       "KEXEC_ARGS=\"-s\"\n\n  export KEXEC_ARGS=\"-u\"\n"));
	CHECK(!tu_root_put_str("etc/default/kdump-tools", "USE_KDUMP=1\nKDUMP_KEXEC_ARGSX=1\n"));
	char a[4096], b[4096], buf[4200];
	snprintf(a, sizeof(a), "%s/etc/sysconfig/kdump", tu_root());
	snprintf(b, sizeof(b), "%s/etc/default/kdump-tools", tu_root());
	const char *files[] = { "", a, b, NULL };
	const char *names[] = { "KEXEC_ARGS", "KDUMP_KEXEC_ARGS", NULL };
	kd_load_origin(files, names, buf, sizeof(buf));
	char want[4200];
	snprintf(want, sizeof(want), "%s:5", a);
	CHECK_STR(buf, want);
	CHECK(!tu_root_put_str("etc/default/kdump-tools", "KDUMP_KEXEC_ARGS=\"-d\"\n"));
	kd_load_origin(files, names, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s:1", b);
	CHECK_STR(buf, want);
	const char *none[] = { "KDUMP_CMDLINE", NULL };
	kd_load_origin(files, none, buf, sizeof(buf));
	CHECK_STR(buf, "");
	tu_root_drop();
}

static void test_secure_boot(void)
{
	CHECK(tu_root_new("svcload") != NULL);
	CHECK(kd_load_file_load_only(tu_root()) == NULL);
	CHECK(!tu_root_put_str("sys/kernel/security/lockdown", "[none] integrity confidentiality\n"));
	CHECK(kd_load_file_load_only(tu_root()) == NULL);
	CHECK(!tu_root_put_str("sys/kernel/security/lockdown", "none [integrity] confidentiality\n"));
	CHECK_STR(kd_load_file_load_only(tu_root()), "the kernel is locked down");
	CHECK(!tu_root_rm("sys/kernel/security/lockdown"));
	static const unsigned char on[5] = { 6, 0, 0, 0, 1 }, off[5] = { 6, 0, 0, 0, 0 };
	const char *sb = "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
	const char *sm = "sys/firmware/efi/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c";
	CHECK(!tu_root_put(sb, off, 5));
	CHECK(kd_load_file_load_only(tu_root()) == NULL);
	CHECK(!tu_root_put(sb, on, 5));
	CHECK_STR(kd_load_file_load_only(tu_root()), "Secure Boot is on");
	CHECK(!tu_root_put(sm, on, 5)); /* setup mode: keys being enrolled, nothing enforced */
	CHECK(kd_load_file_load_only(tu_root()) == NULL);
	CHECK(!tu_root_put(sm, off, 5));
	CHECK_STR(kd_load_file_load_only(tu_root()), "Secure Boot is on");
	/* what a refusal is put down to */
	CHECK(strstr(kd_load_refusal(tu_root(), KD_KEXEC_FILE), "must be signed"));
	CHECK(strstr(kd_load_refusal(tu_root(), KD_KEXEC_CLASSIC), "remove -c"));
	CHECK(!tu_root_put_str("proc/sys/kernel/kexec_load_disabled", "1\n"));
	CHECK(strstr(kd_load_refusal(tu_root(), KD_KEXEC_AUTO), "kexec_load_disabled=1"));
	CHECK(!tu_root_put_str("proc/sys/kernel/kexec_load_disabled", "0\n"));
	CHECK(!tu_root_rm(sb));
	CHECK(kd_load_refusal(tu_root(), KD_KEXEC_CLASSIC) == NULL);
	tu_root_drop();
}

static void test_need_arithmetic(void)
{
	struct kd_load_need n;
	/* Debian 6.1 cloud kernel: init_size 51.47 MiB, 2 MiB alignment; a 3 MiB initramfs */
	kd_load_need_compute(53968896, 0x200000, 3 * MiB, &n);
	CHECK_U64(n.kernel, 53968896);                 /* already page-aligned */
	CHECK_U64(n.overhead, 2 * MiB + 0x200000 - 4096);
	CHECK_U64(n.initrd, 3 * MiB);
	CHECK_U64(n.initrd_unpacked, 9 * MiB);
	CHECK_U64(n.runtime, KD_LOAD_RUNTIME);
	CHECK_U64(n.needed, 53968896 + 4 * MiB - 4096 + 12 * MiB + 64 * MiB);
	CHECK_U64(n.suggest, 160 * MiB);               /* 131.5 MiB up to 32 MiB steps */
	/* page rounding of the initramfs */
	kd_load_need_compute(4096, 0, 1, &n);
	CHECK_U64(n.initrd, 4096);
	CHECK_U64(n.initrd_unpacked, 3 * 4096);
	/* saturation instead of wrapping */
	kd_load_need_compute(UINT64_MAX - 5, 0, UINT64_MAX, &n);
	CHECK_U64(n.needed, UINT64_MAX);
	CHECK_U64(n.suggest, UINT64_MAX);
}

static void test_need_check_message(void)
{
	struct kd_load_need n;
	kd_load_need_compute(53968896, 0x200000, 3 * MiB, &n);
	struct kd_load_reservation r = { .size = 128 * MiB };
	snprintf(r.crashkernel, sizeof(r.crashkernel), "crashkernel=128M");
	CHECK_ERR_HAS(kd_load_need_check(&r, &n),
		      "128 MiB reserved (crashkernel=128M), 132 MiB needed (kernel 56 MiB, "
		      "initramfs 12 MiB, run time 64 MiB): put crashkernel=160M on the kernel "
		      "command line");
	r.size = n.needed;
	CHECK_OK(kd_load_need_check(&r, &n));
	r.size = 256 * MiB;
	CHECK_OK(kd_load_need_check(&r, &n));
	r.size = 0;
	r.crashkernel[0] = '\0';
	CHECK_ERR_HAS(kd_load_need_check(&r, &n),
		      "no memory is reserved for a capture kernel (no crashkernel= on /proc/cmdline)");
	CHECK_ERR_HAS(kd_load_need_check(&r, &n), "put crashkernel=160M");
}

static void test_kernel_size(void)
{
	uint64_t size = 0, align = 0;
	CHECK_OK(kd_load_kernel_size(kd_test_fixture(HEAD61), &size, &align));
	CHECK_U64(size, 53968896);
	CHECK_U64(align, 0x200000);
	CHECK_OK(kd_load_kernel_size(kd_test_fixture(HEAD612), &size, &align));
	CHECK_U64(size, 58572800);
	CHECK_FAILS(kd_load_kernel_size("/nonexistent/vmlinuz", &size, &align));
	char junk[8192];
	memset(junk, 'x', sizeof(junk));
	const char *p = tu_write_tmp("junk", junk, sizeof(junk));
	CHECK_FAILS(kd_load_kernel_size(p, &size, &align));
}

static void put_fixture(const char *rel, const char *fixture)
{
	size_t len;
	uint8_t *b = kd_test_slurp(kd_test_fixture(fixture), &len);
	CHECK(b && !tu_root_put(rel, b, len));
	free(b);
}

static void test_reservation_read(void)
{
	struct kd_load_reservation r;
	CHECK(tu_root_new("svcload") != NULL);
	/* nothing readable: an error */
	CHECK_FAILS(kd_load_reservation_read(tu_root(), &r));
	/* an unprivileged reader: sysfs has the size, /proc/iomem shows zeros */
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "201326592\n"));
	CHECK(!tu_root_put_str("proc/iomem", "00000000-00000000 : System RAM\n"
			       "  00000000-00000000 : Crash kernel\n"));
	CHECK(!tu_root_put_str("proc/cmdline", "ro crashkernel=0-1G:192M,1G-:256M quiet\n"));
	CHECK_OK(kd_load_reservation_read(tu_root(), &r));
	CHECK_U64(r.size, 192 * MiB);
	CHECK(!r.have_range);
	CHECK_STR(r.crashkernel, "crashkernel=0-1G:192M,1G-:256M");
	/* root: the range from the lab guest's iomem */
	put_fixture("proc/iomem", IOMEM_1G);
	CHECK_OK(kd_load_reservation_read(tu_root(), &r));
	CHECK(r.have_range);
	CHECK_U64(r.end - r.start + 1, 256 * MiB);
	/* no sysfs file (no kexec in the kernel): the iomem region */
	CHECK(!tu_root_rm("sys/kernel/kexec_crash_size"));
	CHECK_OK(kd_load_reservation_read(tu_root(), &r));
	CHECK_U64(r.size, 256 * MiB);
	/* a shrunk reservation: sysfs is what the kernel will use */
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "0\n"));
	CHECK_OK(kd_load_reservation_read(tu_root(), &r));
	CHECK_U64(r.size, 0);
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "lots\n"));
	CHECK_OK(kd_load_reservation_read(tu_root(), &r)); /* iomem still answers */
	CHECK_U64(r.size, 256 * MiB);
	tu_root_drop();
}

static void test_sysctl(void)
{
	CHECK(tu_root_new("svcload") != NULL);
	CHECK(!tu_root_put_str("proc/sys/kernel/panic_on_oops", "0\n"));
	CHECK_OK(kd_load_sysctl_check(tu_root(), "kernel.panic_on_oops=1"));
	CHECK_OK(kd_load_sysctl(tu_root(), "kernel.panic_on_oops=1"));
	char p[4096];
	snprintf(p, sizeof(p), "%s/proc/sys/kernel/panic_on_oops", tu_root());
	size_t len;
	char *b = (char *)kd_test_slurp(p, &len);
	CHECK(b && len == 1 && b[0] == '1');
	free(b);
	CHECK_ERR_HAS(kd_load_sysctl(tu_root(), "kernel.nosuch=1"), "kernel.nosuch");
	CHECK_ERR_HAS(kd_load_sysctl_check(tu_root(), "kernel.panic_on_oops=1 vm.x=2"),
		      "sysctl vm.x: ");
	/* slashes: a path, dots kept (a name like net/ipv4/conf/eth0.100/...) */
	CHECK(!tu_root_put_str("proc/sys/net/ipv4/conf/eth0.100/rp_filter", "1\n"));
	CHECK_OK(kd_load_sysctl(tu_root(), "net/ipv4/conf/eth0.100/rp_filter=0"));
	CHECK_ERR_HAS(kd_load_sysctl_check(tu_root(), "net.ipv4.conf.eth0.100.rp_filter=0"),
		      "eth0/100");
	CHECK_ERR_HAS(kd_load_sysctl(tu_root(), "kernel.panic"), "not name=value");
	CHECK_ERR_HAS(kd_load_sysctl(tu_root(), "../../etc/passwd=x"), "not name=value");
	tu_root_drop();
}

static void test_record(void)
{
	CHECK(tu_root_new("svcload") != NULL);
	struct kd_load_record r = { .time = 1764667800 }, back;
	snprintf(r.release, sizeof(r.release), "6.1.0-56-cloud-amd64");
	snprintf(r.kernel, sizeof(r.kernel), "/boot/vmlinuz-6.1.0-56-cloud-amd64");
	snprintf(r.initrd, sizeof(r.initrd), "/var/lib/kdumpkit/initrd-6.1.0-56-cloud-amd64.img");
	snprintf(r.cmdline, sizeof(r.cmdline), "ro console=ttyS0 irqpoll nr_cpus=1 reset_devices");
	int found = 1;
	CHECK_OK(kd_load_record_read(tu_root(), &back, &found));
	CHECK(!found);
	CHECK_OK(kd_load_record_write(tu_root(), &r));
	CHECK_OK(kd_load_record_read(tu_root(), &back, &found));
	CHECK(found);
	CHECK_STR(back.release, r.release);
	CHECK_STR(back.kernel, r.kernel);
	CHECK_STR(back.initrd, r.initrd);
	CHECK_STR(back.cmdline, r.cmdline);
	CHECK(back.time == r.time);
	CHECK_OK(kd_load_record_remove(tu_root()));
	CHECK_OK(kd_load_record_read(tu_root(), &back, &found));
	CHECK(!found);
	CHECK_OK(kd_load_record_remove(tu_root())); /* nothing to remove: fine */
	tu_root_drop();
}

/* A fake machine: the 6.1 kernel head in /boot, the 1G lab guest's iomem (256M reserved). */
static void fake_machine(const char *release)
{
	char rel[256];
	CHECK(tu_root_new("svcload") != NULL);
	snprintf(rel, sizeof(rel), "boot/vmlinuz-%s", release);
	put_fixture(rel, HEAD61);
	put_fixture("proc/iomem", IOMEM_1G);
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "268435456\n"));
	CHECK(!tu_root_put_str("proc/cmdline", debian_line));
	CHECK(!tu_root_put_str("proc/cpuinfo", "processor\t: 0\ninitial apicid\t: 0\n"));
	char initrd[4096];
	memset(initrd, 0x5a, sizeof(initrd));
	CHECK(!tu_root_put("var/lib/kdumpkit/initrd.img", initrd, sizeof(initrd)));
}

static void test_plan(void)
{
	const char *release = "6.1.0-56-cloud-amd64";
	fake_machine(release);
	CHECK(!tu_root_put_str("etc/sysconfig/kdump", "KDUMP_KERNELVER=x\nKEXEC_ARGS=\"-s -d\"\n"));
	struct kd_svc_config c = { 0 };
	c.kernel_ver = (char *)release;
	c.kexec_args = "-s -d";
	char initrd[4096];
	snprintf(initrd, sizeof(initrd), "%s/var/lib/kdumpkit/initrd.img", tu_root());
	struct kd_load_req rq = { .root = tu_root(), .cfg = &c, .initrd = initrd, .dry_run = 1 };
	struct kd_load_plan p;
	CHECK_OK(kd_load_plan_make(&rq, &p));
	CHECK_STR(p.release, release);
	CHECK(strstr(p.kernel, "/boot/vmlinuz-6.1.0-56-cloud-amd64") != NULL);
	CHECK_STR(p.initrd, initrd);
	CHECK_U64(p.initrd_size, 4096);
	CHECK(p.kexec.syscall == KD_KEXEC_FILE && p.kexec.debug);
	CHECK(p.cmdline && strstr(p.cmdline, "ro console=tty0") == p.cmdline &&
	      has_word(p.cmdline, "disable_cpu_apicid=0"));
	CHECK_U64(p.res.size, 256 * MiB);
	CHECK_U64(p.need.kernel, 53968896);
	CHECK_OK(kd_load_need_check(&p.res, &p.need));
	/* the dry-run load goes as far as the loader: this kernel is a truncated head, which
	 * kexec_file_load (-s: no fallback) refuses before any syscall */
	CHECK_ERR_HAS(kd_load_exec(&rq, &p), "truncated");
	int found = 1;
	struct kd_load_record rec;
	CHECK_OK(kd_load_record_read(tu_root(), &rec, &found));
	CHECK(!found);
	kd_load_plan_free(&p);

	/* locked down: kexec_file_load alone, unless KEXEC_ARGS chose */
	c.kexec_args = NULL;
	CHECK(!tu_root_put_str("sys/kernel/security/lockdown", "none integrity [confidentiality]\n"));
	CHECK_OK(kd_load_plan_make(&rq, &p));
	CHECK(p.kexec.syscall == KD_KEXEC_FILE);
	kd_load_plan_free(&p);
	c.kexec_args = "-c";
	CHECK_OK(kd_load_plan_make(&rq, &p));
	CHECK(p.kexec.syscall == KD_KEXEC_CLASSIC);
	kd_load_plan_free(&p);
	CHECK(!tu_root_rm("sys/kernel/security/lockdown"));
	c.kexec_args = "-s -d";

	/* a reservation too small: refused before the loader, with the arithmetic */
	CHECK(!tu_root_put_str("sys/kernel/kexec_crash_size", "67108864\n"));
	CHECK_OK(kd_load_plan_make(&rq, &p));
	CHECK_ERR_HAS(kd_load_exec(&rq, &p), "64 MiB reserved (crashkernel=0-1G:192M,1G-:256M), ");
	kd_load_plan_free(&p);

	/* KEXEC_ARGS refused: quoted with its file:line */
	c.kexec_args = "-u";
	CHECK(!tu_root_put_str("etc/sysconfig/kdump", "KDUMP_KERNELVER=x\nKEXEC_ARGS=\"-u\"\n"));
	char want[4200];
	snprintf(want, sizeof(want), "%s/etc/sysconfig/kdump:2: \"-u\"", tu_root());
	CHECK_ERR_HAS(kd_load_plan_make(&rq, &p), want);
	/* KDUMP_SYSCTL naming nothing in /proc/sys: refused before loading, with its line */
	c.kexec_args = NULL;
	c.sysctl = "kernel.panic_on_oops=1";
	CHECK(!tu_root_put_str("etc/default/kdump-tools", "USE_KDUMP=1\nKDUMP_SYSCTL=\"x\"\n"));
	CHECK(!tu_root_put_str("proc/sys/kernel/panic_on_oops", "0\n"));
	CHECK_OK(kd_load_plan_make(&rq, &p));
	kd_load_plan_free(&p);
	c.sysctl = "kernel.panic_on_oops=1 kernel.nosuch=2";
	snprintf(want, sizeof(want), "%s/etc/default/kdump-tools:2: sysctl kernel.nosuch: ",
		 tu_root());
	CHECK_ERR_HAS(kd_load_plan_make(&rq, &p), want);
	c.sysctl = NULL;
	/* a configured initramfs that is not there */
	c.kexec_args = NULL;
	c.initrd = "/boot/initrd.img-none";
	rq.initrd = NULL;
	CHECK_ERR_HAS(kd_load_plan_make(&rq, &p), "initrd.img-none");
	/* no kernel for the release */
	c.initrd = NULL;
	c.kernel_ver = "9.9.9";
	CHECK_ERR_HAS(kd_load_plan_make(&rq, &p), "no kernel for release 9.9.9");
	tu_root_drop();
}

TEST_MAIN(T(test_cmdline_debian), T(test_cmdline_fedora), T(test_cmdline_dev_vm),
	  T(test_cmdline_memory_and_cpus), T(test_cmdline_configured), T(test_boot_apicid),
	  T(test_kernel_selection), T(test_kexec_args), T(test_origin), T(test_secure_boot),
	  T(test_need_arithmetic),
	  T(test_need_check_message), T(test_kernel_size), T(test_reservation_read),
	  T(test_sysctl), T(test_record), T(test_plan))

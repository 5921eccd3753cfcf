/* The crash kernel region from real lab guests' /proc/iomem, the ,high + ,low pair, and whether
 * a kernel and initrd fit. */
#include "kexec/crash_region.h"

#include "kexec/load.h"
#include "test.h"

#define M (1ULL << 20)

static void regions_of(const char *fixture, struct kd_crash_regions *cr)
{
	struct kd_iomem io;
	CHECK_OK(kd_iomem_read(kd_test_fixture(fixture), &io));
	kd_crash_regions_find(&io, cr);
	kd_iomem_free(&io);
}

static void test_lab_guests(void)
{
	struct kd_crash_regions cr;
	/* crashkernel=0-1G:192M,1G-:256M: 192M in a 512M guest, 256M in 1G and 2G */
	regions_of("base/fixtures/iomem-qemu-q35-512M-6.12.txt", &cr);
	CHECK_U64(cr.n, 1);
	CHECK_U64(cr.r[0].start, 0x05000000);
	CHECK_U64(kd_crash_region_size(&cr), 192 * M);
	regions_of("base/fixtures/iomem-qemu-q35-1G-6.1.txt", &cr);
	CHECK_U64(kd_crash_region_size(&cr), 256 * M);
	regions_of("base/fixtures/iomem-qemu-q35-2G-6.1.txt", &cr);
	CHECK_U64(kd_crash_region_size(&cr), 256 * M);
	CHECK_U64(cr.r[cr.main].start, 0x6e000000);
	/* no crashkernel= */
	regions_of("base/fixtures/iomem-dev-vm.txt", &cr);
	CHECK_U64(cr.n, 0);
	CHECK_U64(kd_crash_region_size(&cr), 0);
}

static void test_high_and_low(void)
{
	/* crashkernel=512M,high: the low 256M for DMA below 4G, the capture kernel's region
	 * above; the region that counts is the high one, whatever the order */
	const char *text =
		"00100000-bfffffff : System RAM\n"
		"  a0000000-afffffff : Crash kernel\n"
		"100000000-43fffffff : System RAM\n"
		"  41e000000-43dffffff : Crash kernel\n";
	struct kd_iomem io;
	CHECK_OK(kd_iomem_parse(text, &io));
	struct kd_crash_regions cr;
	kd_crash_regions_find(&io, &cr);
	CHECK_U64(cr.n, 2);
	CHECK_U64(cr.main, 1);
	CHECK_U64(kd_crash_region_size(&cr), 512 * M);
	CHECK_U64(cr.total, 768 * M);
	kd_iomem_free(&io);
}

static void test_print_ckr_size(void)
{
	unsigned long long size = 1;
	CHECK_OK(kd_kexec_crash_size(kd_test_fixture("base/fixtures/iomem-qemu-q35-512M-6.12.txt"),
				     &size));
	CHECK_U64(size, 201326592); /* what kexec-tools prints: bytes, in decimal */
	CHECK_OK(kd_kexec_crash_size(kd_test_fixture("base/fixtures/iomem-dev-vm.txt"), &size));
	CHECK_U64(size, 0);
	CHECK_FAILS(kd_kexec_crash_size("/nonexistent/iomem", &size));
}

static void test_fit(void)
{
	struct kd_crash_fit f;
	/* Debian 6.12 (init_size 0x37dc000, 2M alignment), an 8M initrd, 192M */
	kd_crash_fit_compute(192 * M, 0x37dc000, 2 * M, 8 * M, &f);
	CHECK(f.fits && !f.tight);
	CHECK_U64(f.kernel, 0x37dc000);
	CHECK_U64(f.initrd, 8 * M);
	CHECK_U64(f.needed, 0x37dc000 + 8 * M);
	CHECK_U64(f.overhead, KD_CRASH_OVERHEAD_ESTIMATE + 2 * M - 4096);
	CHECK_U64(f.left, 192 * M - f.needed - f.overhead);
	/* sizes round up to pages */
	kd_crash_fit_compute(192 * M, 0x37dc001, 0, 1, &f);
	CHECK_U64(f.kernel, 0x37dd000);
	CHECK_U64(f.initrd, 4096);
	/* a 150M initrd with a 56M kernel in 192M: cannot fit at all */
	kd_crash_fit_compute(192 * M, 56 * M, 2 * M, 150 * M, &f);
	CHECK(!f.fits && !f.tight);
	CHECK_U64(f.left, 0);
	/* exactly full fits, but leaves nothing to run in */
	kd_crash_fit_compute(192 * M, 56 * M, 2 * M, 136 * M, &f);
	CHECK(f.fits && f.tight);
	CHECK_U64(f.left, 0);
	/* fits with 40M left: tight */
	kd_crash_fit_compute(192 * M, 56 * M, 0, 96 * M - KD_CRASH_OVERHEAD_ESTIMATE, &f);
	CHECK(f.fits && f.tight);
	CHECK_U64(f.left, 40 * M);
	/* no region */
	kd_crash_fit_compute(0, 56 * M, 2 * M, 0, &f);
	CHECK(!f.fits);
	/* absurd sizes saturate instead of wrapping into "fits" */
	kd_crash_fit_compute(192 * M, UINT64_MAX - 5, 2 * M, UINT64_MAX - 5, &f);
	CHECK(!f.fits);
}

TEST_MAIN(T(test_lab_guests), T(test_high_and_low), T(test_print_ckr_size), T(test_fit))

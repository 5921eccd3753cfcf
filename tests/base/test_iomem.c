#include <errno.h>

#include "base/crashkernel.h"
#include "base/iomem.h"
#include "test.h"

static void this_machine(void)
{
	struct kd_iomem io;
	CHECK_OK(kd_iomem_read(kd_test_fixture("base/fixtures/iomem-dev-vm.txt"), &io));
	CHECK_U64(io.count, 27);
	size_t code = kd_iomem_find(&io, "Kernel code", KD_IOMEM_NONE);
	CHECK(code != KD_IOMEM_NONE);
	if (code == KD_IOMEM_NONE)
		return;
	CHECK_U64(io.res[code].start, 0x01000000);
	CHECK_U64(io.res[code].end, 0x0220bb07);
	CHECK_U64(io.res[code].depth, 1);
	CHECK(kd_iomem_within(&io, code, "System RAM"));
	CHECK_STR(io.res[io.res[code].parent].name, "System RAM");
	CHECK_U64(io.res[io.res[code].parent].start, 0x100000);
	/* three levels: Reserved > PCI ECAM > PCI Bus */
	size_t ecam = kd_iomem_find(&io, "PCI ECAM 0000 [bus 00-00]", KD_IOMEM_NONE);
	CHECK(ecam != KD_IOMEM_NONE && io.res[ecam + 1].depth == 2);
	CHECK(kd_iomem_within(&io, ecam + 1, "Reserved"));
	/* 0x1000-0x9fbff, 0x100000-0xbfffffff, 0x100000000-0x63fffffff */
	CHECK_U64(kd_iomem_total(&io, "System RAM"),
		  (0x9fbffULL - 0x1000 + 1) + (0xbfffffffULL - 0x100000 + 1) + 0x540000000ULL);
	CHECK(kd_iomem_find(&io, "Crash kernel", KD_IOMEM_NONE) == KD_IOMEM_NONE);
	/* several of one name are found in order */
	size_t n = 0;
	for (size_t i = kd_iomem_find(&io, "virtio-pci-modern", KD_IOMEM_NONE); i != KD_IOMEM_NONE;
	     i = kd_iomem_find(&io, "virtio-pci-modern", i))
		n++;
	CHECK_U64(n, 5);
	kd_iomem_free(&io);
}

static void crash_kernel_inside_system_ram(void)
{
	/* synthetic, shaped like a guest with crashkernel=256M */
	const char *text =
		"00000000-00000fff : Reserved\n"
		"00001000-0009fbff : System RAM\n"
		"00100000-bffdffff : System RAM\n"
		"  0b000000-1affffff : Crash kernel\n"
		"  2a000000-2b001fff : Kernel code\n"
		"100000000-13fffffff : System RAM\n";
	struct kd_iomem io;
	CHECK_OK(kd_iomem_parse(text, &io));
	size_t ck = kd_iomem_find(&io, "Crash kernel", KD_IOMEM_NONE);
	CHECK_U64(ck, 3);
	CHECK_U64(io.res[ck].end - io.res[ck].start + 1, 256ULL << 20);
	CHECK(kd_iomem_within(&io, ck, "System RAM"));
	CHECK(!kd_iomem_within(&io, ck, "Reserved"));
	CHECK_U64(io.res[4].parent, 2);
	CHECK_U64(io.res[5].parent, KD_IOMEM_NONE);
	kd_iomem_free(&io);
}

static void hidden_addresses_are_an_error(void)
{
	struct kd_iomem io;
	kd_err *e = kd_iomem_parse("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n"
				   "  00000000-00000000 : Kernel code\n", &io);
	CHECK_U64(kd_err_errnum(e), EPERM);
	kd_err_free(e);
}

static void malformed(void)
{
	struct kd_iomem io;
	CHECK_FAILS(kd_iomem_parse("00001000 : System RAM\n", &io));
	CHECK_FAILS(kd_iomem_parse("00001000-00000fff : System RAM\n", &io));
	CHECK_FAILS(kd_iomem_parse("00001000-00002fff: System RAM\n", &io));
	CHECK_FAILS(kd_iomem_parse("  00001000-00002fff : orphan\n", &io));
	CHECK_FAILS(kd_iomem_parse("00001000-00002fff : a\n      00001000-00001fff : too deep\n", &io));
	CHECK_FAILS(kd_iomem_parse("00001000-00002fff : a\n   00001000-00001fff : odd\n", &io));
	CHECK_FAILS(kd_iomem_parse("00001000-00002fff : a\n  00000000-00001fff : outside\n", &io));
	CHECK_FAILS(kd_iomem_parse("zz-00002fff : a\n", &io));
	CHECK_FAILS(kd_iomem_parse("11111111111111111-22222222222222222 : huge\n", &io));
	kd_err *e = kd_iomem_read("/nonexistent/iomem", &io);
	CHECK_U64(kd_err_errnum(e), ENOENT);
	kd_err_free(e);
	CHECK_OK(kd_iomem_parse("", &io));
	CHECK_U64(io.count, 0);
	kd_iomem_free(&io);
}

/* The lab guests booted with crashkernel=0-1G:192M,1G-:256M; what the kernel reserved (the
 * "Crash kernel" resource) must be what our parser says it reserves for that much RAM. */
static void lab_guest_reservation_matches_parser(const char *fixture, uint64_t want_ck)
{
	struct kd_iomem io;
	CHECK_OK(kd_iomem_read(kd_test_fixture(fixture), &io));
	size_t ck = kd_iomem_find(&io, "Crash kernel", KD_IOMEM_NONE);
	CHECK(ck != KD_IOMEM_NONE);
	if (ck == KD_IOMEM_NONE)
		return;
	CHECK(kd_iomem_within(&io, ck, "System RAM"));
	uint64_t reserved = io.res[ck].end - io.res[ck].start + 1;
	CHECK_U64(reserved, want_ck);
	struct kd_crashkernel spec;
	struct kd_ck_reservation r;
	CHECK_OK(kd_ck_parse_cmdline("console=ttyS0 crashkernel=0-1G:192M,1G-:256M", &spec, NULL));
	CHECK_OK(kd_ck_reserve(&spec, kd_iomem_total(&io, "System RAM"), &r));
	CHECK_U64(r.size, reserved);
	CHECK(kd_iomem_find(&io, "Kernel code", KD_IOMEM_NONE) != KD_IOMEM_NONE);
	kd_iomem_free(&io);
}

static void lab_guests(void)
{
	lab_guest_reservation_matches_parser("base/fixtures/iomem-qemu-q35-512M-6.12.txt", 192 << 20);
	lab_guest_reservation_matches_parser("base/fixtures/iomem-qemu-q35-1G-6.1.txt", 256 << 20);
	lab_guest_reservation_matches_parser("base/fixtures/iomem-qemu-q35-2G-6.1.txt", 256 << 20);
}

TEST_MAIN(T(this_machine), T(lab_guests), T(crash_kernel_inside_system_ram), T(hidden_addresses_are_an_error),
	  T(malformed))

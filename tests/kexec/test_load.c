/* The load policy, on the paths that end before any syscall (a kernel is never loaded on the
 * host): the crash reservation is checked first, -c and ELF kernels take the classic path, a
 * kernel kexec_file_load would refuse goes to kexec_load in auto mode, -t must match. Every image used here is
 * a truncated bzImage or a crafted ELF, which cannot reach kexec_file_load. */
#include "kexec/load.h"
#include "kexec/syscall.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "test.h"
#include "testutil.h"

#define HEAD "kexec/fixtures/vmlinuz-6.1.0-56-cloud-amd64.head"
#define IOMEM_CRASH "base/fixtures/iomem-qemu-q35-1G-6.1.txt"
#define IOMEM_NONE "base/fixtures/iomem-dev-vm.txt"

static char head_path[4096], crash_iomem[4096], none_iomem[4096];

static void paths(void)
{
	snprintf(head_path, sizeof(head_path), "%s", kd_test_fixture(HEAD));
	snprintf(crash_iomem, sizeof(crash_iomem), "%s", kd_test_fixture(IOMEM_CRASH));
	snprintf(none_iomem, sizeof(none_iomem), "%s", kd_test_fixture(IOMEM_NONE));
}

/* Load, expect failure; returns the message and whether the classic path was named. */
static int load_fails(struct kd_kexec_load_req rq, char *msg, size_t n)
{
	struct kd_kexec_load_res res;
	kd_err *e = kd_kexec_load(&rq, &res);
	CHECK(e != NULL);
	msg[0] = '\0';
	kd_err_format(e, msg, n);
	kd_err_free(e);
	return res.classic_needed;
}

static void test_reservation_first(void)
{
	paths();
	char msg[512];
	/* no "Crash kernel": stop before even opening the kernel (it does not exist here) */
	struct kd_kexec_load_req rq = { .kernel = "/nonexistent/vmlinuz", .panic = 1,
					.iomem_path = none_iomem };
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "Memory for crashkernel is not reserved") != NULL);
	CHECK(strstr(msg, "crashkernel=") != NULL);
	/* with a reservation, the missing kernel is what is reported */
	rq.iomem_path = crash_iomem;
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "/nonexistent/vmlinuz: opening: No such file") != NULL);
	/* a reboot kernel needs no reservation */
	rq.panic = 0;
	rq.iomem_path = none_iomem;
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "No such file") != NULL);
}

static void test_classic_path(void)
{
	paths();
	char msg[512];
	struct kd_kexec_load_req rq = { .kernel = head_path, .syscall = KD_KEXEC_CLASSIC };
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "with kexec_load") && strstr(msg, "truncated"));
	/* auto: kexec_file_load would refuse a truncated bzImage; kexec_load refuses it too */
	rq.syscall = KD_KEXEC_AUTO;
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "with kexec_load") && strstr(msg, "truncated"));
	/* -s: the same refusal is final */
	rq.syscall = KD_KEXEC_FILE;
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "truncated") && !strstr(msg, "classic"));
}

static void test_elf_vmlinux(void)
{
	uint8_t b[512];
	memset(b, 0, sizeof(b));
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 1;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + sizeof(*eh));
	ph->p_type = PT_LOAD;
	ph->p_vaddr = 0xffffffff81000000ULL;
	const char *p = tu_write_tmp("vmlinux", b, sizeof(b));
	char msg[512];
	struct kd_kexec_load_req rq = { .kernel = p };
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "with kexec_load") && strstr(msg, "ELF vmlinux: no PT_LOAD"));
	rq.syscall = KD_KEXEC_FILE;
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "ELF vmlinux") != NULL);
	/* -t says what the file must be */
	rq.syscall = KD_KEXEC_AUTO;
	rq.type = "bzImage64";
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, ": Wrong file type bzImage64, file matches type elf-x86_64") &&
	      strstr(msg, p));
	rq.type = "multiboot-x86";
	CHECK(!load_fails(rq, msg, sizeof(msg)));
	CHECK(strstr(msg, "Unsupported kernel type multiboot-x86") != NULL);
}

static void test_errno_classes(void)
{
	/* the syscall classes that decide fallback */
	CHECK(kd_kexec_file_errclass(ENOSYS) == KD_KEXEC_ERR_FALLBACK);
	CHECK(kd_kexec_file_errclass(EINVAL) == KD_KEXEC_ERR_FALLBACK);
	CHECK(kd_kexec_file_errclass(ENOEXEC) == KD_KEXEC_ERR_FALLBACK);
	CHECK(kd_kexec_file_errclass(ENOTSUP) == KD_KEXEC_ERR_FALLBACK);
	CHECK(kd_kexec_file_errclass(EKEYREJECTED) == KD_KEXEC_ERR_SIGNATURE);
	CHECK(kd_kexec_file_errclass(ENOKEY) == KD_KEXEC_ERR_SIGNATURE);
	CHECK(kd_kexec_file_errclass(EBADMSG) == KD_KEXEC_ERR_SIGNATURE);
	CHECK(kd_kexec_file_errclass(EPERM) == KD_KEXEC_ERR_SIGNATURE);
	CHECK(kd_kexec_file_errclass(ENOMEM) == KD_KEXEC_ERR_OTHER);
	CHECK(kd_kexec_file_errclass(EBUSY) == KD_KEXEC_ERR_OTHER);
}

TEST_MAIN(T(test_reservation_first), T(test_classic_path), T(test_elf_vmlinux),
	  T(test_errno_classes))

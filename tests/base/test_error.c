#include <errno.h>
#include <stdlib.h>

#include "base/error.h"
#include "test.h"

static kd_err *read_at(unsigned long long off)
{
	return kd_err_wrap(kd_err_new(EIO, "reading /proc/vmcore at offset %llu", off),
			   "reading page table at 0x%llx", 0x1000ULL);
}

static void chain_formats_outer_to_inner(void)
{
	kd_err *e = read_at(4096);
	char buf[256];
	size_t n = kd_err_format(e, buf, sizeof(buf));
	CHECK_STR(buf, "reading page table at 0x1000: reading /proc/vmcore at offset 4096: "
		       "Input/output error");
	CHECK_U64(n, strlen(buf));
	CHECK_U64(kd_err_errnum(e), EIO);
	CHECK_STR(kd_err_msg(e), "reading page table at 0x1000");
	CHECK_STR(kd_err_msg(kd_err_cause(e)), "reading /proc/vmcore at offset 4096");
	CHECK(kd_err_cause(kd_err_cause(e)) == NULL);
	kd_err_free(e);
}

static void no_errno_means_no_strerror(void)
{
	kd_err *e = kd_err_wrap(kd_err_new(0, "bad magic"), "opening dump");
	char buf[64];
	kd_err_format(e, buf, sizeof(buf));
	CHECK_STR(buf, "opening dump: bad magic");
	CHECK_U64(kd_err_errnum(e), 0);
	kd_err_free(e);
}

static void errno_is_captured(void)
{
	errno = ENOSPC;
	kd_err *e = kd_err_errno("writing %s", "dump");
	CHECK_U64(kd_err_errnum(e), ENOSPC);
	char buf[128];
	kd_err_format(e, buf, sizeof(buf));
	CHECK_STR(buf, "writing dump: No space left on device");
	kd_err_free(e);
}

static void wrap_null_is_success(void)
{
	CHECK(kd_err_wrap(NULL, "context %d", 1) == NULL);
	CHECK_U64(kd_err_errnum(NULL), 0);
}

static void truncation_is_safe(void)
{
	kd_err *e = read_at(1);
	char buf[10];
	size_t need = kd_err_format(e, buf, sizeof(buf));
	CHECK_U64(strlen(buf), 9);
	CHECK(need > 9);
	char *big = malloc(need + 1);
	CHECK_U64(kd_err_format(e, big, need + 1), need);
	CHECK_U64(strlen(big), need);
	free(big);
	kd_err_free(e);
}

static void print_prefixes_program(void)
{
	kd_err *e = kd_err_new(ENOENT, "opening %s", "/boot/vmlinuz");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	kd_err_print(f, "kexec", e);
	fclose(f);
	CHECK_STR(out, "kexec: opening /boot/vmlinuz: No such file or directory\n");
	free(out);
	kd_err_free(e);
}

TEST_MAIN(T(chain_formats_outer_to_inner), T(no_errno_means_no_strerror), T(errno_is_captured),
	  T(wrap_null_is_success), T(truncation_is_safe), T(print_prefixes_program))

/* -S reads /sys/kernel/kexec_loaded or kexec_crash_loaded: "0\n" or "1\n". */
#include "kexec/status.h"

#include "test.h"
#include "testutil.h"

static void test_status_files(void)
{
	int loaded = -1;
	CHECK_OK(kd_kexec_loaded_at(tu_write_tmp("one", "1\n", 2), &loaded));
	CHECK(loaded == 1);
	CHECK_OK(kd_kexec_loaded_at(tu_write_tmp("zero", "0\n", 2), &loaded));
	CHECK(loaded == 0);
	CHECK_OK(kd_kexec_loaded_at(tu_write_tmp("bare", "1", 1), &loaded));
	CHECK(loaded == 1);
	CHECK_FAILS(kd_kexec_loaded_at(tu_write_tmp("empty", "", 0), &loaded));
	CHECK_FAILS(kd_kexec_loaded_at(tu_write_tmp("two", "2\n", 2), &loaded));
	CHECK_FAILS(kd_kexec_loaded_at(tu_write_tmp("ten", "10\n", 3), &loaded));
	CHECK_FAILS(kd_kexec_loaded_at("/nonexistent/kexec_loaded", &loaded));
}

TEST_MAIN(T(test_status_files))

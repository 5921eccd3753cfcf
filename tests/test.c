#include "test.h"

#include <stdlib.h>

int kd_test_failures, kd_test_checks;

int kd_test_run(const char *suite, const struct kd_test_case *cases, size_t n)
{
	int failed_cases = 0;
	for (size_t i = 0; i < n; i++) {
		int f0 = kd_test_failures, c0 = kd_test_checks;
		cases[i].fn();
		int bad = kd_test_failures - f0;
		if (kd_test_checks == c0) {
			fprintf(stderr, "  %s: no checks ran\n", cases[i].name);
			bad = 1;
		}
		printf("%s %s (%d checks)\n", bad ? "FAIL" : "ok  ", cases[i].name,
		       kd_test_checks - c0);
		failed_cases += bad != 0;
	}
	printf("%s: %zu cases, %d failed, %d checks\n", suite, n, failed_cases, kd_test_checks);
	return failed_cases ? 1 : 0;
}

const char *kd_test_fixture(const char *rel)
{
	static char buf[4096];
	const char *dir = getenv("KD_TEST_SRCDIR");
	snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : "tests", rel);
	return buf;
}

#include "test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

char *kd_test_tmpfile(const char *tag)
{
	char *p = malloc(strlen(tag) + 32);
	if (!p)
		return NULL;
	sprintf(p, "/tmp/kd-test-%s-XXXXXX", tag);
	int fd = mkstemp(p);
	if (fd < 0) {
		free(p);
		return NULL;
	}
	close(fd);
	return p;
}

uint8_t *kd_test_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	uint8_t *b = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (b && got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(b);
			b = NULL;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return b;
}

int kd_test_same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	uint8_t *x = kd_test_slurp(a, &la), *y = kd_test_slurp(b, &lb);
	int same = x && y && la == lb && !memcmp(x, y, la);
	free(x);
	free(y);
	return same;
}

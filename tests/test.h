/* A minimal unit-test harness: CHECK* record a failure with file:line and go on; TEST_MAIN
 * runs the listed cases, prints one line per case and a summary, and exits 1 on any failure.
 * A case that ran no check counts as a failure: a test must assert something. */
#ifndef KD_TEST_H
#define KD_TEST_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int kd_test_failures, kd_test_checks;

#define CHECK(cond) do { kd_test_checks++; if (!(cond)) { kd_test_failures++; \
	fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_U64(a, b) do { uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); kd_test_checks++; \
	if (a_ != b_) { kd_test_failures++; fprintf(stderr, "  %s:%d: %s == %#" PRIx64 \
	", expected %#" PRIx64 "\n", __FILE__, __LINE__, #a, a_, b_); } } while (0)

#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); kd_test_checks++; \
	if (!a_ || !b_ || strcmp(a_, b_)) { kd_test_failures++; fprintf(stderr, \
	"  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", \
	b_ ? b_ : "(null)"); } } while (0)

/* The call must succeed (return NULL); an error is printed and freed. */
#define CHECK_OK(call) do { kd_err *e_ = (call); kd_test_checks++; if (e_) { \
	kd_test_failures++; char b_[512]; kd_err_format(e_, b_, sizeof(b_)); \
	fprintf(stderr, "  %s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, b_); \
	kd_err_free(e_); } } while (0)

/* The call must fail; the error is freed. */
#define CHECK_FAILS(call) do { kd_err *e_ = (call); kd_test_checks++; if (!e_) { \
	kd_test_failures++; fprintf(stderr, "  %s:%d: %s succeeded, expected an error\n", \
	__FILE__, __LINE__, #call); } kd_err_free(e_); } while (0)

/* The call must fail with an error whose whole message contains `want`; the error is freed. */
#define CHECK_ERR_HAS(call, want) do { kd_err *e_ = (call); const char *w_ = (want); \
	char b_[1024] = ""; kd_test_checks++; if (e_) kd_err_format(e_, b_, sizeof(b_)); \
	if (!e_ || !strstr(b_, w_)) { kd_test_failures++; fprintf(stderr, \
	"  %s:%d: error \"%s\", expected one containing \"%s\"\n", __FILE__, __LINE__, b_, w_); } \
	kd_err_free(e_); } while (0)

struct kd_test_case { const char *name; void (*fn)(void); };
int kd_test_run(const char *suite, const struct kd_test_case *cases, size_t n);

#define TEST_MAIN(...) \
	int main(void) { static const struct kd_test_case c_[] = { __VA_ARGS__ }; \
		return kd_test_run(__FILE__, c_, sizeof(c_) / sizeof(c_[0])); }
#define T(fn) { #fn, fn }

/* Path of a fixture under tests/ (KD_TEST_SRCDIR is set by the build). */
const char *kd_test_fixture(const char *rel);

/* A new empty file /tmp/kd-test-TAG-XXXXXX: its malloc'd path, NULL on failure. */
char *kd_test_tmpfile(const char *tag);
/* A whole file, malloc'd (one spare byte); NULL if it cannot be read. */
uint8_t *kd_test_slurp(const char *path, size_t *len);
/* Two files with the same bytes? */
int kd_test_same_file(const char *a, const char *b);

#endif

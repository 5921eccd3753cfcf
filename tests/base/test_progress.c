#include <unistd.h>

#include "base/progress.h"
#include "test.h"

#define G (1ULL << 30)

static void half_way_shows_percent_and_eta(void)
{
	char buf[256];
	kd_progress_format(buf, sizeof(buf), "Copying", 2 * G, 4 * G, 10.0, 80);
	CHECK(strstr(buf, " 50% 2.0G/4.0G ETA 0:10") != NULL);
	CHECK(strncmp(buf, "Copying [", 9) == 0);
	CHECK(strlen(buf) <= 80);
	/* the bar is half full */
	size_t hashes = 0, dots = 0;
	for (const char *p = strchr(buf, '['); p && *p != ']'; p++) {
		hashes += *p == '#';
		dots += *p == '.';
	}
	CHECK(hashes > 0 && (hashes == dots || hashes + 1 == dots || hashes == dots + 1));
}

static void done_shows_elapsed(void)
{
	char buf[256];
	kd_progress_format(buf, sizeof(buf), "Writing", 4 * G, 4 * G, 3725.0, 100);
	CHECK(strstr(buf, "100% 4.0G/4.0G in 1:02:05") != NULL);
}

static void nothing_done_has_unknown_eta(void)
{
	char buf[256];
	kd_progress_format(buf, sizeof(buf), "Copying", 0, 4 * G, 1.0, 80);
	CHECK(strstr(buf, "  0% 0B/4.0G ETA --:--") != NULL);
}

static void unknown_total_shows_amount(void)
{
	char buf[256];
	kd_progress_format(buf, sizeof(buf), "Reading", 3 << 20, 0, 1.0, 80);
	CHECK_STR(buf, "Reading 3.0M");
}

static void narrow_terminal_never_overflows(void)
{
	char buf[256];
	for (int w = 0; w < 120; w++) {
		kd_progress_format(buf, sizeof(buf), "A very long description of the work", G, 3 * G,
				   5.0, w);
		CHECK(strlen(buf) <= (size_t)(w < 20 ? 20 : w));
	}
	char tiny[8];
	kd_progress_format(tiny, sizeof(tiny), "Copying", G, 3 * G, 5.0, 80);
	CHECK(strlen(tiny) == 7);
}

static void silent_when_not_a_terminal(void)
{
	struct kd_progress p;
	kd_progress_begin(&p, "Copying", 100, 0);
	/* the test runs with stderr redirected by meson: no output stream */
	if (!isatty(2))
		CHECK(p.out == NULL);
	else
		CHECK(p.out != NULL);
	kd_progress_update(&p, 50);
	CHECK_U64(p.done, 50);
	kd_progress_end(&p);
	CHECK(p.out == NULL);
}

TEST_MAIN(T(half_way_shows_percent_and_eta), T(done_shows_elapsed), T(nothing_done_has_unknown_eta),
	  T(unknown_total_shows_amount), T(narrow_terminal_never_overflows),
	  T(silent_when_not_a_terminal))

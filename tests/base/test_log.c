#include <stdlib.h>

#include "base/log.h"
#include "test.h"

static char *capture(enum kd_log_level level)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	kd_log_set_stream(f);
	kd_log_set_level(level);
	kd_log_set_prog("makedumpfile");
	kd_error("disk full after %d pages", 7);
	kd_warn("keeping page %#x", 0x10);
	kd_info("level %d", 31);
	kd_debug("pfn %d", 1);
	kd_log_set_stream(NULL);
	fclose(f);
	return out;
}

static void warn_level_hides_info_and_debug(void)
{
	char *s = capture(KD_LOG_WARN);
	CHECK_STR(s, "makedumpfile: error: disk full after 7 pages\n"
		     "makedumpfile: warning: keeping page 0x10\n");
	free(s);
}

static void error_level_shows_only_errors(void)
{
	char *s = capture(KD_LOG_ERROR);
	CHECK_STR(s, "makedumpfile: error: disk full after 7 pages\n");
	free(s);
}

static void debug_level_shows_all(void)
{
	char *s = capture(KD_LOG_DEBUG);
	CHECK(strstr(s, "makedumpfile: info: level 31\n") != NULL);
	CHECK(strstr(s, "makedumpfile: debug: pfn 1\n") != NULL);
	CHECK_U64(kd_log_get_level(), KD_LOG_DEBUG);
	free(s);
}

TEST_MAIN(T(warn_level_hides_info_and_debug), T(error_level_shows_only_errors),
	  T(debug_level_shows_all))

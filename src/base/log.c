#include "base/log.h"

#include <stdarg.h>

static enum kd_log_level cur_level = KD_LOG_WARN;
static const char *cur_prog = "kdumpkit";
static FILE *cur_stream;

void kd_log_set_level(enum kd_log_level level) { cur_level = level; }
enum kd_log_level kd_log_get_level(void) { return cur_level; }
void kd_log_set_prog(const char *prog) { cur_prog = prog ? prog : "kdumpkit"; }
const char *kd_log_prog(void) { return cur_prog; }
void kd_log_set_stream(FILE *f) { cur_stream = f; }

void kd_log(enum kd_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (level > cur_level)
		return;
	FILE *out = cur_stream ? cur_stream : stderr;
	fprintf(out, "%s: %s: ", cur_prog, names[level]);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

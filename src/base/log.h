/* Leveled logging to stderr: "PROG: level: message". The level is global because every
 * applet takes it from its command line once (e.g. makedumpfile's --message-level). */
#ifndef KD_BASE_LOG_H
#define KD_BASE_LOG_H

#include <stdio.h>

enum kd_log_level { KD_LOG_ERROR = 0, KD_LOG_WARN = 1, KD_LOG_INFO = 2, KD_LOG_DEBUG = 3 };

void kd_log_set_level(enum kd_log_level level);
enum kd_log_level kd_log_get_level(void);
void kd_log_set_prog(const char *prog);
const char *kd_log_prog(void);
/* Redirect output (tests); NULL restores stderr. */
void kd_log_set_stream(FILE *f);

void kd_log(enum kd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define kd_error(...) kd_log(KD_LOG_ERROR, __VA_ARGS__)
#define kd_warn(...)  kd_log(KD_LOG_WARN, __VA_ARGS__)
#define kd_info(...)  kd_log(KD_LOG_INFO, __VA_ARGS__)
#define kd_debug(...) kd_log(KD_LOG_DEBUG, __VA_ARGS__)

#endif

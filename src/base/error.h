/* One error style for all of kdumpkit.
 *
 * A function that can fail returns `kd_err *`: NULL on success, otherwise an error that carries
 * an errno value (0 when the failure is not a system error, e.g. malformed input) and a chain of
 * context messages, innermost cause last. Callers add context with kd_err_wrap() as the error
 * travels up, so the final message reads
 *   "reading page table at 0x1000: reading /proc/vmcore at offset 4096: Input/output error".
 * Errors are owned by whoever holds them; kd_err_free() releases the whole chain. Allocation
 * failure never loses the error: a static "out of memory" error stands in for a new one, and a
 * wrap that cannot allocate returns the error it was given. */
#ifndef KD_BASE_ERROR_H
#define KD_BASE_ERROR_H

#include <stddef.h>
#include <stdio.h>

typedef struct kd_err kd_err;

/* A new error with errno value `errnum` (0: none) and a printf-style message. */
kd_err *kd_err_new(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with the current errno. */
kd_err *kd_err_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Add a context message in front of `e`; returns the new outermost error (takes ownership).
 * kd_err_wrap(NULL, ...) returns NULL so call sites can wrap unconditionally. */
kd_err *kd_err_wrap(kd_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int kd_err_errnum(const kd_err *e);        /* errno of the root cause (0: none) */
const char *kd_err_msg(const kd_err *e);   /* this link's own message */
const kd_err *kd_err_cause(const kd_err *e); /* the next link inward, or NULL */

/* The whole chain, "outer: inner: root: strerror". Returns the length it needed (like
 * snprintf); the result is always NUL-terminated when n > 0. */
size_t kd_err_format(const kd_err *e, char *buf, size_t n);
/* Print "prog: <chain>\n" to f. */
void kd_err_print(FILE *f, const char *prog, const kd_err *e);
void kd_err_free(kd_err *e);
/* For lookups whose failure has a fallback: frees `e`, returns 1 if there was an error. */
int kd_err_ignore(kd_err *e);

#endif

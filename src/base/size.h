/* Size strings as the kernel's memparse() reads them ("256M", "1G", "0x1000", "4k"): a number
 * in C notation (decimal, 0x hex, leading-0 octal) and an optional binary suffix K M G T P E,
 * either case. Overflow past 2^64-1 is an error, not a wrap. */
#ifndef KD_BASE_SIZE_H
#define KD_BASE_SIZE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Parse a size at the start of s. On success *end points after it. If no digits are there,
 * *end == s and an error is returned. */
kd_err *kd_size_parse_prefix(const char *s, uint64_t *out, const char **end);
/* The whole string must be one size. */
kd_err *kd_size_parse(const char *s, uint64_t *out);

/* Exact form with the largest suffix that divides the value: 268435456 -> "256M", 4097 -> "4097". */
char *kd_size_format(uint64_t v, char *buf, size_t n);
/* Human form, rounded: "1.5G", "980M", "12K", "512B". */
char *kd_size_human(uint64_t v, char *buf, size_t n);

#endif

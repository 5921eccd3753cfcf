/* A VMCOREINFO text built line by line for the tests' fake dead-kernel memories (printk's and
 * the page classifier's), parsed with some lines left out to test what a reader does when a
 * kernel does not export them. */
#ifndef KD_TEST_VMCORE_FAKE_VMCOREINFO_H
#define KD_TEST_VMCORE_FAKE_VMCOREINFO_H

#include <stdarg.h>
#include <stddef.h>

#include "vmcore/vmcoreinfo.h"

struct fake_vmcoreinfo {
	char *text;
	size_t len;
	struct kd_vmcoreinfo *vi; /* the last parse */
};

void fake_vmcoreinfo_init(struct fake_vmcoreinfo *v);
void fake_vmcoreinfo_free(struct fake_vmcoreinfo *v);
/* Append one line (no newline in fmt). */
void fake_vmcoreinfo_add(struct fake_vmcoreinfo *v, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Parse the text, leaving out lines that start with `omit` (NULL: none); v->vi is the result
 * (NULL if the text does not parse). */
struct kd_vmcoreinfo *fake_vmcoreinfo_parse(struct fake_vmcoreinfo *v, const char *omit);

#endif

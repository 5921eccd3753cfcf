/* A small synthetic crash for the storage tests: an ELF vmcore (tests/vmcore/synth) of 32 MiB
 * whose kernel has a plain log_buf holding sd_log, and the collector's kdump-compressed dump of
 * it, as a file or as makedumpfile's flattened stream. */
#ifndef KD_TEST_SERVICE_STORAGE_DUMP_H
#define KD_TEST_SERVICE_STORAGE_DUMP_H

#include "base/error.h"

extern const char sd_log[];

/* The ELF vmcore: a malloc'd /tmp path (caller unlinks and frees). */
char *sd_make_core(void);
/* The collector (-d 1, zlib) from core into fd; flat: the flattened stream (-F). */
kd_err *sd_collect(const char *core, int fd, int flat);

#endif

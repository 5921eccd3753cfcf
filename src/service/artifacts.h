/* What goes beside a dump in its directory: the dead kernel's log (as vmcore-dmesg prints it),
 * the triage report (report.txt, report.json) and the capture kernel's own log
 * (kexec-dmesg.log). Each is written under "<name>-incomplete", fsynced, then renamed. */
#ifndef KD_SERVICE_ARTIFACTS_H
#define KD_SERVICE_ARTIFACTS_H

#include "base/error.h"
#include "service/dumpdir.h"
#include "vmcore/dump.h"

/* The log of the dump at `vmcore` (any format kd_dump_open reads) into d->dmesg. */
kd_err *kd_artifacts_dmesg(const struct kd_dumpdir *d, const char *vmcore);
/* report.txt and report.json of the dump at `vmcore`. */
kd_err *kd_artifacts_report(const struct kd_dumpdir *d, const char *vmcore);
/* The running kernel's log (klogctl), i.e. the capture kernel's, into kexec-dmesg.log. */
kd_err *kd_artifacts_kexec_dmesg(const struct kd_dumpdir *d);

#endif

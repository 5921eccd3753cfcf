/* What goes beside a dump in its directory: the dead kernel's log (as vmcore-dmesg prints it),
 * the triage report (report.txt, report.json) and the capture kernel's own log
 * (kexec-dmesg.log). Each is written under "<name>-incomplete", fsynced, then renamed. */
#ifndef KD_SERVICE_ARTIFACTS_H
#define KD_SERVICE_ARTIFACTS_H

#include "base/error.h"
#include "service/dumpdir.h"
#include "vmcore/dump.h"

/* The log of the dump at `vmcore` (any format kd_dump_open reads) into d->dmesg, exactly as
 * vmcore-dmesg prints it. A log that is damaged part way is written as far as it goes and
 * stays "<dmesg>-incomplete"; the error says why. */
kd_err *kd_artifacts_dmesg(const struct kd_dumpdir *d, const char *vmcore);
/* report.txt and report.json of the dump at `vmcore` (as `report` and `report --json` print
 * them). A report built in part (it lists what it could not show) is still committed, and the
 * reason comes back as the error for the caller to log. */
kd_err *kd_artifacts_report(const struct kd_dumpdir *d, const char *vmcore);
/* The running kernel's log (klogctl), i.e. the capture kernel's, into kexec-dmesg.log, as
 * dmesg shows it (the "<level>" prefixes dropped). */
kd_err *kd_artifacts_kexec_dmesg(const struct kd_dumpdir *d);
/* The same from a raw log already read (len bytes as SYSLOG_ACTION_READ_ALL returns them). */
kd_err *kd_artifacts_write_klog(const struct kd_dumpdir *d, const char *raw, size_t len);

#endif

/* The dump directory as each distribution names it, and rotation.
 *   kdump.conf (kdump-utils):   <path>/127.0.0.1-YYYY-MM-DD-HH:MM:SS/vmcore, vmcore-dmesg.txt
 *   kdump-tools (Debian):       <KDUMP_COREDIR>/YYYYMMDDHHMM/dump.YYYYMMDDHHMM, dmesg.YYYYMMDDHHMM
 * Both also hold report.txt, report.json and kexec-dmesg.log. A file being written carries an
 * "-incomplete" suffix until it is complete, fsynced and renamed; directories are 0700 and
 * dumps 0600 (kernel memory: root only). */
#ifndef KD_SERVICE_DUMPDIR_H
#define KD_SERVICE_DUMPDIR_H

#include <stddef.h>
#include <time.h>

#include "base/error.h"
#include "service/config.h"

struct kd_dumpdir {
	char dir[4096];     /* the new directory, absolute */
	char stamp[32];     /* YYYY-MM-DD-HH:MM:SS or YYYYMMDDHHMM */
	char vmcore[64];    /* "vmcore" or "dump.<stamp>" */
	char dmesg[64];     /* "vmcore-dmesg.txt" or "dmesg.<stamp>" */
};

/* Create the directory for a dump taken at time t (shown in local time, as `date` does: UTC in
 * a capture kernel without /etc/localtime) under base (created too, its missing parents 0700);
 * a name already taken gets a ".1", ".2"... suffix rather than mixing two dumps. */
kd_err *kd_dumpdir_create(const char *base, enum kd_svc_personality p, time_t t,
			  struct kd_dumpdir *d);
/* <dir>/<name>, or <dir>/<name>-incomplete. */
kd_err *kd_dumpdir_path(const struct kd_dumpdir *d, const char *name, int incomplete, char *buf,
			size_t len);
/* Create (truncate) <dir>/<name>-incomplete, mode 0600 whatever the umask, for a writer that
 * streams into it (the collector); kd_dumpdir_commit() when it is complete. */
kd_err *kd_dumpdir_open_incomplete(const struct kd_dumpdir *d, const char *name, int *fd);
/* Write name's content to <dir>/<name>-incomplete, fsync, rename to <dir>/<name>, fsync dir. */
kd_err *kd_dumpdir_write_file(const struct kd_dumpdir *d, const char *name, const void *buf,
			      size_t len);
/* Rename <dir>/<name>-incomplete to <dir>/<name> after fsyncing it, then fsync the dir. */
kd_err *kd_dumpdir_commit(const struct kd_dumpdir *d, const char *name);
/* Keep the newest `keep` complete dumps under base (0: keep all), `d` counted among them:
 * remove the oldest first, never `d`'s own directory (d may be NULL), never a directory that
 * does not look like ours (another personality's, a symlink, a name not ours, one holding a
 * subdirectory) and never an incomplete dump (what a failed capture left is for an operator
 * to look at). A dump is complete when its vmcore file (vmcore, dump.<stamp>) is there. */
kd_err *kd_dumpdir_rotate(const char *base, enum kd_svc_personality p, unsigned keep,
			  const struct kd_dumpdir *d);
/* The newest dump directory under base ("" when none, also when base does not exist), and
 * whether its dump is complete. */
kd_err *kd_dumpdir_last(const char *base, enum kd_svc_personality p, char *dir, size_t len,
			int *complete);

#endif

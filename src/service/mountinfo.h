/* /proc/self/mountinfo, read as untrusted text: which mount holds a path.
 *
 * A line is "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS"
 * (proc(5)); ROOT, MOUNTPOINT and SOURCE escape space, tab, newline and backslash as \ooo.
 * A line that does not have this shape is skipped (a later kernel may add fields after the
 * ones we read; a damaged line must not stop the lookup). Nothing here touches the file
 * system: the caller passes the text and an absolute, already canonical path. */
#ifndef KD_SERVICE_MOUNTINFO_H
#define KD_SERVICE_MOUNTINFO_H

#include <stddef.h>

#include "base/error.h"

struct kd_mount {
	unsigned major, minor; /* st_dev of the file system (major 0: no block device, e.g. btrfs
				* subvolumes, tmpfs) */
	char root[4096];       /* the directory of the file system mounted here ("/" usually; a
				* bind mount or a btrfs subvolume shows another) */
	char mountpoint[4096];
	char fstype[64];
	char source[4096];     /* as mounted: /dev/vda1, /dev/root, UUID=... never (the kernel
				* shows the device name), "none", "tmpfs", ... */
};

/* Parse one line (no newline needed). 0 and *m filled when it has mountinfo's shape, -1 when
 * not (m is then undefined). Fields longer than *m holds make the line not parse. */
int kd_mountinfo_parse_line(const char *line, size_t len, struct kd_mount *m);

/* The mount holding `path` (absolute, canonical: no "..", no symlinks) in mountinfo `text`:
 * the longest mount point that is `path` or one of its parent directories; for the same mount
 * point the last line wins (it is mounted over the earlier ones). An error (ENOENT) when no
 * line holds it. */
kd_err *kd_mountinfo_find(const char *text, size_t len, const char *path, struct kd_mount *m);

/* Read a mountinfo file (e.g. /proc/self/mountinfo) and kd_mountinfo_find in it. */
kd_err *kd_mountinfo_find_file(const char *file, const char *path, struct kd_mount *m);

#endif

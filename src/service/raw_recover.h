/* The raw target, back in the first kernel: the capture kernel wrote makedumpfile's flattened
 * stream (-F) to the raw device. At `kdumpctl start` the stream is found (its signature in
 * block 0), reassembled (-R) into a dump directory under `path` (c->personality's names) with
 * the dmesg (when c->dump_dmesg) and the report, older dumps rotated (c->num_dumps), and
 * block 0 is cleared so the same dump is not recovered twice — only once all of that is on
 * disk (fsynced, renamed, directory fsynced).
 *
 * What never loses data (raw_recover.c says why in full):
 *   - a whole stream whose dump the capture marked incomplete: saved as vmcore-incomplete,
 *     block 0 cleared (the device holds nothing more), an error saying so;
 *   - a stream cut off (no end marker): what it holds up to its last whole record is saved as
 *     vmcore-incomplete and the device is NOT cleared; block 0's unused bytes (past the
 *     header makedumpfile -R reads) record where it went, so later starts skip it with a
 *     warning until the next crash overwrites it; an error naming the device, the offset
 *     where the stream stops and how to clear the device;
 *   - the destination cannot be written: the partial copy is removed, the device untouched,
 *     an error; the next start tries again.
 * Bytes past the stream's end are never taken for records. */
#ifndef KD_SERVICE_RAW_RECOVER_H
#define KD_SERVICE_RAW_RECOVER_H

#include "base/error.h"
#include "service/config.h"

/* *found: 0 when the device holds no stream, or one already recovered (nothing done, NULL
 * returned); 1 when a stream was found, whatever happened next. dir (optional) gets the new
 * dump directory ("" when none is left). */
kd_err *kd_raw_recover(const struct kd_svc_config *c, const char *device, int *found,
		       char *dir, size_t dirlen);

#endif

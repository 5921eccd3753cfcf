/* The raw target, back in the first kernel: the capture kernel wrote makedumpfile's flattened
 * stream (-F) to the raw device. At `kdumpctl start` the stream is found (its signature in
 * block 0), reassembled (-R) into a dump directory under `path` with the dmesg and the report,
 * and block 0 is cleared so the same dump is not recovered twice. A stream cut off reassembles
 * to a dump marked incomplete and stays named vmcore-incomplete. */
#ifndef KD_SERVICE_RAW_RECOVER_H
#define KD_SERVICE_RAW_RECOVER_H

#include "base/error.h"
#include "service/config.h"

/* *found: 0 when the device holds no stream (nothing done). dir (optional) gets the new
 * dump directory. */
kd_err *kd_raw_recover(const struct kd_svc_config *c, const char *device, int *found,
		       char *dir, size_t dirlen);

#endif

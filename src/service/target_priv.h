/* What the target kinds share inside src/service/ (target.c, target_fs.c, target_raw.c). */
#ifndef KD_SERVICE_TARGET_PRIV_H
#define KD_SERVICE_TARGET_PRIV_H

#include "service/blockdev.h"
#include "service/target.h"

/* Each kind's check of this machine, with the roots tests give (NULL: the real ones). On
 * error neither *c nor *n is changed. */
kd_err *kd_target_path_prepare(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			       struct kd_target_needs *n);
kd_err *kd_target_fs_prepare(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			     struct kd_target_needs *n);
kd_err *kd_target_raw_prepare(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			      struct kd_target_needs *n);

/* The ops' prepare(): kd_target_prepare_in on the running system. */
kd_err *kd_target_prepare(struct kd_svc_config *c, struct kd_target_needs *n);

/* *dst = a copy of src (the old value freed); 0, or -1 when out of memory. */
int kd_target_set(char **dst, const char *src);
/* "UUID=<uuid>" when the file system has one, else the device node: how the capture kernel
 * finds it whatever order its disks come up in. */
void kd_target_stable_name(const struct kd_blkinfo *bi, char *out, size_t len);

#endif

/* The table of targets (stub until the capture side lands). */
#include <stdlib.h>

#include "service/target.h"

void kd_target_needs_free(struct kd_target_needs *n)
{
	free(n->block_device);
	free(n->fstype);
	free(n->identity);
	free(n->rootfs_block_device);
	free(n->rootfs_fstype);
	*n = (struct kd_target_needs){ 0 };
}

const struct kd_target_ops *kd_target_ops_for(enum kd_svc_target t)
{
	(void)t;
	return NULL;
}

/* The raw target: makedumpfile's flattened stream (-F) written from block 0 of a block device
 * that holds nothing else, reassembled in the first kernel by raw_recover.h. Nothing but the
 * stream goes on the device: no log, no report (the recovery makes them from the dump). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "dumpfile/mdf_cmd.h"
#include "service/capture.h"
#include "service/target_priv.h"

kd_err *kd_target_raw_check(const char *device)
{
	struct kd_blkinfo bi;
	kd_err *e = kd_blockdev_probe(device, &bi);
	if (e)
		return kd_err_wrap(e, "raw target %s", device);
	const char *what = bi.type[0] ? bi.type : bi.pttype[0] ? bi.pttype : NULL;
	if (!what)
		return NULL;
	char ids[256] = "";
	if (bi.uuid[0] || bi.label[0])
		snprintf(ids, sizeof(ids), " (%s%s%s%s%s)", bi.uuid[0] ? "UUID=" : "", bi.uuid,
			 bi.uuid[0] && bi.label[0] ? ", " : "", bi.label[0] ? "LABEL=" : "",
			 bi.label);
	return kd_err_new(0, "raw target %s is not empty: it holds %s%s%s: the dump would "
			  "overwrite it; name an empty device, or, if that is really not needed, "
			  "erase it first (wipefs -a %s)", device, bi.type[0] ? "" : "a partition "
			  "table of type ", what, ids, device);
}

kd_err *kd_target_raw_prepare(const struct kd_blockdev_roots *r, struct kd_svc_config *c,
			      struct kd_target_needs *n)
{
	if (!c->device)
		return kd_err_new(0, "a raw target needs a device (raw /dev/vdb)");
	if (kd_mdf_collector_is_copy(c->collector_argv))
		return kd_err_new(0, "raw %s: core_collector %s cannot write the flattened stream a "
				  "raw device holds; use makedumpfile (e.g. makedumpfile -l -d 31)",
				  c->device, c->collector_argv[0]);
	struct kd_blkinfo bi;
	kd_err *e = kd_blockdev_find_in(r, c->device, 0, &bi);
	if (e)
		return kd_err_wrap(e, "raw target %s", c->device);
	if ((e = kd_target_raw_check(bi.devnode)))
		return e;
	struct stat st;
	if (stat(bi.devnode, &st) < 0)
		return kd_err_errno("raw target %s", bi.devnode);
	if (!S_ISBLK(st.st_mode))
		return kd_err_new(0, "raw target %s is not a block device", bi.devnode);
	/* Named as the capture kernel can find it without udev (no /dev/disk/by-* links there):
	 * a partition by its own UUID, a whole disk by its serial, both surviving a change of
	 * disk order; a disk with neither by its node. */
	char name[256], id[512];
	if (bi.partuuid[0])
		snprintf(name, sizeof(name), "PARTUUID=%s", bi.partuuid);
	else if (bi.serial[0])
		snprintf(name, sizeof(name), "SERIAL=%.240s", bi.serial);
	else
		snprintf(name, sizeof(name), "%s", bi.devnode);
	snprintf(id, sizeof(id), "raw %s", name);
	char *rd = strdup(name), *bd = strdup(bi.devnode), *idn = strdup(id);
	if (!rd || !bd || !idn) {
		free(rd), free(bd), free(idn);
		return kd_err_new(ENOMEM, "recording the raw target");
	}
	free(c->resolved_device), free(c->resolved_fstype), free(c->mount_prefix);
	c->resolved_device = rd;
	c->resolved_fstype = NULL;
	c->mount_prefix = NULL;
	free(n->block_device), free(n->fstype), free(n->identity);
	n->block_device = bd;
	n->fstype = NULL;
	n->identity = idn;
	return NULL;
}

static kd_err *save_raw(struct kd_capture *cap)
{
	const struct kd_svc_config *c = cap->cfg;
	const char *spec = c->resolved_device ? c->resolved_device : c->device;
	if (!spec)
		return kd_err_new(0, "the configuration snapshot names no raw device");
	struct kd_blkinfo bi;
	kd_err *e = kd_blockdev_find(spec, cap->wait_ms, &bi);
	if (e)
		return kd_err_wrap(e, "finding the raw target %s", spec);
	/* O_EXCL on a block device: refused while something has it mounted */
	int fd = open(bi.devnode, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening the raw target %s (%s)", spec, bi.devnode);
	kd_info("writing the flattened dump to %s (%s)", bi.devnode, spec);
	e = kd_capture_run_collector(cap, NULL, fd, bi.devnode);
	if (!e && fsync(fd) < 0)
		e = kd_err_errno("syncing %s", bi.devnode);
	if (close(fd) < 0 && !e)
		e = kd_err_errno("closing %s", bi.devnode);
	if (!e)
		kd_info("saved %s: the flattened dump, made a dump directory again by the next "
			"kdumpctl start", bi.devnode);
	return e;
}

const struct kd_target_ops kd_target_raw_ops = {
	.kind = KD_TGT_RAW, .name = "raw", .prepare = kd_target_prepare, .save = save_raw,
};

/* What `kdumpctl status`, `kdump-config status` and `kdump-config show` report: the
 * reservation (size from /sys/kernel/kexec_crash_size, range from /proc/iomem), whether a
 * capture kernel is loaded (/sys/kernel/kexec_crash_loaded), what the service loaded (its
 * record: kernel, initramfs and its size, command line, when), where dumps go and the last one
 * saved. Read under a root prefix like load.h; each part that cannot be read is reported as
 * unknown rather than failing the whole status (a status must work on a broken setup). */
#ifndef KD_SERVICE_STATUS_H
#define KD_SERVICE_STATUS_H

#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "service/config.h"
#include "service/load.h"

struct kd_status {
	struct kd_load_reservation res;
	char res_error[256];      /* why the reservation could not be read ("" when it could) */
	int loaded;               /* 1 loaded, 0 not, -1 unknown (no kexec in this kernel) */
	char loaded_error[256];
	int have_record;          /* the service's record of what it loaded */
	struct kd_load_record rec;
	int initrd_present;
	uint64_t initrd_size;
	char initrd_detail[320];  /* kdumpkit's own image: "zstd, 12 modules", or what is wrong */
	char target[512];         /* where dumps go, from the configuration ("" without one) */
	char dump_base[4096];     /* the directory dumps are saved under ("" for raw) */
	int last_known;           /* the dump directory could be searched */
	char last_dump[4096];     /* the newest dump directory ("" when none) */
	int last_complete;
};

/* Read everything; cfg may be NULL (a configuration that does not load: the kernel's side is
 * still reported). */
void kd_status_read(const char *root, const struct kd_svc_config *cfg, struct kd_status *st);

/* kdump-utils' one-line answer: "Kdump is operational" / "Kdump is not operational". */
const char *kd_status_line(const struct kd_status *st);
/* kdump-tools' answer: "ready to kdump" / "Not ready to kdump". */
const char *kd_status_state(const struct kd_status *st);
/* The details, one "name: value" line each. */
void kd_status_print(FILE *f, const struct kd_status *st);

/* "ext4 UUID=... (path /var/crash)" and the like, from the configuration. */
void kd_status_target(const struct kd_svc_config *c, char *buf, size_t n);

#endif

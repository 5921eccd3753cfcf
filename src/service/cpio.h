/* A writer of "newc" cpio archives (the format the kernel unpacks as an initramfs), built to be
 * reproducible: entries are collected first, then written sorted by path with inode numbers in
 * that order, one fixed mtime, uid/gid 0 and no hard links, so the same entries give the same
 * bytes. Parent directories that were not added are written as 0755 directories.
 *
 * The archive borrows file data unless added with kd_cpio_add_file_owned(); borrowed data must
 * live until kd_cpio_write(). A bad path ("..", empty, too long) or a path added twice with
 * different contents is an error when added; output errors come from the caller's writer. */
#ifndef KD_SERVICE_CPIO_H
#define KD_SERVICE_CPIO_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct kd_cpio;

/* `mtime`: the one modification time every entry gets (0 for reproducible images). */
kd_err *kd_cpio_new(uint32_t mtime, struct kd_cpio **out);
void kd_cpio_free(struct kd_cpio *c);

/* Paths are absolute or relative to the archive root ("/init" and "init" are the same entry).
 * Adding the same directory twice is allowed; anything else twice is an error. */
kd_err *kd_cpio_add_dir(struct kd_cpio *c, const char *path, unsigned mode);
kd_err *kd_cpio_add_file(struct kd_cpio *c, const char *path, unsigned mode,
			 const void *data, size_t len);
/* Same, and the archive frees `data` (malloc'd) — also when this fails. */
kd_err *kd_cpio_add_file_owned(struct kd_cpio *c, const char *path, unsigned mode,
			       void *data, size_t len);
kd_err *kd_cpio_add_symlink(struct kd_cpio *c, const char *path, const char *target);
/* A character device node, e.g. /dev/console (5, 1): the kernel opens it for init's stdio. */
kd_err *kd_cpio_add_chardev(struct kd_cpio *c, const char *path, unsigned mode,
			    unsigned major, unsigned minor);

size_t kd_cpio_count(const struct kd_cpio *c);   /* entries added, parents not counted */

/* The archive (entries, then the TRAILER!!! record) as a sequence of calls to `fn`. */
typedef kd_err *(*kd_cpio_write_fn)(void *ctx, const void *buf, size_t len);
kd_err *kd_cpio_write(struct kd_cpio *c, kd_cpio_write_fn fn, void *ctx);
/* Into a malloc'd buffer. */
kd_err *kd_cpio_write_mem(struct kd_cpio *c, uint8_t **buf, size_t *len);

#endif

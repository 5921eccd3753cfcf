/* Where a dump goes: a regular file (written at offsets, so headers can be finished last), or
 * makedumpfile's flattened stream (-F: a header, then (offset, size, data) records, for a pipe
 * or ssh). Writers produce offsets and bytes; the sink decides how they travel.
 *
 * A failed write (EIO, ENOSPC, a short write) is an error naming the file and the offset. */
#ifndef KD_DUMPFILE_SINK_H
#define KD_DUMPFILE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct kd_sink;

/* `name` is for messages ("dump.kd", "standard output"). The sink does not own fd. */
kd_err *kd_sink_file(int fd, const char *name, struct kd_sink **out);
kd_err *kd_sink_flat(int fd, const char *name, struct kd_sink **out);

kd_err *kd_sink_write(struct kd_sink *s, uint64_t offset, const void *buf, size_t len);
/* File: from `offset` on, the file is written once and in order (a dump's page data). The sink
 * then pushes it to disk as it grows and keeps only the last few MiB of it in the page cache,
 * so the final sync has little left and a small capture kernel is not filled with dirty pages.
 * A write-back error (EIO) is reported by the write that started it. Flattened: nothing. */
void kd_sink_streaming(struct kd_sink *s, uint64_t offset);
/* File: the data written so far reaches the disk (fdatasync) before anything written later, so
 * a header that says "complete" never lands before the pages it describes. Flattened: nothing.
 */
kd_err *kd_sink_sync(struct kd_sink *s);
/* Flattened: the end marker. File: fsync. The sink stays valid for kd_sink_free. */
kd_err *kd_sink_finish(struct kd_sink *s);
void kd_sink_free(struct kd_sink *s);

/* -R: read a flattened stream from in_fd and write it as a regular file to out_fd. */
kd_err *kd_flat_reassemble(int in_fd, const char *in_name, int out_fd, const char *out_name);

#endif

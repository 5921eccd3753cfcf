/* The dump sinks: a regular file written at offsets, or makedumpfile's flattened stream. */
#define _GNU_SOURCE /* sync_file_range */
#include "dumpfile/sink.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vmcore/kdump_format.h"

struct kd_sink {
	int fd;
	int flat;
	char *name;
	uint64_t stream_pos; /* flattened: bytes written to the stream */
	/* file, from kd_sink_streaming: the append-only tail and how far it has gone to disk */
	int streaming;
	uint64_t hi;         /* end of the highest write in the tail */
	uint64_t kicked;     /* writeback started below this */
	uint64_t dropped;    /* on disk and out of the page cache below this */
};

/* Writeback moves in windows of this size; the page cache keeps at most three of them. */
#define WB_WINDOW (8u << 20)

static kd_err *sink_new(int fd, const char *name, int flat, struct kd_sink **out)
{
	struct kd_sink *s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(name))) {
		free(s);
		return kd_err_new(ENOMEM, "opening %s", name);
	}
	s->fd = fd;
	s->flat = flat;
	*out = s;
	return NULL;
}

kd_err *kd_sink_file(int fd, const char *name, struct kd_sink **out)
{
	return sink_new(fd, name, 0, out);
}

/* Write all of iov to a stream (pipe, socket, file): retries EINTR and short writes; a write
 * that makes no progress is an error, not a loop. */
static kd_err *stream_write(struct kd_sink *s, struct iovec *iov, int cnt)
{
	while (cnt) {
		ssize_t n = writev(s->fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_errno("writing %s at stream offset %#llx", s->name,
					    (unsigned long long)s->stream_pos);
		if (n == 0)
			return kd_err_new(EIO, "writing %s at stream offset %#llx: short write", s->name,
					  (unsigned long long)s->stream_pos);
		s->stream_pos += (uint64_t)n;
		size_t left = (size_t)n;
		while (cnt && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return NULL;
}

kd_err *kd_sink_flat(int fd, const char *name, struct kd_sink **out)
{
	struct kd_sink *s = NULL;
	kd_err *e = sink_new(fd, name, 1, &s);
	if (e)
		return e;
	uint8_t hdr[KD_FLAT_HEADER_SIZE] = { 0 };
	memcpy(hdr, KD_FLAT_SIGNATURE, strlen(KD_FLAT_SIGNATURE));
	uint64_t tv[2] = { htobe64(KD_FLAT_TYPE), htobe64(KD_FLAT_VERSION) };
	memcpy(hdr + 16, tv, sizeof(tv));
	struct iovec iov = { hdr, sizeof(hdr) };
	if ((e = stream_write(s, &iov, 1))) {
		kd_sink_free(s);
		return kd_err_wrap(e, "flattened header");
	}
	*out = s;
	return NULL;
}

void kd_sink_streaming(struct kd_sink *s, uint64_t offset)
{
	if (s->flat)
		return;
	offset = (offset + 4095) & ~(uint64_t)4095;
	s->streaming = 1;
	s->hi = s->kicked = s->dropped = offset;
}

/* Start writeback of every full window behind the tail's end, and wait for the one two windows
 * back to reach the disk before dropping it from the page cache: the disk works while pages
 * are compressed instead of all at the final sync, and the capture kernel's little memory is
 * not filled with the dump. A file system without sync_file_range just skips this. */
static kd_err *write_behind(struct kd_sink *s)
{
	uint64_t at = 0;
	while (s->streaming && s->hi - s->kicked >= WB_WINDOW) {
		at = s->kicked;
		if (sync_file_range(s->fd, (off_t)at, WB_WINDOW, SYNC_FILE_RANGE_WRITE) < 0)
			goto failed;
		s->kicked += WB_WINDOW;
	}
	while (s->streaming && s->kicked - s->dropped >= 3 * (uint64_t)WB_WINDOW) {
		at = s->dropped;
		if (sync_file_range(s->fd, (off_t)at, WB_WINDOW, SYNC_FILE_RANGE_WAIT_BEFORE |
				    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) < 0)
			goto failed;
		posix_fadvise(s->fd, (off_t)at, WB_WINDOW, POSIX_FADV_DONTNEED);
		s->dropped += WB_WINDOW;
	}
	return NULL;
failed:
	if (errno == EINVAL || errno == ESPIPE || errno == ENOSYS || errno == EOPNOTSUPP ||
	    errno == ENOMEM) {
		/* a file system without it, or no memory to start it: the final sync does it all
		 * (and reports any error the disk has) */
		s->streaming = 0;
		return NULL;
	}
	return kd_err_errno("writing %s back to disk at offset %#llx", s->name,
			    (unsigned long long)at);
}

kd_err *kd_sink_write(struct kd_sink *s, uint64_t offset, const void *buf, size_t len)
{
	uint64_t end = offset + len;
	if (offset > INT64_MAX || len > INT64_MAX - offset)
		return kd_err_new(EINVAL, "writing %s: offset %#llx + %zu is past what a file holds",
				  s->name, (unsigned long long)offset, len);
	if (s->flat) {
		if (!len)
			return NULL;
		uint64_t rec[2] = { htobe64(offset), htobe64((uint64_t)len) };
		struct iovec iov[2] = { { rec, sizeof(rec) }, { (void *)buf, len } };
		kd_err *e = stream_write(s, iov, 2);
		return kd_err_wrap(e, "record for offset %#llx", (unsigned long long)offset);
	}
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(s->fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_errno("writing %s at offset %#llx", s->name,
					    (unsigned long long)offset);
		if (n == 0)
			return kd_err_new(EIO, "writing %s at offset %#llx: short write", s->name,
					  (unsigned long long)offset);
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	if (s->streaming && end > s->hi) {
		s->hi = end;
		return write_behind(s);
	}
	return NULL;
}

kd_err *kd_sink_sync(struct kd_sink *s)
{
	if (s->flat)
		return NULL; /* a stream's order is its order */
	if (fdatasync(s->fd) < 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
		return kd_err_errno("syncing %s", s->name);
	return NULL;
}

kd_err *kd_sink_finish(struct kd_sink *s)
{
	if (s->flat) {
		uint64_t end[2] = { htobe64((uint64_t)(int64_t)KD_FLAT_END),
				    htobe64((uint64_t)(int64_t)KD_FLAT_END) };
		struct iovec iov = { end, sizeof(end) };
		kd_err *e = stream_write(s, &iov, 1);
		if (e)
			return kd_err_wrap(e, "end marker");
	}
	/* a pipe or terminal cannot be synced: that is not an error */
	if (fsync(s->fd) < 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
		return kd_err_errno("syncing %s", s->name);
	return NULL;
}

void kd_sink_free(struct kd_sink *s)
{
	if (!s)
		return;
	free(s->name);
	free(s);
}

/* Read exactly len bytes; *eof set (and no error) when the stream ends before the first byte. */
static kd_err *read_full(int fd, const char *name, uint64_t pos, void *buf, size_t len, int *eof)
{
	uint8_t *p = buf;
	size_t got = 0;
	if (eof)
		*eof = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_errno("reading %s at stream offset %#llx", name,
					    (unsigned long long)(pos + got));
		if (n == 0) {
			if (got == 0 && eof) {
				*eof = 1;
				return NULL;
			}
			return kd_err_new(EIO, "reading %s at stream offset %#llx: the stream ends "
					  "inside a record (truncated?)", name,
					  (unsigned long long)(pos + got));
		}
		got += (size_t)n;
	}
	return NULL;
}

kd_err *kd_flat_reassemble(int in_fd, const char *in_name, int out_fd, const char *out_name)
{
	uint8_t hdr[KD_FLAT_HEADER_SIZE];
	kd_err *e = read_full(in_fd, in_name, 0, hdr, sizeof(hdr), NULL);
	if (e)
		return kd_err_wrap(e, "flattened header");
	uint64_t tv[2];
	memcpy(tv, hdr + 16, sizeof(tv));
	if (memcmp(hdr, KD_FLAT_SIGNATURE, strlen(KD_FLAT_SIGNATURE)) ||
	    be64toh(tv[0]) != KD_FLAT_TYPE)
		return kd_err_new(EINVAL, "%s is not a flattened dump (no makedumpfile header)",
				  in_name);
	if (be64toh(tv[1]) != KD_FLAT_VERSION)
		return kd_err_new(ENOTSUP, "%s: flattened format version %llu (only 1 is known)",
				  in_name, (unsigned long long)be64toh(tv[1]));
	struct kd_sink *out;
	if ((e = kd_sink_file(out_fd, out_name, &out)))
		return e;
	size_t bufsz = 1u << 20;
	uint8_t *buf = malloc(bufsz);
	if (!buf) {
		kd_sink_free(out);
		return kd_err_new(ENOMEM, "reassembling %s", in_name);
	}
	uint64_t pos = sizeof(hdr), extent = 0;
	for (;;) {
		uint64_t rec[2];
		int eof;
		if ((e = read_full(in_fd, in_name, pos, rec, sizeof(rec), &eof)))
			break;
		if (eof) {
			e = kd_err_new(EIO, "%s ends at stream offset %#llx without the end marker "
				       "(truncated?)", in_name, (unsigned long long)pos);
			break;
		}
		int64_t off = (int64_t)be64toh(rec[0]), size = (int64_t)be64toh(rec[1]);
		if (off == KD_FLAT_END)
			break;
		if (off < 0 || size < 0 || size > INT64_MAX - off) {
			e = kd_err_new(EINVAL, "%s: bad record at stream offset %#llx (offset %lld, "
				       "size %lld)", in_name, (unsigned long long)pos, (long long)off,
				       (long long)size);
			break;
		}
		pos += sizeof(rec);
		/* every byte copied was read: the loop ends with the stream */
		uint64_t left = (uint64_t)size, at = (uint64_t)off;
		while (left && !e) {
			size_t n = left < bufsz ? (size_t)left : bufsz;
			if ((e = read_full(in_fd, in_name, pos, buf, n, NULL)))
				break;
			e = kd_sink_write(out, at, buf, n);
			pos += n;
			at += n;
			left -= n;
		}
		if (e)
			break;
		if ((uint64_t)off + (uint64_t)size > extent)
			extent = (uint64_t)off + (uint64_t)size;
	}
	free(buf);
	/* an existing longer file would keep stale bytes past the dump */
	struct stat st;
	if (!e && fstat(out_fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > extent &&
	    ftruncate(out_fd, (off_t)extent) < 0)
		e = kd_err_errno("truncating %s to %#llx", out_name, (unsigned long long)extent);
	if (!e)
		e = kd_sink_finish(out);
	kd_sink_free(out);
	return e ? kd_err_wrap(e, "reassembling %s into %s", in_name, out_name) : NULL;
}

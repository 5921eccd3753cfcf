/* The raw target's second half: a flattened stream found on the device at `kdumpctl start` is
 * reassembled into a dump directory, then the device's block 0 is cleared.
 *
 * What never loses data, in each case:
 *   - The stream ends with its end marker: every byte the capture wrote is reassembled (the
 *     records are framed up to the marker before anything is written), the dump is fsynced
 *     with its directory, named vmcore when its header says complete (vmcore-incomplete when
 *     the capture itself did not finish: its own verdict), the log and report are written,
 *     and only then is block 0 zeroed and synced.
 *   - The stream is cut off (no end marker: the capture kernel died or the device filled
 *     up): what it holds up to the last whole record is reassembled into vmcore-incomplete,
 *     and the device is kept as it is: nothing is cleared, so a better tool or a person can
 *     still look at it. So that the same stream is not recovered at every boot, the unused
 *     part of the flattened header (after the signature, type and version, which makedumpfile
 *     -R reads) says where it went; the next capture's stream overwrites that. The error says
 *     all this and how to clear the device.
 *   - The dump directory cannot be written (no space, read-only): the device is untouched and
 *     the partial copy is removed, since the device still holds all of it; the next start
 *     tries again.
 * Bytes past the end of the stream (an older, longer stream; zeros) are never read as records:
 * the reassembler is fed exactly the framed stream, with an end marker of our own after a
 * cut-off one, so any error it returns is the device's or the destination's. */
#define _GNU_SOURCE /* O_CLOEXEC et al. */
#include "service/raw_recover.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "dumpfile/sink.h"
#include "service/artifacts.h"
#include "service/dumpdir.h"
#include "vmcore/dump.h"
#include "vmcore/kdump_format.h"

#define BLOCK0 4096u
/* Where in block 0 a cut-off stream that was recovered says so (makedumpfile's header uses
 * the first 32 bytes; the rest of the 4 KiB header is zero as written). */
#define MARK_AT 1024u
static const char mark_tag[] = "kdumpkit: recovered into ";

static kd_err *pread_full(int fd, const char *dev, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_errno("reading %s at offset %#llx", dev,
					    (unsigned long long)(off + got));
		if (n == 0)
			return kd_err_new(EIO, "reading %s at offset %#llx: past its end", dev,
					  (unsigned long long)(off + got));
		got += (size_t)n;
	}
	return NULL;
}

static kd_err *device_size(int fd, const char *dev, uint64_t *size)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kd_err_errno("%s", dev);
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return NULL;
	}
	if (!S_ISBLK(st.st_mode))
		return kd_err_new(ENOTBLK, "%s is not a block device", dev);
	if (ioctl(fd, BLKGETSIZE64, size) < 0)
		return kd_err_errno("%s: BLKGETSIZE64", dev);
	return NULL;
}

static int is_flat_header(const uint8_t *b)
{
	uint64_t tv[2];
	memcpy(tv, b + 16, sizeof(tv));
	return !memcmp(b, KD_FLAT_SIGNATURE, strlen(KD_FLAT_SIGNATURE)) &&
	       be64toh(tv[0]) == KD_FLAT_TYPE && be64toh(tv[1]) == KD_FLAT_VERSION;
}

/* Walk the records' headers (not their data) from the end of the flattened header: *len is
 * where the framed stream ends (after the end marker, or after the last whole record), *ended
 * whether the end marker was found, `why` where and why it stopped otherwise. A record
 * that is not one a writer makes (negative offset, no data, data past the device's end) ends
 * the walk: past a cut, the device holds whatever was there before. */
static kd_err *frame(int fd, const char *dev, uint64_t dev_size, uint64_t *len, int *ended,
		     char *why, size_t whylen)
{
	uint64_t pos = KD_FLAT_HEADER_SIZE;
	*ended = 0;
	why[0] = '\0';
	while (pos + 16 <= dev_size) {
		uint64_t h[2];
		kd_err *e = pread_full(fd, dev, pos, h, sizeof(h));
		if (e)
			return kd_err_wrap(e, "the flattened stream's record at %#llx",
					   (unsigned long long)pos);
		int64_t off = (int64_t)be64toh(h[0]), size = (int64_t)be64toh(h[1]);
		if (off == KD_FLAT_END) {
			*ended = 1;
			*len = pos + 16;
			return NULL;
		}
		if (off < 0 || size <= 0 || size > INT64_MAX - off ||
		    (uint64_t)size > dev_size - pos - 16) {
			snprintf(why, whylen, "no record at offset %#llx (offset %lld, size %lld)",
				 (unsigned long long)pos, (long long)off, (long long)size);
			*len = pos;
			return NULL;
		}
		pos += 16 + (uint64_t)size;
	}
	snprintf(why, whylen, "the device ends at %#llx before the end marker",
		 (unsigned long long)dev_size);
	*len = pos;
	return NULL;
}

/* Bytes [0, len) of the device into a socket, for the reassembler to read as its stream;
 * then an end marker if the stream had none. */
struct feed {
	int dev_fd, out_fd;
	const char *dev;
	uint64_t len;
	int add_end;
	kd_err *err;
};

static int send_all(int fd, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = send(fd, (const uint8_t *)buf + done, n - done, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

static void *feeder(void *arg)
{
	struct feed *f = arg;
	size_t bufsz = 1u << 20;
	uint8_t *buf = malloc(bufsz);
	if (!buf)
		f->err = kd_err_new(ENOMEM, "reading %s", f->dev);
	int stopped = 0;
	for (uint64_t at = 0; buf && at < f->len && !f->err && !stopped; at += bufsz) {
		size_t n = f->len - at < bufsz ? (size_t)(f->len - at) : bufsz;
		if ((f->err = pread_full(f->dev_fd, f->dev, at, buf, n)))
			break;
		stopped = send_all(f->out_fd, buf, n) < 0;
	}
	if (buf && !f->err && !stopped && f->add_end) {
		uint64_t end[2] = { htobe64((uint64_t)(int64_t)KD_FLAT_END),
				    htobe64((uint64_t)(int64_t)KD_FLAT_END) };
		stopped = send_all(f->out_fd, end, sizeof(end)) < 0;
	}
	/* EPIPE: the reassembler stopped; its error says why */
	if (stopped && errno != EPIPE && errno != ECONNRESET)
		f->err = kd_err_errno("passing %s on", f->dev);
	free(buf);
	close(f->out_fd);
	return NULL;
}

/* kd_flat_reassemble fed exactly [0, len) of the device (and an end marker: add_end). */
static kd_err *reassemble(int dev_fd, const char *dev, uint64_t len, int add_end, int out_fd,
			  const char *out_name)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return kd_err_errno("reassembling %s", dev);
	struct feed f = { dev_fd, sv[1], dev, len, add_end, NULL };
	pthread_t t;
	int rc = pthread_create(&t, NULL, feeder, &f);
	if (rc) {
		close(sv[0]);
		close(sv[1]);
		return kd_err_new(rc, "reassembling %s: starting the reader", dev);
	}
	kd_err *e = kd_flat_reassemble(sv[0], dev, out_fd, out_name);
	close(sv[0]); /* a reader still sending gets EPIPE and stops */
	pthread_join(t, NULL);
	if (f.err) {
		/* the device could not be read: that, not the reassembler's "truncated", is why */
		kd_err_free(e);
		e = f.err;
	}
	return e;
}

static kd_err *write_block0(const char *dev, const uint8_t *blk)
{
	int fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening %s to write its block 0", dev);
	kd_err *e = NULL;
	ssize_t n = pwrite(fd, blk, BLOCK0, 0);
	if (n != (ssize_t)BLOCK0)
		e = n < 0 ? kd_err_errno("writing %s at offset 0", dev) :
			    kd_err_new(EIO, "writing %s at offset 0: short write", dev);
	if (!e && fsync(fd) < 0)
		e = kd_err_errno("syncing %s", dev);
	close(fd);
	return e;
}

static kd_err *sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening %s to sync it", path);
	kd_err *e = fsync(fd) < 0 && errno != EINVAL ? kd_err_errno("syncing %s", path) : NULL;
	close(fd);
	return e;
}

static void log_err(const char *what, kd_err *e)
{
	char msg[1024];
	kd_err_format(e, msg, sizeof(msg));
	kd_warn("%s: %s", what, msg);
	kd_err_free(e);
}

/* Remove what this recovery wrote into d (the device still holds it all). */
static void undo(const struct kd_dumpdir *d)
{
	char p[4200];
	if (!kd_dumpdir_path(d, d->vmcore, 1, p, sizeof(p)))
		unlink(p);
	rmdir(d->dir);
}

kd_err *kd_raw_recover(const struct kd_svc_config *c, const char *device, int *found,
		       char *dir, size_t dirlen)
{
	*found = 0;
	if (dir && dirlen)
		dir[0] = '\0';
	int fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("raw target %s", device);
	uint8_t blk[BLOCK0];
	uint64_t dev_size = 0;
	kd_err *e = device_size(fd, device, &dev_size);
	if (!e && dev_size < BLOCK0) {
		close(fd);
		return NULL; /* too small to hold a stream: nothing there */
	}
	if (!e)
		e = pread_full(fd, device, 0, blk, sizeof(blk));
	if (e) {
		close(fd);
		return kd_err_wrap(e, "raw target");
	}
	if (!is_flat_header(blk)) {
		close(fd);
		return NULL;
	}
	if (!memcmp(blk + MARK_AT, mark_tag, sizeof(mark_tag) - 1)) {
		char where[BLOCK0 - MARK_AT];
		size_t tl = sizeof(mark_tag) - 1;
		memcpy(where, blk + MARK_AT + tl, BLOCK0 - MARK_AT - tl);
		where[BLOCK0 - MARK_AT - tl] = '\0';
		where[strcspn(where, "\n")] = '\0';
		kd_warn("%s holds a cut-off dump already recovered into %s; the device is kept as it "
			"is until the next crash overwrites it (clear it with `dd if=/dev/zero of=%s "
			"bs=4096 count=1`)", device, where, device);
		close(fd);
		return NULL;
	}
	*found = 1;

	uint64_t len = 0;
	int ended = 0;
	char why[160];
	if ((e = frame(fd, device, dev_size, &len, &ended, why, sizeof(why)))) {
		close(fd);
		return kd_err_wrap(e, "raw target");
	}
	kd_info("%s: a flattened dump stream of %llu bytes%s; recovering it into %s", device,
		(unsigned long long)len, ended ? "" : " (cut off)", c->path);

	struct kd_dumpdir d;
	if ((e = kd_dumpdir_create(c->path, c->personality, time(NULL), &d))) {
		close(fd);
		return kd_err_wrap(e, "recovering the dump on %s (the device is left as it is)",
				   device);
	}
	if (dir && dirlen)
		snprintf(dir, dirlen, "%s", d.dir);
	char vm[4200];
	int out = -1;
	e = kd_dumpdir_path(&d, d.vmcore, 1, vm, sizeof(vm));
	if (!e)
		e = kd_dumpdir_open_incomplete(&d, d.vmcore, &out);
	if (!e) {
		e = reassemble(fd, device, len, !ended, out, vm);
		if (!e && fsync(out) < 0 && errno != EINVAL)
			e = kd_err_errno("syncing %s", vm);
		close(out);
	}
	close(fd);
	if (e) {
		undo(&d);
		if (dir && dirlen)
			dir[0] = '\0';
		return kd_err_wrap(e, "recovering the dump on %s into %s (the device is left as it "
				   "is; the next start tries again)", device, d.dir);
	}
	if ((e = sync_path(d.dir))) {
		undo(&d);
		return kd_err_wrap(e, "recovering the dump on %s (the device is left as it is)",
				   device);
	}

	/* the capture's own verdict: a dump whose header says incomplete keeps the name */
	struct kd_dump *dump = NULL;
	kd_err *oe = kd_dump_open(vm, &dump);
	int opens = !oe, complete = ended && dump && !kd_dump_incomplete(dump);
	if (dump)
		kd_dump_close(dump);
	if (oe)
		log_err(vm, oe);
	const char *name = vm;
	char final[4200];
	if (complete) {
		if ((e = kd_dumpdir_commit(&d, d.vmcore)))
			return kd_err_wrap(e, "recovering the dump on %s (the device is left as it "
					   "is)", device);
		kd_dumpdir_path(&d, d.vmcore, 0, final, sizeof(final));
		name = final;
	}
	if (opens) {
		if (c->dump_dmesg && (e = kd_artifacts_dmesg(&d, name)))
			log_err(d.dir, e);
		if ((e = kd_artifacts_report(&d, name)))
			log_err(d.dir, e);
	}

	/* everything is on disk: now the device may forget the stream */
	if (ended && opens) {
		uint8_t zero[BLOCK0] = { 0 };
		if ((e = write_block0(device, zero)))
			return kd_err_wrap(e, "the dump on %s is saved in %s, but the device could not "
					   "be cleared: it will be recovered again at the next start",
					   device, d.dir);
		kd_info("%s: dump recovered into %s%s; block 0 cleared", device, d.dir,
			complete ? "" : " (marked incomplete by the capture)");
		if (complete && c->num_dumps &&
		    (e = kd_dumpdir_rotate(c->path, c->personality, c->num_dumps, &d)))
			log_err(c->path, e);
		if (!complete)
			return kd_err_new(0, "the dump on %s is saved in %s as %s-incomplete: the "
					  "capture kernel did not finish writing it", device, d.dir,
					  d.vmcore);
		return NULL;
	}
	uint8_t mark[BLOCK0];
	memcpy(mark, blk, sizeof(mark));
	memset(mark + MARK_AT, 0, BLOCK0 - MARK_AT);
	/* (a directory name of 3000 bytes would be cut: the mark still stops a second recovery) */
	size_t tl = sizeof(mark_tag) - 1, dl = strlen(d.dir);
	if (dl > BLOCK0 - MARK_AT - tl - 2)
		dl = BLOCK0 - MARK_AT - tl - 2;
	memcpy(mark + MARK_AT, mark_tag, tl);
	memcpy(mark + MARK_AT + tl, d.dir, dl);
	mark[MARK_AT + tl + dl] = '\n';
	if ((e = write_block0(device, mark)))
		log_err(device, e);
	if (!ended)
		return kd_err_new(0, "the dump stream on %s is cut off (%s): what it held is saved "
				  "as %s/%s-incomplete; the device is kept as it is (clear it with "
				  "`dd if=/dev/zero of=%s bs=4096 count=1` when it is no longer "
				  "needed)", device, why, d.dir, d.vmcore, device);
	return kd_err_new(0, "the dump stream on %s reassembles into no dump kdumpkit can read: "
			  "saved as %s/%s-incomplete; the device is kept as it is", device, d.dir,
			  d.vmcore);
}

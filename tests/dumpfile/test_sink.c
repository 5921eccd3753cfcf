/* The file sink's write-behind: a streamed tail reaches the disk as it grows and leaves the
 * page cache, what was written reads back intact, and writes before the tail (headers,
 * descriptors) are left alone. */
#define _GNU_SOURCE /* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "dumpfile/sink.h"
#include "test.h"

#define MB (1u << 20)
#define TAIL_AT 12288u        /* after three pages of "headers" */
#define CHUNKS 64             /* 64 MiB of tail, written 1 MiB (+ an odd byte count) at a time */
#define TMPFS_MAGIC 0x01021994

/* This binary's sync_file_range: the real system call, unless a test makes the calls that
 * wait for the disk (or all calls) fail with fail_errno. */
static int fail_errno, fail_all;
static unsigned calls;

int sync_file_range(int fd, off_t off, off_t n, unsigned int flags)
{
	calls++;
	if (fail_errno && (fail_all || (flags & SYNC_FILE_RANGE_WAIT_AFTER))) {
		errno = fail_errno;
		return -1;
	}
	return (int)syscall(SYS_sync_file_range, fd, off, n, flags);
}

static uint8_t byte_at(uint64_t off) { return (uint8_t)(off * 2654435761u >> 13); }

/* A file on a disk-backed file system, where written-back pages can leave the page cache: the
 * current directory (the build tree), else /var/tmp or /tmp. *disk: whether one was found (on
 * tmpfs, ramfs or overlayfs pages never leave memory). */
#define RAMFS_MAGIC 0x858458f6
#define OVERLAYFS_MAGIC 0x794c7630
static int open_scratch(char *path, size_t size, int *disk)
{
	static const char *const dirs[] = { ".", "/var/tmp", "/tmp" };
	const char *dir = ".";
	*disk = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !*disk; i++) {
		struct statfs fs;
		if (statfs(dirs[i], &fs) == 0 && fs.f_type != TMPFS_MAGIC &&
		    fs.f_type != RAMFS_MAGIC && fs.f_type != OVERLAYFS_MAGIC) {
			dir = dirs[i];
			*disk = 1;
		}
	}
	snprintf(path, size, "%s/kd-test-sink-XXXXXX", dir);
	return mkstemp(path);
}

/* A file sink on a new scratch file (checked); NULL if either fails. */
static struct kd_sink *scratch_sink(char *path, size_t size, int *disk, int *fd)
{
	*fd = open_scratch(path, size, disk);
	CHECK(*fd >= 0);
	if (*fd < 0)
		return NULL;
	struct kd_sink *s = NULL;
	CHECK_OK(kd_sink_file(*fd, path, &s));
	return s;
}

/* pages of [off, off+len) in the page cache */
static size_t resident(int fd, uint64_t off, size_t len)
{
	uint8_t *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
	if (m == MAP_FAILED)
		return (size_t)-1;
	size_t pages = len / 4096, n = 0;
	unsigned char *vec = malloc(pages);
	if (vec && mincore(m, len, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			n += vec[i] & 1;
	else
		n = (size_t)-1;
	free(vec);
	munmap(m, len);
	return n;
}

static void streamed_tail_goes_to_disk(void)
{
	char path[256];
	int disk, fd;
	struct kd_sink *s = scratch_sink(path, sizeof(path), &disk, &fd);
	if (!s)
		return;
	uint8_t hdr[TAIL_AT];
	memset(hdr, 0xee, sizeof(hdr));
	CHECK_OK(kd_sink_write(s, 0, hdr, sizeof(hdr)));
	kd_sink_streaming(s, TAIL_AT);

	static uint8_t buf[MB + 7];
	uint64_t off = TAIL_AT;
	for (int i = 0; i < CHUNKS; i++) {
		size_t len = i % 2 ? MB + 7 : MB - 7; /* writes that end mid-page */
		for (size_t k = 0; k < len; k++)
			buf[k] = byte_at(off + k);
		CHECK_OK(kd_sink_write(s, off, buf, len));
		off += len;
	}
	/* a header rewrite below the tail after it has gone: not part of the stream */
	hdr[0] = 0x11;
	CHECK_OK(kd_sink_write(s, 0, hdr, 1));

	/* the first half of the tail has been written back and dropped */
	size_t in_cache = resident(fd, TAIL_AT, 32 * MB);
	CHECK(in_cache != (size_t)-1);
	if (disk)
		CHECK(in_cache < (32 * MB / 4096) / 4);
	else
		fprintf(stderr, "  no disk-backed directory here: page-cache residency not checked\n");

	CHECK_OK(kd_sink_sync(s));
	CHECK_OK(kd_sink_finish(s));
	kd_sink_free(s);

	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	CHECK_U64(st.st_size, off);
	uint8_t *m = mmap(NULL, (size_t)off, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	if (m != MAP_FAILED) {
		uint64_t bad = 0;
		for (uint64_t k = TAIL_AT; k < off; k++)
			bad += m[k] != byte_at(k);
		CHECK_U64(bad, 0);
		CHECK_U64(m[0], 0x11);
		CHECK_U64(m[1], 0xee);
		munmap(m, (size_t)off);
	}
	close(fd);
	unlink(path);
}

/* Without kd_sink_streaming nothing is pushed out: a file only written is all in the cache. */
static void unstreamed_file_stays_cached(void)
{
	char path[256];
	int disk, fd;
	struct kd_sink *s = scratch_sink(path, sizeof(path), &disk, &fd);
	static uint8_t buf[MB];
	memset(buf, 0x5a, sizeof(buf));
	for (unsigned i = 0; s && i < 32; i++)
		CHECK_OK(kd_sink_write(s, (uint64_t)i * MB, buf, MB));
	CHECK_U64(resident(fd, 0, 32 * MB), 32 * MB / 4096);
	kd_sink_free(s);
	close(fd);
	unlink(path);
}

/* The flattened sink (a pipe, ssh) ignores kd_sink_streaming: its records go out as they are. */
static void streaming_on_a_pipe_is_harmless(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	struct kd_sink *s = NULL;
	CHECK_OK(kd_sink_flat(p[1], "pipe", &s));
	kd_sink_streaming(s, 0);
	uint8_t page[4096] = { 1 };
	CHECK_OK(kd_sink_write(s, 4096, page, sizeof(page)));
	uint8_t got[4096 + 16];
	ssize_t n = read(p[0], got, sizeof(got));
	CHECK(n > 4096);
	kd_sink_free(s);
	close(p[0]);
	close(p[1]);
}

/* A disk that fails under write-back (EIO) fails the write that waited for it, naming the
 * offset; a file system without sync_file_range (EINVAL) just gets no write-behind. */
static void write_back_errors(void)
{
	static uint8_t buf[MB];
	memset(buf, 0x77, sizeof(buf));
	for (int mode = 0; mode < 2; mode++) {
		char path[256];
		int disk, fd;
		struct kd_sink *s = scratch_sink(path, sizeof(path), &disk, &fd);
		if (!s)
			return;
		kd_sink_streaming(s, 0);
		fail_errno = mode == 0 ? EIO : EINVAL;
		fail_all = mode == 1;
		calls = 0;
		kd_err *e = NULL;
		unsigned i = 0;
		for (; i < 64 && !e; i++)
			e = kd_sink_write(s, (uint64_t)i * MB, buf, MB);
		if (mode == 0) {
			char msg[512] = "";
			if (e)
				kd_err_format(e, msg, sizeof(msg));
			CHECK(e != NULL);
			CHECK(kd_err_errnum(e) == EIO);
			CHECK(strstr(msg, "back to disk at offset 0:") != NULL);
			CHECK_U64(i, 24); /* the first wait: three 8 MiB windows written */
		} else {
			CHECK(e == NULL);
			CHECK_U64(i, 64);
			CHECK_U64(calls, 1); /* refused once, never asked again */
			CHECK_OK(kd_sink_sync(s));
		}
		kd_err_free(e);
		fail_errno = fail_all = 0;
		kd_sink_free(s);
		close(fd);
		unlink(path);
	}
}

TEST_MAIN(T(streamed_tail_goes_to_disk), T(unstreamed_file_stays_cached),
	  T(streaming_on_a_pipe_is_harmless), T(write_back_errors))

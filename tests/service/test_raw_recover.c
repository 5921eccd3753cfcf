/* Raw-target recovery on a "device" that is a regular file holding the collector's flattened
 * stream of a synthetic crash (and, after it, what a device holds past a stream: random bytes
 * or zeros): a whole stream, one cut off, one whose dump the capture left incomplete, none,
 * and a destination that cannot be written. */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dumpfile/sink.h"
#include "service/raw_recover.h"
#include "storage_dump.h"
#include "storage_util.h"
#include "test.h"
#include "vmcore/dump.h"

static char *core;       /* the synthetic vmcore */
static uint8_t *stream;  /* its flattened kdump-compressed dump */
static size_t stream_len;

static int setup(void)
{
	if (stream)
		return 1;
	core = sd_make_core();
	char *p = kd_test_tmpfile("rawstream");
	int fd = open(p, O_WRONLY | O_TRUNC);
	kd_err *e = sd_collect(core, fd, 1);
	close(fd);
	if (e) {
		kd_err_print(stderr, "setup", e);
		kd_err_free(e);
		return 0;
	}
	stream = kd_test_slurp(p, &stream_len);
	unlink(p);
	free(p);
	return stream != NULL;
}

enum tail { TAIL_RANDOM, TAIL_ZERO };

/* A device: bytes, then `extra` bytes of tail. */
static char *make_device(const uint8_t *bytes, size_t len, size_t extra, enum tail t)
{
	char *p = kd_test_tmpfile("rawdev");
	FILE *f = fopen(p, "w");
	fwrite(bytes, 1, len, f);
	uint32_t x = 99;
	for (size_t i = 0; i < extra; i++)
		fputc(t == TAIL_ZERO ? 0 : (int)((x = x * 1103515245u + 12345u) >> 16) & 0xff, f);
	fclose(f);
	return p;
}

static struct kd_svc_config conf(const char *base, enum kd_svc_personality p)
{
	struct kd_svc_config c = { 0 };
	c.personality = p;
	c.path = (char *)base;
	c.dump_dmesg = 1;
	return c;
}

static void test_whole_stream(void)
{
	CHECK(setup());
	char *dev = make_device(stream, stream_len, 1 << 20, TAIL_RANDOM);
	size_t before_len;
	uint8_t *before = kd_test_slurp(dev, &before_len);
	char *base = st_tmpdir("rawok"), dir[4096], p[8192];
	strcat(base, "/crash"); /* made by the recovery */
	struct kd_svc_config c = conf(base, KD_SVC_KDUMP_CONF);
	int found = -1;
	CHECK_OK(kd_raw_recover(&c, dev, &found, dir, sizeof(dir)));
	CHECK(found == 1);
	CHECK(!strncmp(dir, base, strlen(base)) && strstr(dir, "/127.0.0.1-"));
	CHECK(st_exists_in(dir, "vmcore") && !st_exists_in(dir, "vmcore-incomplete"));
	CHECK(st_exists_in(dir, "report.txt") && st_exists_in(dir, "report.json"));

	/* the same file makedumpfile -R makes of the stream */
	char *ref = kd_test_tmpfile("rawref"), *sp = make_device(stream, stream_len, 0, TAIL_ZERO);
	int in = open(sp, O_RDONLY), out = open(ref, O_WRONLY | O_TRUNC);
	CHECK_OK(kd_flat_reassemble(in, sp, out, ref));
	close(in);
	close(out);
	snprintf(p, sizeof(p), "%s/vmcore", dir);
	CHECK(kd_test_same_file(p, ref));
	struct stat st;
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
	struct kd_dump *d = NULL;
	CHECK_OK(kd_dump_open(p, &d));
	CHECK(d && !kd_dump_incomplete(d));
	if (d)
		kd_dump_close(d);
	size_t n;
	snprintf(p, sizeof(p), "%s/vmcore-dmesg.txt", dir);
	char *log = (char *)kd_test_slurp(p, &n);
	if (log)
		log[n] = '\0';
	CHECK_STR(log, sd_log);
	free(log);

	/* block 0 cleared, nothing else on the device touched */
	size_t after_len;
	uint8_t *after = kd_test_slurp(dev, &after_len), zero[4096] = { 0 };
	CHECK(after && after_len == before_len && !memcmp(after, zero, 4096) &&
	      !memcmp(after + 4096, before + 4096, before_len - 4096));
	free(after);

	/* recovered once only */
	CHECK_OK(kd_raw_recover(&c, dev, &found, dir, sizeof(dir)));
	CHECK(found == 0);
	CHECK_STR(dir, "");
	CHECK_U64(st_count_entries(base), 1);
	free(before);
	unlink(ref);
	unlink(sp);
	unlink(dev);
	free(ref);
	free(sp);
	free(dev);
	base[strlen(base) - 6] = '\0';
	st_rmrf(base);
	free(base);
}

static void test_kdump_tools_names(void)
{
	CHECK(setup());
	char *dev = make_device(stream, stream_len, 4096, TAIL_ZERO);
	char *base = st_tmpdir("rawkt"), dir[4096], name[64];
	struct kd_svc_config c = conf(base, KD_SVC_KDUMP_TOOLS);
	/* KDUMP_NUM_DUMPS=1: the recovered dump replaces the older one */
	c.num_dumps = 1;
	CHECK(st_put(base, "202001010000/dump.202001010000", "old") == 0);
	int found;
	CHECK_OK(kd_raw_recover(&c, dev, &found, dir, sizeof(dir)));
	CHECK(found == 1);
	CHECK(!st_exists_in(base, "202001010000"));
	const char *stamp = strrchr(dir, '/') + 1;
	CHECK(strlen(stamp) == 12);
	snprintf(name, sizeof(name), "dump.%.12s", stamp);
	CHECK(st_exists_in(dir, name));
	snprintf(name, sizeof(name), "dmesg.%.12s", stamp);
	CHECK(st_exists_in(dir, name));
	unlink(dev);
	free(dev);
	st_rmrf(base);
	free(base);
}

/* A device with no stream (zeros, a file system, too small): nothing is done, nothing made. */
static void test_no_stream(void)
{
	CHECK(setup());
	char *base = st_tmpdir("rawnone"), dir[4096] = "x", sub[4200];
	snprintf(sub, sizeof(sub), "%s/crash", base);
	struct kd_svc_config c = conf(sub, KD_SVC_KDUMP_CONF);
	static const uint8_t none[1] = { 0 };
	int found = -1;
	char *dev = make_device(none, 0, 1 << 16, TAIL_ZERO);
	CHECK_OK(kd_raw_recover(&c, dev, &found, dir, sizeof(dir)));
	CHECK(found == 0);
	CHECK_STR(dir, "");
	CHECK(!st_exists(sub));
	unlink(dev);
	free(dev);
	/* "makedumpfile" but not its header */
	dev = make_device((const uint8_t *)"makedumpfile", 12, 8192, TAIL_ZERO);
	CHECK_OK(kd_raw_recover(&c, dev, &found, NULL, 0));
	CHECK(found == 0);
	unlink(dev);
	free(dev);
	dev = make_device(stream, 100, 0, TAIL_ZERO); /* smaller than a block */
	CHECK_OK(kd_raw_recover(&c, dev, &found, NULL, 0));
	CHECK(found == 0);
	unlink(dev);
	free(dev);
	CHECK_ERR_HAS(kd_raw_recover(&c, "/nonexistent/kd-raw", &found, NULL, 0),
		      "/nonexistent/kd-raw");
	CHECK(!st_exists(sub));
	st_rmrf(base);
	free(base);
}

/* Cut off part way (the capture kernel died, the device filled up): what is there is saved as
 * vmcore-incomplete, the device keeps its stream (marked as recovered so that the next start
 * does not copy it again), and the error says so and how to clear it. */
static void cut_off(enum tail t)
{
	CHECK(setup());
	size_t cut = stream_len * 6 / 10;
	char *dev = make_device(stream, cut, 3 << 20, t);
	size_t before_len;
	uint8_t *before = kd_test_slurp(dev, &before_len);
	char *base = st_tmpdir("rawcut"), dir[4096];
	struct kd_svc_config c = conf(base, KD_SVC_KDUMP_CONF);
	int found;
	kd_err *e = kd_raw_recover(&c, dev, &found, dir, sizeof(dir));
	char msg[2048] = "";
	if (e)
		kd_err_format(e, msg, sizeof(msg));
	kd_err_free(e);
	CHECK(e != NULL);
	CHECK(strstr(msg, dev) && strstr(msg, "cut off") && strstr(msg, "no record at offset 0x"));
	CHECK(strstr(msg, "vmcore-incomplete") && strstr(msg, "kept as it is"));
	CHECK(found == 1);
	CHECK(st_exists_in(dir, "vmcore-incomplete") && !st_exists_in(dir, "vmcore"));
	char p[8192];
	snprintf(p, sizeof(p), "%s/vmcore-incomplete", dir);
	struct stat st;
	CHECK(stat(p, &st) == 0 && st.st_size > 0);
	struct kd_dump *d = NULL;
	if (!kd_err_ignore(kd_dump_open(p, &d))) {
		CHECK(kd_dump_incomplete(d)); /* the header the capture wrote first says so */
		kd_dump_close(d);
	}

	/* the device: the same bytes but for the mark in the header's unused part */
	size_t after_len;
	uint8_t *after = kd_test_slurp(dev, &after_len);
	CHECK(after && after_len == before_len && !memcmp(after, before, 1024) &&
	      !memcmp(after + 4096, before + 4096, before_len - 4096));
	CHECK(after && strstr((char *)after + 1024, dir) != NULL);
	free(after);

	/* not again */
	char dir2[4096];
	CHECK_OK(kd_raw_recover(&c, dev, &found, dir2, sizeof(dir2)));
	CHECK(found == 0);
	CHECK_U64(st_count_entries(base), 1);
	free(before);
	unlink(dev);
	free(dev);
	st_rmrf(base);
	free(base);
}

static void test_cut_off_random_tail(void)
{
	cut_off(TAIL_RANDOM);
}

static void test_cut_off_zero_tail(void)
{
	cut_off(TAIL_ZERO);
}

/* The stream as written when the capture failed after its last page but before it rewrote the
 * header "complete": the same records without the last one for offset 0. */
static uint8_t *without_final_header(size_t *len)
{
	uint8_t *out = malloc(stream_len);
	memcpy(out, stream, 4096);
	size_t pos = 4096, o = 4096, last0 = 0;
	while (pos + 16 <= stream_len) {
		uint64_t h[2];
		memcpy(h, stream + pos, 16);
		int64_t off = (int64_t)be64toh(h[0]), size = (int64_t)be64toh(h[1]);
		if (off == -1)
			break;
		if (off == 0)
			last0 = pos;
		pos += 16 + (size_t)size;
	}
	for (pos = 4096; pos + 16 <= stream_len;) {
		uint64_t h[2];
		memcpy(h, stream + pos, 16);
		int64_t off = (int64_t)be64toh(h[0]), size = (int64_t)be64toh(h[1]);
		size_t rl = off == -1 ? 16 : 16 + (size_t)size;
		if (pos != last0) {
			memcpy(out + o, stream + pos, rl);
			o += rl;
		}
		if (off == -1)
			break;
		pos += rl;
	}
	*len = o;
	return out;
}

static void test_capture_left_it_incomplete(void)
{
	CHECK(setup());
	size_t len;
	uint8_t *s = without_final_header(&len);
	CHECK(len < stream_len);
	char *dev = make_device(s, len, 8192, TAIL_RANDOM);
	char *base = st_tmpdir("rawinc"), dir[4096];
	struct kd_svc_config c = conf(base, KD_SVC_KDUMP_CONF);
	int found;
	CHECK_ERR_HAS(kd_raw_recover(&c, dev, &found, dir, sizeof(dir)),
		      "did not finish writing it");
	CHECK(found == 1);
	CHECK(st_exists_in(dir, "vmcore-incomplete") && !st_exists_in(dir, "vmcore"));
	/* the whole stream was copied: the device is cleared */
	size_t n;
	uint8_t *after = kd_test_slurp(dev, &n), zero[4096] = { 0 };
	CHECK(after && !memcmp(after, zero, 4096));
	free(after);
	free(s);
	unlink(dev);
	free(dev);
	st_rmrf(base);
	free(base);
}

/* The destination cannot be written: the device is untouched, nothing is left behind. */
static void test_destination_fails(void)
{
	CHECK(setup());
	char *dev = make_device(stream, stream_len, 4096, TAIL_ZERO);
	size_t before_len;
	uint8_t *before = kd_test_slurp(dev, &before_len);
	char *base = st_tmpdir("rawdst"), sub[4200], dir[4096];
	CHECK(st_put(base, "file", "x") == 0);
	snprintf(sub, sizeof(sub), "%s/file/crash", base);
	struct kd_svc_config c = conf(sub, KD_SVC_KDUMP_CONF);
	int found;
	CHECK_ERR_HAS(kd_raw_recover(&c, dev, &found, dir, sizeof(dir)), "left as it is");
	size_t after_len;
	uint8_t *after = kd_test_slurp(dev, &after_len);
	CHECK(after && after_len == before_len && !memcmp(after, before, before_len));
	free(after);
	free(before);
	unlink(dev);
	free(dev);
	st_rmrf(base);
	free(base);
}

static void cleanup(void)
{
	if (core)
		unlink(core);
	free(core);
	free(stream);
	CHECK(1);
}

TEST_MAIN(T(test_whole_stream), T(test_kdump_tools_names), T(test_no_stream),
	  T(test_cut_off_random_tail), T(test_cut_off_zero_tail),
	  T(test_capture_left_it_incomplete), T(test_destination_fails), T(cleanup))

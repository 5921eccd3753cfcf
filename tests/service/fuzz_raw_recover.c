/* libFuzzer: raw-target recovery of whatever a device holds. The input is the device (behind a
 * valid flattened header when its first byte is odd, so the record framing is what gets
 * fuzzed). Properties: no crash, no leak; nothing is made under the dump path unless a stream
 * was found; a device without a stream is left byte for byte as it was. */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "service/raw_recover.h"

static char root[64], dev[128], base[128];

/* rm -rf of what one run made: base/<dump dir>/<files> */
static int clear_base(void)
{
	int n = 0;
	DIR *d = opendir(base);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		char sub[512];
		snprintf(sub, sizeof(sub), "%s/%s", base, de->d_name);
		DIR *s = opendir(sub);
		struct dirent *fe;
		while (s && (fe = readdir(s))) {
			char f[1024];
			snprintf(f, sizeof(f), "%s/%s", sub, fe->d_name);
			unlink(f);
		}
		if (s)
			closedir(s);
		rmdir(sub);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0]) {
		/* tmpfs when there is one: fsync is free there */
		snprintf(root, sizeof(root), "%s/kd-fuzz-raw-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(root))
			abort();
		snprintf(dev, sizeof(dev), "%s/dev", root);
		snprintf(base, sizeof(base), "%s/crash", root);
		kd_log_set_level(KD_LOG_ERROR);
		kd_log_set_stream(fopen("/dev/null", "w"));
	}
	size_t hdr = size && (data[0] & 1) ? 4096 : 0;
	uint8_t *img = calloc(1, hdr + size + 1);
	if (hdr) {
		memcpy(img, "makedumpfile", 12);
		uint64_t tv[2] = { htobe64(1), htobe64(1) };
		memcpy(img + 16, tv, sizeof(tv));
	}
	if (size)
		memcpy(img + hdr, data + 1, size - 1);
	size_t len = hdr + (size ? size - 1 : 0);
	FILE *f = fopen(dev, "w");
	if (!f || fwrite(img, 1, len, f) != len || fclose(f))
		abort();

	struct kd_svc_config c = { 0 };
	c.path = base;
	c.dump_dmesg = 1;
	c.personality = size > 1 && (data[1] & 1) ? KD_SVC_KDUMP_TOOLS : KD_SVC_KDUMP_CONF;
	int found = -1;
	char dir[4096];
	kd_err *e = kd_raw_recover(&c, dev, &found, dir, sizeof(dir));
	kd_err_free(e);
	int made = clear_base();
	if (found != 0 && found != 1)
		abort();
	if (!found) {
		if (made)
			abort();
		/* untouched */
		FILE *g = fopen(dev, "r");
		uint8_t *back = malloc(len + 1);
		size_t got = g ? fread(back, 1, len + 1, g) : 0;
		if (g)
			fclose(g);
		if (got != len || memcmp(back, img, len))
			abort();
		free(back);
	}
	free(img);
	return 0;
}

/* libFuzzer: the mountinfo parser. Properties: a line that parses has absolute root and mount
 * point and NUL-free fields that fit; a found mount holds the path it was asked for. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/mountinfo.h"

static int holds(const char *mp, const char *path)
{
	size_t n = strlen(mp);
	if (!strcmp(mp, "/"))
		return 1;
	while (n > 1 && mp[n - 1] == '/')
		n--;
	return !strncmp(mp, path, n) && (path[n] == '\0' || path[n] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *paths[] = { "/", "/var/crash", "/var/crash/127.0.0.1-x", "/srv/a b",
				       "/mnt/x/y/z" };
	struct kd_mount *m = malloc(sizeof(*m));
	const char *text = (const char *)data;
	const char *p = text, *end = text + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (!kd_mountinfo_parse_line(p, (size_t)(le - p), m)) {
			if (m->root[0] != '/' || m->mountpoint[0] != '/' ||
			    strlen(m->source) >= sizeof(m->source))
				abort();
		}
		p = le + 1;
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		kd_err *e = kd_mountinfo_find(text, size, paths[i], m);
		if (!e && !holds(m->mountpoint, paths[i]))
			abort();
		kd_err_free(e);
	}
	free(m);
	return 0;
}

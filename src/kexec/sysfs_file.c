#include "kexec/sysfs_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kd_err *kd_sysfs_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return kd_err_errno("opening %s", path);
	char *ok = fgets(buf, (int)n, f);
	int err = ferror(f);
	fclose(f);
	if (!ok)
		return err ? kd_err_errno("reading %s", path) : kd_err_new(EINVAL, "%s is empty", path);
	buf[strcspn(buf, "\n")] = 0;
	return NULL;
}

kd_err *kd_sysfs_hex(const char *path, uint64_t *v)
{
	char buf[64], *end;
	kd_err *e = kd_sysfs_line(path, buf, sizeof(buf));
	if (e)
		return e;
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 16);
	if (errno || end == buf || *end || buf[0] == '-')
		return kd_err_new(EINVAL, "%s: \"%s\" is not a hexadecimal number", path, buf);
	*v = x;
	return NULL;
}

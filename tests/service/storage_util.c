#include <dirent.h>
#include "storage_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *st_tmpdir(const char *tag)
{
	char *p = malloc(strlen(tag) + 32);
	if (!p)
		abort();
	sprintf(p, "/tmp/kd-test-%s-XXXXXX", tag);
	if (!mkdtemp(p))
		abort();
	return p;
}

static void mkdirs(char *p)
{
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
}

int st_put(const char *dir, const char *rel, const char *content)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	mkdirs(path);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(content, f);
	return fclose(f) ? -1 : 0;
}

void st_rmrf(const char *dir)
{
	if (strncmp(dir, "/tmp/kd-test-", 13) || strchr(dir, '\''))
		return;
	st_sh("rm -rf '%s'", dir);
}

int st_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int st_exists_in(const char *dir, const char *name)
{
	char p[8192];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return st_exists(p);
}

unsigned st_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	unsigned n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int st_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char full[8300];
	snprintf(full, sizeof(full), "(%s) >/dev/null 2>&1", cmd);
	int rc = system(full);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* /proc/self/mountinfo: the mount that holds a path. */
#include "service/mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A mountinfo of this size is not a machine's (tens of thousands of mounts are ~10 MiB). */
#define MOUNTINFO_MAX (64u << 20)

struct cursor {
	const char *p, *end;
};

/* The next space-separated field: [*s, *s + *n). 0 when the line has no more fields. */
static int field(struct cursor *c, const char **s, size_t *n)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
	if (c->p >= c->end)
		return 0;
	*s = c->p;
	while (c->p < c->end && *c->p != ' ')
		c->p++;
	*n = (size_t)(c->p - *s);
	return 1;
}

static int is_odigit(char ch)
{
	return ch >= '0' && ch <= '7';
}

/* Copy a field, turning \ooo back into its byte; -1 when it does not fit (or holds a NUL). */
static int unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\\' && i + 3 < n && is_odigit(s[i + 1]) &&
		    is_odigit(s[i + 2]) && is_odigit(s[i + 3])) {
			unsigned v = (unsigned)(s[i + 1] - '0') * 64 + (unsigned)(s[i + 2] - '0') * 8 +
				     (unsigned)(s[i + 3] - '0');
			if (v == 0 || v > 255)
				return -1;
			ch = (char)v;
			i += 3;
		}
		if (ch == '\0' || o + 1 >= cap)
			return -1;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

static int parse_uint(const char *s, size_t n, unsigned *v)
{
	unsigned long long x = 0;
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
		if (x > 0xffffffffu)
			return -1;
	}
	*v = (unsigned)x;
	return 0;
}

int kd_mountinfo_parse_line(const char *line, size_t len, struct kd_mount *m)
{
	struct cursor c = { line, line + len };
	const char *s;
	size_t n;
	unsigned id;
	/* ID, PARENT */
	for (int i = 0; i < 2; i++)
		if (!field(&c, &s, &n) || parse_uint(s, n, &id))
			return -1;
	/* MAJ:MIN */
	if (!field(&c, &s, &n))
		return -1;
	const char *colon = memchr(s, ':', n);
	if (!colon || parse_uint(s, (size_t)(colon - s), &m->major) ||
	    parse_uint(colon + 1, n - (size_t)(colon - s) - 1, &m->minor))
		return -1;
	if (!field(&c, &s, &n) || s[0] != '/' || unescape(s, n, m->root, sizeof(m->root)))
		return -1;
	if (!field(&c, &s, &n) || s[0] != '/' ||
	    unescape(s, n, m->mountpoint, sizeof(m->mountpoint)))
		return -1;
	/* OPTIONS, then optional fields up to the lone "-" */
	if (!field(&c, &s, &n))
		return -1;
	for (;;) {
		if (!field(&c, &s, &n))
			return -1;
		if (n == 1 && s[0] == '-')
			break;
	}
	if (!field(&c, &s, &n) || unescape(s, n, m->fstype, sizeof(m->fstype)))
		return -1;
	if (!field(&c, &s, &n) || unescape(s, n, m->source, sizeof(m->source)))
		return -1;
	return 0;
}

/* Whether mount point mp is path or one of its parents. */
static int holds(const char *mp, const char *path)
{
	size_t n = strlen(mp);
	if (n == 1 && mp[0] == '/')
		return 1;
	while (n > 1 && mp[n - 1] == '/')
		n--;
	return !strncmp(mp, path, n) && (path[n] == '\0' || path[n] == '/');
}

kd_err *kd_mountinfo_find(const char *text, size_t len, const char *path, struct kd_mount *m)
{
	if (!path || path[0] != '/')
		return kd_err_new(EINVAL, "finding the mount of \"%s\": not an absolute path",
				  path ? path : "(null)");
	struct kd_mount *cur = malloc(sizeof(*cur));
	if (!cur)
		return kd_err_new(ENOMEM, "finding the mount of %s", path);
	size_t best = 0;
	int found = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (!kd_mountinfo_parse_line(p, (size_t)(le - p), cur) &&
		    holds(cur->mountpoint, path)) {
			size_t l = strlen(cur->mountpoint);
			/* ">=": the same mount point mounted again covers the earlier one */
			if (!found || l >= best) {
				*m = *cur;
				best = l;
				found = 1;
			}
		}
		p = le + 1;
	}
	free(cur);
	if (!found)
		return kd_err_new(ENOENT, "no mount in mountinfo holds %s", path);
	return NULL;
}

kd_err *kd_mountinfo_find_file(const char *file, const char *path, struct kd_mount *m)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening %s", file);
	size_t cap = 1u << 16, len = 0;
	char *buf = malloc(cap);
	kd_err *e = NULL;
	while (buf) {
		if (len == cap) {
			char *nb = cap >= MOUNTINFO_MAX ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				e = cap >= MOUNTINFO_MAX ?
				    kd_err_new(EFBIG, "reading %s: more than %u MiB", file,
					       MOUNTINFO_MAX >> 20) :
				    kd_err_new(ENOMEM, "reading %s", file);
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = kd_err_errno("reading %s", file);
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return kd_err_new(ENOMEM, "reading %s", file);
	if (!e)
		e = kd_mountinfo_find(buf, len, path, m);
	free(buf);
	return e ? kd_err_wrap(e, "%s", file) : NULL;
}

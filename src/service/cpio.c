#define _GNU_SOURCE
#include "service/cpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PATH_MAX_CPIO 4096

struct entry {
	char *path;          /* without the leading '/' */
	unsigned mode;       /* type and permission bits */
	const void *data;    /* file contents or symlink target */
	size_t len;
	void *owned;         /* freed with the archive */
	unsigned rmajor, rminor;
	int implicit;        /* a parent directory nobody added */
};

struct kd_cpio {
	uint32_t mtime;
	struct entry *e;
	size_t n, cap;
	size_t added;
};

kd_err *kd_cpio_new(uint32_t mtime, struct kd_cpio **out)
{
	struct kd_cpio *c = calloc(1, sizeof(*c));
	if (!c)
		return kd_err_new(ENOMEM, "cpio archive");
	c->mtime = mtime;
	*out = c;
	return NULL;
}

void kd_cpio_free(struct kd_cpio *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].path);
		free(c->e[i].owned);
	}
	free(c->e);
	free(c);
}

size_t kd_cpio_count(const struct kd_cpio *c)
{
	return c->added;
}

/* "/a//b/" -> "a/b"; NULL for an empty path, "." or ".." components, or too long a path. */
static kd_err *normalize(const char *path, char **out)
{
	size_t len = strlen(path);
	if (len >= PATH_MAX_CPIO)
		return kd_err_new(ENAMETOOLONG, "cpio path \"%.64s...\": longer than %d bytes",
				  path, PATH_MAX_CPIO - 1);
	char *p = malloc(len + 1), *w = p;
	if (!p)
		return kd_err_new(ENOMEM, "cpio path %s", path);
	const char *s = path;
	while (*s) {
		while (*s == '/')
			s++;
		const char *end = strchrnul(s, '/');
		size_t n = (size_t)(end - s);
		if (!n)
			break;
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
			free(p);
			return kd_err_new(EINVAL, "cpio path \"%s\": \".\" and \"..\" are not allowed",
					  path);
		}
		if (w != p)
			*w++ = '/';
		memcpy(w, s, n);
		w += n;
		s = end;
	}
	*w = 0;
	if (w == p) {
		free(p);
		return kd_err_new(EINVAL, "cpio path \"%s\": names no file", path);
	}
	*out = p;
	return NULL;
}

static struct entry *find(struct kd_cpio *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].path, path))
			return &c->e[i];
	return NULL;
}

/* Takes ownership of `path` and `owned` whatever happens. */
static kd_err *push(struct kd_cpio *c, char *path, struct entry tmpl)
{
	struct entry *old = find(c, path);
	if (old) {
		int both_dirs = S_ISDIR(old->mode) && S_ISDIR(tmpl.mode);
		free(path);
		free(tmpl.owned);
		if (both_dirs) {
			if (!tmpl.implicit && old->implicit) {
				old->mode = tmpl.mode;
				old->implicit = 0;
				c->added++;
			}
			return NULL;
		}
		return kd_err_new(EEXIST, "cpio: /%s added twice", old->path);
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct entry *e = realloc(c->e, cap * sizeof(*e));
		if (!e) {
			free(path);
			free(tmpl.owned);
			return kd_err_new(ENOMEM, "cpio: %zu entries", cap);
		}
		c->e = e;
		c->cap = cap;
	}
	tmpl.path = path;
	c->e[c->n++] = tmpl;
	if (!tmpl.implicit)
		c->added++;
	return NULL;
}

static kd_err *add(struct kd_cpio *c, const char *path, struct entry tmpl)
{
	char *p;
	kd_err *e = normalize(path, &p);
	if (e) {
		free(tmpl.owned);
		return e;
	}
	return push(c, p, tmpl);
}

kd_err *kd_cpio_add_dir(struct kd_cpio *c, const char *path, unsigned mode)
{
	return add(c, path, (struct entry){ .mode = S_IFDIR | (mode & 07777) });
}

kd_err *kd_cpio_add_file(struct kd_cpio *c, const char *path, unsigned mode,
			 const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return kd_err_new(EFBIG, "cpio: /%s is %zu bytes, newc holds at most 4 GiB - 1",
				  path, len);
	return add(c, path, (struct entry){ .mode = S_IFREG | (mode & 07777), .data = data,
					    .len = len });
}

kd_err *kd_cpio_add_file_owned(struct kd_cpio *c, const char *path, unsigned mode,
			       void *data, size_t len)
{
	if (len > UINT32_MAX) {
		free(data);
		return kd_err_new(EFBIG, "cpio: /%s is %zu bytes, newc holds at most 4 GiB - 1",
				  path, len);
	}
	return add(c, path, (struct entry){ .mode = S_IFREG | (mode & 07777), .data = data,
					    .len = len, .owned = data });
}

kd_err *kd_cpio_add_symlink(struct kd_cpio *c, const char *path, const char *target)
{
	size_t len = strlen(target);
	if (!len || len >= PATH_MAX_CPIO)
		return kd_err_new(EINVAL, "cpio: symlink /%s: target of %zu bytes", path, len);
	char *t = strdup(target);
	if (!t)
		return kd_err_new(ENOMEM, "cpio: symlink %s", path);
	return add(c, path, (struct entry){ .mode = S_IFLNK | 0777, .data = t, .len = len,
					    .owned = t });
}

kd_err *kd_cpio_add_chardev(struct kd_cpio *c, const char *path, unsigned mode,
			    unsigned major, unsigned minor)
{
	return add(c, path, (struct entry){ .mode = S_IFCHR | (mode & 07777), .rmajor = major,
					    .rminor = minor });
}

/* Every parent of every entry, as an implicit 0755 directory where none was added. */
static kd_err *add_parents(struct kd_cpio *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const char *path = c->e[i].path;
		for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
			char *parent = strndup(path, (size_t)(s - path));
			if (!parent)
				return kd_err_new(ENOMEM, "cpio: parents of /%s", path);
			struct entry *p = find(c, parent);
			if (p) {
				free(parent);
				if (!S_ISDIR(p->mode))
					return kd_err_new(ENOTDIR, "cpio: /%s is inside /%s, which "
							  "is not a directory", path, p->path);
				continue;
			}
			kd_err *e = push(c, parent, (struct entry){ .mode = S_IFDIR | 0755,
								    .implicit = 1 });
			if (e)
				return e;
			path = c->e[i].path; /* push may have moved the array */
		}
	}
	return NULL;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static const uint8_t zeros[4];

static kd_err *header(kd_cpio_write_fn fn, void *ctx, uint32_t ino, uint32_t mode,
		      uint32_t nlink, uint32_t mtime, uint32_t size, uint32_t rmaj, uint32_t rmin,
		      const char *name)
{
	char h[111];
	size_t namesize = strlen(name) + 1;
	/* magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
	 * rdevminor, namesize, check */
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino, mode, 0u, 0u, nlink, mtime, size, 0u, 0u, rmaj, rmin, (uint32_t)namesize, 0u);
	kd_err *e = fn(ctx, h, 110);
	if (!e)
		e = fn(ctx, name, namesize);
	size_t pad = (4 - (110 + namesize) % 4) % 4;
	if (!e && pad)
		e = fn(ctx, zeros, pad);
	return e;
}

kd_err *kd_cpio_write(struct kd_cpio *c, kd_cpio_write_fn fn, void *ctx)
{
	kd_err *e = add_parents(c);
	if (e)
		return e;
	qsort(c->e, c->n, sizeof(*c->e), by_path);
	for (size_t i = 0; i < c->n && !e; i++) {
		const struct entry *en = &c->e[i];
		uint32_t size = (S_ISREG(en->mode) || S_ISLNK(en->mode)) ? (uint32_t)en->len : 0;
		e = header(fn, ctx, (uint32_t)i + 1, en->mode, S_ISDIR(en->mode) ? 2 : 1, c->mtime,
			   size, en->rmajor, en->rminor, en->path);
		if (!e && size)
			e = fn(ctx, en->data, size);
		if (!e && size % 4)
			e = fn(ctx, zeros, 4 - size % 4);
		if (e)
			e = kd_err_wrap(e, "writing /%s into the cpio archive", en->path);
	}
	if (!e)
		e = header(fn, ctx, 0, 0, 1, 0, 0, 0, 0, "TRAILER!!!");
	return e;
}

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static kd_err *mem_write(void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		while (cap < m->len + len)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p)
			return kd_err_new(ENOMEM, "cpio archive of %zu bytes", cap);
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return NULL;
}

kd_err *kd_cpio_write_mem(struct kd_cpio *c, uint8_t **buf, size_t *len)
{
	struct membuf m = { 0 };
	kd_err *e = kd_cpio_write(c, mem_write, &m);
	if (e) {
		free(m.p);
		return e;
	}
	*buf = m.p;
	*len = m.len;
	return NULL;
}

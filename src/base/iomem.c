#include "base/iomem.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 64

static kd_err *parse_hex(const char **cur, uint64_t *out)
{
	const char *p = *cur;
	uint64_t v = 0;
	if (!isxdigit((unsigned char)*p))
		return kd_err_new(EINVAL, "hex address expected");
	while (isxdigit((unsigned char)*p)) {
		if (v >> 60)
			return kd_err_new(ERANGE, "address too large");
		int c = tolower((unsigned char)*p);
		v = v * 16 + (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
		p++;
	}
	*cur = p;
	*out = v;
	return NULL;
}

static kd_err *parse_line(const char *line, size_t len, struct kd_iomem_res *r)
{
	size_t sp = 0;
	while (sp < len && line[sp] == ' ')
		sp++;
	if (sp % 2)
		return kd_err_new(EINVAL, "odd indentation");
	r->depth = (unsigned)(sp / 2);
	const char *p = line + sp;
	kd_err *e = parse_hex(&p, &r->start);
	if (e)
		return e;
	if (*p != '-')
		return kd_err_new(EINVAL, "'-' expected after start address");
	p++;
	if ((e = parse_hex(&p, &r->end)))
		return e;
	if (strncmp(p, " : ", 3))
		return kd_err_new(EINVAL, "\" : \" expected after end address");
	p += 3;
	if (r->end < r->start)
		return kd_err_new(EINVAL, "end before start");
	size_t nl = len - (size_t)(p - line);
	r->name = malloc(nl + 1);
	if (!r->name)
		return kd_err_new(ENOMEM, "copying name");
	memcpy(r->name, p, nl);
	r->name[nl] = '\0';
	return NULL;
}

kd_err *kd_iomem_parse(const char *text, struct kd_iomem *io)
{
	memset(io, 0, sizeof(*io));
	size_t cap = 0, lineno = 0;
	size_t stack[MAX_DEPTH];
	int any_nonzero = 0;
	const char *s = text;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		lineno++;
		if (len == 0) {
			s += nl ? 1 : 0;
			continue;
		}
		if (io->count == cap) {
			cap = cap ? cap * 2 : 64;
			void *n = realloc(io->res, cap * sizeof(*io->res));
			if (!n) {
				kd_iomem_free(io);
				return kd_err_new(ENOMEM, "growing iomem table");
			}
			io->res = n;
		}
		struct kd_iomem_res *r = &io->res[io->count];
		memset(r, 0, sizeof(*r));
		kd_err *e = parse_line(s, len, r);
		if (!e && r->depth >= MAX_DEPTH)
			e = kd_err_new(EINVAL, "nested deeper than %d levels", MAX_DEPTH);
		if (!e && r->depth > 0) {
			/* a child needs a parent one level up, and must lie inside it */
			size_t prev_depth = io->count ? io->res[io->count - 1].depth : 0;
			if (!io->count || r->depth > prev_depth + 1)
				e = kd_err_new(EINVAL, "indented without a parent");
			else {
				const struct kd_iomem_res *par = &io->res[stack[r->depth - 1]];
				if (r->start < par->start || r->end > par->end)
					e = kd_err_new(EINVAL, "child %llx-%llx outside its parent %llx-%llx",
						       (unsigned long long)r->start,
						       (unsigned long long)r->end,
						       (unsigned long long)par->start,
						       (unsigned long long)par->end);
			}
		}
		if (e) {
			free(r->name);
			kd_iomem_free(io);
			return kd_err_wrap(e, "iomem line %zu \"%.*s\"", lineno, (int)(len > 60 ? 60 : len), s);
		}
		r->parent = r->depth ? stack[r->depth - 1] : KD_IOMEM_NONE;
		stack[r->depth] = io->count;
		if (r->start || r->end)
			any_nonzero = 1;
		io->count++;
		s += len + (nl ? 1 : 0);
	}
	if (io->count && !any_nonzero) {
		kd_iomem_free(io);
		return kd_err_new(EPERM, "all addresses are 0: the kernel hides them from readers "
				  "without CAP_SYS_ADMIN");
	}
	return NULL;
}

kd_err *kd_iomem_read(const char *path, struct kd_iomem *io)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_errno("opening %s", path);
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	kd_err *e = NULL;
	for (;;) {
		if (!buf) {
			e = kd_err_new(ENOMEM, "reading %s", path);
			break;
		}
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				continue;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = kd_err_errno("reading %s", path);
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!e) {
		buf[len] = '\0';
		e = kd_err_wrap(kd_iomem_parse(buf, io), "parsing %s", path);
	}
	free(buf);
	return e;
}

void kd_iomem_free(struct kd_iomem *io)
{
	for (size_t i = 0; i < io->count; i++)
		free(io->res[i].name);
	free(io->res);
	memset(io, 0, sizeof(*io));
}

size_t kd_iomem_find(const struct kd_iomem *io, const char *name, size_t from)
{
	for (size_t i = from == KD_IOMEM_NONE ? 0 : from + 1; i < io->count; i++)
		if (!strcmp(io->res[i].name, name))
			return i;
	return KD_IOMEM_NONE;
}

int kd_iomem_within(const struct kd_iomem *io, size_t i, const char *name)
{
	for (size_t p = io->res[i].parent; p != KD_IOMEM_NONE; p = io->res[p].parent)
		if (!strcmp(io->res[p].name, name))
			return 1;
	return 0;
}

uint64_t kd_iomem_total(const struct kd_iomem *io, const char *name)
{
	uint64_t t = 0;
	for (size_t i = 0; i < io->count; i++)
		if (io->res[i].depth == 0 && !strcmp(io->res[i].name, name))
			t += io->res[i].end - io->res[i].start + 1;
	return t;
}

#include "kexec/mem_range.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static kd_err *reserve(struct kd_mem_ranges *m, size_t extra)
{
	if (m->n + extra <= m->cap)
		return NULL;
	size_t cap = m->cap ? m->cap * 2 : 16;
	while (cap < m->n + extra)
		cap *= 2;
	struct kd_mem_range *r = realloc(m->r, cap * sizeof(*r));
	if (!r)
		return kd_err_new(ENOMEM, "allocating %zu memory ranges", cap);
	m->r = r;
	m->cap = cap;
	return NULL;
}

kd_err *kd_mem_ranges_add(struct kd_mem_ranges *m, uint64_t start, uint64_t end)
{
	kd_err *e = reserve(m, 1);
	if (e)
		return e;
	m->r[m->n++] = (struct kd_mem_range){ start, end };
	return NULL;
}

kd_err *kd_mem_ranges_exclude(struct kd_mem_ranges *m, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < m->n; i++) {
		struct kd_mem_range *r = &m->r[i];
		if (start > r->end || end < r->start)
			continue;
		if (start <= r->start && end >= r->end) { /* all of it */
			memmove(r, r + 1, (m->n - i - 1) * sizeof(*r));
			m->n--;
			i--;
		} else if (start > r->start && end < r->end) { /* the middle: split */
			kd_err *e = reserve(m, 1);
			if (e)
				return e;
			r = &m->r[i];
			memmove(r + 2, r + 1, (m->n - i - 1) * sizeof(*r));
			m->n++;
			r[1] = (struct kd_mem_range){ end + 1, r->end };
			r->end = start - 1;
			i++;
		} else if (start > r->start) { /* the tail */
			r->end = start - 1;
		} else { /* the head */
			r->start = end + 1;
		}
	}
	return NULL;
}

void kd_mem_ranges_free(struct kd_mem_ranges *m)
{
	free(m->r);
	memset(m, 0, sizeof(*m));
}

kd_err *kd_mem_ranges_from_iomem(struct kd_mem_ranges *m, const struct kd_iomem *io,
				 const char *name, uint64_t lo, uint64_t hi)
{
	uint64_t from = lo;
	for (size_t i = 0; i < io->count && from <= hi; i++) {
		const struct kd_iomem_res *p = &io->res[i];
		if (p->start > hi)
			break;
		if (p->end < from || strcmp(p->name, name))
			continue;
		uint64_t s = p->start > from ? p->start : from, e = p->end < hi ? p->end : hi;
		kd_err *err = kd_mem_ranges_add(m, s, e);
		if (err)
			return err;
		if (e == UINT64_MAX)
			break;
		from = e + 1;
	}
	return NULL;
}

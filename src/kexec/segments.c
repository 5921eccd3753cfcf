#include "kexec/segments.h"

#include <errno.h>
#include <string.h>

#include "base/size.h"

static uint64_t page_up(uint64_t v)
{
	return (v + KD_PAGE_SIZE - 1) & ~(KD_PAGE_SIZE - 1);
}

kd_err *kd_segments_init(struct kd_segments *s, const struct kd_mem_range *avail, size_t n,
			 uint64_t min, uint64_t max, const char *where)
{
	memset(s, 0, sizeof(*s));
	s->min = min;
	s->max = max;
	s->where = where;
	for (size_t i = 0; i < n; i++) {
		kd_err *e = kd_mem_ranges_add(&s->avail, avail[i].start, avail[i].end);
		if (e) {
			kd_segments_free(s);
			return e;
		}
	}
	return NULL;
}

void kd_segments_free(struct kd_segments *s)
{
	kd_mem_ranges_free(&s->avail);
	s->n = 0;
}

/* The free memory within [lo, hi]: available, inside the limits, not yet used. */
static kd_err *free_ranges(const struct kd_segments *s, uint64_t lo, uint64_t hi,
			   struct kd_mem_ranges *out)
{
	memset(out, 0, sizeof(*out));
	if (s->min > lo)
		lo = s->min;
	if (s->max < hi)
		hi = s->max;
	kd_err *e = NULL;
	for (size_t i = 0; i < s->avail.n && !e; i++) {
		uint64_t a = s->avail.r[i].start, b = s->avail.r[i].end;
		if (b < lo || a > hi)
			continue;
		e = kd_mem_ranges_add(out, a < lo ? lo : a, b > hi ? hi : b);
	}
	for (size_t i = 0; i < s->n && !e; i++)
		e = kd_mem_ranges_exclude(out, s->s[i].mem, s->s[i].mem + s->s[i].memsz - 1);
	if (e)
		kd_mem_ranges_free(out);
	return e;
}

kd_err *kd_segments_find(const struct kd_segments *s, const char *what, uint64_t memsz,
			 uint64_t align, uint64_t lo, uint64_t hi, int top_down, uint64_t *addr)
{
	if (align < KD_PAGE_SIZE)
		align = KD_PAGE_SIZE;
	if (align & (align - 1))
		return kd_err_new(EINVAL, "%s: alignment %#llx is not a power of two", what,
				  (unsigned long long)align);
	memsz = page_up(memsz);
	if (memsz == 0)
		return kd_err_new(EINVAL, "%s: empty segment", what);
	struct kd_mem_ranges fr;
	kd_err *e = free_ranges(s, lo, hi, &fr);
	if (e)
		return e;
	int found = 0;
	uint64_t best = 0;
	for (size_t i = 0; i < fr.n; i++) {
		uint64_t a = fr.r[i].start, b = fr.r[i].end;
		if (b - a + 1 < memsz && b - a + 1 != 0)
			continue;
		uint64_t at;
		if (top_down) {
			at = (b - memsz + 1) & ~(align - 1);
			if (at < a)
				continue;
			if (!found || at > best)
				best = at;
		} else {
			at = (a + align - 1) & ~(align - 1);
			if (at < a || at - 1 + memsz > b || at + memsz - 1 < at)
				continue;
			if (!found || at < best)
				best = at;
		}
		found = 1;
	}
	kd_mem_ranges_free(&fr);
	if (!found) {
		char sz[32];
		return kd_err_new(ENOSPC, "no room for the %s (%s, aligned to %#llx) in %s%s", what,
				  kd_size_human(memsz, sz, sizeof(sz)), (unsigned long long)align,
				  s->where, s->min || s->max != UINT64_MAX ?
				  " within --mem-min/--mem-max" : "");
	}
	*addr = best;
	return NULL;
}

kd_err *kd_segments_add(struct kd_segments *s, const char *what, const void *buf, size_t bufsz,
			uint64_t mem, uint64_t memsz, int hashed)
{
	memsz = page_up(memsz);
	if (s->n == KD_SEGMENT_MAX)
		return kd_err_new(E2BIG, "%s: more than %d segments", what, KD_SEGMENT_MAX);
	if (mem & (KD_PAGE_SIZE - 1) || memsz == 0 || bufsz > memsz || mem + memsz - 1 < mem)
		return kd_err_new(EINVAL, "%s: bad segment at %#llx, %llu bytes", what,
				  (unsigned long long)mem, (unsigned long long)memsz);
	uint64_t end = mem + memsz - 1;
	if (mem < s->min || end > s->max)
		return kd_err_new(ERANGE, "%s at %#llx-%#llx is outside --mem-min/--mem-max", what,
				  (unsigned long long)mem, (unsigned long long)end);
	int inside = 0;
	for (size_t i = 0; i < s->avail.n; i++)
		if (mem >= s->avail.r[i].start && end <= s->avail.r[i].end)
			inside = 1;
	if (!inside)
		return kd_err_new(ERANGE, "%s at %#llx-%#llx is not inside %s", what,
				  (unsigned long long)mem, (unsigned long long)end, s->where);
	for (size_t i = 0; i < s->n; i++) {
		const struct kd_segment *o = &s->s[i];
		if (mem <= o->mem + o->memsz - 1 && end >= o->mem)
			return kd_err_new(EEXIST, "%s at %#llx-%#llx overlaps the %s", what,
					  (unsigned long long)mem, (unsigned long long)end, o->what);
	}
	s->s[s->n++] = (struct kd_segment){ .what = what, .buf = buf, .bufsz = bufsz, .mem = mem,
					    .memsz = memsz, .hashed = hashed };
	return NULL;
}

kd_err *kd_segments_place(struct kd_segments *s, const char *what, const void *buf,
			  size_t bufsz, uint64_t memsz, uint64_t align, uint64_t lo, uint64_t hi,
			  int top_down, uint64_t *addr)
{
	kd_err *e = kd_segments_find(s, what, memsz, align, lo, hi, top_down, addr);
	if (!e)
		e = kd_segments_add(s, what, buf, bufsz, *addr, memsz, 1);
	return e;
}

#include "base/crashkernel.h"

#include <errno.h>
#include <string.h>

#include "base/cmdline.h"
#include "base/size.h"

static kd_err *bad(const char *value, const char *at, size_t *errpos, const char *what)
{
	size_t pos = (size_t)(at - value);
	if (errpos)
		*errpos = pos;
	return kd_err_new(EINVAL, "crashkernel=%s: %s at position %zu", value, what, pos);
}

static kd_err *size_at(const char *value, const char **cur, uint64_t *out, size_t *errpos)
{
	const char *end;
	kd_err *e = kd_size_parse_prefix(*cur, out, &end);
	if (e) {
		int range = kd_err_errnum(e) == ERANGE;
		kd_err_free(e);
		return bad(value, *cur, errpos, range ? "size too large" : "memory value expected");
	}
	*cur = end;
	return NULL;
}

static kd_err *parse_ranges(const char *value, struct kd_ck_value *v, size_t *errpos)
{
	const char *cur = value;
	kd_err *e;
	for (;;) {
		if (v->nranges == KD_CK_MAX_RANGES)
			return bad(value, cur, errpos, "too many ranges");
		struct kd_ck_range *r = &v->ranges[v->nranges];
		r->end = UINT64_MAX;
		if ((e = size_at(value, &cur, &r->start, errpos)))
			return e;
		if (*cur != '-')
			return bad(value, cur, errpos, "'-' expected");
		cur++;
		if (*cur != ':') {
			const char *endp = cur;
			if ((e = size_at(value, &cur, &r->end, errpos)))
				return e;
			if (r->end <= r->start)
				return bad(value, endp, errpos, "range end <= start");
		}
		if (*cur != ':')
			return bad(value, cur, errpos, "':' expected");
		cur++;
		if ((e = size_at(value, &cur, &r->size, errpos)))
			return e;
		v->nranges++;
		if (v->nranges > 1) {
			const struct kd_ck_range *prev = &v->ranges[v->nranges - 2];
			if (r->start < prev->end)
				return bad(value, value, errpos, "ranges overlap or are out of order");
		}
		if (*cur != ',')
			break;
		cur++;
	}
	if (*cur == '@') {
		cur++;
		v->has_offset = 1;
		if ((e = size_at(value, &cur, &v->offset, errpos)))
			return e;
	}
	if (*cur)
		return bad(value, cur, errpos, "unexpected character");
	return NULL;
}

kd_err *kd_ck_parse_value(const char *value, struct kd_ck_value *v, size_t *errpos)
{
	memset(v, 0, sizeof(*v));
	size_t n = strlen(value);
	if (n >= 5 && !strcmp(value + n - 5, ",high"))
		v->suffix = KD_CK_HIGH;
	else if (n >= 4 && !strcmp(value + n - 4, ",low"))
		v->suffix = KD_CK_LOW;
	if (v->suffix != KD_CK_PLAIN) {
		/* SIZE,high / SIZE,low: a plain size, nothing else */
		const char *cur = value;
		kd_err *e = size_at(value, &cur, &v->size, errpos);
		if (e)
			return e;
		if (*cur != ',')
			return bad(value, cur, errpos, "',high' or ',low' must follow a plain size");
		return NULL;
	}
	if (!strcmp(value, "auto"))
		return bad(value, value, errpos,
			   "\"auto\" is a distribution extension the upstream kernel rejects");
	if (strchr(value, ':'))
		return parse_ranges(value, v, errpos);
	const char *cur = value;
	kd_err *e = size_at(value, &cur, &v->size, errpos);
	if (e)
		return e;
	if (*cur == '@') {
		cur++;
		v->has_offset = 1;
		if ((e = size_at(value, &cur, &v->offset, errpos)))
			return e;
	}
	if (*cur)
		return bad(value, cur, errpos, "unexpected character");
	return NULL;
}

kd_err *kd_ck_parse_cmdline(const char *cmdline, struct kd_crashkernel *ck, size_t *errpos)
{
	memset(ck, 0, sizeof(*ck));
	struct kd_cmdline cl;
	kd_err *e = kd_cmdline_parse(cmdline, &cl);
	if (e)
		return e;
	for (size_t i = 0; i < cl.count && !e; i++) {
		const struct kd_cmdline_param *p = &cl.params[i];
		if (strcmp(p->key, "crashkernel"))
			continue;
		/* position of the value inside the whole line, for the error message */
		const char *eq = strchr(p->raw, '=');
		size_t base = p->offset + (eq ? (size_t)(eq - p->raw) + 1 : 0);
		if (eq && eq[1] == '"')
			base++;
		if (!p->value) {
			if (errpos)
				*errpos = base;
			e = kd_err_new(EINVAL, "crashkernel without a value at position %zu", base);
			break;
		}
		struct kd_ck_value v;
		size_t pos = 0;
		e = kd_ck_parse_value(p->value, &v, &pos);
		if (e) {
			if (errpos)
				*errpos = base + pos;
			e = kd_err_wrap(e, "command line position %zu", base + pos);
			break;
		}
		switch (v.suffix) {
		case KD_CK_PLAIN: ck->plain = v; ck->has_plain = 1; break;
		case KD_CK_HIGH: ck->high = v; ck->has_high = 1; break;
		case KD_CK_LOW: ck->low = v; ck->has_low = 1; break;
		}
	}
	kd_cmdline_free(&cl);
	return e;
}

kd_err *kd_ck_reserve(const struct kd_crashkernel *ck, uint64_t system_ram,
		      struct kd_ck_reservation *r)
{
	memset(r, 0, sizeof(*r));
	if (ck->has_plain) {
		const struct kd_ck_value *v = &ck->plain;
		if (v->nranges) {
			uint64_t total = system_ram;
			if (total % KD_CK_RAM_ROUND) {
				uint64_t up = KD_CK_RAM_ROUND - total % KD_CK_RAM_ROUND;
				total = total > UINT64_MAX - up ? UINT64_MAX : total + up;
			}
			for (size_t i = 0; i < v->nranges; i++) {
				const struct kd_ck_range *rg = &v->ranges[i];
				if (rg->size >= total)
					return kd_err_new(EINVAL, "crashkernel: range %zu asks for %llu bytes, "
							  "not less than the %llu bytes of RAM", i + 1,
							  (unsigned long long)rg->size,
							  (unsigned long long)total);
				if (total >= rg->start && total < rg->end) {
					r->size = rg->size;
					break;
				}
			}
		} else {
			r->size = v->size;
			if (r->size >= system_ram && system_ram)
				return kd_err_new(EINVAL, "crashkernel: %llu bytes asked, machine has %llu",
						  (unsigned long long)r->size,
						  (unsigned long long)system_ram);
		}
		if (r->size) {
			r->has_offset = v->has_offset;
			r->offset = v->offset;
		}
		return NULL;
	}
	if (ck->has_high) {
		if (!ck->high.size)
			return kd_err_new(EINVAL, "crashkernel=0,high reserves nothing");
		r->size = ck->high.size;
		r->high = 1;
		r->low_size = ck->has_low ? ck->low.size : KD_CK_DEFAULT_LOW_SIZE;
	}
	/* a lone ,low is ignored by the kernel */
	return NULL;
}

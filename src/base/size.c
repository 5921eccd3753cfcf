#include "base/size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>

static int digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return 99;
}

kd_err *kd_size_parse_prefix(const char *s, uint64_t *out, const char **end)
{
	const char *p = s;
	unsigned base = 10;
	*end = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value((unsigned char)p[2]) < 16) {
		base = 16;
		p += 2;
	} else if (p[0] == '0') {
		base = 8;
	}
	if (digit_value((unsigned char)*p) >= (int)base)
		return kd_err_new(EINVAL, "expected a size at \"%.16s\"", s);
	uint64_t v = 0;
	int d;
	while ((d = digit_value((unsigned char)*p)) < (int)base) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return kd_err_new(ERANGE, "size \"%.24s\" is too large", s);
		v = v * base + (uint64_t)d;
		p++;
	}
	unsigned shift = 0;
	switch (*p) {
	case 'E': case 'e': shift = 60; break;
	case 'P': case 'p': shift = 50; break;
	case 'T': case 't': shift = 40; break;
	case 'G': case 'g': shift = 30; break;
	case 'M': case 'm': shift = 20; break;
	case 'K': case 'k': shift = 10; break;
	}
	if (shift) {
		if (v > (UINT64_MAX >> shift))
			return kd_err_new(ERANGE, "size \"%.24s\" is too large", s);
		v <<= shift;
		p++;
	}
	*out = v;
	*end = p;
	return NULL;
}

kd_err *kd_size_parse(const char *s, uint64_t *out)
{
	const char *end;
	kd_err *e = kd_size_parse_prefix(s, out, &end);
	if (e)
		return e;
	if (*end)
		return kd_err_new(EINVAL, "unexpected \"%.16s\" after size in \"%s\"", end, s);
	return NULL;
}

static const char suffixes[] = "KMGTPE";

char *kd_size_format(uint64_t v, char *buf, size_t n)
{
	int i = -1;
	while (v && i < 5 && (v & 1023) == 0) {
		v >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, n, "%llu", (unsigned long long)v);
	else
		snprintf(buf, n, "%llu%c", (unsigned long long)v, suffixes[i]);
	return buf;
}

char *kd_size_human(uint64_t v, char *buf, size_t n)
{
	if (v < 1024) {
		snprintf(buf, n, "%lluB", (unsigned long long)v);
		return buf;
	}
	int i = 0;
	double d = (double)v / 1024.0;
	while (d >= 1024.0 && i < 5) {
		d /= 1024.0;
		i++;
	}
	if (d < 10.0)
		snprintf(buf, n, "%.1f%c", d, suffixes[i]);
	else
		snprintf(buf, n, "%.0f%c", d, suffixes[i]);
	return buf;
}

/* The configuration snapshot the capture initramfs carries: the config exactly as the first
 * kernel checked and resolved it, so the capture kernel parses nothing an operator wrote.
 *
 * Format (version 1): a first line "kdumpkit-config 1", then one line per field in the fixed
 * order of `fields` below, then "end". A line is the key alone (a NULL string) or the key, one
 * space and the value. Values are bytes 0x20-0x7e written as they are, except that a backslash
 * and every other byte are written \xHH, so any value survives and a line is always one line.
 * A list is its count ("extra_modules 2") followed by that many item lines ("module xfs").
 * The origins (where each setting was written) are a list of all settings in conf_int.h's
 * order, an item without a value for a default, or "origins 0" when there are none.
 * The reader wants exactly this: any other key, order, escape or count is an error naming the
 * line, since a damaged snapshot must not turn into a different dump target. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "service/conf_int.h"

#define MAGIC "kdumpkit-config 1"

enum ftype { T_STR, T_BOOL, T_UINT, T_PERSONALITY, T_TARGET, T_ACTION, T_LIST, T_ORIGINS };

struct sfield {
	const char *key;
	enum ftype type;
	size_t off;
	const char *item; /* T_LIST: the key of each item line */
};

#define F(k, t, m) { k, t, offsetof(struct kd_svc_config, m), NULL }
static const struct sfield fields[] = {
	F("personality", T_PERSONALITY, personality),
	F("target", T_TARGET, target),
	F("fstype", T_STR, fstype),
	F("device", T_STR, device),
	F("path", T_STR, path),
	F("ssh", T_STR, ssh),
	F("sshkey", T_STR, sshkey),
	F("nfs", T_STR, nfs),
	F("core_collector", T_STR, core_collector),
	{ "collector_argv", T_LIST, offsetof(struct kd_svc_config, collector_argv), "arg" },
	F("failure_action", T_ACTION, failure_action),
	F("final_action", T_ACTION, final_action),
	{ "extra_modules", T_LIST, offsetof(struct kd_svc_config, extra_modules), "module" },
	F("force_rebuild", T_BOOL, force_rebuild),
	F("force_no_rebuild", T_BOOL, force_no_rebuild),
	F("kdump_pre", T_STR, kdump_pre),
	F("kdump_post", T_STR, kdump_post),
	F("dump_dmesg", T_BOOL, dump_dmesg),
	F("num_dumps", T_UINT, num_dumps),
	F("use_kdump", T_BOOL, use_kdump),
	F("kernel", T_STR, kernel),
	F("initrd", T_STR, initrd),
	F("kernel_ver", T_STR, kernel_ver),
	F("cmdline", T_STR, cmdline),
	F("cmdline_append", T_STR, cmdline_append),
	F("cmdline_remove", T_STR, cmdline_remove),
	F("kexec_args", T_STR, kexec_args),
	F("resolved_device", T_STR, resolved_device),
	F("resolved_fstype", T_STR, resolved_fstype),
	F("mount_prefix", T_STR, mount_prefix),
	F("rootfs_device", T_STR, rootfs_device),
	F("rootfs_fstype", T_STR, rootfs_fstype),
	F("sysctl", T_STR, sysctl),
	F("hosttag", T_STR, hosttag),
	F("nfs_timeo", T_UINT, nfs_timeo),
	F("nfs_retrans", T_UINT, nfs_retrans),
	F("nfs_mount_retry", T_UINT, nfs_mount_retry),
	F("ssh_retry", T_UINT, ssh_retry),
	{ "origins", T_ORIGINS, offsetof(struct kd_svc_config, origins), "origin" },
};
#undef F
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *const personalities[] = { "kdump.conf", "kdump-tools" };
#define NPERS 2
#define NTARGETS 5
#define NACTIONS 4

static void put_value(FILE *f, const char *key, const char *v)
{
	fputs(key, f);
	if (v) {
		fputc(' ', f);
		for (const unsigned char *p = (const unsigned char *)v; *p; p++)
			if (*p >= 0x20 && *p <= 0x7e && *p != '\\')
				fputc(*p, f);
			else
				fprintf(f, "\\x%02x", *p);
	}
	fputc('\n', f);
}

kd_err *kd_svc_config_snapshot_write(const struct kd_svc_config *c, FILE *f)
{
	const char *base = (const char *)c;
	char num[32];
	fputs(MAGIC "\n", f);
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct sfield *d = &fields[i];
		const void *at = base + d->off;
		switch (d->type) {
		case T_STR:
			put_value(f, d->key, *(char *const *)at);
			break;
		case T_BOOL:
			put_value(f, d->key, *(const int *)at ? "1" : "0");
			break;
		case T_UINT:
			snprintf(num, sizeof(num), "%u", *(const unsigned *)at);
			put_value(f, d->key, num);
			break;
		case T_PERSONALITY: {
			unsigned v = (unsigned)*(const enum kd_svc_personality *)at;
			if (v >= NPERS)
				return kd_err_new(EINVAL, "writing the snapshot: personality %u",
						  v);
			put_value(f, d->key, personalities[v]);
			break;
		}
		case T_TARGET: {
			unsigned v = (unsigned)*(const enum kd_svc_target *)at;
			if (v >= NTARGETS)
				return kd_err_new(EINVAL, "writing the snapshot: target %u", v);
			put_value(f, d->key, kd_svc_target_name((enum kd_svc_target)v));
			break;
		}
		case T_ACTION: {
			unsigned v = (unsigned)*(const enum kd_svc_action *)at;
			if (v >= NACTIONS)
				return kd_err_new(EINVAL, "writing the snapshot: %s %u", d->key, v);
			put_value(f, d->key, kd_svc_action_name((enum kd_svc_action)v));
			break;
		}
		case T_ORIGINS: {
			char *const *list = *(char *const *const *)at;
			snprintf(num, sizeof(num), "%d", list ? (int)CF_COUNT : 0);
			put_value(f, d->key, num);
			for (size_t k = 0; list && k < CF_COUNT; k++)
				put_value(f, d->item, list[k]);
			break;
		}
		case T_LIST: {
			char *const *list = *(char *const *const *)at;
			snprintf(num, sizeof(num), "%zu", conf_words_count(list));
			put_value(f, d->key, num);
			for (size_t k = 0; list && list[k]; k++)
				put_value(f, d->item, list[k]);
			break;
		}
		}
	}
	fputs("end\n", f);
	if (fflush(f) || ferror(f))
		return kd_err_errno("writing the configuration snapshot");
	return NULL;
}

/* ---- reading ---- */

struct reader {
	const char *name;
	struct kd_svc_config_source src;
	size_t pos;
	struct conf_line l;
	char *key;   /* this line's key and value (NULL: none), malloc'd */
	char *value;
};

static kd_err *next(struct reader *r, const char *want)
{
	kd_err *err;
	free(r->key);
	free(r->value);
	r->key = r->value = NULL;
	if (!conf_next_line(&r->src, &r->pos, &r->l, &err))
		return err ? err
			   : kd_err_new(EINVAL,
					"%s: ends after line %u, before %s; rebuild the "
					"initramfs",
					r->name, r->l.no, want);
	const char *sp = memchr(r->l.p, ' ', r->l.len);
	size_t klen = sp ? (size_t)(sp - r->l.p) : r->l.len;
	if (klen != strlen(want) || memcmp(r->l.p, want, klen))
		return kd_err_new(EINVAL,
				  "%s:%u: \"%.*s\" where the snapshot has %s; rebuild the "
				  "initramfs",
				  r->name, r->l.no, (int)(klen > 40 ? 40 : klen), r->l.p, want);
	r->key = conf_strndup(r->l.p, klen);
	if (!r->key)
		return kd_err_new(ENOMEM, "reading %s", r->name);
	if (!sp)
		return NULL;
	const unsigned char *p = (const unsigned char *)sp + 1,
			    *end = (const unsigned char *)r->l.p + r->l.len;
	char *v = malloc((size_t)(end - p) + 1);
	size_t n = 0;
	if (!v)
		return kd_err_new(ENOMEM, "reading %s", r->name);
	while (p < end) {
		if (*p == '\\') {
			int hi, lo;
			static const char hex[] = "0123456789abcdef";
			const char *h1 =
			    end - p >= 4 && p[1] == 'x' && p[2] ? strchr(hex, p[2]) : NULL;
			const char *h2 = h1 && p[3] ? strchr(hex, p[3]) : NULL;
			if (!h1 || !h2 ||
			    (hi = (int)(h1 - hex), lo = (int)(h2 - hex), !(hi | lo))) {
				free(v);
				return kd_err_new(EINVAL, "%s:%u: a bad escape in %s; rebuild the "
						  "initramfs", r->name, r->l.no, want);
			}
			v[n++] = (char)(hi << 4 | lo);
			p += 4;
		} else if (*p < 0x20 || *p > 0x7e) {
			free(v);
			return kd_err_new(EINVAL,
					  "%s:%u: an unescaped byte 0x%02x in %s; rebuild the "
					  "initramfs",
					  r->name, r->l.no, *p, want);
		} else {
			v[n++] = (char)*p++;
		}
	}
	v[n] = '\0';
	r->value = v;
	return NULL;
}

static kd_err *need_value(struct reader *r)
{
	if (!r->value)
		return kd_err_new(EINVAL, "%s:%u: %s has no value; rebuild the initramfs", r->name,
				  r->l.no, r->key);
	return NULL;
}

static kd_err *name_index(struct reader *r, const char *(*name)(unsigned), unsigned n,
			  unsigned *out)
{
	kd_err *err = need_value(r);
	if (err)
		return err;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(name(i), r->value)) {
			*out = i;
			return NULL;
		}
	return kd_err_new(EINVAL, "%s:%u: %s \"%s\" is not one kdumpkit knows; rebuild the "
			  "initramfs", r->name, r->l.no, r->key, r->value);
}

static const char *pers_name(unsigned i) { return personalities[i]; }
static const char *target_name(unsigned i) { return kd_svc_target_name((enum kd_svc_target)i); }
static const char *action_name(unsigned i) { return kd_svc_action_name((enum kd_svc_action)i); }

static kd_err *read_uint(struct reader *r, unsigned long max, unsigned long *out)
{
	kd_err *err = need_value(r);
	if (err)
		return err;
	unsigned long v = 0;
	const char *p = r->value;
	int ok = *p != '\0' && !(p[0] == '0' && p[1]);
	for (; ok && *p; p++) {
		if (*p < '0' || *p > '9' || (unsigned long)(*p - '0') > max ||
		    v > (max - (unsigned long)(*p - '0')) / 10)
			ok = 0;
		else
			v = v * 10 + (unsigned long)(*p - '0');
	}
	if (!ok)
		return kd_err_new(EINVAL, "%s:%u: %s \"%s\": not a number up to %lu; rebuild the "
				  "initramfs", r->name, r->l.no, r->key, r->value, max);
	*out = v;
	return NULL;
}

static kd_err *read_field(struct reader *r, const struct sfield *d, struct kd_svc_config *c)
{
	void *at = (char *)c + d->off;
	unsigned idx;
	unsigned long v;
	kd_err *err = next(r, d->key);
	if (err)
		return err;
	switch (d->type) {
	case T_STR:
		*(char **)at = r->value;
		r->value = NULL;
		return NULL;
	case T_BOOL:
		if ((err = read_uint(r, 1, &v)))
			return err;
		*(int *)at = (int)v;
		return NULL;
	case T_UINT:
		if ((err = read_uint(r, 0xffffffffUL, &v)))
			return err;
		*(unsigned *)at = (unsigned)v;
		return NULL;
	case T_PERSONALITY:
		if ((err = name_index(r, pers_name, NPERS, &idx)))
			return err;
		*(enum kd_svc_personality *)at = (enum kd_svc_personality)idx;
		return NULL;
	case T_TARGET:
		if ((err = name_index(r, target_name, NTARGETS, &idx)))
			return err;
		*(enum kd_svc_target *)at = (enum kd_svc_target)idx;
		return NULL;
	case T_ACTION:
		if ((err = name_index(r, action_name, NACTIONS, &idx)))
			return err;
		*(enum kd_svc_action *)at = (enum kd_svc_action)idx;
		return NULL;
	case T_ORIGINS: {
		if ((err = read_uint(r, CF_COUNT, &v)))
			return err;
		if (v != 0 && v != CF_COUNT)
			return kd_err_new(EINVAL, "%s:%u: %lu origins, this kdumpkit has %d "
					  "settings; rebuild the initramfs", r->name, r->l.no, v,
					  CF_COUNT);
		if (!v)
			return NULL;
		char **list = calloc(CF_COUNT, sizeof(*list));
		if (!list)
			return kd_err_new(ENOMEM, "reading %s", r->name);
		*(char ***)at = list;
		for (unsigned long k = 0; k < v; k++) {
			if ((err = next(r, d->item)))
				return err;
			list[k] = r->value;
			r->value = NULL;
		}
		return NULL;
	}
	case T_LIST: {
		if ((err = read_uint(r, 4096, &v)))
			return err;
		char **list = calloc(v + 1, sizeof(*list));
		if (!list)
			return kd_err_new(ENOMEM, "reading %s", r->name);
		*(char ***)at = list;
		for (unsigned long k = 0; k < v; k++) {
			if ((err = next(r, d->item)) || (err = need_value(r)))
				return err;
			list[k] = r->value;
			r->value = NULL;
		}
		return NULL;
	}
	}
	return NULL;
}

kd_err *kd_svc_config_snapshot_parse(const char *name, const char *text, size_t len,
				     struct kd_svc_config *c)
{
	struct reader r = { .name = name, .src = { name, text, len } };
	kd_err *err = NULL;
	memset(c, 0, sizeof(*c));
	if (!text) {
		err = kd_err_new(ENOENT, "%s: no snapshot", name);
		goto out;
	}
	if ((err = next(&r, "kdumpkit-config")))
		goto out;
	if (!r.value || strcmp(r.value, "1")) {
		err = kd_err_new(EINVAL, "%s:%u: snapshot format \"%s\", this kdumpkit reads 1; "
				 "rebuild the initramfs with this kdumpkit", name, r.l.no,
				 r.value ? r.value : "");
		goto out;
	}
	for (size_t i = 0; i < NFIELDS && !err; i++)
		err = read_field(&r, &fields[i], c);
	if (!err)
		err = next(&r, "end");
	if (!err && !r.value) {
		struct conf_line extra = r.l;
		kd_err *e2 = NULL;
		while (conf_next_line(&r.src, &r.pos, &extra, &e2))
			if (extra.len) {
				err = kd_err_new(EINVAL, "%s:%u: text after \"end\"; rebuild the "
						 "initramfs", name, extra.no);
				break;
			}
		if (!err)
			err = e2;
	} else if (!err) {
		err = kd_err_new(EINVAL, "%s:%u: \"end\" with a value; rebuild the initramfs", name,
				 r.l.no);
	}
out:
	free(r.key);
	free(r.value);
	if (err)
		kd_svc_config_free(c);
	return err;
}

kd_err *kd_svc_config_snapshot_read(const char *path, struct kd_svc_config *c)
{
	memset(c, 0, sizeof(*c));
	FILE *f = fopen(path, "re");
	if (!f)
		return kd_err_errno("opening the configuration snapshot %s", path);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	kd_err *err = NULL;
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= (4u << 20)) {
				err = kd_err_new(EFBIG, "%s: larger than a snapshot can be", path);
				break;
			}
			char *nb = realloc(buf, cap ? cap * 2 : 8192);
			if (!nb) {
				err = kd_err_new(ENOMEM, "reading %s", path);
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = kd_err_errno("reading %s", path);
			break;
		}
	}
	fclose(f);
	if (!err)
		err = kd_svc_config_snapshot_parse(path, buf ? buf : "", len, c);
	free(buf);
	return err;
}

/* Text helpers shared by the configuration parsers: lines, words, the per-file settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "service/conf_int.h"

int conf_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

char *conf_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

int conf_next_line(const struct kd_svc_config_source *src, size_t *pos, struct conf_line *l,
		   kd_err **err)
{
	*err = NULL;
	if (!src->text || *pos >= src->len)
		return 0;
	const char *start = src->text + *pos;
	size_t left = src->len - *pos;
	const char *nl = memchr(start, '\n', left);
	size_t len = nl ? (size_t)(nl - start) : left;
	*pos += nl ? len + 1 : len;
	l->no++;
	if (memchr(start, '\0', len)) {
		*err = kd_err_new(EINVAL, "%s:%u: a NUL byte: this is not a text file; write the "
				  "file as plain text", src->name, l->no);
		return 0;
	}
	if (len && start[len - 1] == '\r')
		len--;
	l->p = start;
	l->len = len;
	return 1;
}

void conf_words_free(char **w)
{
	if (!w)
		return;
	for (char **p = w; *p; p++)
		free(*p);
	free(w);
}

size_t conf_words_count(char *const *w)
{
	size_t n = 0;
	while (w && w[n])
		n++;
	return n;
}

static int push_word(char ***v, size_t *n, size_t *cap, char *w)
{
	if (*n + 2 > *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		char **nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = w;
	(*v)[*n] = NULL;
	return 0;
}

int conf_split_words(const char *s, char ***out, const char **bad)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	size_t slen = strlen(s);
	char *buf = malloc(slen + 1);
	*out = NULL;
	*bad = NULL;
	if (!buf)
		return -2;
	const char *p = s;
	for (;;) {
		while (conf_is_space(*p) || *p == '\n')
			p++;
		if (!*p)
			break;
		size_t bl = 0;
		while (*p && !conf_is_space(*p) && *p != '\n') {
			if (*p == '"' || *p == '\'') {
				const char *close = strchr(p + 1, *p);
				if (!close) {
					*bad = p;
					goto refuse;
				}
				for (const char *q = p + 1; q < close; q++) {
					if (*p == '"' && (*q == '$' || *q == '`' || *q == '\\')) {
						*bad = q;
						goto refuse;
					}
					buf[bl++] = *q;
				}
				p = close + 1;
				continue;
			}
			if (strchr("|;&<>$`\\", *p)) {
				*bad = p;
				goto refuse;
			}
			buf[bl++] = *p++;
		}
		char *w = conf_strndup(buf, bl);
		if (!w || push_word(&v, &n, &cap, w)) {
			free(w);
			conf_words_free(v);
			free(buf);
			return -2;
		}
	}
	free(buf);
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -2;
	}
	*out = v;
	return 0;
refuse:
	conf_words_free(v);
	free(buf);
	return -1;
}

void conf_file_free(struct conf_file *f)
{
	for (int i = 0; i < CF_COUNT; i++) {
		free(f->set[i].value);
		f->set[i].value = NULL;
	}
}

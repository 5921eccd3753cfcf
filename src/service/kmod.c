#define _GNU_SOURCE
#include "service/kmod.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

#define KMOD_MAX_BYTES (256ULL << 20)  /* the largest modules.* file accepted */
#define MAX_DEPTH 512                   /* the longest dependency chain followed */

static const char *const suffixes[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };

void kd_kmod_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

kd_err *kd_kmod_strv_add(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(*nv));
	if (!nv)
		return kd_err_new(ENOMEM, "a list of %zu names", *n + 1);
	*v = nv;
	if (!(nv[*n] = strndup(s, len))) {
		nv[*n] = NULL;
		return kd_err_new(ENOMEM, "a list of %zu names", *n + 1);
	}
	nv[++*n] = NULL;
	return NULL;
}

static int strv_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static void normalize(char *s)
{
	for (; *s; s++)
		if (*s == '-')
			*s = '_';
}

/* Length of the module suffix `path` ends with, 0 if none. */
static size_t module_suffix(const char *path, size_t len)
{
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		if (len > sl && !memcmp(path + len - sl, suffixes[i], sl))
			return sl;
	}
	return 0;
}

/* The module name of a path s[0..len) (NULL if it is not a module path). */
static char *name_of(const char *s, size_t len)
{
	size_t sl = module_suffix(s, len);
	if (!sl)
		return NULL;
	const char *b = s;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/')
			b = s + i + 1;
	size_t nl = (size_t)(s + len - sl - b);
	/* a kernel module's name: letters, digits, '_' ('-' in file names), < MODULE_NAME_LEN */
	if (!nl || nl >= 64)
		return NULL;
	for (size_t i = 0; i < nl; i++)
		if (!isalnum((unsigned char)b[i]) && b[i] != '_' && b[i] != '-')
			return NULL;
	char *name = strndup(b, nl);
	if (name)
		normalize(name);
	return name;
}

char *kd_kmod_name(const char *path_or_name)
{
	size_t len = strlen(path_or_name);
	if (module_suffix(path_or_name, len))
		return name_of(path_or_name, len);
	const char *b = strrchr(path_or_name, '/');
	char *name = strdup(b ? b + 1 : path_or_name);
	if (name)
		normalize(name);
	return name;
}

static void mod_free(struct kd_kmod *m)
{
	free(m->name);
	free(m->path);
	kd_kmod_strv_free(m->deps);
	kd_kmod_strv_free(m->softpre);
}

void kd_kmod_index_free(struct kd_kmod_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n; i++)
		mod_free(&ix->mods[i]);
	free(ix->mods);
	kd_kmod_strv_free(ix->builtin);
	for (size_t i = 0; i < ix->naliases; i++) {
		free(ix->aliases[i].alias);
		free(ix->aliases[i].module);
	}
	free(ix->aliases);
	free(ix->moddir);
	free(ix);
}

static kd_err *mods_push(struct kd_kmod_index *ix, size_t *cap, struct kd_kmod m)
{
	if (ix->n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct kd_kmod *nm = realloc(ix->mods, c * sizeof(*nm));
		if (!nm) {
			mod_free(&m);
			return kd_err_new(ENOMEM, "an index of %zu modules", c);
		}
		ix->mods = nm;
		*cap = c;
	}
	m.seq = ix->n;
	ix->mods[ix->n++] = m;
	return NULL;
}

/* Sort by name, keeping the first copy of each name (by seq). */
static int by_name_then_seq(const void *a, const void *b)
{
	const struct kd_kmod *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sort_unique(struct kd_kmod_index *ix)
{
	qsort(ix->mods, ix->n, sizeof(*ix->mods), by_name_then_seq);
	size_t w = 0;
	for (size_t i = 0; i < ix->n; i++) {
		if (w && !strcmp(ix->mods[w - 1].name, ix->mods[i].name)) {
			mod_free(&ix->mods[i]);
			continue;
		}
		ix->mods[w++] = ix->mods[i];
	}
	ix->n = w;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

kd_err *kd_kmod_index_parse(const char *text, size_t len, const char *where,
			    struct kd_kmod_index **out)
{
	struct kd_kmod_index *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return kd_err_new(ENOMEM, "%s", where);
	if (len > (size_t)INT_MAX / 2) {
		free(ix);
		return kd_err_new(EFBIG, "%s: %zu bytes, too large for a modules.dep", where, len);
	}
	size_t cap = 0, lineno = 0;
	kd_err *e = NULL;
	for (size_t off = 0; off < len && !e;) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		off += ll + 1;
		lineno++;
		size_t i = 0;
		while (i < ll && is_space(line[i]))
			i++;
		if (i == ll || line[i] == '#')
			continue;
		const char *colon = memchr(line, ':', ll);
		if (!colon) {
			e = kd_err_new(EINVAL, "%s:%zu: no ':' after the module's path", where, lineno);
			break;
		}
		size_t pe = (size_t)(colon - line);
		while (pe > i && is_space(line[pe - 1]))
			pe--;
		struct kd_kmod m = { .name = name_of(line + i, pe - i), .deps_known = 1 };
		if (!m.name || memchr(line + i, ' ', pe - i) || memchr(line + i, '\t', pe - i)) {
			free(m.name);
			e = kd_err_new(EINVAL, "%s:%zu: \"%.*s\" is not a module path (*.ko, *.ko.xz, "
				       "*.ko.zst, *.ko.gz)", where, lineno, (int)(pe - i), line + i);
			break;
		}
		m.path = strndup(line + i, pe - i);
		for (size_t j = (size_t)(colon - line) + 1; j < ll && !e && m.path;) {
			while (j < ll && is_space(line[j]))
				j++;
			size_t s = j;
			while (j < ll && !is_space(line[j]))
				j++;
			if (s == j)
				break;
			char *dn = name_of(line + s, j - s);
			if (!dn)
				e = kd_err_new(EINVAL, "%s:%zu: dependency \"%.*s\" of %s is not a module "
					       "path", where, lineno, (int)(j - s), line + s, m.name);
			else if (!strcmp(dn, m.name))
				e = kd_err_new(EINVAL, "%s:%zu: %s depends on itself", where, lineno,
					       m.name);
			else if (!strv_has(m.deps, m.ndeps, dn))
				e = kd_kmod_strv_add(&m.deps, &m.ndeps, dn, strlen(dn));
			free(dn);
		}
		if (!m.path && !e)
			e = kd_err_new(ENOMEM, "%s:%zu", where, lineno);
		if (e)
			mod_free(&m);
		else
			e = mods_push(ix, &cap, m);
	}
	if (e) {
		kd_kmod_index_free(ix);
		return e;
	}
	sort_unique(ix);
	*out = ix;
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

kd_err *kd_kmod_index_parse_builtin(struct kd_kmod_index *ix, const char *text, size_t len)
{
	for (size_t off = 0; off < len;) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		off += ll + 1;
		while (ll && is_space(line[ll - 1]))
			ll--;
		char *name = name_of(line, ll);
		if (!name)
			continue;   /* blank lines; modules.builtin holds nothing else */
		kd_err *e = NULL;
		if (!strv_has(ix->builtin, ix->nbuiltin, name))
			e = kd_kmod_strv_add(&ix->builtin, &ix->nbuiltin, name, strlen(name));
		free(name);
		if (e)
			return e;
	}
	if (ix->nbuiltin)
		qsort(ix->builtin, ix->nbuiltin, sizeof(char *), cmp_str);
	return NULL;
}

static int by_alias(const void *a, const void *b)
{
	const struct kd_kmod_alias *x = a, *y = b;
	int c = strcmp(x->alias, y->alias);
	return c ? c : strcmp(x->module, y->module);
}

kd_err *kd_kmod_index_parse_alias(struct kd_kmod_index *ix, const char *text, size_t len)
{
	size_t cap = ix->naliases;
	for (size_t off = 0; off < len;) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		off += ll + 1;
		char buf[512];
		if (ll >= sizeof(buf))
			continue;
		memcpy(buf, line, ll);
		buf[ll] = 0;
		char *save = NULL, *w = strtok_r(buf, " \t\r", &save);
		char *alias = w && !strcmp(w, "alias") ? strtok_r(NULL, " \t\r", &save) : NULL;
		char *mod = alias ? strtok_r(NULL, " \t\r", &save) : NULL;
		if (!mod || strpbrk(alias, "*?[") || strtok_r(NULL, " \t\r", &save))
			continue;
		normalize(alias);
		normalize(mod);
		if (ix->naliases == cap) {
			cap = cap ? cap * 2 : 64;
			struct kd_kmod_alias *na = realloc(ix->aliases, cap * sizeof(*na));
			if (!na)
				return kd_err_new(ENOMEM, "%zu module aliases", cap);
			ix->aliases = na;
		}
		struct kd_kmod_alias a = { strdup(alias), strdup(mod) };
		if (!a.alias || !a.module) {
			free(a.alias);
			free(a.module);
			return kd_err_new(ENOMEM, "module alias %s", alias);
		}
		ix->aliases[ix->naliases++] = a;
	}
	if (ix->naliases)
		qsort(ix->aliases, ix->naliases, sizeof(*ix->aliases), by_alias);
	return NULL;
}

/* The first entry for `name` in the sorted aliases (and how many follow), or NULL. */
static const struct kd_kmod_alias *aliases_of(const struct kd_kmod_index *ix, const char *name,
					      size_t *count)
{
	size_t lo = 0, hi = ix->naliases;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->aliases[mid].alias, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = lo;
	while (k < ix->naliases && !strcmp(ix->aliases[k].alias, name))
		k++;
	*count = k - lo;
	return k > lo ? &ix->aliases[lo] : NULL;
}

static kd_err *slurp(const char *path, char **buf, size_t *len, int *missing)
{
	*missing = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			*missing = 1;
			return NULL;
		}
		return kd_err_errno("opening %s", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > KMOD_MAX_BYTES) {
		kd_err *e = kd_err_new(errno ? errno : EFBIG, "%s: cannot size it or larger "
				       "than %llu MiB", path, KMOD_MAX_BYTES >> 20);
		close(fd);
		return e;
	}
	char *b = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (b && got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	kd_err *e = NULL;
	if (!b)
		e = kd_err_new(ENOMEM, "reading %s", path);
	else if (got != (size_t)st.st_size)
		e = kd_err_new(errno ? errno : EIO, "reading %s: %zu of %lld bytes", path, got,
			       (long long)st.st_size);
	close(fd);
	if (e) {
		free(b);
		return e;
	}
	b[got] = 0;
	*buf = b;
	*len = got;
	return NULL;
}

/* modules.softdep: "softdep <mod> pre: a b post: c" -> the pre: names of <mod>. */
static kd_err *parse_softdep(struct kd_kmod_index *ix, const char *text, size_t len)
{
	for (size_t off = 0; off < len;) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		off += ll + 1;
		char buf[1024];
		if (ll >= sizeof(buf))
			continue;
		memcpy(buf, line, ll);
		buf[ll] = 0;
		char *save = NULL, *w = strtok_r(buf, " \t\r", &save);
		if (!w || strcmp(w, "softdep"))
			continue;
		char *mod = strtok_r(NULL, " \t\r", &save);
		if (!mod)
			continue;
		normalize(mod);
		struct kd_kmod *m = (struct kd_kmod *)kd_kmod_find(ix, mod);
		int pre = 0;
		while (m && (w = strtok_r(NULL, " \t\r", &save))) {
			if (!strcmp(w, "pre:") || !strcmp(w, "post:")) {
				pre = w[1] == 'r';
				continue;
			}
			normalize(w);
			if (pre && strcmp(w, m->name) && !strv_has(m->softpre, m->nsoftpre, w)) {
				kd_err *e = kd_kmod_strv_add(&m->softpre, &m->nsoftpre, w, strlen(w));
				if (e)
					return e;
			}
		}
	}
	return NULL;
}

/* A tree depmod never ran on: every module file under it, relative paths. */
static kd_err *scan(struct kd_kmod_index *ix, size_t *cap, const char *root, const char *rel,
		    int depth)
{
	if (depth > 16)
		return NULL;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	DIR *d = opendir(dir);
	if (!d)
		return kd_err_errno("scanning the module tree: %s", dir);
	kd_err *e = NULL;
	struct dirent *de;
	while (!e && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char sub[PATH_MAX];
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name) >=
		    sizeof(sub))
			continue;
		struct stat st;
		char full[PATH_MAX + 1];
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (lstat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			e = scan(ix, cap, root, sub, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			char *name = name_of(sub, strlen(sub));
			if (!name)
				continue;
			struct kd_kmod m = { .name = name, .path = strdup(sub), .deps_known = 0 };
			if (!m.path) {
				free(name);
				e = kd_err_new(ENOMEM, "scanning %s", dir);
			} else {
				e = mods_push(ix, cap, m);
			}
		}
	}
	closedir(d);
	return e;
}

/* updates/ and extra/ override the distribution's modules (depmod's default search order) */
static int prio(const char *path)
{
	return !strncmp(path, "updates/", 8) ? 0 : !strncmp(path, "extra/", 6) ? 1 : 2;
}

static int by_prio_path(const void *a, const void *b)
{
	const struct kd_kmod *x = a, *y = b;
	int px = prio(x->path), py = prio(y->path);
	if (px != py)
		return px < py ? -1 : 1;
	return strcmp(x->path, y->path);
}

kd_err *kd_kmod_index_load(const char *moddir, struct kd_kmod_index **out)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int missing;
	struct kd_kmod_index *ix = NULL;
	snprintf(path, sizeof(path), "%s/modules.dep", moddir);
	kd_err *e = slurp(path, &text, &len, &missing);
	if (e)
		return e;
	if (!missing) {
		e = kd_kmod_index_parse(text, len, path, &ix);
		free(text);
		if (e)
			return e;
	} else {
		struct stat st;
		if (stat(moddir, &st) < 0)
			return kd_err_errno("the module tree %s (is the kernel's modules package "
					    "installed?)", moddir);
		kd_debug("%s: no modules.dep (depmod not run): scanning the tree", moddir);
		if (!(ix = calloc(1, sizeof(*ix))))
			return kd_err_new(ENOMEM, "%s", moddir);
		ix->scanned = 1;
		size_t cap = 0;
		if ((e = scan(ix, &cap, moddir, "", 0))) {
			kd_kmod_index_free(ix);
			return e;
		}
		qsort(ix->mods, ix->n, sizeof(*ix->mods), by_prio_path);
		for (size_t i = 0; i < ix->n; i++)
			ix->mods[i].seq = i;
		sort_unique(ix);
	}
	if (!(ix->moddir = strdup(moddir))) {
		kd_kmod_index_free(ix);
		return kd_err_new(ENOMEM, "%s", moddir);
	}
	snprintf(path, sizeof(path), "%s/modules.builtin", moddir);
	if (!(e = slurp(path, &text, &len, &missing)) && !missing) {
		e = kd_kmod_index_parse_builtin(ix, text, len);
		free(text);
	}
	snprintf(path, sizeof(path), "%s/modules.softdep", moddir);
	if (!e && !(e = slurp(path, &text, &len, &missing)) && !missing) {
		e = parse_softdep(ix, text, len);
		free(text);
	}
	static const char *const alias_files[] = { "modules.alias", "modules.builtin.alias" };
	for (size_t i = 0; i < 2 && !e; i++) {
		snprintf(path, sizeof(path), "%s/%s", moddir, alias_files[i]);
		if (!(e = slurp(path, &text, &len, &missing)) && !missing) {
			e = kd_kmod_index_parse_alias(ix, text, len);
			free(text);
		}
	}
	if (e) {
		kd_kmod_index_free(ix);
		return e;
	}
	*out = ix;
	return NULL;
}

static struct kd_kmod *find(const struct kd_kmod_index *ix, const char *name)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, ix->mods[mid].name);
		if (!c)
			return &ix->mods[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct kd_kmod *kd_kmod_find(const struct kd_kmod_index *ix, const char *name)
{
	char *n = kd_kmod_name(name);
	struct kd_kmod *m = n ? find(ix, n) : NULL;
	free(n);
	return m;
}

int kd_kmod_is_builtin(const struct kd_kmod_index *ix, const char *name)
{
	char *n = kd_kmod_name(name);
	int r = n && ix->nbuiltin &&
		bsearch(&n, ix->builtin, ix->nbuiltin, sizeof(char *), cmp_str) != NULL;
	free(n);
	return r;
}

void kd_kmod_list_free(struct kd_kmod_list *l)
{
	kd_kmod_strv_free(l->names);
	kd_kmod_strv_free(l->paths);
	kd_kmod_strv_free(l->builtin);
	memset(l, 0, sizeof(*l));
}

static kd_err *full_path(const struct kd_kmod_index *ix, const struct kd_kmod *m, char **out)
{
	if (m->path[0] == '/' || !ix->moddir)
		*out = strdup(m->path);
	else if (asprintf(out, "%s/%s", ix->moddir, m->path) < 0)
		*out = NULL;
	return *out ? NULL : kd_err_new(ENOMEM, "path of %s", m->name);
}

/* `softdep=pre: a b post: c` values -> the pre: names. */
static kd_err *add_softpre(struct kd_kmod *m, const char *val)
{
	char *buf = strdup(val), *save = NULL;
	if (!buf)
		return kd_err_new(ENOMEM, "softdep of %s", m->name);
	int pre = 0;
	kd_err *e = NULL;
	for (char *w = strtok_r(buf, " \t", &save); w && !e; w = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(w, "pre:") || !strcmp(w, "post:")) {
			pre = w[1] == 'r';
			continue;
		}
		normalize(w);
		if (pre && strcmp(w, m->name) && !strv_has(m->softpre, m->nsoftpre, w))
			e = kd_kmod_strv_add(&m->softpre, &m->nsoftpre, w, strlen(w));
	}
	free(buf);
	return e;
}

/* A scanned tree: the module's own .modinfo says what it needs. */
static kd_err *read_deps(struct kd_kmod_index *ix, struct kd_kmod *m)
{
	char *path;
	kd_err *e = full_path(ix, m, &path);
	if (e)
		return e;
	uint8_t *ko = NULL;
	size_t len = 0;
	char **dep = NULL, **soft = NULL;
	size_t nd = 0, ns = 0;
	if (!(e = kd_kmod_read(path, &ko, &len)) &&
	    !(e = kd_kmod_modinfo(ko, len, "depends", &dep, &nd)) &&
	    !(e = kd_kmod_modinfo(ko, len, "softdep", &soft, &ns))) {
		for (size_t i = 0; i < nd && !e; i++) {
			for (char *s = dep[i], *c; *s && !e; s = *c ? c + 1 : c) {
				c = strchrnul(s, ',');
				char *n = strndup(s, (size_t)(c - s));
				if (!n) {
					e = kd_err_new(ENOMEM, "dependencies of %s", m->name);
					break;
				}
				normalize(n);
				if (*n && strcmp(n, m->name) && !strv_has(m->deps, m->ndeps, n))
					e = kd_kmod_strv_add(&m->deps, &m->ndeps, n, strlen(n));
				free(n);
			}
		}
		for (size_t i = 0; i < ns && !e; i++)
			e = add_softpre(m, soft[i]);
	}
	if (e)
		e = kd_err_wrap(e, "the dependencies of %s (%s)", m->name, path);
	else
		m->deps_known = 1;
	kd_kmod_strv_free(dep);
	kd_kmod_strv_free(soft);
	free(ko);
	free(path);
	return e;
}

struct walk {
	struct kd_kmod_index *ix;
	unsigned char *state;   /* per module: 0 new, 1 on the path, 2 listed */
	struct kd_kmod_list *out;
	size_t nnames;          /* out->n counts both vectors */
};

static kd_err *visit_any(struct walk *w, const char *name, const char *needed_by, int depth,
			 int optional);

static kd_err *visit(struct walk *w, const char *name, const char *needed_by, int depth)
{
	struct kd_kmod_index *ix = w->ix;
	if (kd_kmod_is_builtin(ix, name)) {
		if (strv_has(w->out->builtin, w->out->nbuiltin, name))
			return NULL;
		return kd_kmod_strv_add(&w->out->builtin, &w->out->nbuiltin, name, strlen(name));
	}
	struct kd_kmod *m = find(ix, name);
	if (!m) {
		const char *where = ix->moddir ? ix->moddir : "the module index";
		if (needed_by)
			return kd_err_new(ENOENT, "module %s, needed by %s, is neither in %s nor "
					  "built in", name, needed_by, where);
		return kd_err_new(ENOENT, "module %s is neither in %s nor built in (a typo in "
				  "extra_modules, or the wrong kernel release?)", name, where);
	}
	size_t i = (size_t)(m - ix->mods);
	if (w->state[i] == 2)
		return NULL;
	if (w->state[i] == 1 || depth > MAX_DEPTH)
		return kd_err_new(ELOOP, "module %s: a dependency cycle (or a chain deeper than %d)",
				  m->name, MAX_DEPTH);
	w->state[i] = 1;
	kd_err *e = m->deps_known ? NULL : read_deps(ix, m);
	/* soft pre-dependencies, by name or alias; one that names nothing is skipped, as
	 * modprobe does */
	for (size_t j = 0; !e && j < m->nsoftpre; j++)
		e = visit_any(w, m->softpre[j], m->name, depth + 1, 1);
	for (size_t j = 0; !e && j < m->ndeps; j++)
		e = visit(w, m->deps[j], m->name, depth + 1);
	if (e)
		return e;
	w->state[i] = 2;
	char *path;
	if ((e = full_path(ix, m, &path)))
		return e;
	size_t n = w->out->n;
	e = kd_kmod_strv_add(&w->out->names, &n, m->name, strlen(m->name));
	n = w->out->n;
	if (!e)
		e = kd_kmod_strv_add(&w->out->paths, &n, path, strlen(path));
	free(path);
	if (!e)
		w->out->n = n;
	return e;
}

/* `name` as a module, else as an alias (every module it names); `optional`: naming nothing
 * is no error. */
static kd_err *visit_any(struct walk *w, const char *name, const char *needed_by, int depth,
			 int optional)
{
	struct kd_kmod *m = find(w->ix, name);
	/* a soft dependency that leads back to a module being visited (crc32c_intel's
	 * "pre: crc32c" is an alias of itself) is not a cycle: modprobe ignores it too */
	if (optional && m && w->state[m - w->ix->mods] == 1)
		return NULL;
	if (m || kd_kmod_is_builtin(w->ix, name))
		return visit(w, name, needed_by, depth);
	size_t n;
	const struct kd_kmod_alias *a = aliases_of(w->ix, name, &n);
	kd_err *e = NULL;
	size_t found = 0;
	for (size_t k = 0; k < n && !e; k++) {
		struct kd_kmod *am = find(w->ix, a[k].module);
		if (!am && !kd_kmod_is_builtin(w->ix, a[k].module))
			continue;   /* an alias file out of step with the tree */
		if (optional && am && w->state[am - w->ix->mods] == 1)
			continue;
		found++;
		e = visit(w, a[k].module, needed_by, depth);
	}
	if (e || found || optional)
		return e;
	return visit(w, name, needed_by, depth);   /* the not-found error */
}

kd_err *kd_kmod_resolve(struct kd_kmod_index *ix, const char *const *want, size_t nwant,
			struct kd_kmod_list *out)
{
	memset(out, 0, sizeof(*out));
	struct walk w = { .ix = ix, .state = calloc(ix->n + 1, 1), .out = out };
	if (!w.state)
		return kd_err_new(ENOMEM, "resolving %zu modules", nwant);
	kd_err *e = NULL;
	for (size_t i = 0; i < nwant && !e; i++) {
		char *n = kd_kmod_name(want[i]);
		if (!n || !*n)
			e = kd_err_new(EINVAL, "\"%s\" is not a module name", want[i]);
		else
			e = visit_any(&w, n, NULL, 0, 0);
		free(n);
	}
	free(w.state);
	/* the two vectors may differ by one entry after a failed add */
	if (e)
		kd_kmod_list_free(out);
	return e;
}

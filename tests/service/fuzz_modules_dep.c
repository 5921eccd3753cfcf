/* libFuzzer: the modules.dep parser and the closure walk over what it parsed.
 *
 * The input is a modules.dep; after a line "----", a modules.builtin; after a second one, a
 * modules.alias (names the closure walk then also tries as aliases). Properties: no
 * crash, leak or hang; the index is sorted with unique names; and for every module the closure
 * lists each name once, every dependency before the module that needs it (or fails: a cycle, a
 * dependency with no line). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/kmod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t position(const struct kd_kmod_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return i;
	return SIZE_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *sep = size >= 6 ? memmem(text, size, "\n----\n", 6) : NULL;
	size_t dep_len = sep ? (size_t)(sep - text) + 1 : size;
	struct kd_kmod_index *ix = NULL;
	kd_err *e = kd_kmod_index_parse(text, dep_len, "fuzz", &ix);
	if (e) {
		if (ix)
			abort();
		kd_err_free(e);
		return 0;
	}
	if (sep) {
		const char *b = sep + 6, *end = text + size;
		const char *sep2 = memmem(b, (size_t)(end - b), "\n----\n", 6);
		const char *bend = sep2 ? sep2 + 1 : end;
		if ((e = kd_kmod_index_parse_builtin(ix, b, (size_t)(bend - b))))
			kd_err_free(e);
		if (sep2 && (e = kd_kmod_index_parse_alias(ix, sep2 + 6, (size_t)(end - sep2 - 6))))
			kd_err_free(e);
	}
	for (size_t i = 1; i < ix->n; i++)
		if (strcmp(ix->mods[i - 1].name, ix->mods[i].name) >= 0)
			abort();
	for (size_t i = 0; i < ix->naliases && i < 16; i++) {
		struct kd_kmod_list l;
		const char *want = ix->aliases[i].alias;
		if ((e = kd_kmod_resolve(ix, &want, 1, &l)))
			kd_err_free(e);
		else
			kd_kmod_list_free(&l);
	}
	for (size_t i = 0; i < ix->n && i < 64; i++) {
		struct kd_kmod_list l;
		const char *want = ix->mods[i].name;
		if ((e = kd_kmod_resolve(ix, &want, 1, &l))) {
			kd_err_free(e);
			if (l.n || l.names || l.paths)
				abort();
			continue;
		}
		for (size_t k = 0; k < l.n; k++) {
			if (position(&l, l.names[k]) != k)
				abort();   /* listed twice */
			const struct kd_kmod *m = kd_kmod_find(ix, l.names[k]);
			if (!m)
				abort();
			for (size_t d = 0; d < m->ndeps; d++)
				if (!kd_kmod_is_builtin(ix, m->deps[d]) &&
				    position(&l, m->deps[d]) >= k)
					abort();   /* a dependency after its user */
		}
		if (!kd_kmod_is_builtin(ix, want) && (!l.n || strcmp(l.names[l.n - 1], want)))
			abort();
		kd_kmod_list_free(&l);
	}
	kd_kmod_index_free(ix);
	return 0;
}

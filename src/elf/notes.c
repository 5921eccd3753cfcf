#include <errno.h>
#include <string.h>

#include "elf/elf64.h"

static size_t align4(size_t n) { return (n + 3) & ~(size_t)3; }

kd_err *kd_elf_notes_walk(const void *blob, size_t len,
			  kd_err *(*fn)(void *ctx, const struct kd_elf_note *note), void *ctx)
{
	const uint8_t *p = blob;
	size_t off = 0;
	while (len - off >= 12) {
		uint32_t hdr[3];
		memcpy(hdr, p + off, sizeof(hdr));
		struct kd_elf_note n = { .namesz = hdr[0], .descsz = hdr[1], .type = hdr[2] };
		if (!n.namesz && !n.descsz && !n.type)
			return NULL; /* zero padding ends the list */
		size_t name_at = off + 12;
		if (n.namesz > len - name_at)
			return kd_err_new(EINVAL, "note at offset %zu: name (%u bytes) runs past the end",
					  off, n.namesz);
		size_t desc_at = name_at + align4(n.namesz);
		if (desc_at > len || n.descsz > len - desc_at)
			return kd_err_new(EINVAL, "note at offset %zu: descriptor (%u bytes) runs past "
					  "the end", off, n.descsz);
		const char *name = (const char *)p + name_at;
		n.name = n.namesz && memchr(name, '\0', n.namesz) ? name : "";
		n.desc = p + desc_at;
		kd_err *e = fn(ctx, &n);
		if (e)
			return e;
		size_t next = desc_at + align4(n.descsz);
		if (next > len)
			return NULL; /* last note's padding may be missing */
		off = next;
	}
	return NULL;
}

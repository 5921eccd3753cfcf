/* The ELF dump writer; see elfout.h for the two passes and the layout. */
#include "dumpfile/elfout.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DATA_BUF (2u << 20)

/* n pages of data, then `zeros` pages that read as zero (memsz past filesz) */
struct run { uint64_t pfn, n, zeros; };
struct map { uint64_t paddr, len, vaddr; };

struct kd_elfout {
	uint32_t page_size;
	uint16_t machine;
	uint8_t *notes;
	size_t notes_len;
	struct run *runs;
	size_t nruns, runs_cap;
	struct map *maps;
	size_t nmaps, maps_cap;
	uint64_t pages;            /* in the runs */
	struct kd_sink *sink;      /* set by begin */
	uint64_t data_off, written;
	uint8_t *buf;
	size_t buf_len;
	int failed;
};

static kd_err *grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return NULL;
	size_t c = *cap ? *cap * 2 : 64;
	void *nv = realloc(*v, c * elem);
	if (!nv)
		return kd_err_new(ENOMEM, "ELF writer");
	*v = nv;
	*cap = c;
	return NULL;
}

kd_err *kd_elfout_new(const struct kd_elfout_meta *m, struct kd_elfout **out)
{
	uint32_t ps = m->page_size;
	if (ps < 1024 || ps > (1u << 20) || (ps & (ps - 1)))
		return kd_err_new(EINVAL, "ELF writer: page size %u", ps);
	struct kd_elfout *w = calloc(1, sizeof(*w));
	if (!w || !(w->notes = malloc(m->notes_len ? m->notes_len : 1))) {
		free(w);
		return kd_err_new(ENOMEM, "ELF writer");
	}
	if (m->notes_len)
		memcpy(w->notes, m->notes, m->notes_len);
	w->notes_len = m->notes_len;
	w->page_size = ps;
	w->machine = m->machine;
	*out = w;
	return NULL;
}

kd_err *kd_elfout_map(struct kd_elfout *w, uint64_t paddr, uint64_t len, uint64_t vaddr)
{
	if (w->sink)
		return kd_err_new(EINVAL, "ELF writer: a map after the headers were written");
	if (!len || paddr + len < paddr)
		return NULL;
	kd_err *e = grow((void **)&w->maps, &w->maps_cap, w->nmaps, sizeof(*w->maps));
	if (e)
		return e;
	w->maps[w->nmaps++] = (struct map){ paddr, len, vaddr };
	return NULL;
}

kd_err *kd_elfout_add_run(struct kd_elfout *w, uint64_t pfn, uint64_t n)
{
	if (w->sink)
		return kd_err_new(EINVAL, "ELF writer: a run after the headers were written");
	if (!n)
		return NULL;
	if (pfn + n < pfn || pfn + n > UINT64_MAX / w->page_size)
		return kd_err_new(EINVAL, "ELF writer: run of %llu pages at pfn %#llx",
				  (unsigned long long)n, (unsigned long long)pfn);
	if (w->nruns) {
		struct run *last = &w->runs[w->nruns - 1];
		if (pfn < last->pfn + last->n)
			return kd_err_new(EINVAL, "ELF writer: run at pfn %#llx after one ending at "
					  "%#llx (runs must increase)", (unsigned long long)pfn,
					  (unsigned long long)(last->pfn + last->n));
		if (pfn < last->pfn + last->n + last->zeros)
			return kd_err_new(EINVAL, "ELF writer: run at pfn %#llx inside zero pages",
					  (unsigned long long)pfn);
		if (pfn == last->pfn + last->n && !last->zeros) {
			last->n += n;
			w->pages += n;
			return NULL;
		}
	}
	kd_err *e = grow((void **)&w->runs, &w->runs_cap, w->nruns, sizeof(*w->runs));
	if (e)
		return e;
	w->runs[w->nruns++] = (struct run){ pfn, n, 0 };
	w->pages += n;
	return NULL;
}

kd_err *kd_elfout_add_zero(struct kd_elfout *w, uint64_t pfn, uint64_t n)
{
	if (w->sink)
		return kd_err_new(EINVAL, "ELF writer: zero pages after the headers were written");
	if (!n)
		return NULL;
	if (pfn + n < pfn || pfn + n > UINT64_MAX / w->page_size)
		return kd_err_new(EINVAL, "ELF writer: %llu zero pages at pfn %#llx",
				  (unsigned long long)n, (unsigned long long)pfn);
	if (w->nruns) {
		struct run *last = &w->runs[w->nruns - 1];
		uint64_t end = last->pfn + last->n + last->zeros;
		if (pfn < end)
			return kd_err_new(EINVAL, "ELF writer: zero pages at pfn %#llx after a run "
					  "ending at %#llx", (unsigned long long)pfn,
					  (unsigned long long)end);
		if (pfn == end) {
			last->zeros += n;
			return NULL;
		}
	}
	kd_err *e = grow((void **)&w->runs, &w->runs_cap, w->nruns, sizeof(*w->runs));
	if (e)
		return e;
	w->runs[w->nruns++] = (struct run){ pfn, 0, n };
	return NULL;
}

static int bit(const uint8_t *bm, uint64_t i) { return bm[i / 8] >> (i % 8) & 1; }

kd_err *kd_elfout_add_bitmap(struct kd_elfout *w, uint64_t start, uint64_t end,
			     const uint8_t *bm)
{
	uint64_t len = end > start ? end - start : 0, i = 0;
	while (i < len) {
		/* to the next set bit, whole clear bytes at a time */
		while (i < len) {
			if (i % 8 == 0 && len - i >= 8 && bm[i / 8] == 0)
				i += 8;
			else if (!bit(bm, i))
				i++;
			else
				break;
		}
		if (i >= len)
			break;
		uint64_t j = i;
		while (j < len) {
			if (j % 8 == 0 && len - j >= 8 && bm[j / 8] == 0xff)
				j += 8;
			else if (bit(bm, j))
				j++;
			else
				break;
		}
		kd_err *e = kd_elfout_add_run(w, start + i, j - i);
		if (e)
			return e;
		i = j;
	}
	return NULL;
}

uint64_t kd_elfout_pages(const struct kd_elfout *w) { return w->pages; }

/* The map that gives paddr its vaddr (first given wins), or NULL; *until = where that answer
 * may change. */
static const struct map *map_at(const struct kd_elfout *w, uint64_t paddr, uint64_t *until)
{
	const struct map *hit = NULL;
	uint64_t lim = UINT64_MAX;
	for (size_t i = 0; i < w->nmaps; i++) {
		const struct map *m = &w->maps[i];
		if (!hit && paddr >= m->paddr && paddr - m->paddr < m->len) {
			hit = m;
			if (m->paddr + m->len < lim)
				lim = m->paddr + m->len;
		} else if (m->paddr > paddr && m->paddr < lim) {
			lim = m->paddr; /* another map starts: it may win from there on */
		}
	}
	*until = lim;
	return hit;
}

/* Fill phdrs (when non-NULL) for the runs split at map changes; returns the PT_LOAD count. */
static uint64_t build_loads(const struct kd_elfout *w, Elf64_Phdr *ph, uint64_t data_off)
{
	uint64_t count = 0, off = data_off, ps = w->page_size;
	for (size_t r = 0; r < w->nruns; r++) {
		/* data [a, b), then zero pages to z: a segment's file part ends at b */
		uint64_t a = w->runs[r].pfn * ps, b = a + w->runs[r].n * ps;
		uint64_t z = b + w->runs[r].zeros * ps;
		while (a < z) {
			uint64_t until;
			const struct map *m = map_at(w, a, &until);
			uint64_t end = until < z ? until : z;
			/* keep segments whole pages: a map edge inside a page moves to its end */
			end = (end + ps - 1) / ps * ps;
			if (end > z || end <= a)
				end = z;
			uint64_t filesz = end < b ? end - a : (a < b ? b - a : 0);
			if (ph)
				ph[count] = (Elf64_Phdr){
					.p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
					.p_offset = off, .p_vaddr = m ? m->vaddr + (a - m->paddr) : 0,
					.p_paddr = a, .p_filesz = filesz, .p_memsz = end - a };
			count++;
			off += filesz;
			a = end;
		}
	}
	return count;
}

kd_err *kd_elfout_begin(struct kd_elfout *w, struct kd_sink *s)
{
	if (w->sink)
		return kd_err_new(EINVAL, "ELF writer: begin twice");
	uint64_t nload = build_loads(w, NULL, 0);
	uint64_t phnum = nload + 1;
	if (phnum > UINT32_MAX)
		return kd_err_new(EINVAL, "ELF writer: %llu segments", (unsigned long long)phnum);
	int xnum = phnum >= PN_XNUM;
	uint64_t ph_off = sizeof(Elf64_Ehdr);
	uint64_t sh_off = ph_off + phnum * sizeof(Elf64_Phdr);
	uint64_t notes_off = sh_off + (xnum ? sizeof(Elf64_Shdr) : 0);
	uint64_t ps = w->page_size;
	uint64_t data_off = (notes_off + w->notes_len + ps - 1) / ps * ps;
	size_t hdr_len = (size_t)notes_off;
	uint8_t *h = calloc(1, hdr_len);
	w->buf = malloc(DATA_BUF);
	if (!h || !w->buf) {
		free(h);
		return kd_err_new(ENOMEM, "ELF writer: %llu program headers",
				  (unsigned long long)phnum);
	}
	Elf64_Ehdr *eh = (Elf64_Ehdr *)h;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_CORE;
	eh->e_machine = w->machine;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = ph_off;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = xnum ? PN_XNUM : (uint16_t)phnum;
	if (xnum) {
		eh->e_shoff = sh_off;
		eh->e_shentsize = sizeof(Elf64_Shdr);
		eh->e_shnum = 1;
		Elf64_Shdr *sh = (Elf64_Shdr *)(h + sh_off);
		sh->sh_info = (uint32_t)phnum;
	}
	Elf64_Phdr *ph = (Elf64_Phdr *)(h + ph_off);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = w->notes_len,
			      .p_memsz = w->notes_len };
	build_loads(w, ph + 1, data_off);
	kd_err *e = kd_sink_write(s, 0, h, hdr_len);
	free(h);
	if (!e && w->notes_len)
		e = kd_sink_write(s, notes_off, w->notes, w->notes_len);
	if (e) {
		w->failed = 1;
		return kd_err_wrap(e, "ELF headers");
	}
	w->sink = s;
	w->data_off = data_off;
	kd_sink_streaming(s, data_off); /* page data: written once, in order */
	return NULL;
}

static kd_err *flush(struct kd_elfout *w)
{
	if (!w->buf_len)
		return NULL;
	uint64_t at = w->data_off + w->written * w->page_size - w->buf_len;
	kd_err *e = kd_sink_write(w->sink, at, w->buf, w->buf_len);
	w->buf_len = 0;
	if (e)
		w->failed = 1;
	return kd_err_wrap(e, "ELF page data");
}

kd_err *kd_elfout_page(struct kd_elfout *w, const void *page)
{
	if (!w->sink || w->failed)
		return kd_err_new(EINVAL, "ELF writer: a page %s", w->failed ? "after an error" :
				  "before the headers");
	if (w->written == w->pages) {
		w->failed = 1;
		return kd_err_new(EINVAL, "ELF writer: more pages than the %llu of pass 1",
				  (unsigned long long)w->pages);
	}
	if (w->buf_len + w->page_size > DATA_BUF) {
		kd_err *e = flush(w);
		if (e)
			return e;
	}
	memcpy(w->buf + w->buf_len, page, w->page_size);
	w->buf_len += w->page_size;
	w->written++;
	return NULL;
}

kd_err *kd_elfout_finish(struct kd_elfout *w)
{
	if (!w->sink || w->failed)
		return kd_err_new(EINVAL, "ELF writer: finishing %s", w->failed ? "after an error" :
				  "before the headers");
	if (w->written != w->pages)
		return kd_err_new(EINVAL, "ELF writer: %llu of %llu pages written",
				  (unsigned long long)w->written, (unsigned long long)w->pages);
	kd_err *e = flush(w);
	return e ? e : kd_sink_finish(w->sink);
}

void kd_elfout_free(struct kd_elfout *w)
{
	if (!w)
		return;
	free(w->notes);
	free(w->runs);
	free(w->maps);
	free(w->buf);
	free(w);
}

/* The collector's two passes over the pfn space (see collect.h). */
#include "dumpfile/collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/progress.h"
#include "dumpfile/collect_priv.h"
#include "dumpfile/kdump.h"

/* 1 GiB of 4 KiB pages per cycle: a few hundred KiB of per-cycle state. */
#define DEFAULT_CYCLE_PFNS (1ull << 18)
/* Dumpable bitmaps kept between the passes up to this size (2 TiB of memory), recomputed
 * per cycle beyond it. */
#define DEFAULT_KEEP_BITMAP_MAX (64ull << 20)

static kd_err *drop_zero_pages(struct kd_collector *c, struct kd_collect_stats *st);

int kd_collect_excludes(unsigned level, enum kd_page_class c)
{
	switch (c) {
	case KD_PAGE_CACHE: return !!(level & KD_DL_CACHE);
	case KD_PAGE_CACHE_PRIVATE: return !!(level & KD_DL_CACHE_PRIVATE);
	case KD_PAGE_USER: return !!(level & KD_DL_USER);
	case KD_PAGE_FREE: return !!(level & KD_DL_FREE);
	/* reading them can be fatal (hwpoison) or meaningless (offline) */
	case KD_PAGE_HWPOISON:
	case KD_PAGE_OFFLINE: return 1;
	default: return 0;
	}
}

/* Bitmaps of cycle i: exists (1st bitmap) and dumpable (2nd), recomputed or from the store.
 * With `st`, counts into the statistics (pass 1 only). */
kd_err *kd_collect_cycle(struct kd_collector *c, uint64_t i, struct kd_collect_stats *st)
{
	uint64_t start = i * c->cycle, end = start + c->cycle;
	if (end > c->max_pfn)
		end = c->max_pfn;
	uint64_t n = end - start, bytes = (n + 7) / 8;
	c->cstart = start;
	c->cend = end;
	if (c->keep && !st) {
		memcpy(c->exists, c->keep_exists + i * (c->cycle / 8), bytes);
		memcpy(c->dump, c->keep + i * (c->cycle / 8), bytes);
		return NULL;
	}
	kd_err *e = kd_dump_pfn_bitmaps(c->in, start, end, c->exists, c->held);
	if (e)
		return kd_err_wrap(e, "pfns %#llx-%#llx", (unsigned long long)start,
				   (unsigned long long)end);
	if (c->mm) {
		e = kd_mm_classify(c->mm, start, end, c->cls);
		if (e)
			return kd_err_wrap(e, "classifying pfns %#llx-%#llx",
					   (unsigned long long)start, (unsigned long long)end);
	}
	memcpy(c->dump, c->held, bytes);
	for (uint64_t p = 0; p < n; p++) {
		if (!(c->held[p / 8] & (1u << (p % 8))))
			continue;
		enum kd_page_class cl = c->mm ? (enum kd_page_class)c->cls[p] : KD_PAGE_UNKNOWN;
		if (cl >= KD_PAGE_NCLASSES)
			cl = KD_PAGE_UNKNOWN;
		int out = kd_collect_excludes(c->o.dump_level, cl);
		if (out)
			c->dump[p / 8] &= (uint8_t)~(1u << (p % 8));
		if (st) {
			st->held++;
			if (out)
				st->excluded[cl]++;
			else if (cl == KD_PAGE_UNKNOWN && c->mm)
				st->unknown++;
		}
	}
	if (st && c->o.elf && (c->o.dump_level & KD_DL_ZERO)) {
		kd_err *ze = drop_zero_pages(c, st);
		if (ze)
			return ze;
	}
	if (st) {
		for (uint64_t b = 0; b < bytes; b++)
			st->exists += (uint64_t)__builtin_popcount(c->exists[b]);
		if (c->keep) {
			memcpy(c->keep_exists + i * (c->cycle / 8), c->exists, bytes);
			memcpy(c->keep + i * (c->cycle / 8), c->dump, bytes);
		}
	}
	return NULL;
}

/* An ELF dump has no shared zero page: zero pages must be known before the headers, so pass 1
 * reads the cycle's dumpable pages and leaves the zero ones out. */
#define ZBATCH 256
static kd_err *drop_zero_pages(struct kd_collector *c, struct kd_collect_stats *st)
{
	if (!c->zbuf && !(c->zbuf = malloc((size_t)ZBATCH * c->ps)))
		return kd_err_new(ENOMEM, "allocating the zero-page check buffer");
	uint64_t n = c->cend - c->cstart;
	memset(c->zero, 0, (size_t)((n + 7) / 8));
	for (uint64_t i = 0; i < n;) {
		if (!(c->dump[i / 8] & (1u << (i % 8)))) {
			i++;
			continue;
		}
		uint64_t run = 1;
		while (i + run < n && run < ZBATCH && (c->dump[(i + run) / 8] & (1u << ((i + run) % 8))))
			run++;
		kd_err *e = kd_dump_read_pages(c->in, c->cstart + i, (size_t)run, c->zbuf);
		if (e)
			return kd_err_wrap(e, "checking pages for zeros");
		for (uint64_t k = 0; k < run; k++) {
			if (kd_page_is_zero(c->zbuf + k * c->ps, c->ps)) {
				c->dump[(i + k) / 8] &= (uint8_t)~(1u << ((i + k) % 8));
				c->zero[(i + k) / 8] |= (uint8_t)(1u << ((i + k) % 8));
				st->zero++;
			}
		}
		i += run;
	}
	return NULL;
}

static kd_err *setup(struct kd_collector *c, struct kd_dump *in, const struct kd_collect_opts *o,
		     struct kd_collect_stats *st)
{
	memset(st, 0, sizeof(*st));
	c->in = in;
	c->o = *o;
	c->st = st;
	c->ps = kd_dump_page_size(in);
	c->max_pfn = kd_dump_max_pfn(in);
	st->max_pfn = c->max_pfn;
	if (c->max_pfn == 0)
		return kd_err_new(EINVAL, "the dump holds no memory");

	struct kd_mem mem = kd_dump_mem(in);
	kd_err *e = mem.vmcoreinfo ? kd_mm_open(&mem, c->max_pfn, &c->mm)
				   : kd_err_new(ENOENT, "the dump has no VMCOREINFO");
	if (e) {
		kd_err_format(e, st->problem, sizeof(st->problem));
		kd_err_free(e);
		c->mm = NULL;
		if (o->dump_level & ~KD_DL_ZERO)
			kd_warn("pages cannot be classified, keeping all but zero pages: %s",
				st->problem);
	}
	st->classified = c->mm != NULL;

	uint64_t align = c->mm ? kd_mm_cycle_align(c->mm) : 8;
	if (align < 8 || align & (align - 1))
		align = 1024; /* a power of two the bitmaps' bytes can follow */
	uint64_t cyc = o->cycle_pfns ? o->cycle_pfns : DEFAULT_CYCLE_PFNS;
	cyc = (cyc + align - 1) / align * align;
	c->cycle = cyc;
	c->ncycles = (c->max_pfn + cyc - 1) / cyc;
	st->cycles = (unsigned)c->ncycles;
	size_t bytes = (size_t)(cyc / 8);
	c->exists = malloc(bytes);
	c->held = malloc(bytes);
	c->dump = malloc(bytes);
	c->cls = malloc((size_t)cyc);
	c->zero = calloc(1, bytes);
	if (!c->exists || !c->held || !c->dump || !c->cls || !c->zero)
		return kd_err_new(ENOMEM, "allocating cycle buffers (%llu pfns)",
				  (unsigned long long)cyc);
	uint64_t keep_max = o->keep_bitmap_max ? o->keep_bitmap_max : DEFAULT_KEEP_BITMAP_MAX;
	if (c->ncycles * bytes * 2 <= keep_max && !o->elf) {
		c->keep = malloc(c->ncycles * bytes);
		c->keep_exists = malloc(c->ncycles * bytes);
		if (!c->keep || !c->keep_exists) { /* fine: recompute instead */
			free(c->keep);
			free(c->keep_exists);
			c->keep = c->keep_exists = NULL;
		}
	}
	return NULL;
}

static void teardown(struct kd_collector *c)
{
	kd_mm_close(c->mm);
	free(c->exists);
	free(c->held);
	free(c->dump);
	free(c->cls);
	free(c->keep);
	free(c->keep_exists);
	free(c->zbuf);
	free(c->zero);
}

/* init_uts_ns's six fields, for the header (crash compares the release with its vmlinux). */
static void read_utsname(struct kd_dump *in, char uts[6][65])
{
	memset(uts, 0, 6 * 65);
	struct kd_mem m = kd_dump_mem(in);
	uint64_t sym, off = 0;
	const char *rel = m.vmcoreinfo ? kd_vmcoreinfo_get(m.vmcoreinfo, "OSRELEASE") : NULL;
	if (m.vmcoreinfo && !kd_err_ignore(kd_vmcoreinfo_symbol(m.vmcoreinfo, "init_uts_ns", &sym))) {
		kd_err_free(kd_vmcoreinfo_offset(m.vmcoreinfo, "uts_namespace.name", &off));
		char buf[6 * 65];
		if (!kd_err_ignore(kd_mem_read(&m, sym + off, buf, sizeof(buf))) &&
		    !memcmp(buf, "Linux", 6)) {
			memcpy(uts, buf, sizeof(buf));
			for (int i = 0; i < 6; i++)
				uts[i][64] = 0;
			return;
		}
	}
	/* not readable: what VMCOREINFO says */
	strcpy(uts[0], "Linux");
	if (rel)
		snprintf(uts[2], 65, "%s", rel);
	strcpy(uts[4], "x86_64");
}

static int count_cpus(struct kd_dump *in)
{
	const struct kd_note *n;
	size_t cnt = kd_dump_notes(in, &n);
	int cpus = 0;
	for (size_t i = 0; i < cnt; i++)
		if (n[i].type == 1 /* NT_PRSTATUS */ && !strcmp(n[i].name, "CORE"))
			cpus++;
	return cpus;
}

/* ELF output: the kept runs must be known before the headers. The writer is made before
 * pass 1, which hands it each cycle's dumped pages (data) and zero pages (read as zeros). */
static kd_err *elf_new(struct kd_collector *c, struct kd_elfout **ewp)
{
	size_t nb;
	const void *notes = kd_dump_note_blob(c->in, &nb);
	struct kd_elfout_meta m = { .page_size = c->ps, .machine = 62 /* EM_X86_64 */,
				    .notes = notes, .notes_len = nb };
	struct kd_elfout *ew;
	kd_err *e = kd_elfout_new(&m, &ew);
	if (e)
		return e;
	/* the input's mappings in its order: the kernel text's first, as /proc/vmcore has it */
	size_t nmaps = kd_dump_maps(c->in, NULL, 0);
	struct kd_dump_map *maps = calloc(nmaps ? nmaps : 1, sizeof(*maps));
	if (!maps)
		e = kd_err_new(ENOMEM, "ELF output: %zu maps", nmaps);
	else
		kd_dump_maps(c->in, maps, nmaps);
	for (size_t i = 0; !e && i < nmaps; i++)
		e = kd_elfout_map(ew, maps[i].paddr, maps[i].len, maps[i].vaddr);
	free(maps);
	if (e) {
		kd_elfout_free(ew);
		return e;
	}
	*ewp = ew;
	return NULL;
}

static kd_err *elf_add_cycle(struct kd_collector *c, struct kd_elfout *ew)
{
	int zeros = (c->o.dump_level & KD_DL_ZERO) != 0;
	for (uint64_t p = c->cstart; p < c->cend; p++) {
		uint64_t i = p - c->cstart;
		if (!(i & 7) && !c->dump[i / 8] && (!zeros || !c->zero[i / 8]) && p + 8 <= c->cend) {
			p += 7;
			continue;
		}
		kd_err *e = NULL;
		if (c->dump[i / 8] & (1u << (i & 7)))
			e = kd_elfout_add_run(ew, p, 1);
		else if (zeros && (c->zero[i / 8] & (1u << (i & 7))))
			e = kd_elfout_add_zero(ew, p, 1);
		if (e)
			return e;
	}
	return NULL;
}

kd_err *kd_collect(struct kd_dump *in, struct kd_sink *out, const struct kd_collect_opts *o,
		   struct kd_collect_stats *st)
{
	struct kd_collector c = { 0 };
	struct kd_elfout *ew = NULL;
	kd_err *e = setup(&c, in, o, st);
	if (!e && o->elf)
		e = elf_new(&c, &ew);
	for (uint64_t i = 0; !e && i < c.ncycles; i++) {
		e = kd_collect_cycle(&c, i, st);
		if (!e && ew)
			e = kd_err_wrap(elf_add_cycle(&c, ew), "ELF output");
	}
	if (e) {
		kd_elfout_free(ew);
		teardown(&c);
		return kd_err_wrap(e, "classifying pages");
	}
	if (c.mm)
		snprintf(st->problem, sizeof(st->problem), "%s", kd_mm_problem(c.mm));
	if (st->unknown)
		kd_warn("%llu pages could not be classified and are kept: %s",
			(unsigned long long)st->unknown, st->problem);
	uint64_t dumpable = st->held - st->zero * (o->elf != 0);
	for (int k = 0; k < KD_PAGE_NCLASSES; k++)
		dumpable -= st->excluded[k];

	struct kd_kdump *w = NULL;
	if (!o->dry_run && ew)
		e = kd_err_wrap(kd_elfout_begin(ew, out), "ELF output");
	else if (!o->dry_run) {
		struct kd_kdump_meta m = {
			.page_size = c.ps,
			.max_mapnr = c.max_pfn,
			.nr_cpus = count_cpus(in),
			.dump_level = o->dump_level,
			.codec = o->codec,
			.num_dumpable = dumpable,
		};
		struct kd_mem mem = kd_dump_mem(in);
		int64_t pb;
		if (mem.vmcoreinfo &&
		    !kd_err_ignore(kd_vmcoreinfo_number(mem.vmcoreinfo, "phys_base", &pb)))
			m.phys_base = (uint64_t)pb;
		read_utsname(in, m.utsname);
		uint64_t t;
		if (mem.vmcoreinfo && !kd_err_ignore(kd_vmcoreinfo_dec(mem.vmcoreinfo, "CRASHTIME", &t)))
			m.time_sec = (int64_t)t;
		m.notes = kd_dump_note_blob(in, &m.notes_len);
		if (mem.vmcoreinfo)
			m.vmcoreinfo = kd_vmcoreinfo_text(mem.vmcoreinfo, &m.vmcoreinfo_len);
		e = kd_kdump_begin(out, &m, &w);
	}
	if (!e) {
		c.w = w;
		c.ew = o->dry_run ? NULL : ew;
		kd_progress_begin(&c.progress, "Copying data", dumpable, 0);
		if (!o->progress)
			c.progress.out = NULL;
		e = kd_collect_pages(&c);
		kd_progress_end(&c.progress);
	}
	if (!e && w)
		e = kd_kdump_finish(w);
	if (!e && ew)
		e = kd_elfout_finish(ew);
	kd_kdump_free(w);
	kd_elfout_free(ew);
	teardown(&c);
	return e;
}

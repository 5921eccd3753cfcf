/* The ELF vmcore backend: /proc/vmcore itself, a copy of it, or makedumpfile -E output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmcore/dump_priv.h"

/* Notes larger than this are not a vmcore's (a few KB per CPU plus VMCOREINFO). */
#define MAX_NOTES_BYTES (64u << 20)

static const struct kd_format_ops elf_ops;

static int seg_cmp(const void *a, const void *b)
{
	const struct kd_seg *x = a, *y = b;
	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	/* the same start (KASLR put the kernel text at the start of a RAM range): the larger one
	 * first, so flatten_segs keeps the RAM range whole and drops the text's alias */
	return x->memsz > y->memsz ? -1 : x->memsz < y->memsz;
}

/* /proc/vmcore maps the kernel text twice: its own PT_LOAD lies inside the System RAM one.
 * Keep one view of each physical byte, so lookups can binary-search disjoint, ordered ranges:
 * a segment inside the previous one goes, one that overlaps it loses its front. */
static void flatten_segs(struct kd_dump *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nsegs; i++) {
		struct kd_seg s = d->segs[i];
		if (n) {
			const struct kd_seg *prev = &d->segs[n - 1];
			uint64_t end = prev->paddr + prev->memsz;
			if (s.paddr + s.memsz <= end)
				continue;
			if (s.paddr < end) {
				uint64_t cut = end - s.paddr;
				s.paddr += cut;
				s.offset += cut;
				s.vaddr += cut;
				s.memsz -= cut;
				s.size = s.size > cut ? s.size - cut : 0;
			}
		}
		d->segs[n++] = s;
	}
	d->nsegs = n;
}

kd_err *kd_dump_open_elf(struct kd_dump *d, const uint8_t *head, size_t head_len)
{
	d->format = "ELF";
	uint16_t phnum_field;
	uint64_t shoff;
	kd_err *e = kd_elf_parse_ehdr(head, head_len, &d->core, &phnum_field, &shoff);
	if (e)
		return e;
	if (d->core.type != ET_CORE)
		return kd_err_new(EINVAL, "ELF type %u is not a core file", d->core.type);
	if (d->core.machine == EM_X86_64)
		d->arch = &kd_arch_x86_64;
	if (phnum_field == PN_XNUM) {
		Elf64_Shdr sh0;
		if ((e = kd_dump_pread(d, shoff, &sh0, sizeof(sh0))))
			return kd_err_wrap(e, "section header 0");
		if ((e = kd_elf_xnum(&sh0, sizeof(sh0), &d->core.phnum)))
			return e;
	}
	size_t phlen = (size_t)d->core.phnum * sizeof(Elf64_Phdr);
	if (d->file_size && (d->core.phoff > d->file_size || phlen > d->file_size - d->core.phoff))
		return kd_err_new(EINVAL, "program headers (%u at %#llx) lie past the end of the file",
				  d->core.phnum, (unsigned long long)d->core.phoff);
	uint8_t *ph = malloc(phlen);
	if (!ph)
		return kd_err_new(ENOMEM, "reading %u program headers", d->core.phnum);
	e = kd_dump_pread(d, d->core.phoff, ph, phlen);
	if (!e)
		e = kd_elf_parse_phdrs(ph, phlen, &d->core, d->file_size);
	free(ph);
	if (e)
		return kd_err_wrap(e, "program headers");

	/* PT_NOTEs, concatenated; PT_LOADs as physical segments */
	size_t nload = 0;
	uint64_t notes = 0;
	for (uint32_t i = 0; i < d->core.phnum; i++) {
		const struct kd_elf_phdr *p = &d->core.phdrs[i];
		if (p->type == PT_LOAD)
			nload++;
		else if (p->type == PT_NOTE) {
			notes += p->filesz;
			if (notes > MAX_NOTES_BYTES)
				return kd_err_new(EINVAL, "notes larger than %u bytes", MAX_NOTES_BYTES);
		}
	}
	d->segs = calloc(nload ? nload : 1, sizeof(*d->segs));
	d->note_blob = malloc(notes ? notes : 1);
	if (!d->segs || !d->note_blob)
		return kd_err_new(ENOMEM, "reading program headers");
	for (uint32_t i = 0; i < d->core.phnum; i++) {
		const struct kd_elf_phdr *p = &d->core.phdrs[i];
		if (p->type == PT_LOAD) {
			d->segs[d->nsegs++] = (struct kd_seg){ p->paddr, p->filesz, p->memsz, p->offset,
							       p->vaddr };
		} else if (p->type == PT_NOTE && p->filesz) {
			/* each PT_NOTE is walked alone: alignment restarts at its start */
			uint8_t *blob = d->note_blob + d->note_len;
			if ((e = kd_dump_pread(d, p->offset, blob, p->filesz)))
				return kd_err_wrap(e, "PT_NOTE %u", i);
			d->note_len += p->filesz;
			if ((e = kd_elf_notes_walk(blob, p->filesz, kd_dump_add_note, d)))
				return kd_err_wrap(e, "PT_NOTE %u", i);
		}
	}
	qsort(d->segs, d->nsegs, sizeof(*d->segs), seg_cmp);
	flatten_segs(d);
	d->ops = &elf_ops;
	d->page_size = 4096;
	uint64_t ps = 0;
	if (d->vmcoreinfo) {
		kd_err_free(kd_vmcoreinfo_dec(d->vmcoreinfo, "PAGESIZE", &ps)); /* absent: 4096 */
		if (ps >= 1024 && ps <= (1u << 20) && !(ps & (ps - 1)))
			d->page_size = (uint32_t)ps;
	}
	for (size_t i = 0; i < d->nsegs; i++) {
		uint64_t end = d->segs[i].paddr + d->segs[i].memsz;
		if (end < d->segs[i].paddr) /* wraps: a hostile header */
			return kd_err_new(EINVAL, "PT_LOAD at %#llx wraps around the address space",
					  (unsigned long long)d->segs[i].paddr);
		uint64_t pfn_end = end / d->page_size + (end % d->page_size != 0);
		if (pfn_end > d->max_pfn)
			d->max_pfn = pfn_end;
	}
	return NULL;
}

/* Binary search for the segment holding paddr (segments are disjoint: flatten_segs). */
static const struct kd_seg *find_seg(const struct kd_dump *d, uint64_t paddr)
{
	size_t lo = 0, hi = d->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->segs[mid].paddr <= paddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct kd_seg *s = &d->segs[lo - 1];
	return paddr - s->paddr < s->memsz ? s : NULL;
}

static kd_err *elf_read_phys(struct kd_dump *d, uint64_t paddr, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		const struct kd_seg *s = find_seg(d, paddr);
		if (!s)
			return kd_err_new(EFAULT, "physical address %#llx is not in the dump",
					  (unsigned long long)paddr);
		uint64_t in = paddr - s->paddr;
		if (in >= s->size)
			return kd_err_new(EFAULT, "physical address %#llx was left out of the dump",
					  (unsigned long long)paddr);
		uint64_t room = s->size - in;
		size_t n = len < room ? len : (size_t)room;
		kd_err *e = kd_dump_pread(d, s->offset + in, p, n);
		if (e)
			return kd_err_wrap(e, "physical address %#llx", (unsigned long long)paddr);
		p += n;
		len -= n;
		paddr += n;
	}
	return NULL;
}

/* Set bits [a, b) of a bitmap whose bit 0 is pfn `base`. */
static void set_bits(uint8_t *bm, uint64_t base, uint64_t a, uint64_t b)
{
	for (uint64_t i = a - base; i < b - base; ) {
		if ((i & 7) == 0 && b - base - i >= 8) {
			uint64_t bytes = (b - base - i) / 8;
			memset(bm + i / 8, 0xff, bytes);
			i += bytes * 8;
		} else {
			bm[i / 8] |= (uint8_t)(1u << (i & 7));
			i++;
		}
	}
}

static kd_err *elf_pfn_bitmaps(struct kd_dump *d, uint64_t start, uint64_t end, uint8_t *exists,
			       uint8_t *held)
{
	uint64_t ps = d->page_size;
	for (size_t i = 0; i < d->nsegs; i++) {
		const struct kd_seg *s = &d->segs[i];
		/* a page is memory if any byte of it is; held if any byte is in the file */
		uint64_t first = s->paddr / ps;
		uint64_t mem_end = (s->paddr + s->memsz + ps - 1) / ps;
		uint64_t file_end = (s->paddr + s->size + ps - 1) / ps;
		uint64_t a = first > start ? first : start;
		if (exists && s->memsz) {
			uint64_t b = mem_end < end ? mem_end : end;
			if (a < b)
				set_bits(exists, start, a, b);
		}
		if (held && s->size) {
			uint64_t b = file_end < end ? file_end : end;
			if (a < b)
				set_bits(held, start, a, b);
		}
	}
	return NULL;
}

/* Segments overlapping [lo, hi): the first index (segments are sorted by paddr). */
static size_t first_seg_ending_after(const struct kd_dump *d, uint64_t lo)
{
	size_t l = 0, h = d->nsegs;
	while (l < h) {
		size_t m = l + (h - l) / 2;
		if (d->segs[m].paddr + d->segs[m].size <= lo)
			l = m + 1;
		else
			h = m;
	}
	return l;
}

static kd_err *elf_read_pages(struct kd_dump *d, uint64_t pfn, size_t n, void *buf)
{
	uint64_t ps = d->page_size;
	uint64_t lo = pfn * ps, hi = lo + (uint64_t)n * ps;
	uint8_t *out = buf;
	uint64_t covered = lo; /* everything before this is filled */
	/* Segments are sorted by start but, in the common case, also disjoint: fill in order and
	 * zero the gaps inside pages; a page with no file byte at all is not held. */
	for (size_t i = first_seg_ending_after(d, lo); i < d->nsegs && covered < hi; i++) {
		const struct kd_seg *s = &d->segs[i];
		if (s->paddr >= hi)
			break;
		uint64_t a = s->paddr > covered ? s->paddr : covered;
		uint64_t b = s->paddr + s->size < hi ? s->paddr + s->size : hi;
		if (a >= b)
			continue;
		if (a > covered) {
			/* a gap: allowed only inside a page that this segment also touches */
			if (a / ps != covered / ps && (covered % ps == 0 || a / ps > covered / ps + 1))
				return kd_err_new(ENOENT, "page %#llx is not in the dump",
						  (unsigned long long)((covered + ps - 1) / ps));
			memset(out + (covered - lo), 0, a - covered);
		}
		kd_err *e = kd_dump_pread(d, s->offset + (a - s->paddr), out + (a - lo), b - a);
		if (e)
			return kd_err_wrap(e, "reading pages %#llx-%#llx", (unsigned long long)pfn,
					   (unsigned long long)(pfn + n - 1));
		covered = b;
	}
	if (covered < hi) {
		if (covered % ps == 0)
			return kd_err_new(ENOENT, "page %#llx is not in the dump",
					  (unsigned long long)(covered / ps));
		uint64_t page_end = (covered / ps + 1) * ps;
		memset(out + (covered - lo), 0, page_end - covered);
		if (page_end < hi)
			return kd_err_new(ENOENT, "page %#llx is not in the dump",
					  (unsigned long long)(page_end / ps));
	}
	return NULL;
}

static int elf_file_offset(struct kd_dump *d, uint64_t pfn, size_t n, uint64_t *off)
{
	uint64_t ps = d->page_size, lo = pfn * ps, len = (uint64_t)n * ps;
	const struct kd_seg *s = find_seg(d, lo);
	if (!s || lo - s->paddr > s->size || len > s->size - (lo - s->paddr))
		return 0;
	*off = s->offset + (lo - s->paddr);
	return *off % 4096 == 0;
}

static const struct kd_format_ops elf_ops = {
	.reentrant_reads = 1,
	.read_phys = elf_read_phys,
	.pfn_bitmaps = elf_pfn_bitmaps,
	.read_pages = elf_read_pages,
	.file_offset = elf_file_offset,
};

/* Crash-lab probe for the writers and readers (run by tests/lab/check_formats.py on real dumps):
 *
 *   lab-write-kdump write [-c none|zlib|lzo|snappy|zstd] [-F] [-E] IN OUT
 *       copy every held page of dump IN into OUT: kdump-compressed with the codec (all-zero
 *       pages as the shared zero page), flattened with -F, ELF with -E
 *   lab-write-kdump compare REF DUMP
 *       every page DUMP holds must read identical in REF; prints
 *       "held N same N differ N unreadable N ref-only N"
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/codec.h"
#include "dumpfile/elfout.h"
#include "dumpfile/kdump.h"
#include "dumpfile/sink.h"
#include "vmcore/dump.h"
#include "vmcore/dump_priv.h"

#define CYCLE (1u << 20) /* pfns per cycle */

static int bit(const uint8_t *bm, uint64_t i) { return bm[i / 8] >> (i % 8) & 1; }

static int die(kd_err *e)
{
	kd_err_print(stderr, "lab-write-kdump", e);
	kd_err_free(e);
	return 1;
}

static void utsname_of(struct kd_dump *d, char uts[6][65])
{
	memset(uts, 0, 6 * 65);
	const struct kd_vmcoreinfo *vi = kd_dump_vmcoreinfo(d);
	uint64_t sym, off = 0;
	if (vi && !kd_vmcoreinfo_symbol(vi, "init_uts_ns", &sym)) {
		kd_err_free(kd_vmcoreinfo_offset(vi, "uts_namespace.name", &off));
		struct kd_mem m = kd_dump_mem(d);
		char buf[6 * 65];
		kd_err *e = kd_mem_read(&m, sym + off, buf, sizeof(buf));
		if (!e) {
			memcpy(uts, buf, sizeof(buf));
			for (int i = 0; i < 6; i++)
				uts[i][64] = 0;
			return;
		}
		kd_err_free(e);
	}
	strcpy(uts[0], "Linux");
	const char *rel = vi ? kd_vmcoreinfo_get(vi, "OSRELEASE") : NULL;
	snprintf(uts[2], 65, "%s", rel ? rel : "");
	strcpy(uts[4], "x86_64");
}

/* A page of an ELF dump read straight from its PT_LOADs (any that holds the bytes: the
 * reference must not depend on the reader under test), else through the reader. */
static kd_err *page_of(struct kd_dump *d, uint64_t pfn, uint8_t *buf)
{
	if (strcmp(kd_dump_format(d), "ELF"))
		return kd_dump_read_pages(d, pfn, 1, buf);
	uint32_t ps = kd_dump_page_size(d);
	uint64_t lo = pfn * ps, hi = lo + ps;
	int found = 0;
	memset(buf, 0, ps);
	for (uint32_t i = 0; i < d->core.phnum; i++) {
		const struct kd_elf_phdr *p = &d->core.phdrs[i];
		if (p->type != PT_LOAD || p->paddr >= hi || p->paddr + p->filesz <= lo)
			continue;
		uint64_t a = p->paddr > lo ? p->paddr : lo;
		uint64_t b = p->paddr + p->filesz < hi ? p->paddr + p->filesz : hi;
		kd_err *e = kd_dump_pread(d, p->offset + (a - p->paddr), buf + (a - lo), b - a);
		if (e)
			return e;
		found = 1;
	}
	return found ? NULL : kd_err_new(ENOENT, "page %#llx is in no PT_LOAD",
					 (unsigned long long)pfn);
}

static int is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static kd_err *write_kdump(struct kd_dump *d, struct kd_sink *s, enum kd_codec c)
{
	uint64_t max = kd_dump_max_pfn(d);
	uint32_t ps = kd_dump_page_size(d);
	size_t bmlen = CYCLE / 8;
	uint8_t *bm1 = malloc(bmlen), *bm2 = malloc(bmlen), *page = malloc(ps);
	size_t clen = kd_codec_bound(c, ps);
	uint8_t *cbuf = malloc(clen);
	/* level 1: all-zero pages share the zero page, every other page is kept */
	struct kd_kdump_meta m = { .page_size = ps, .max_mapnr = max, .codec = c, .dump_level = 1 };
	kd_err *e = NULL;
	for (uint64_t a = 0; a < max && !e; a += CYCLE) {
		uint64_t b = a + CYCLE < max ? a + CYCLE : max;
		if (!(e = kd_dump_pfn_bitmaps(d, a, b, NULL, bm2)))
			for (uint64_t i = 0; i < b - a; i++)
				m.num_dumpable += (uint64_t)bit(bm2, i);
	}
	const struct kd_note *notes;
	size_t nlen;
	m.nr_cpus = 0;
	for (size_t i = 0, n = kd_dump_notes(d, &notes); i < n; i++)
		m.nr_cpus += notes[i].type == NT_PRSTATUS;
	m.notes = kd_dump_note_blob(d, &nlen);
	m.notes_len = nlen;
	for (size_t i = 0, n = kd_dump_notes(d, &notes); i < n; i++)
		if (!strcmp(notes[i].name, "VMCOREINFO")) {
			m.vmcoreinfo = notes[i].desc;
			m.vmcoreinfo_len = notes[i].descsz;
		}
	int64_t pb = 0;
	if (kd_dump_vmcoreinfo(d))
		kd_err_free(kd_vmcoreinfo_number(kd_dump_vmcoreinfo(d), "phys_base", &pb));
	m.phys_base = (uint64_t)pb;
	utsname_of(d, m.utsname);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	m.time_sec = tv.tv_sec;
	m.time_usec = tv.tv_usec;
	struct kd_kdump *w = NULL;
	struct kd_codec_ctx *ctx = NULL;
	if (!e)
		e = kd_kdump_begin(s, &m, &w);
	if (!e && c != KD_CODEC_NONE)
		e = kd_codec_ctx_new(c, &ctx);
	for (uint64_t a = 0; a < max && !e; a += CYCLE) {
		uint64_t b = a + CYCLE < max ? a + CYCLE : max;
		if ((e = kd_dump_pfn_bitmaps(d, a, b, bm1, bm2)) ||
		    (e = kd_kdump_bitmaps(w, a, b, bm1, bm2)))
			break;
		for (uint64_t p = a; p < b && !e; p++) {
			if (!bit(bm2, p - a))
				continue;
			if ((e = page_of(d, p, page)))
				break;
			size_t n = clen;
			if (is_zero(page, ps))
				e = kd_kdump_zero_page(w);
			else if (ctx && !(e = kd_codec_compress(ctx, page, ps, cbuf, &n)) && n < ps)
				e = kd_kdump_page(w, cbuf, n, c);
			else if (!e)
				e = kd_kdump_page(w, page, ps, KD_CODEC_NONE);
		}
	}
	if (!e)
		e = kd_kdump_finish(w);
	kd_kdump_free(w);
	kd_codec_ctx_free(ctx);
	free(bm1);
	free(bm2);
	free(page);
	free(cbuf);
	return e;
}

static kd_err *write_elf(struct kd_dump *d, struct kd_sink *s)
{
	uint64_t max = kd_dump_max_pfn(d);
	uint32_t ps = kd_dump_page_size(d);
	size_t nlen;
	const void *blob = kd_dump_note_blob(d, &nlen);
	struct kd_elfout_meta m = { ps, EM_X86_64, blob, nlen };
	struct kd_elfout *w = NULL;
	kd_err *e = kd_elfout_new(&m, &w);
	if (e)
		return e;
	/* the input's PT_LOADs, in file order (kernel text first) */
	for (uint32_t i = 0; i < d->core.phnum && !e; i++) {
		const struct kd_elf_phdr *p = &d->core.phdrs[i];
		if (p->type == PT_LOAD)
			e = kd_elfout_map(w, p->paddr, p->memsz, p->vaddr);
	}
	uint8_t *bm = malloc(CYCLE / 8), *page = malloc(ps);
	for (uint64_t a = 0; a < max && !e; a += CYCLE) {
		uint64_t b = a + CYCLE < max ? a + CYCLE : max;
		if (!(e = kd_dump_pfn_bitmaps(d, a, b, NULL, bm)))
			e = kd_elfout_add_bitmap(w, a, b, bm);
	}
	if (!e)
		e = kd_elfout_begin(w, s);
	for (uint64_t a = 0; a < max && !e; a += CYCLE) {
		uint64_t b = a + CYCLE < max ? a + CYCLE : max;
		if ((e = kd_dump_pfn_bitmaps(d, a, b, NULL, bm)))
			break;
		for (uint64_t p = a; p < b && !e; p++)
			if (bit(bm, p - a) && !(e = page_of(d, p, page)))
				e = kd_elfout_page(w, page);
	}
	if (!e)
		e = kd_elfout_finish(w);
	kd_elfout_free(w);
	free(bm);
	free(page);
	return e;
}

static int compare(const char *ref_path, const char *path)
{
	struct kd_dump *r = NULL, *d = NULL;
	kd_err *e = kd_dump_open(ref_path, &r);
	if (!e)
		e = kd_dump_open(path, &d);
	if (e)
		return die(e);
	uint32_t ps = kd_dump_page_size(d);
	uint64_t max = kd_dump_max_pfn(d), held = 0, same = 0, differ = 0, bad = 0, ref_only = 0;
	uint8_t *hd = malloc(CYCLE / 8), *hr = malloc(CYCLE / 8), *a = malloc(ps), *b = malloc(ps);
	uint64_t rmax = kd_dump_max_pfn(r) > max ? kd_dump_max_pfn(r) : max;
	for (uint64_t c = 0; c < rmax; c += CYCLE) {
		uint64_t end = c + CYCLE;
		if ((e = kd_dump_pfn_bitmaps(d, c, end, NULL, hd)) ||
		    (e = kd_dump_pfn_bitmaps(r, c, end, NULL, hr)))
			return die(e);
		for (uint64_t p = c; p < end && p < rmax; p++) {
			int in_d = bit(hd, p - c), in_r = bit(hr, p - c);
			if (in_r && !in_d)
				ref_only++;
			if (!in_d)
				continue;
			held++;
			kd_err *e1 = kd_dump_read_pages(d, p, 1, a);
			kd_err *e2 = in_r ? page_of(r, p, b) : NULL;
			if (e1 || e2 || !in_r) {
				if (bad < 5) {
					fprintf(stderr, "pfn %#llx: ", (unsigned long long)p);
					if (e1 || e2)
						kd_err_print(stderr, "unreadable", e1 ? e1 : e2);
					else
						fprintf(stderr, "not in the reference\n");
				}
				bad++;
			} else if (memcmp(a, b, ps)) {
				if (differ < 5)
					fprintf(stderr, "pfn %#llx differs\n", (unsigned long long)p);
				differ++;
			} else {
				same++;
			}
			kd_err_free(e1);
			kd_err_free(e2);
		}
	}
	printf("held %llu same %llu differ %llu unreadable %llu ref-only %llu\n",
	       (unsigned long long)held, (unsigned long long)same, (unsigned long long)differ,
	       (unsigned long long)bad, (unsigned long long)ref_only);
	kd_dump_close(r);
	kd_dump_close(d);
	free(hd);
	free(hr);
	free(a);
	free(b);
	return differ || bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "compare"))
		return compare(argv[2], argv[3]);
	if (argc < 4 || strcmp(argv[1], "write")) {
		fprintf(stderr, "usage: lab-write-kdump write [-c CODEC] [-F] [-E] IN OUT\n"
			"       lab-write-kdump compare REF DUMP\n");
		return 2;
	}
	enum kd_codec c = KD_CODEC_ZLIB;
	int flat = 0, elf = 0, i = 2;
	for (; i < argc - 2; i++) {
		if (!strcmp(argv[i], "-F"))
			flat = 1;
		else if (!strcmp(argv[i], "-E"))
			elf = 1;
		else if (!strcmp(argv[i], "-c") && i + 1 < argc - 2) {
			const char *n = argv[++i];
			for (int k = KD_CODEC_NONE; k <= KD_CODEC_ZSTD; k++)
				if (!strcmp(n, kd_codec_name((enum kd_codec)k)))
					c = (enum kd_codec)k;
		}
	}
	struct kd_dump *d = NULL;
	kd_err *e = kd_dump_open(argv[argc - 2], &d);
	if (e)
		return die(e);
	const char *out = argv[argc - 1];
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return die(kd_err_errno("opening %s", out));
	struct kd_sink *s = NULL;
	e = flat ? kd_sink_flat(fd, out, &s) : kd_sink_file(fd, out, &s);
	if (!e)
		e = elf ? write_elf(d, s) : write_kdump(d, s, c);
	kd_sink_free(s);
	close(fd);
	kd_dump_close(d);
	return e ? die(e) : 0;
}

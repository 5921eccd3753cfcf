#include "vmcore/dump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "vmcore/dump_priv.h"

kd_err *kd_dump_pread(struct kd_dump *d, uint64_t offset, void *buf, size_t len)
{
	if (d->flat)
		return kd_flat_pread(d, offset, buf, len);
	return kd_dump_pread_raw(d, offset, buf, len);
}

kd_err *kd_dump_pread_raw(struct kd_dump *d, uint64_t offset, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(d->fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_errno("reading %s at offset %#llx", d->path,
					    (unsigned long long)offset);
		if (n == 0)
			return kd_err_new(EIO, "reading %s at offset %#llx: the file ends there "
					  "(truncated dump?)", d->path, (unsigned long long)offset);
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return NULL;
}

kd_err *kd_dump_read_phys(struct kd_dump *d, uint64_t paddr, void *buf, size_t len)
{
	return d->ops->read_phys(d, paddr, buf, len);
}

uint32_t kd_dump_page_size(const struct kd_dump *d) { return d->page_size; }
uint64_t kd_dump_max_pfn(const struct kd_dump *d) { return d->max_pfn; }

kd_err *kd_dump_pfn_bitmaps(struct kd_dump *d, uint64_t start, uint64_t end, uint8_t *exists,
			    uint8_t *held)
{
	if (start % 8 || end < start)
		return kd_err_new(EINVAL, "pfn bitmaps: bad range %#llx-%#llx",
				  (unsigned long long)start, (unsigned long long)end);
	size_t bytes = (size_t)((end - start + 7) / 8);
	if (exists)
		memset(exists, 0, bytes);
	if (held)
		memset(held, 0, bytes);
	if (start >= d->max_pfn)
		return NULL;
	if (end > d->max_pfn)
		end = d->max_pfn;
	return d->ops->pfn_bitmaps(d, start, end, exists, held);
}

int kd_dump_prefers_mmap(const struct kd_dump *d)
{
	return d->prefer_mmap;
}

int kd_dump_parallel_reads(const struct kd_dump *d)
{
	return d->ops->reentrant_reads && !d->flat;
}

kd_err *kd_dump_read_pages(struct kd_dump *d, uint64_t pfn, size_t n, void *buf)
{
	if (pfn > d->max_pfn || n > d->max_pfn - pfn)
		return kd_err_new(ENOENT, "pages %#llx-%#llx: past the end of the dump's memory",
				  (unsigned long long)pfn, (unsigned long long)(pfn + n - 1));
	return d->ops->read_pages(d, pfn, n, buf);
}

/* As makedumpfile does with /proc/vmcore: map windows of the file rather than copy it through
 * read(). Windows are aligned, so a sequential walk maps each part once. */
#define MAP_WINDOW (4ull << 20)

static int mappable(struct kd_dump *d, uint64_t pfn, size_t n, uint64_t *off)
{
	return d->ops->file_offset && !d->no_mmap && pfn <= d->max_pfn &&
	       n <= d->max_pfn - pfn && d->ops->file_offset(d, pfn, n, off);
}

void kd_dump_map_pages(struct kd_dump *d, uint64_t pfn, size_t n, const uint8_t **out)
{
	uint64_t fo, len = (uint64_t)n * d->page_size;
	*out = NULL;
	if (!mappable(d, pfn, n, &fo))
		return;
	if (!d->win || fo < d->win_off || fo + len > d->win_off + d->win_len) {
		if (d->win)
			munmap(d->win, d->win_len);
		d->win = NULL;
		uint64_t off = fo - fo % MAP_WINDOW, wlen = MAP_WINDOW;
		if (fo + len > off + wlen)
			wlen = (fo + len - off + 4095) / 4096 * 4096;
		if (d->file_size && off + wlen > d->file_size)
			wlen = (d->file_size - off + 4095) / 4096 * 4096;
		if (fo + len > off + wlen)
			return;
		void *m = mmap(NULL, (size_t)wlen, PROT_READ, MAP_PRIVATE, d->fd, (off_t)off);
		if (m == MAP_FAILED) {
			d->no_mmap = 1; /* e.g. a pipe, or a kernel without vmcore mmap */
			return;
		}
		madvise(m, (size_t)wlen, MADV_SEQUENTIAL);
		d->win = m;
		d->win_off = off;
		d->win_len = wlen;
	}
	*out = d->win + (fo - d->win_off);
}

void kd_dump_map_owned(struct kd_dump *d, uint64_t pfn, size_t n, struct kd_dump_mapping *m)
{
	uint64_t fo;
	m->base = NULL;
	m->pages = NULL;
	if (!mappable(d, pfn, n, &fo))
		return;
	m->len = (size_t)n * d->page_size;
	void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, d->fd, (off_t)fo);
	if (p == MAP_FAILED) {
		d->no_mmap = 1;
		return;
	}
	m->base = p;
	m->pages = p;
}

void kd_dump_unmap_owned(struct kd_dump_mapping *m)
{
	if (m->base)
		munmap(m->base, m->len);
	m->base = NULL;
	m->pages = NULL;
}

kd_err *kd_dump_add_note(void *ctx, const struct kd_elf_note *n)
{
	struct kd_dump *d = ctx;
	if (d->nnotes == d->notes_cap) {
		size_t cap = d->notes_cap ? d->notes_cap * 2 : 16;
		void *nn = realloc(d->notes, cap * sizeof(*d->notes));
		if (!nn)
			return kd_err_new(ENOMEM, "collecting notes");
		d->notes = nn;
		d->notes_cap = cap;
	}
	d->notes[d->nnotes++] = (struct kd_note){ n->name, n->type, n->desc, n->descsz };
	if (!strcmp(n->name, "VMCOREINFO")) {
		kd_vmcoreinfo_free(d->vmcoreinfo);
		d->vmcoreinfo = NULL;
		kd_err *e = kd_vmcoreinfo_parse((const char *)n->desc, n->descsz, &d->vmcoreinfo);
		if (e)
			return kd_err_wrap(e, "VMCOREINFO note");
	}
	return NULL;
}

kd_err *kd_dump_take_notes(struct kd_dump *d, uint8_t *blob, size_t len)
{
	free(d->note_blob);
	d->note_blob = blob;
	d->note_len = len;
	return kd_elf_notes_walk(blob, len, kd_dump_add_note, d);
}

static kd_err *mem_read_virt(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	return kd_dump_read_virt(ctx, vaddr, buf, len);
}

static kd_err *mem_read_phys(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	return kd_dump_read_phys(ctx, paddr, buf, len);
}

struct kd_mem kd_dump_mem(struct kd_dump *d)
{
	struct kd_mem m = { mem_read_virt, mem_read_phys, d, d->vmcoreinfo };
	return m;
}

kd_err *kd_dump_open(const char *path, struct kd_dump **out)
{
	struct kd_dump *d = calloc(1, sizeof(*d));
	if (!d)
		return kd_err_new(ENOMEM, "opening %s", path);
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	d->path = strdup(path);
	kd_err *e = NULL;
	if (d->fd < 0)
		e = kd_err_errno("opening %s", path);
	else if (!d->path)
		e = kd_err_new(ENOMEM, "opening %s", path);
	struct stat st;
	if (!e && fstat(d->fd, &st) < 0)
		e = kd_err_errno("stat %s", path);
	uint8_t head[4096];
	ssize_t got = 0;
	if (!e) {
		/* /proc/vmcore reports its size; a pipe or device may not */
		d->file_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
		/* /proc/vmcore: read() copies each page out of the old kernel's memory through a
		 * temporary mapping, mmap() maps it once (makedumpfile's choice there too); a file in
		 * the page cache is cheaper to pread than to map and unmap */
		struct statfs sf;
		d->prefer_mmap = fstatfs(d->fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
		/* a dump on disk is read front to back: a larger read-ahead */
		if (S_ISREG(st.st_mode) && !d->prefer_mmap)
			posix_fadvise(d->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		got = pread(d->fd, head, sizeof(head), 0);
		if (got < 0)
			e = kd_err_errno("reading %s", path);
	}
	if (!e) {
		if (got >= 4 && !memcmp(head, ELFMAG, SELFMAG))
			e = kd_dump_open_elf(d, head, (size_t)got);
		else if (got >= 8 && !memcmp(head, "KDUMP   ", 8))
			e = kd_dump_open_kdump(d, head, (size_t)got);
		else if (got >= 12 && !memcmp(head, "makedumpfile", 12))
			e = kd_dump_open_flat(d, head, (size_t)got);
		else
			e = kd_err_new(EINVAL, "not a dump: no ELF, kdump-compressed or flattened "
				       "signature");
	}
	if (e) {
		kd_dump_close(d);
		return kd_err_wrap(e, "opening %s", path);
	}
	if (d->arch) {
		d->arch_err = d->arch->init(d);
		if (d->arch_err)
			d->arch_err = kd_err_wrap(d->arch_err, "%s address translation", d->arch->name);
	}
	*out = d;
	return NULL;
}

void kd_dump_close(struct kd_dump *d)
{
	if (!d)
		return;
	if (d->ops && d->ops->close)
		d->ops->close(d);
	if (d->win)
		munmap(d->win, d->win_len);
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	kd_elf_core_free(&d->core);
	free(d->segs);
	free(d->note_blob);
	free(d->notes);
	kd_vmcoreinfo_free(d->vmcoreinfo);
	kd_flat_free(d->flat);
	kd_err_free(d->arch_err);
	free(d);
}

const char *kd_dump_format(const struct kd_dump *d) { return d->format; }

int kd_dump_level(const struct kd_dump *d, uint32_t *level)
{
	if (d->has_dump_level)
		*level = d->dump_level;
	return d->has_dump_level;
}

int kd_dump_incomplete(const struct kd_dump *d) { return d->incomplete; }
const struct kd_vmcoreinfo *kd_dump_vmcoreinfo(const struct kd_dump *d) { return d->vmcoreinfo; }

size_t kd_dump_maps(const struct kd_dump *d, struct kd_dump_map *out, size_t max)
{
	size_t n = 0;
	for (uint32_t i = 0; d->core.phdrs && i < d->core.phnum; i++) {
		const struct kd_elf_phdr *p = &d->core.phdrs[i];
		if (p->type != PT_LOAD)
			continue;
		if (n < max)
			out[n] = (struct kd_dump_map){ p->paddr, p->vaddr, p->memsz };
		n++;
	}
	return n;
}

const void *kd_dump_note_blob(const struct kd_dump *d, size_t *len)
{
	*len = d->note_len;
	return d->note_blob;
}

size_t kd_dump_notes(const struct kd_dump *d, const struct kd_note **notes)
{
	*notes = d->notes;
	return d->nnotes;
}

kd_err *kd_dump_read_virt(struct kd_dump *d, uint64_t vaddr, void *buf, size_t len)
{
	if (!d->arch)
		return kd_err_new(ENOTSUP, "reading virtual address %#llx: no address translation "
				  "for this architecture", (unsigned long long)vaddr);
	if (d->arch_err) {
		char why[256];
		kd_err_format(d->arch_err, why, sizeof(why));
		return kd_err_new(kd_err_errnum(d->arch_err), "reading virtual address %#llx: %s",
				  (unsigned long long)vaddr, why);
	}
	uint8_t *p = buf;
	while (len) {
		uint64_t paddr, room;
		kd_err *e = d->arch->vtop(d, vaddr, &paddr, &room);
		if (e)
			return kd_err_wrap(e, "reading virtual address %#llx", (unsigned long long)vaddr);
		size_t n = len < room ? len : (size_t)room;
		e = kd_dump_read_phys(d, paddr, p, n);
		if (e)
			return kd_err_wrap(e, "reading virtual address %#llx", (unsigned long long)vaddr);
		p += n;
		len -= n;
		vaddr += n;
	}
	return NULL;
}

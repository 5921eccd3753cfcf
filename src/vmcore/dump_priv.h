/* Inside vmcore/: what a dump format backend and an architecture provide. */
#ifndef KD_VMCORE_DUMP_PRIV_H
#define KD_VMCORE_DUMP_PRIV_H

#include "elf/elf64.h"
#include "vmcore/dump.h"

/* A physical range present in an ELF dump. */
struct kd_seg {
	uint64_t paddr, size;  /* in the file: [paddr, paddr + size) */
	uint64_t memsz;        /* the segment's extent in memory (>= size) */
	uint64_t offset;       /* file offset of paddr */
	uint64_t vaddr;
};

struct kd_arch {
	const char *name;
	/* Prepare translation from VMCOREINFO; an error means virtual reads will fail. */
	kd_err *(*init)(struct kd_dump *d);
	/* Kernel virtual -> physical; *room = bytes until the end of the mapping page. */
	kd_err *(*vtop)(struct kd_dump *d, uint64_t vaddr, uint64_t *paddr, uint64_t *room);
};

extern const struct kd_arch kd_arch_x86_64;

/* vtop cache: recent leaf translations (4K, 2M or 1G), so a walk over a 2M-mapped vmemmap or
 * the direct map costs one page walk per leaf, and reads span the whole leaf. */
#define KD_TLB_SIZE 16
struct kd_tlb_entry {
	uint64_t vbase, pbase, size; /* size 0: empty */
};

/* What a dump format backend provides (elf_dump.c; kdump-compressed, flattened, ...). */
struct kd_format_ops {
	kd_err *(*read_phys)(struct kd_dump *d, uint64_t paddr, void *buf, size_t len);
	kd_err *(*pfn_bitmaps)(struct kd_dump *d, uint64_t start, uint64_t end, uint8_t *exists,
			       uint8_t *held);
	kd_err *(*read_pages)(struct kd_dump *d, uint64_t pfn, size_t n, void *buf);
	/* optional: the file offset of pfns [pfn, pfn + n) when they are one page-aligned,
	 * file-backed run (0: not so; read them instead) */
	int (*file_offset)(struct kd_dump *d, uint64_t pfn, size_t n, uint64_t *off);
	void (*close)(struct kd_dump *d); /* frees d->fmt; may be NULL */
	/* read_pages only preads the file and keeps no state: several threads may call it at
	 * once (not through a flattened stream's index) */
	int reentrant_reads;
};

struct kd_dump {
	const struct kd_format_ops *ops;
	void *fmt;             /* the backend's own state */
	uint32_t page_size;
	uint64_t max_pfn;
	int fd;
	char *path;
	uint64_t file_size;
	const char *format;
	struct kd_elf_core core;
	struct kd_seg *segs;   /* sorted by paddr */
	size_t nsegs;
	uint8_t *note_blob;
	size_t note_len;
	struct kd_note *notes;
	size_t nnotes, notes_cap;
	struct kd_vmcoreinfo *vmcoreinfo;
	struct kd_flat_index *flat; /* flattened: where each dump offset is in the file */
	int has_dump_level;    /* kdump-compressed: the -d the dump was filtered with */
	uint32_t dump_level;
	int incomplete;        /* kdump-compressed: the writer never finished */
	const struct kd_arch *arch;
	kd_err *arch_err;      /* why virtual reads cannot work, if they cannot */
	/* x86_64 translation state */
	uint64_t pgd_paddr, phys_base, sme_mask;
	int levels;
	struct kd_tlb_entry tlb[KD_TLB_SIZE];
	unsigned tlb_next;     /* round-robin victim */
	/* mmap window over the file (ELF: /proc/vmcore or a copy), MAP_WINDOW bytes at a time */
	uint8_t *win;
	uint64_t win_off, win_len;
	int no_mmap;           /* the file refused mmap: read() from now on */
	int prefer_mmap;       /* /proc/vmcore: map it rather than read it */
};

/* Backends: fill ops, format, page_size, max_pfn, notes/vmcoreinfo (and arch, when known). */
kd_err *kd_dump_open_elf(struct kd_dump *d, const uint8_t *head, size_t head_len);
kd_err *kd_dump_read_phys(struct kd_dump *d, uint64_t paddr, void *buf, size_t len);
kd_err *kd_dump_read_virt(struct kd_dump *d, uint64_t vaddr, void *buf, size_t len);
/* Read dump bytes at offset: the file itself, or through a flattened stream's index. */
kd_err *kd_dump_pread(struct kd_dump *d, uint64_t offset, void *buf, size_t len);
kd_err *kd_dump_pread_raw(struct kd_dump *d, uint64_t offset, void *buf, size_t len);

/* kdump_dump.c: kdump-compressed; flat_dump.c: flattened (indexes, then opens what is inside) */
struct kd_flat_index;
kd_err *kd_dump_open_kdump(struct kd_dump *d, const uint8_t *head, size_t head_len);
kd_err *kd_dump_open_flat(struct kd_dump *d, const uint8_t *head, size_t head_len);
kd_err *kd_flat_pread(struct kd_dump *d, uint64_t offset, void *buf, size_t len);
void kd_flat_free(struct kd_flat_index *fi);
/* One note into d->notes (the VMCOREINFO one is parsed): a kd_elf_notes_walk callback. */
kd_err *kd_dump_add_note(void *ctx, const struct kd_elf_note *n);
/* Take ownership of a note blob: walk it into d->notes, parse VMCOREINFO from it. */
kd_err *kd_dump_take_notes(struct kd_dump *d, uint8_t *blob, size_t len);

#endif

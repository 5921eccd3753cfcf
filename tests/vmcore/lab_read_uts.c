/* Crash-lab probe for the dump reader: opens a real dump and prints what only a working virtual
 * read can give: init_uts_ns's release, read through the dead kernel's page tables, and the
 * same through the direct map of its physical address. run_lab.py compares them with
 * VMCOREINFO's OSRELEASE.
 *   lab-read-uts DUMP  ->  "format levels release-via-symbol release-via-directmap" */
#include <stdio.h>
#include <string.h>

#include "vmcore/dump.h"
#include "vmcore/dump_priv.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lab-read-uts DUMP\n");
		return 2;
	}
	struct kd_dump *d;
	kd_err *e = kd_dump_open(argv[1], &d);
	if (e) {
		kd_err_print(stderr, "lab-read-uts", e);
		return 1;
	}
	const struct kd_vmcoreinfo *vi = kd_dump_vmcoreinfo(d);
	uint64_t uts, off = 0;
	char rel[65] = "";
	e = kd_vmcoreinfo_symbol(vi, "init_uts_ns", &uts);
	if (!e) {
		kd_err_free(kd_vmcoreinfo_offset(vi, "uts_namespace.name", &off));
		/* struct new_utsname: sysname[65], nodename[65], release[65] */
		struct kd_mem m = kd_dump_mem(d);
		e = kd_mem_read(&m, uts + off + 2 * 65, rel, 64);
	}
	if (e) {
		kd_err_print(stderr, "lab-read-uts", e);
		kd_dump_close(d);
		return 1;
	}
	/* The direct map: an ELF vmcore's PT_LOADs carry their virtual addresses; translate the
	 * physical address of the release string back into its direct-map alias and read that. */
	uint64_t paddr = 0, room = 0, dm = 0;
	char rel2[65] = "";
	e = d->arch->vtop(d, uts + off + 2 * 65, &paddr, &room);
	for (size_t i = 0; !e && i < d->nsegs; i++) {
		const struct kd_seg *s = &d->segs[i];
		if (s->vaddr < 0xffffffff80000000ULL && paddr >= s->paddr && paddr - s->paddr < s->size)
			dm = s->vaddr + (paddr - s->paddr);
	}
	if (!e && dm) {
		struct kd_mem m = kd_dump_mem(d);
		e = kd_mem_read(&m, dm, rel2, 64);
	}
	if (e) {
		kd_err_print(stderr, "lab-read-uts", e);
		kd_dump_close(d);
		return 1;
	}
	printf("%s %d %s %s\n", kd_dump_format(d), d->levels, rel, dm ? rel2 : "-");
	kd_dump_close(d);
	return 0;
}

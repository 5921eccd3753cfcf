/* The triage report: what crashed, where and why, from any dump kd_dump_open() reads, with
 * nothing but the dump (no vmlinux, no debuginfo).
 *
 * Sources, each used for what it really holds:
 *   VMCOREINFO        release, BUILD-ID, CRASHTIME, the kallsyms tables (6.0+)
 *   NT_PRSTATUS       one per CPU: the crashing CPU's registers
 *   the log           (printk/ kd_printk_walk) the panic/oops text, task, taint, modules, trace
 *   kallsyms          RIP and stack words as func+off/size; panic_cpu, tainted_mask
 *   page-frame API    the machine's memory
 * Whatever cannot be read is left out and a line in `problems` says why; building a report
 * only fails (exit 1 in the applet) when the dump has neither a log nor CPU registers. */
#ifndef KD_REPORT_REPORT_H
#define KD_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "report/kallsyms.h"
#include "report/logscan.h"
#include "report/prstatus.h"
#include "vmcore/dump.h"

#define KD_REPORT_CONTEXT_LINES 20
#define KD_REPORT_MAX_PROBLEMS 16
#define KD_REPORT_MAX_SCAN 24

struct kd_scanframe {
	uint64_t addr;
	uint64_t stack_addr;
	char func[KD_KALLSYMS_NAME_MAX + 1];
	uint64_t offset, size; /* as %pB prints a return address */
	char sym[KD_KALLSYMS_NAME_MAX + 48];
};

struct kd_report {
	/* the dump */
	const char *path; /* set by the caller, shown in the output; may stay NULL */
	char release[128], build_id[128], format[32], level[96];
	int have_crashtime;
	uint64_t crashtime;
	size_t ncpus; /* NT_PRSTATUS notes */
	uint64_t page_size, max_pfn, ram_pages, held_pages;
	int have_ram;

	/* the log */
	int have_log;
	const char *log_format;
	size_t nlines;
	struct kd_logline *lines; /* owned; texts point into log_text */
	char *log_text;
	uint64_t log_damaged;
	struct kd_logscan scan;

	/* kallsyms */
	struct kd_kallsyms *ks;
	int have_panic_cpu, panic_cpu;
	int have_taint_mask;
	uint64_t taint_mask;

	/* the crashing CPU */
	int have_cpu;
	size_t cpu_note;         /* index of its NT_PRSTATUS note (= CPU number in a vmcore) */
	char cpu_rule[160];      /* how it was chosen */
	struct kd_prstatus regs;
	char rip_sym[KD_KALLSYMS_NAME_MAX + 96]; /* "func+0x5/0x20 [mod]" or "" */
	char rip_func[KD_KALLSYMS_NAME_MAX];     /* "func" or "" */
	const char *rip_source;  /* "kallsyms", "log" (module code: the oops' RIP line) or NULL */

	/* the trace */
	const char *trace_source; /* "log", "stack-scan" or NULL */
	size_t nscan;
	struct kd_scanframe scan_frames[KD_REPORT_MAX_SCAN];

	char site[KD_KALLSYMS_NAME_MAX + 96]; /* where, for people ("" unknown) */
	const char *site_how;

	char signature[17];
	char signature_input[512];

	size_t nproblems;
	char problems[KD_REPORT_MAX_PROBLEMS][256];
};

/* Build the report; `*out` is set whenever the dump could be examined at all. */
kd_err *kd_report_build(struct kd_dump *d, struct kd_report **out);
void kd_report_free(struct kd_report *r);

/* Decoded taint letters, e.g. "O (out-of-tree module), E (unsigned module)". */
void kd_taint_describe(const char *letters, char *buf, size_t n);
/* Letters of a tainted_mask value, in the kernel's order. */
void kd_taint_letters(uint64_t mask, char *buf, size_t n);

/* Human output (fits 100 columns) and JSON (docs/REPORT-JSON.md). */
kd_err *kd_report_print_text(const struct kd_report *r, FILE *out);
kd_err *kd_report_print_json(const struct kd_report *r, FILE *out);

#endif

/* Building the triage report from a dump: see report.h. */
#include "report/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "printk/printk.h"
#include "report/signature.h"

#define NT_PRSTATUS 1
/* x86_64 THREAD_SIZE (16 KiB, without KASAN): a task stack ends at the next such boundary. */
#define STACK_SIZE 0x4000u
/* The log is copied into memory; a real ring is at most a few MiB. */
#define LOG_MAX_BYTES (256u << 20)

static void problem(struct kd_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct kd_report *r, const char *fmt, ...)
{
	if (r->nproblems >= KD_REPORT_MAX_PROBLEMS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->problems[r->nproblems++], sizeof(r->problems[0]), fmt, ap);
	va_end(ap);
}

static void problem_err(struct kd_report *r, kd_err *e, const char *what)
{
	char buf[200];
	kd_err_format(e, buf, sizeof(buf));
	problem(r, "%s: %s", what, buf);
	kd_err_free(e);
}

/* --- the log, as lines --- */

struct collect {
	char *text;
	size_t len, cap;
	struct rec { size_t off, len; uint64_t ts; } *recs;
	size_t nrecs, rcap;
	int full;
};

static kd_err *collect_record(void *arg, const struct kd_printk_record *rec)
{
	struct collect *c = arg;
	if (rec->kind == KD_PRINTK_WRAP_MARKER || c->full)
		return NULL;
	if (c->len + rec->len + 1 > LOG_MAX_BYTES) {
		c->full = 1;
		return NULL;
	}
	if (c->len + rec->len + 1 > c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 1 << 20;
		while (nc < c->len + rec->len + 1)
			nc *= 2;
		char *p = realloc(c->text, nc);
		if (!p)
			return kd_err_new(ENOMEM, "copying the log");
		c->text = p;
		c->cap = nc;
	}
	if (c->nrecs == c->rcap) {
		size_t nc = c->rcap ? c->rcap * 2 : 4096;
		struct rec *p = realloc(c->recs, nc * sizeof(*p));
		if (!p)
			return kd_err_new(ENOMEM, "copying the log");
		c->recs = p;
		c->rcap = nc;
	}
	memcpy(c->text + c->len, rec->text, rec->len);
	c->recs[c->nrecs++] = (struct rec){ c->len, rec->len, rec->ts_nsec };
	c->len += rec->len;
	c->text[c->len++] = '\n';
	return NULL;
}

/* Records may hold several lines (and legacy logs are one stream): one kd_logline each. */
static kd_err *split_lines(struct collect *c, struct kd_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nrecs; i++) {
		n++;
		for (size_t j = 0; j < c->recs[i].len; j++)
			n += c->text[c->recs[i].off + j] == '\n';
	}
	r->lines = calloc(n ? n : 1, sizeof(*r->lines));
	if (!r->lines)
		return kd_err_new(ENOMEM, "indexing the log");
	size_t k = 0;
	for (size_t i = 0; i < c->nrecs; i++) {
		const char *s = c->text + c->recs[i].off, *end = s + c->recs[i].len;
		for (;;) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			const char *e = nl ? nl : end;
			if (e > s || !nl) /* empty pieces between newlines are dropped */
				r->lines[k++] = (struct kd_logline){ s, (size_t)(e - s), c->recs[i].ts };
			if (!nl)
				break;
			s = nl + 1;
		}
	}
	r->nlines = k;
	r->log_text = c->text;
	c->text = NULL;
	return NULL;
}

static void read_log(struct kd_report *r, const struct kd_mem *mem)
{
	struct collect c = { 0 };
	struct kd_printk_stats st;
	kd_err *e = kd_printk_walk(mem, collect_record, &c, &st);
	r->log_format = kd_printk_format_name(st.format);
	r->log_damaged = st.damaged;
	if (e) {
		if (c.nrecs)
			problem_err(r, e, "log partly read");
		else
			problem_err(r, e, "log unreadable");
	} else if (st.damaged) {
		problem(r, "log: %" PRIu64 " damaged records (first: %s)", st.damaged, st.problem);
	}
	if (c.full)
		problem(r, "log: longer than %u MiB, the rest is left out", LOG_MAX_BYTES >> 20);
	if (c.nrecs) {
		e = split_lines(&c, r);
		if (e)
			problem_err(r, e, "log");
		else
			r->have_log = 1;
	}
	free(c.text);
	free(c.recs);
	if (r->have_log)
		kd_logscan(r->lines, r->nlines, &r->scan);
	else
		memset(&r->scan, 0, sizeof(r->scan));
}

/* --- the dump's own facts --- */

static void copy_key(const struct kd_vmcoreinfo *vi, const char *key, char *dst, size_t n)
{
	const char *v = vi ? kd_vmcoreinfo_get(vi, key) : NULL;
	snprintf(dst, n, "%s", v ? v : "");
}

static void read_machine(struct kd_report *r, struct kd_dump *d)
{
	snprintf(r->format, sizeof(r->format), "%s", kd_dump_format(d));
	const struct kd_note *notes;
	size_t nn = kd_dump_notes(d, &notes);
	for (size_t i = 0; i < nn; i++)
		r->ncpus += notes[i].type == NT_PRSTATUS;

	r->page_size = kd_dump_page_size(d);
	r->max_pfn = kd_dump_max_pfn(d);
	enum { CHUNK = 1 << 20 }; /* pfns per bitmap read: 128 KiB */
	uint8_t *exists = malloc(CHUNK / 8), *held = malloc(CHUNK / 8);
	int ok = exists && held;
	if (!ok)
		problem(r, "memory size: out of memory");
	uint64_t pages = 0, kept = 0;
	for (uint64_t s = 0; ok && s < r->max_pfn; s += CHUNK) {
		uint64_t e = s + CHUNK < r->max_pfn ? s + CHUNK : r->max_pfn;
		kd_err *err = kd_dump_pfn_bitmaps(d, s, e, exists, held);
		if (err) {
			problem_err(r, err, "memory size");
			ok = 0;
			break;
		}
		for (uint64_t i = 0; i < (e - s + 7) / 8; i++) {
			pages += (uint64_t)__builtin_popcount(exists[i]);
			kept += (uint64_t)__builtin_popcount(held[i]);
		}
	}
	free(exists);
	free(held);
	if (ok) {
		r->ram_pages = pages;
		r->held_pages = kept;
		r->have_ram = 1;
	}

	/* What the dump kept: a kdump-compressed file records its -d level; an ELF file does
	 * not, but the page-frame API tells whether every page is there. */
	uint32_t level;
	char held_txt[64] = "";
	if (r->have_ram && pages)
		snprintf(held_txt, sizeof(held_txt), ", %" PRIu64 "%% of pages held",
			 kept * 100 / pages);
	if (kd_dump_level(d, &level))
		snprintf(r->level, sizeof(r->level), "dump level %" PRIu32 "%s%s", level, held_txt,
			 kd_dump_incomplete(d) ? ", incomplete" : "");
	else if (r->have_ram && kept == pages)
		snprintf(r->level, sizeof(r->level), "all pages");
	else if (r->have_ram)
		snprintf(r->level, sizeof(r->level), "filtered%s", held_txt);
	else
		snprintf(r->level, sizeof(r->level), "dump level not recorded");
}

static void read_kallsyms(struct kd_report *r, const struct kd_mem *mem)
{
	kd_err *e = kd_kallsyms_load(mem, &r->ks);
	if (e) {
		problem_err(r, e, "no symbols");
		return;
	}
	uint64_t a;
	int32_t cpu;
	if (!kd_kallsyms_find(r->ks, "panic_cpu", &a)) {
		if (!(e = kd_mem_read(mem, a, &cpu, sizeof(cpu)))) {
			r->have_panic_cpu = cpu >= 0;
			r->panic_cpu = cpu;
		} else {
			problem_err(r, e, "panic_cpu");
		}
	}
	if (!kd_kallsyms_find(r->ks, "tainted_mask", &a)) {
		if (!(e = kd_mem_read(mem, a, &r->taint_mask, sizeof(r->taint_mask))))
			r->have_taint_mask = 1;
		else
			problem_err(r, e, "tainted_mask");
	}
}

/* --- the crashing CPU --- */

static int is_panic_path(const char *func)
{
	static const char *const f[] = { "__crash_kexec", "crash_kexec", "crash_setup_regs",
					 "machine_kexec", "panic", "vpanic" };
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(func, f[i]))
			return 1;
	return 0;
}

static void choose_cpu(struct kd_report *r, struct kd_dump *d)
{
	const struct kd_note *notes;
	size_t nn = kd_dump_notes(d, &notes), np = 0;
	struct kd_prstatus *pr = calloc(nn ? nn : 1, sizeof(*pr));
	if (!pr) {
		problem(r, "registers: out of memory");
		return;
	}
	for (size_t i = 0; i < nn; i++) {
		if (notes[i].type != NT_PRSTATUS)
			continue;
		kd_err *e = kd_prstatus_decode(notes[i].desc, notes[i].descsz, &pr[np]);
		if (e) {
			problem_err(r, e, "registers");
			pr[np].pid = -1;
			memset(pr[np].reg, 0, sizeof(pr[np].reg));
		}
		np++;
	}
	if (!np) {
		problem(r, "registers: the dump has no NT_PRSTATUS notes");
		free(pr);
		return;
	}
	const struct kd_logscan *s = &r->scan;
	long pick = -1;
	/* 1. an oops printed its registers: the note holding the same RSP */
	if (s->have_rsp) {
		for (size_t i = 0; i < np && pick < 0; i++)
			if (pr[i].reg[KD_RSP] == s->rsp) {
				pick = (long)i;
				snprintf(r->cpu_rule, sizeof(r->cpu_rule),
					 "its RSP equals the oops' RSP in the log");
			}
	}
	/* 2. panic_cpu (set by panic() and crash_kexec()); notes are in CPU order */
	if (pick < 0 && r->have_panic_cpu && (size_t)r->panic_cpu < np &&
	    (!s->have_task || pr[r->panic_cpu].pid == s->pid)) {
		pick = r->panic_cpu;
		snprintf(r->cpu_rule, sizeof(r->cpu_rule), "panic_cpu is %d%s", r->panic_cpu,
			 s->have_task ? ", and its pr_pid is the log's PID" : "");
	}
	/* 3. the log's task: its PID, if one note has it; else its CPU */
	if (pick < 0 && s->have_task) {
		size_t same = 0;
		long last = -1;
		for (size_t i = 0; i < np; i++)
			if (pr[i].pid == s->pid)
				same++, last = (long)i;
		if (same == 1) {
			pick = last;
			snprintf(r->cpu_rule, sizeof(r->cpu_rule), "the only note with the log's PID %d",
				 s->pid);
		} else if (s->cpu >= 0 && (size_t)s->cpu < np && pr[s->cpu].pid == s->pid) {
			pick = s->cpu;
			snprintf(r->cpu_rule, sizeof(r->cpu_rule), "the log's CPU %d (PID %d)", s->cpu,
				 s->pid);
		}
	}
	/* 4. the note whose RIP is on the kexec path */
	if (pick < 0 && r->ks) {
		for (size_t i = 0; i < np && pick < 0; i++) {
			struct kd_ksym sym;
			if (!kd_kallsyms_lookup(r->ks, pr[i].reg[KD_RIP], &sym) &&
			    is_panic_path(sym.name)) {
				pick = (long)i;
				snprintf(r->cpu_rule, sizeof(r->cpu_rule), "its RIP is in %s", sym.name);
			}
		}
	}
	if (pick < 0 && np == 1) {
		pick = 0;
		snprintf(r->cpu_rule, sizeof(r->cpu_rule), "the dump's only CPU");
	}
	if (pick < 0) {
		problem(r, "crashing CPU: none of the %zu notes matches the log, panic_cpu or the "
			   "kexec path; registers not shown", np);
		free(pr);
		return;
	}
	r->have_cpu = 1;
	r->cpu_note = (size_t)pick;
	r->regs = pr[pick];
	free(pr);
	if (s->have_task && s->cpu != pick)
		problem(r, "crashing CPU: the log says CPU %d, the registers are note %ld", s->cpu,
			pick);
}

static void fmt_logsym(const struct kd_logsym *l, char *buf, size_t n)
{
	snprintf(buf, n, "%s+0x%" PRIx64 "/0x%" PRIx64 "%s%s%s", l->func, l->offset, l->size,
		 l->module[0] ? " [" : "", l->module, l->module[0] ? "]" : "");
}

static void symbolize_rip(struct kd_report *r)
{
	uint64_t rip = r->regs.reg[KD_RIP];
	struct kd_ksym sym;
	if (r->ks && !kd_kallsyms_lookup(r->ks, rip, &sym)) {
		snprintf(r->rip_sym, sizeof(r->rip_sym), "%s+0x%" PRIx64 "/0x%" PRIx64, sym.name,
			 sym.offset, sym.size);
		snprintf(r->rip_func, sizeof(r->rip_func), "%s", sym.name);
		r->rip_source = "kallsyms";
		return;
	}
	/* Module code: its symbols are not in the kernel's table. The oops printed them, and
	 * the same RSP says its register line describes these registers. */
	const struct kd_logscan *s = &r->scan;
	if (s->have_regs && s->rip_symbolic && s->have_rsp && s->rsp == r->regs.reg[KD_RSP]) {
		fmt_logsym(&s->rip, r->rip_sym, sizeof(r->rip_sym));
		snprintf(r->rip_func, sizeof(r->rip_func), "%s", s->rip.func);
		r->rip_source = "log";
		return;
	}
	if (r->ks)
		problem(r, "RIP %#" PRIx64 " is outside the kernel image (module code?) and the log "
			   "has no matching RIP line", rip);
}

/* No trace in the log: the words on the crashing stack that point into kernel text, as the
 * kernel's own unreliable ("? ") frames would show them. */
static void scan_stack(struct kd_report *r, const struct kd_mem *mem)
{
	uint64_t rsp = r->regs.reg[KD_RSP];
	uint64_t end = (rsp & ~(uint64_t)(STACK_SIZE - 1)) + STACK_SIZE;
	if (!rsp || end <= rsp)
		return;
	uint64_t page[512];
	for (uint64_t va = rsp & ~7ull; va < end && r->nscan < KD_REPORT_MAX_SCAN;) {
		uint64_t pend = (va | 4095) + 1;
		size_t n = (size_t)(pend - va);
		kd_err *e = kd_mem_read(mem, va, page, n);
		if (e) {
			problem_err(r, e, "stack scan stopped");
			break;
		}
		for (size_t i = 0; i < n / 8 && r->nscan < KD_REPORT_MAX_SCAN; i++) {
			/* a return address: the call may be a function's last instruction, so
			 * look up the byte before it, as the kernel's %pB does */
			struct kd_ksym sym;
			if (!kd_kallsyms_is_text(r->ks, page[i]) ||
			    kd_kallsyms_lookup(r->ks, page[i] - 1, &sym))
				continue;
			struct kd_scanframe *f = &r->scan_frames[r->nscan++];
			f->addr = page[i];
			f->stack_addr = va + i * 8;
			snprintf(f->func, sizeof(f->func), "%s", sym.name);
			f->offset = sym.offset + 1;
			f->size = sym.size;
			snprintf(f->sym, sizeof(f->sym), "%s+0x%" PRIx64 "/0x%" PRIx64, sym.name,
				 f->offset, f->size);
		}
		va = pend;
	}
	r->trace_source = "stack-scan";
}

/* Where the crash happened, for people: the faulting instruction of an exception, else the
 * first frame that is not the panic/report machinery (the caller of panic(), BUG(), ...). */
static void find_site(struct kd_report *r)
{
	const struct kd_logscan *s = &r->scan;
	char f[KD_LOG_FUNC_MAX];
	if (s->have_regs && s->rip_symbolic) {
		fmt_logsym(&s->rip, r->site, sizeof(r->site));
		r->site_how = "the faulting instruction (the oops' RIP line)";
		return;
	}
	if (r->trace_source && !strcmp(r->trace_source, "log")) {
		for (size_t i = 0; i < s->nframes; i++) {
			kd_sig_normalize(s->frames[i].sym.func, f, sizeof(f));
			if (s->frames[i].unreliable || kd_sig_generic(f))
				continue;
			fmt_logsym(&s->frames[i].sym, r->site, sizeof(r->site));
			r->site_how = "the first call trace frame past the panic machinery";
			return;
		}
	}
	for (size_t i = 0; i < r->nscan; i++) {
		kd_sig_normalize(r->scan_frames[i].func, f, sizeof(f));
		if (kd_sig_generic(f))
			continue;
		snprintf(r->site, sizeof(r->site), "%s", r->scan_frames[i].sym);
		r->site_how = "the first stack word past the panic machinery (unreliable)";
		return;
	}
}

static void make_signature(struct kd_report *r)
{
	struct kd_sig_builder b;
	const struct kd_logscan *s = &r->scan;
	kd_sig_begin(&b, kd_kind_name(s->kind));
	/* the faulting function of an exception (not for a panic(): there RIP is the kexec path) */
	if (s->have_regs && s->rip_symbolic)
		kd_sig_add(&b, s->rip.func);
	if (r->trace_source && !strcmp(r->trace_source, "log")) {
		for (size_t i = 0; i < s->nframes; i++)
			if (!s->frames[i].unreliable)
				kd_sig_add(&b, s->frames[i].sym.func);
	} else {
		for (size_t i = 0; i < r->nscan; i++)
			kd_sig_add(&b, r->scan_frames[i].func);
	}
	snprintf(r->signature_input, sizeof(r->signature_input), "%s", b.input);
	kd_sig_finish(&b, r->signature);
}

kd_err *kd_report_build(struct kd_dump *d, struct kd_report **out)
{
	struct kd_report *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r)
		return kd_err_new(ENOMEM, "report");
	const struct kd_vmcoreinfo *vi = kd_dump_vmcoreinfo(d);
	struct kd_mem mem = kd_dump_mem(d);
	copy_key(vi, "OSRELEASE", r->release, sizeof(r->release));
	copy_key(vi, "BUILD-ID", r->build_id, sizeof(r->build_id));
	if (vi && !kd_err_ignore(kd_vmcoreinfo_dec(vi, "CRASHTIME", &r->crashtime)))
		r->have_crashtime = 1;
	if (!vi)
		problem(r, "the dump has no VMCOREINFO: no release, log or symbols");
	read_machine(r, d);
	if (vi) {
		read_log(r, &mem);
		read_kallsyms(r, &mem);
	}
	choose_cpu(r, d);
	if (r->have_cpu)
		symbolize_rip(r);
	if (r->scan.have_trace && r->scan.nframes) {
		r->trace_source = "log";
	} else if (r->have_cpu && r->ks) {
		if (r->have_log)
			problem(r, "the log has no call trace for this crash: stack words shown instead");
		scan_stack(r, &mem);
	}
	if (r->have_log && !r->scan.have_event)
		problem(r, "the log has no panic, oops or BUG message");
	find_site(r);
	make_signature(r);
	*out = r;
	if (!r->have_log && !r->have_cpu)
		return kd_err_new(0, "neither the log nor the crashing CPU's registers could be "
					  "found");
	return NULL;
}

void kd_report_free(struct kd_report *r)
{
	if (!r)
		return;
	kd_kallsyms_free(r->ks);
	free(r->lines);
	free(r->log_text);
	free(r);
}

/* --- taint --- */

/* The kernel's taint letters by bit number (kernel/panic.c taint_flags), with their meaning. */
static const struct { char letter; const char *meaning; } taints[] = {
	{ 'P', "proprietary module" }, { 'F', "module force-loaded" },
	{ 'S', "out-of-spec system" }, { 'R', "module force-unloaded" },
	{ 'M', "machine check" }, { 'B', "bad page" }, { 'U', "taint requested by user" },
	{ 'D', "kernel died recently (oops)" }, { 'A', "ACPI table overridden" },
	{ 'W', "warning issued" }, { 'C', "staging driver" }, { 'I', "firmware workaround" },
	{ 'O', "out-of-tree module" }, { 'E', "unsigned module" }, { 'L', "soft lockup" },
	{ 'K', "live-patched" }, { 'X', "auxiliary (distribution) taint" },
	{ 'T', "struct randomization" }, { 'N', "in-kernel test" },
};

void kd_taint_letters(uint64_t mask, char *buf, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < sizeof(taints) / sizeof(taints[0]) && k + 1 < n; i++)
		if (mask & (1ull << i))
			buf[k++] = taints[i].letter;
	if (n)
		buf[k < n ? k : n - 1] = 0;
}

void kd_taint_describe(const char *letters, char *buf, size_t n)
{
	size_t k = 0;
	if (n)
		buf[0] = 0;
	for (const char *p = letters; *p && k < n; p++) {
		if (*p == 'G') /* "no proprietary module": the default in P's place */
			continue;
		for (size_t i = 0; i < sizeof(taints) / sizeof(taints[0]); i++) {
			if (taints[i].letter != *p)
				continue;
			int w = snprintf(buf + k, n - k, "%s%c (%s)", k ? ", " : "", *p,
					 taints[i].meaning);
			k = w < 0 ? n : k + (size_t)w;
			break;
		}
	}
}

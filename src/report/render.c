/* The report for people (one screen, 100 columns) and as JSON (docs/REPORT-JSON.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/report.h"

#define COLS 100
/* Call trace lines shown in the text report (JSON has all). */
#define TRACE_LINES 24

static void utc(uint64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t > (uint64_t)INT64_MAX || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, n, "%" PRIu64 " (not a valid time)", t);
}

/* Print at most `room` columns of s (non-printable bytes as '?'), "..." when cut. */
static void put_clipped(FILE *out, const char *s, size_t len, size_t room)
{
	int cut = len > room;
	if (cut)
		len = room > 3 ? room - 3 : 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c < 0x20 || c >= 0x7f ? '?' : c, out);
	}
	if (cut)
		fputs("...", out);
}

static void field(FILE *out, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void field(FILE *out, const char *name, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(out, "%-10s", name);
	put_clipped(out, buf, strlen(buf), COLS - 10);
	fputc('\n', out);
}

/* A long space-separated list over several 100-column lines, indented by 10. */
static void wrapped(FILE *out, const char *name, const char *text)
{
	fprintf(out, "%-10s", name);
	size_t col = 10;
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " ");
		if (!w)
			break;
		if (col > 10 && col + 1 + w > COLS) {
			fprintf(out, "\n%10s", "");
			col = 10;
		} else if (col > 10) {
			fputc(' ', out);
			col++;
		}
		put_clipped(out, p, w, COLS - 10);
		col += w;
		p += w;
	}
	fputc('\n', out);
}

static void print_logline(FILE *out, const struct kd_logline *l)
{
	char ts[32];
	int n = snprintf(ts, sizeof(ts), "[%5" PRIu64 ".%06" PRIu64 "] ", l->ts_nsec / 1000000000u,
			 (l->ts_nsec % 1000000000u) / 1000u);
	fprintf(out, "  %s", ts);
	put_clipped(out, l->text, l->len, COLS - 2 - (size_t)n);
	fputc('\n', out);
}

/* The lines before the crash report: up to KD_REPORT_CONTEXT_LINES, not counting the
 * "------------[ cut here ]------------" that opens a BUG or WARNING report. */
static void context_range(const struct kd_report *r, size_t *from, size_t *to)
{
	static const char cut[] = "[ cut here ]";
	size_t end = r->scan.event_line;
	if (end) {
		const struct kd_logline *l = &r->lines[end - 1];
		for (size_t i = 0; i + sizeof(cut) - 1 <= l->len; i++)
			if (!memcmp(l->text + i, cut, sizeof(cut) - 1)) {
				end--;
				break;
			}
	}
	*to = end;
	*from = end > KD_REPORT_CONTEXT_LINES ? end - KD_REPORT_CONTEXT_LINES : 0;
}

static void print_regs(FILE *out, const struct kd_prstatus *p)
{
	static const enum kd_x86_reg order[] = {
		KD_RAX, KD_RBX, KD_RCX, KD_RDX, KD_RSI, KD_RDI, KD_RBP, KD_R8, KD_R9,
		KD_R10, KD_R11, KD_R12, KD_R13, KD_R14, KD_R15,
	};
	fprintf(out, "  RIP: %016" PRIx64 "  RSP: %016" PRIx64 "  RFLAGS: %08" PRIx64 "\n",
		p->reg[KD_RIP], p->reg[KD_RSP], p->reg[KD_EFLAGS]);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		char name[8];
		snprintf(name, sizeof(name), "%s", kd_x86_reg_name(order[i]));
		for (char *c = name; *c; c++)
			*c = (char)(*c - ('a' <= *c && *c <= 'z' ? 32 : 0));
		fprintf(out, "%s%3s: %016" PRIx64, i % 3 ? "  " : "  ", name, p->reg[order[i]]);
		if (i % 3 == 2)
			fputc('\n', out);
	}
	fprintf(out, "  CS: %04" PRIx64 "  SS: %04" PRIx64 "  ORIG_RAX: %016" PRIx64 "\n",
		p->reg[KD_CS], p->reg[KD_SS], p->reg[KD_ORIG_RAX]);
}

/* The modules the trace's frames name ("[crashmod]"), once each, space-separated. */
static void trace_modules(const struct kd_logscan *s, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = 0;
	for (size_t i = 0; i < s->nframes; i++) {
		const char *m = s->frames[i].sym.module;
		if (!m[0])
			continue;
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(s->frames[j].sym.module, m);
		if (seen || k + strlen(m) + 2 > n)
			continue;
		k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? " " : "", m);
	}
}

static void taint_text(const struct kd_report *r, char *buf, size_t n)
{
	const struct kd_logscan *s = &r->scan;
	char desc[512], letters[32];
	size_t k = 0;
	buf[0] = 0;
	if (s->have_taint) {
		if (!s->taint_flags[0] || !strcmp(s->taint_flags, "G")) {
			k += (size_t)snprintf(buf, n, "not tainted (log)");
		} else {
			kd_taint_describe(s->taint_flags, desc, sizeof(desc));
			k += (size_t)snprintf(buf, n, "%s (log): %s", s->taint_flags, desc);
		}
	}
	if (r->have_taint_mask && k < n) {
		kd_taint_letters(r->taint_mask, letters, sizeof(letters));
		kd_taint_describe(letters, desc, sizeof(desc));
		snprintf(buf + k, n - k, "%stainted_mask %#" PRIx64 "%s%s", k ? "; " : "",
			 r->taint_mask, letters[0] ? " " : "", letters);
		if (!s->have_taint && letters[0]) {
			size_t l = strlen(buf);
			snprintf(buf + l, n - l, ": %s", desc);
		}
	}
	if (!buf[0])
		snprintf(buf, n, "unknown (no \"Tainted:\" line, no tainted_mask symbol)");
}

kd_err *kd_report_print_text(const struct kd_report *r, FILE *out)
{
	const struct kd_logscan *s = &r->scan;
	char buf[1024];
	if (r->path)
		field(out, "Dump", "%s", r->path);
	field(out, "Kernel", "%s%s%s", r->release[0] ? r->release : "(unknown release)",
	      r->build_id[0] ? "  BUILD-ID " : "", r->build_id);
	if (r->have_crashtime) {
		utc(r->crashtime, buf, sizeof(buf));
		field(out, "Crashed", "%s", buf);
	} else {
		field(out, "Crashed", "(no CRASHTIME in VMCOREINFO)");
	}
	if (r->have_ram)
		field(out, "Machine", "%zu CPUs, %" PRIu64 " MiB of RAM in the dump (max pfn %#" PRIx64
		      ", %" PRIu64 "-byte pages)", r->ncpus, r->ram_pages * r->page_size >> 20,
		      r->max_pfn, r->page_size);
	else
		field(out, "Machine", "%zu CPUs", r->ncpus);
	field(out, "Format", "%s, %s", r->format, r->level);
	fputc('\n', out);

	if (s->have_event) {
		field(out, "What", "%s: %s", kd_kind_name(s->kind), kd_kind_text(s->kind));
		field(out, "", "%s", s->headline);
		if (s->have_panic && s->panic_line != s->event_line)
			field(out, "", "Kernel panic - not syncing: %s", s->panic_message);
	} else {
		field(out, "What", "%s", r->have_log ? "no crash message in the log" : "log unreadable");
	}
	if (s->oops_number > 1)
		field(out, "", "(oops #%d; #1 was: %s)", s->oops_number,
		      s->first_oops[0] ? s->first_oops : "not in the log");
	if (r->site[0])
		field(out, "In", "%s", r->site);
	if (s->have_task)
		field(out, "Task", "CPU %d, PID %d (%s)", s->cpu, s->pid, s->comm);
	taint_text(r, buf, sizeof(buf));
	field(out, "Taint", "%s", buf);
	char tm[512];
	trace_modules(s, tm, sizeof(tm));
	if (s->have_modules)
		wrapped(out, "Modules", s->modules[0] ? s->modules : "(none)");
	else if (tm[0])
		field(out, "Modules", "in the trace: %s (the log has no \"Modules linked in:\")", tm);
	else
		field(out, "Modules", "(the log has no \"Modules linked in:\" line)");
	field(out, "Signature", "%s  (%s)", r->signature, r->signature_input);
	fputc('\n', out);

	if (r->have_cpu) {
		field(out, "Where", "CPU %zu, PID %d: %s%s%s", r->cpu_note, r->regs.pid,
		      r->rip_sym[0] ? r->rip_sym : "RIP not symbolized",
		      r->rip_source && !strcmp(r->rip_source, "log") ? " (from the log)" : "",
		      "");
		field(out, "", "(registers from NT_PRSTATUS note %zu: %s)", r->cpu_note, r->cpu_rule);
		print_regs(out, &r->regs);
	} else {
		field(out, "Where", "(no registers: see problems)");
	}

	if (r->trace_source && !strcmp(r->trace_source, "log")) {
		size_t unrel = 0;
		for (size_t i = 0; i < s->nframes; i++)
			unrel += s->frames[i].unreliable;
		fprintf(out, "Call trace (from the log%s):\n",
			unrel ? ", \"? \" frames left out" : "");
		/* reliable frames and the stack markers (<NMI>, <IRQ>, <TASK>) as printed */
		size_t shown = 0, left = 0, f = 0;
		for (size_t i = s->trace_line + 1; i < s->trace_end; i++) {
			const struct kd_logline *l = &r->lines[i];
			while (f < s->nframes && s->frames[f].line < i)
				f++;
			int frame = f < s->nframes && s->frames[f].line == i;
			size_t k = 0;
			while (k < l->len && l->text[k] == ' ')
				k++;
			int marker = k > 0 && k < l->len && l->text[k] == '<';
			if ((frame && s->frames[f].unreliable) || (!frame && !marker))
				continue;
			if (shown == TRACE_LINES) {
				left++;
				continue;
			}
			fputs("  ", out);
			put_clipped(out, l->text, l->len, COLS - 2);
			fputc('\n', out);
			shown++;
		}
		if (left)
			fprintf(out, "  ... %zu more lines (all in --json)\n", left);
	} else if (r->trace_source) {
		fprintf(out, "Stack words pointing into kernel text (no trace in the log; "
			     "unreliable like \"? \"):\n");
		for (size_t i = 0; i < r->nscan; i++)
			fprintf(out, "  [%016" PRIx64 "] %s\n", r->scan_frames[i].stack_addr,
				r->scan_frames[i].sym);
	}

	if (r->have_log && s->have_event) {
		size_t from, to;
		context_range(r, &from, &to);
		fprintf(out, "\nLast %zu log lines before the crash:\n", to - from);
		for (size_t i = from; i < to; i++)
			print_logline(out, &r->lines[i]);
	}
	if (r->nproblems) {
		fprintf(out, "\nNot shown, and why:\n");
		for (size_t i = 0; i < r->nproblems; i++) {
			fputs("  - ", out);
			put_clipped(out, r->problems[i], strlen(r->problems[i]), COLS - 4);
			fputc('\n', out);
		}
	}
	if (fflush(out) || ferror(out))
		return kd_err_errno("writing the report");
	return NULL;
}

/* --- JSON --- */

static void jstr_n(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c >= 0x7f) /* keeps the output ASCII and valid UTF-8 */
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void jstr(FILE *out, const char *s)
{
	if (s)
		jstr_n(out, s, strlen(s));
	else
		fputs("null", out);
}

static void jkey(FILE *out, int *first, const char *key)
{
	fprintf(out, "%s\"%s\": ", *first ? "" : ", ", key);
	*first = 0;
}

kd_err *kd_report_print_json(const struct kd_report *r, FILE *out)
{
	const struct kd_logscan *s = &r->scan;
	char buf[1024];
	int f;

	fputs("{\"schema\": 1,\n \"dump\": {", out);
	f = 1;
	jkey(out, &f, "path"); jstr(out, r->path);
	jkey(out, &f, "format"); jstr(out, r->format);
	jkey(out, &f, "level"); jstr(out, r->level);
	jkey(out, &f, "release"); jstr(out, r->release[0] ? r->release : NULL);
	jkey(out, &f, "build_id"); jstr(out, r->build_id[0] ? r->build_id : NULL);
	jkey(out, &f, "crash_time");
	if (r->have_crashtime) {
		fprintf(out, "%" PRIu64, r->crashtime);
		utc(r->crashtime, buf, sizeof(buf));
		jkey(out, &f, "crash_time_utc"); jstr(out, buf);
	} else {
		fputs("null", out);
		jkey(out, &f, "crash_time_utc"); fputs("null", out);
	}
	jkey(out, &f, "cpus"); fprintf(out, "%zu", r->ncpus);
	jkey(out, &f, "page_size"); fprintf(out, "%" PRIu64, r->page_size);
	jkey(out, &f, "max_pfn"); fprintf(out, "%" PRIu64, r->max_pfn);
	jkey(out, &f, "ram_bytes");
	if (r->have_ram)
		fprintf(out, "%" PRIu64, r->ram_pages * r->page_size);
	else
		fputs("null", out);
	jkey(out, &f, "held_bytes");
	if (r->have_ram)
		fprintf(out, "%" PRIu64, r->held_pages * r->page_size);
	else
		fputs("null", out);
	fputs("},\n \"crash\": {", out);
	f = 1;
	jkey(out, &f, "kind"); jstr(out, kd_kind_name(s->kind));
	jkey(out, &f, "kind_text"); jstr(out, kd_kind_text(s->kind));
	jkey(out, &f, "headline"); jstr(out, s->have_event ? s->headline : NULL);
	jkey(out, &f, "panic_message"); jstr(out, s->have_panic ? s->panic_message : NULL);
	jkey(out, &f, "oops_number");
	s->oops_number ? fprintf(out, "%d", s->oops_number) : fputs("null", out);
	jkey(out, &f, "first_oops"); jstr(out, s->oops_number > 1 && s->first_oops[0] ?
					       s->first_oops : NULL);
	jkey(out, &f, "site"); jstr(out, r->site[0] ? r->site : NULL);
	jkey(out, &f, "site_source"); jstr(out, r->site[0] ? r->site_how : NULL);
	jkey(out, &f, "cpu");
	s->have_task ? fprintf(out, "%d", s->cpu) : fputs("null", out);
	jkey(out, &f, "pid");
	s->have_task ? fprintf(out, "%d", s->pid) : fputs("null", out);
	jkey(out, &f, "comm"); jstr(out, s->have_task ? s->comm : NULL);
	jkey(out, &f, "panic_cpu");
	r->have_panic_cpu ? fprintf(out, "%d", r->panic_cpu) : fputs("null", out);
	fputs(", \"taint\": {", out);
	int g = 1;
	jkey(out, &g, "log"); jstr(out, s->have_taint ? s->taint_flags : NULL);
	jkey(out, &g, "mask");
	r->have_taint_mask ? fprintf(out, "%" PRIu64, r->taint_mask) : fputs("null", out);
	char letters[32] = "";
	if (r->have_taint_mask)
		kd_taint_letters(r->taint_mask, letters, sizeof(letters));
	else if (s->have_taint)
		snprintf(letters, sizeof(letters), "%s", s->taint_flags);
	kd_taint_describe(letters, buf, sizeof(buf));
	jkey(out, &g, "flags"); jstr(out, letters);
	jkey(out, &g, "description"); jstr(out, buf);
	fputs("}},\n \"registers\": ", out);
	if (r->have_cpu) {
		f = 1;
		fputs("{", out);
		jkey(out, &f, "note"); fprintf(out, "%zu", r->cpu_note);
		jkey(out, &f, "rule"); jstr(out, r->cpu_rule);
		jkey(out, &f, "pid"); fprintf(out, "%d", r->regs.pid);
		jkey(out, &f, "rip_symbol"); jstr(out, r->rip_sym[0] ? r->rip_sym : NULL);
		jkey(out, &f, "rip_function"); jstr(out, r->rip_func[0] ? r->rip_func : NULL);
		jkey(out, &f, "rip_source"); jstr(out, r->rip_source);
		fputs(", \"values\": {", out);
		g = 1;
		for (int i = 0; i < KD_NREGS; i++) {
			jkey(out, &g, kd_x86_reg_name((enum kd_x86_reg)i));
			fprintf(out, "\"0x%016" PRIx64 "\"", r->regs.reg[i]);
		}
		fputs("}}", out);
	} else {
		fputs("null", out);
	}
	fputs(",\n \"trace\": {", out);
	f = 1;
	jkey(out, &f, "source"); jstr(out, r->trace_source);
	fputs(", \"frames\": [", out);
	if (r->trace_source && !strcmp(r->trace_source, "log")) {
		for (size_t i = 0; i < s->nframes; i++) {
			const struct kd_logframe *fr = &s->frames[i];
			const struct kd_logline *l = &r->lines[fr->line];
			fprintf(out, "%s\n  {", i ? "," : "");
			g = 1;
			jkey(out, &g, "function"); jstr(out, fr->sym.func);
			jkey(out, &g, "offset"); fprintf(out, "%" PRIu64, fr->sym.offset);
			jkey(out, &g, "size"); fprintf(out, "%" PRIu64, fr->sym.size);
			jkey(out, &g, "module"); jstr(out, fr->sym.module[0] ? fr->sym.module : NULL);
			jkey(out, &g, "reliable"); fputs(fr->unreliable ? "false" : "true", out);
			jkey(out, &g, "text"); jstr_n(out, l->text, l->len);
			fputs("}", out);
		}
	} else {
		for (size_t i = 0; i < r->nscan; i++) {
			const struct kd_scanframe *fr = &r->scan_frames[i];
			fprintf(out, "%s\n  {", i ? "," : "");
			g = 1;
			jkey(out, &g, "function"); jstr(out, fr->func);
			jkey(out, &g, "offset"); fprintf(out, "%" PRIu64, fr->offset);
			jkey(out, &g, "size"); fprintf(out, "%" PRIu64, fr->size);
			jkey(out, &g, "module"); fputs("null", out);
			jkey(out, &g, "reliable"); fputs("false", out);
			jkey(out, &g, "text"); jstr(out, fr->sym);
			jkey(out, &g, "address"); fprintf(out, "\"0x%016" PRIx64 "\"", fr->addr);
			jkey(out, &g, "stack_address");
			fprintf(out, "\"0x%016" PRIx64 "\"", fr->stack_addr);
			fputs("}", out);
		}
	}
	fputs("]},\n \"modules\": ", out);
	jstr(out, s->have_modules ? s->modules : NULL);
	char tm[512];
	trace_modules(s, tm, sizeof(tm));
	fputs(",\n \"trace_modules\": [", out);
	for (const char *p = tm; *p;) {
		size_t w = strcspn(p, " ");
		fputs(p == tm ? "" : ", ", out);
		jstr_n(out, p, w);
		p += w;
		p += *p == ' ';
	}
	fputs("]", out);
	fputs(",\n \"signature\": {", out);
	f = 1;
	jkey(out, &f, "hash"); jstr(out, r->signature);
	jkey(out, &f, "input"); jstr(out, r->signature_input);
	fputs("},\n \"symbols\": {", out);
	f = 1;
	int verified = 0;
	jkey(out, &f, "count"); fprintf(out, "%zu", kd_kallsyms_count(r->ks));
	jkey(out, &f, "encoding"); jstr(out, r->ks ? kd_kallsyms_encoding(r->ks, &verified) : NULL);
	jkey(out, &f, "verified"); fputs(verified ? "true" : "false", out);
	fputs("},\n \"log\": {", out);
	f = 1;
	jkey(out, &f, "format"); jstr(out, r->log_format ? r->log_format : "none");
	jkey(out, &f, "lines"); fprintf(out, "%zu", r->nlines);
	jkey(out, &f, "damaged_records"); fprintf(out, "%" PRIu64, r->log_damaged);
	fputs(", \"context\": [", out);
	if (r->have_log && s->have_event) {
		size_t from, to;
		context_range(r, &from, &to);
		for (size_t i = from; i < to; i++) {
			fprintf(out, "%s\n  {\"ts_nsec\": %" PRIu64 ", \"text\": ", i > from ? "," : "",
				r->lines[i].ts_nsec);
			jstr_n(out, r->lines[i].text, r->lines[i].len);
			fputs("}", out);
		}
	}
	fputs("]},\n \"problems\": [", out);
	for (size_t i = 0; i < r->nproblems; i++) {
		fputs(i ? ", " : "", out);
		jstr(out, r->problems[i]);
	}
	fputs("]}\n", out);
	if (fflush(out) || ferror(out))
		return kd_err_errno("writing the report");
	return NULL;
}

/* Reading the kernel's own crash report out of its log: see logscan.h. The patterns are the
 * strings x86_64 Linux prints (arch/x86/mm/fault.c, arch/x86/kernel/dumpstack.c, traps.c,
 * kernel/panic.c, lib/bug.c, kernel/watchdog*.c, kernel/hung_task.c, drivers/tty/sysrq.c). */
#include "report/logscan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *text;
} kinds[KD_KIND_COUNT] = {
	[KD_KIND_UNKNOWN] = { "unknown", "unknown (no crash message in the log)" },
	[KD_KIND_SYSRQ] = { "sysrq", "crash triggered through sysrq" },
	[KD_KIND_PANIC] = { "panic", "explicit panic() call" },
	[KD_KIND_NULL_DEREF] = { "null-deref", "oops: kernel NULL pointer dereference" },
	[KD_KIND_PAGE_FAULT] = { "page-fault", "oops: bad kernel paging request" },
	[KD_KIND_GPF] = { "gpf", "oops: general protection fault" },
	[KD_KIND_OOPS] = { "oops", "oops: fatal exception" },
	[KD_KIND_BUG] = { "bug", "BUG() assertion failed" },
	[KD_KIND_WARNING] = { "warning", "WARN() with panic_on_warn" },
	[KD_KIND_NMI] = { "nmi", "fatal NMI" },
	[KD_KIND_HARD_LOCKUP] = { "hard-lockup", "hard lockup (NMI watchdog)" },
	[KD_KIND_SOFT_LOCKUP] = { "soft-lockup", "soft lockup (watchdog)" },
	[KD_KIND_HUNG_TASK] = { "hung-task", "hung task (blocked in D state)" },
	[KD_KIND_OOM] = { "oom", "out of memory with panic_on_oom" },
	[KD_KIND_MCE] = { "mce", "machine check" },
	[KD_KIND_KMSG_BUG] = { "kernel-bug-report", "kernel BUG: report" },
};

const char *kd_kind_name(enum kd_crash_kind k)
{
	return (unsigned)k < KD_KIND_COUNT ? kinds[k].name : "unknown";
}

const char *kd_kind_text(enum kd_crash_kind k)
{
	return (unsigned)k < KD_KIND_COUNT ? kinds[k].text : kinds[0].text;
}

/* --- small string helpers over (text, len) --- */

static int starts(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && !memcmp(s, p, n);
}

static const char *find(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	if (!n || len < n)
		return NULL;
	for (size_t i = 0; i + n <= len; i++)
		if (s[i] == p[0] && !memcmp(s + i, p, n))
			return s + i;
	return NULL;
}

static int has(const struct kd_logline *l, const char *p)
{
	return find(l->text, l->len, p) != NULL;
}

/* Copy (s, len) into dst as a printable C string (control bytes become '?'), trailing white
 * space removed. */
static void copy_text(char *dst, size_t cap, const char *s, size_t len)
{
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= cap)
		len = cap - 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[len] = 0;
}

static int parse_hex(const char *s, const char *end, uint64_t *out, const char **next)
{
	uint64_t v = 0;
	int n = 0;
	while (s < end && isxdigit((unsigned char)*s) && n < 16) {
		int c = (unsigned char)*s;
		v = v * 16 + (uint64_t)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
		s++, n++;
	}
	if (!n || (s < end && isxdigit((unsigned char)*s)))
		return -1;
	*out = v;
	*next = s;
	return 0;
}

static int parse_dec(const char *s, const char *end, int *out)
{
	long v = 0;
	int n = 0;
	while (s < end && isdigit((unsigned char)*s) && n < 9)
		v = v * 10 + (*s++ - '0'), n++;
	if (!n)
		return -1;
	*out = (int)v;
	return 0;
}

static int symchar(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '$';
}

int kd_logsym_parse(const char *s, size_t len, struct kd_logsym *out)
{
	const char *end = s + len;
	for (const char *p = s; p + 3 <= end; p++) {
		if (p[0] != '+' || p[1] != '0' || p[2] != 'x' || p == s || !symchar((unsigned char)p[-1]))
			continue;
		const char *name = p;
		while (name > s && symchar((unsigned char)name[-1]))
			name--;
		uint64_t off, size;
		const char *q;
		if (parse_hex(p + 3, end, &off, &q) || end - q < 3 || q[0] != '/' || q[1] != '0' ||
		    q[2] != 'x' || parse_hex(q + 3, end, &size, &q))
			continue;
		memset(out, 0, sizeof(*out));
		size_t nl = (size_t)(p - name);
		if (nl >= sizeof(out->func))
			nl = sizeof(out->func) - 1;
		memcpy(out->func, name, nl);
		out->offset = off;
		out->size = size;
		if (end - q >= 3 && q[0] == ' ' && q[1] == '[') {
			const char *m = q + 2, *me = m;
			while (me < end && *me != ']' && *me != ' ')
				me++;
			if (me < end && *me == ']' && me > m) {
				size_t ml = (size_t)(me - m);
				if (ml >= sizeof(out->module))
					ml = sizeof(out->module) - 1;
				memcpy(out->module, m, ml);
			}
		}
		return 0;
	}
	return -1;
}

/* --- the event --- */

/* Lines that open a crash report, with the kind they announce. `anchored`: at the line's
 * start (else anywhere, for prefixes like "watchdog: "). OOM and machine checks are known by
 * their panic message alone: "Out of memory: Killed process" lines are not crashes. */
static const struct headline {
	const char *pattern;
	int anchored;
	enum kd_crash_kind kind;
} headlines[] = {
	{ "BUG: kernel NULL pointer dereference", 1, KD_KIND_NULL_DEREF },
	{ "BUG: unable to handle kernel NULL pointer dereference", 1, KD_KIND_NULL_DEREF },
	{ "BUG: unable to handle page fault", 1, KD_KIND_PAGE_FAULT },
	{ "BUG: unable to handle kernel paging request", 1, KD_KIND_PAGE_FAULT },
	{ "BUG: unable to handle kernel", 1, KD_KIND_PAGE_FAULT },
	{ "kernel BUG at ", 1, KD_KIND_BUG },
	{ "general protection fault", 1, KD_KIND_GPF },
	{ "Oops: general protection fault", 1, KD_KIND_GPF },
	{ "BUG: soft lockup", 0, KD_KIND_SOFT_LOCKUP },
	{ "Watchdog detected hard LOCKUP", 0, KD_KIND_HARD_LOCKUP },
	{ "INFO: task ", 1, KD_KIND_HUNG_TASK }, /* "... blocked for more than N seconds." */
	{ "WARNING: CPU: ", 1, KD_KIND_WARNING },
	{ "sysrq: Trigger a crash", 1, KD_KIND_SYSRQ },
	{ "SysRq : Trigger a crash", 1, KD_KIND_SYSRQ },
	{ "Uhhuh. NMI received", 1, KD_KIND_NMI },
	{ "NMI: IOCK error", 1, KD_KIND_NMI },
	{ "NMI: PCI system error", 1, KD_KIND_NMI },
	{ "BUG: ", 1, KD_KIND_KMSG_BUG },
};

static int headline_kind(const struct kd_logline *l)
{
	for (size_t i = 0; i < sizeof(headlines) / sizeof(headlines[0]); i++) {
		const struct headline *h = &headlines[i];
		if (h->anchored ? starts(l->text, l->len, h->pattern) : has(l, h->pattern)) {
			if (h->kind == KD_KIND_HUNG_TASK && !has(l, "blocked for more than"))
				continue;
			return h->kind;
		}
	}
	return KD_KIND_UNKNOWN;
}

/* die()'s header: "Oops: 0000 [#1] ...", "invalid opcode: 0000 [#1] ...",
 * "double fault: 0000 [#1]", 6.12's "Oops: invalid opcode: 0000 [#1]": ": XXXX [#N]". */
static int is_die_header(const struct kd_logline *l)
{
	const char *p = find(l->text, l->len, " [#");
	if (!p || p - l->text < 6)
		return 0;
	const char *c = p - 6;
	if (c[0] != ':' || c[1] != ' ')
		return 0;
	for (int i = 2; i < 6; i++)
		if (!isxdigit((unsigned char)c[i]))
			return 0;
	return 1;
}

/* N of a die header's "[#N]", 0 when the line is none. */
static int die_number(const struct kd_logline *l)
{
	if (!is_die_header(l))
		return 0;
	const char *p = find(l->text, l->len, " [#") + 3;
	int v;
	return parse_dec(p, l->text + l->len, &v) ? 0 : v;
}

static const char PANIC[] = "Kernel panic - not syncing: ";

/* A panic message that names its own cause; KD_KIND_UNKNOWN when it only says that an
 * earlier report was fatal ("Fatal exception", "panic_on_warn set ..."). */
static enum kd_crash_kind panic_kind(const char *msg, size_t len)
{
	static const struct { const char *p; enum kd_crash_kind k; } t[] = {
		{ "sysrq triggered crash", KD_KIND_SYSRQ },
		{ "NMI: Not continuing", KD_KIND_NMI },
		{ "NMI IOCK error", KD_KIND_NMI },
		{ "Non maskable interrupt", KD_KIND_NMI },
		{ "Hard LOCKUP", KD_KIND_HARD_LOCKUP },
		{ "hardlockup:", KD_KIND_HARD_LOCKUP },
		{ "softlockup:", KD_KIND_SOFT_LOCKUP },
		{ "hung_task:", KD_KIND_HUNG_TASK },
		{ "Out of memory", KD_KIND_OOM },
		{ "System is deadlocked on memory", KD_KIND_OOM },
		{ "Fatal machine check", KD_KIND_MCE },
		{ "Machine check", KD_KIND_MCE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (find(msg, len, t[i].p))
			return t[i].k;
	static const char *const deferring[] = {
		"Fatal exception", "panic_on_warn set", "panic_on_oops", "Fatal hardware error",
	};
	for (size_t i = 0; i < sizeof(deferring) / sizeof(deferring[0]); i++)
		if (starts(msg, len, deferring[i]))
			return KD_KIND_UNKNOWN;
	return KD_KIND_PANIC;
}

/* How far before the panic line the report that caused it may start. */
#define EVENT_WINDOW 400
/* How far a die() header may sit below the line that explains it ("BUG: ...", "#PF: ..."). */
#define DIE_LOOKBACK 8

/* The last crash report in lines [0, limit): its first line and kind. */
static int last_report(const struct kd_logline *lines, size_t limit, size_t lo, size_t *at,
		       enum kd_crash_kind *kind)
{
	for (size_t i = limit; i-- > lo;) {
		enum kd_crash_kind k = headline_kind(&lines[i]);
		int die = is_die_header(&lines[i]);
		if (k == KD_KIND_UNKNOWN && !die)
			continue;
		if (die && k == KD_KIND_UNKNOWN) {
			/* the die header follows its explanation: take the nearest one above, but
			 * not past another oops */
			k = KD_KIND_OOPS;
			if (find(lines[i].text, lines[i].len, "general protection fault"))
				k = KD_KIND_GPF;
			*at = i;
			for (size_t j = i; j-- > lo && i - j <= DIE_LOOKBACK;) {
				if (is_die_header(&lines[j]))
					break;
				enum kd_crash_kind e = headline_kind(&lines[j]);
				if (e == KD_KIND_NULL_DEREF || e == KD_KIND_PAGE_FAULT || e == KD_KIND_BUG ||
				    e == KD_KIND_GPF || e == KD_KIND_KMSG_BUG) {
					k = e == KD_KIND_KMSG_BUG ? KD_KIND_OOPS : e;
					*at = j;
					break;
				}
			}
		} else {
			*at = i;
		}
		*kind = k;
		return 1;
	}
	return 0;
}

static void scan_task(const struct kd_logline *l, struct kd_logscan *o)
{
	const char *s = l->text, *end = s + l->len, *p;
	if (parse_dec(s + 5, end, &o->cpu))
		return;
	if (!(p = find(s, l->len, " PID: ")) || parse_dec(p + 6, end, &o->pid))
		return;
	o->have_task = 1;
	if ((p = find(s, l->len, " Comm: "))) {
		p += 7;
		/* a comm may hold spaces: it runs to the next field the kernel prints */
		const char *stop = NULL;
		static const char *const next[] = { " Kdump: ", " Tainted: ", " Not tainted" };
		for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
			const char *q = find(p, (size_t)(end - p), next[i]);
			if (q && (!stop || q < stop))
				stop = q;
		}
		if (!stop)
			for (stop = p; stop < end && *stop != ' '; stop++)
				;
		copy_text(o->comm, sizeof(o->comm), p, (size_t)(stop - p));
	}
	if (find(s, l->len, " Not tainted")) {
		o->have_taint = 1;
		o->taint_flags[0] = 0;
	} else if ((p = find(s, l->len, " Tainted: "))) {
		size_t n = 0;
		for (p += 10; p < end && n + 1 < sizeof(o->taint_flags); p++) {
			if (*p == ' ')
				continue;
			if (!strchr("PGFSRMBUDAWCIOELKXTN", *p) || !*p)
				break;
			o->taint_flags[n++] = *p;
		}
		o->taint_flags[n] = 0;
		o->have_taint = 1;
	}
}

static int is_reg_line(const struct kd_logline *l)
{
	static const char *const regs[] = {
		"RIP: ", "Code: ", "RSP: ", "RAX: ", "RDX: ", "RBP: ", "R10: ", "R13: ", "FS: ",
		"CS: ", "CR2: ", "DR0: ", "DR3: ", "PKRU: ",
	};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (starts(l->text, l->len, regs[i]))
			return 1;
	return 0;
}

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* "RIP: 0010:func+0x5/0xfe3 [mod]" or "RIP: 0010:0xffffffff81000000" (kernel mode, CS 0x10). */
static void scan_rip(const struct kd_logline *l, struct kd_logscan *o)
{
	const char *s = l->text, *end = s + l->len;
	if (!starts(s, l->len, "RIP: 0010:"))
		return;
	o->have_regs = 1;
	if (!kd_logsym_parse(s + 10, l->len - 10, &o->rip)) {
		o->rip_symbolic = 1;
	} else {
		const char *p = s + 10, *q;
		if (end - p > 2 && p[0] == '0' && p[1] == 'x')
			p += 2;
		if (!parse_hex(p, end, &o->rip_addr, &q))
			o->rip_symbolic = 0;
	}
}

static void scan_rsp(const struct kd_logline *l, struct kd_logscan *o)
{
	const char *s = l->text, *end = s + l->len, *q;
	if (!starts(s, l->len, "RSP: 0018:"))
		return;
	if (!parse_hex(s + 10, end, &o->rsp, &q))
		o->have_rsp = 1;
}

static void scan_trace(const struct kd_logline *lines, size_t n, size_t from, struct kd_logscan *o)
{
	o->have_trace = 1;
	o->trace_line = from;
	size_t i;
	for (i = from + 1; i < n; i++) {
		const struct kd_logline *l = &lines[i];
		const char *end = l->text + l->len;
		const char *p = skip_space(l->text, end);
		if (p < end && *p == '<') /* <TASK>, </NMI>, <IRQ>, <#DF>, ... */
			continue;
		if (is_reg_line(l)) /* an exception frame's registers, inside the trace */
			continue;
		if (p == l->text) /* frames are indented; anything else ends the trace */
			break;
		int unreliable = 0;
		if (end - p >= 2 && p[0] == '?' && p[1] == ' ') {
			unreliable = 1;
			p += 2;
		}
		struct kd_logsym sym;
		if (kd_logsym_parse(p, (size_t)(end - p), &sym)) {
			/* " ? 0xffffffffc02e4000": an address without a symbol */
			if (unreliable)
				continue;
			break;
		}
		if (o->nframes < KD_LOG_MAX_FRAMES) {
			struct kd_logframe *f = &o->frames[o->nframes++];
			f->sym = sym;
			f->unreliable = unreliable;
			f->line = i;
		}
	}
	o->trace_end = i;
}

void kd_logscan(const struct kd_logline *lines, size_t n, struct kd_logscan *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = n; i-- > 0;) {
		if (starts(lines[i].text, lines[i].len, PANIC) || has(&lines[i], PANIC)) {
			o->have_panic = 1;
			o->panic_line = i;
			const char *m = find(lines[i].text, lines[i].len, PANIC) + sizeof(PANIC) - 1;
			copy_text(o->panic_message, sizeof(o->panic_message), m,
				  (size_t)(lines[i].text + lines[i].len - m));
			break;
		}
	}

	/* The event: with a panic line, the report it refers to (or the panic itself); without
	 * one (an oops goes to kdump from oops_end, before any panic message), the last report. */
	size_t at = 0;
	enum kd_crash_kind k = KD_KIND_UNKNOWN;
	if (o->have_panic) {
		size_t lo = o->panic_line > EVENT_WINDOW ? o->panic_line - EVENT_WINDOW : 0;
		enum kd_crash_kind pk = panic_kind(o->panic_message, strlen(o->panic_message));
		size_t rat;
		enum kd_crash_kind rk;
		int found = last_report(lines, o->panic_line, lo, &rat, &rk);
		if (pk == KD_KIND_UNKNOWN) { /* "Fatal exception": the report says what */
			if (found) {
				k = rk, at = rat;
			} else {
				k = KD_KIND_OOPS, at = o->panic_line;
			}
		} else if (pk != KD_KIND_PANIC && found && rk == pk) {
			k = pk, at = rat; /* e.g. "Uhhuh. NMI received ..." before "NMI: Not continuing" */
		} else {
			k = pk, at = o->panic_line;
		}
		o->have_event = 1;
	} else if (last_report(lines, n, 0, &at, &k)) {
		o->have_event = 1;
	}
	if (!o->have_event)
		return;
	o->kind = k;
	o->event_line = at;
	copy_text(o->headline, sizeof(o->headline), lines[at].text, lines[at].len);

	/* An oops numbered #2 or later: the kernel was already hurt, and the first report is
	 * often the cause. */
	for (size_t i = at; i < n && i <= at + DIE_LOOKBACK; i++) {
		if ((o->oops_number = die_number(&lines[i])))
			break;
	}
	for (size_t i = 0; o->oops_number > 1 && i < at; i++) {
		if (die_number(&lines[i]) != 1)
			continue;
		size_t first = i;
		enum kd_crash_kind fk;
		if (last_report(lines, i + 1, i > DIE_LOOKBACK ? i - DIE_LOOKBACK : 0, &first, &fk))
			copy_text(o->first_oops, sizeof(o->first_oops), lines[first].text,
				  lines[first].len);
		break;
	}

	/* Within the event: the task line, the oops' registers, the trace, the module list. */
	for (size_t i = at; i < n; i++) {
		const struct kd_logline *l = &lines[i];
		if (!o->have_task && starts(l->text, l->len, "CPU: ") && has(l, " PID: "))
			scan_task(l, o);
		if (!o->have_trace && !o->have_regs)
			scan_rip(l, o);
		if (!o->have_trace && !o->have_rsp)
			scan_rsp(l, o);
		if (!o->have_trace && starts(l->text, l->len, "Call Trace:")) {
			scan_trace(lines, n, i, o);
			i = o->trace_end - 1;
			continue;
		}
		if (starts(l->text, l->len, "Modules linked in:")) {
			o->have_modules = 1;
			const char *m = skip_space(l->text + 18, l->text + l->len);
			copy_text(o->modules, sizeof(o->modules), m, (size_t)(l->text + l->len - m));
			if (o->have_trace)
				break;
		}
	}
	if (!o->have_modules) {
		for (size_t i = at; i-- > 0;) {
			if (starts(lines[i].text, lines[i].len, "Modules linked in:")) {
				const char *m = skip_space(lines[i].text + 18, lines[i].text + lines[i].len);
				o->have_modules = 1;
				copy_text(o->modules, sizeof(o->modules), m,
					  (size_t)(lines[i].text + lines[i].len - m));
				break;
			}
		}
	}
}

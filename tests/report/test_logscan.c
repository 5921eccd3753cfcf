/* The log scanner on the kernel's own text (lab excerpts in fixtures/, 6.1 and 6.12) and on
 * reports the lab cannot trigger (lockups, hung tasks, warnings, GPF), written the way the
 * kernel prints them, plus truncated and garbled logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/logscan.h"
#include "report/report.h"
#include "report/signature.h"
#include "test.h"

struct log {
	char *text;
	struct kd_logline lines[4096];
	size_t n;
};

/* Split text into lines; "[    1.234567] " prefixes become timestamps (console lines without
 * one, like the lab's "KDLAB: ..." chatter, are kept as they are). */
static void split(struct log *l, char *text)
{
	l->text = text;
	l->n = 0;
	for (char *s = text; *s && l->n < 4096;) {
		char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		uint64_t ts = 0;
		unsigned long sec, usec;
		int used = 0;
		if (sscanf(s, "[%lu.%lu]%n", &sec, &usec, &used) == 2 && used && s[used] == ' ') {
			ts = sec * 1000000000ull + usec * 1000ull;
			used++;
		} else {
			used = 0;
		}
		l->lines[l->n++] = (struct kd_logline){ s + used, len - (size_t)used, ts };
		if (!nl)
			break;
		s = nl + 1;
	}
}

static int load(struct log *l, const char *name)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "report/fixtures/%s", name);
	FILE *f = fopen(kd_test_fixture(rel), "r");
	CHECK(f != NULL);
	if (!f)
		return -1;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	split(l, buf);
	return 0;
}

static void signature_of(const struct kd_logscan *s, char *input, size_t n)
{
	struct kd_sig_builder b;
	kd_sig_begin(&b, kd_kind_name(s->kind));
	if (s->have_regs && s->rip_symbolic)
		kd_sig_add(&b, s->rip.func);
	for (size_t i = 0; i < s->nframes; i++)
		if (!s->frames[i].unreliable)
			kd_sig_add(&b, s->frames[i].sym.func);
	snprintf(input, n, "%s", b.input);
}

struct expect {
	const char *file;
	enum kd_crash_kind kind;
	const char *headline_prefix, *panic_message;
	int cpu, pid;
	const char *comm, *taint, *first_frame, *rip, *rip_module, *sig;
	int have_modules;
};

static void check_fixture(const struct expect *x)
{
	static struct log l;
	static struct kd_logscan s;
	if (load(&l, x->file))
		return;
	kd_logscan(l.lines, l.n, &s);
	fprintf(stderr, "  %s\n", x->file);
	CHECK(s.have_event);
	CHECK_STR(kd_kind_name(s.kind), kd_kind_name(x->kind));
	CHECK(!strncmp(s.headline, x->headline_prefix, strlen(x->headline_prefix)));
	if (x->panic_message) {
		CHECK(s.have_panic);
		CHECK_STR(s.panic_message, x->panic_message);
	} else {
		CHECK(!s.have_panic);
	}
	CHECK(s.have_task);
	CHECK(s.cpu == x->cpu);
	CHECK(s.pid == x->pid);
	CHECK_STR(s.comm, x->comm);
	CHECK(s.have_taint);
	CHECK_STR(s.taint_flags, x->taint);
	CHECK(s.have_trace);
	CHECK(s.nframes > 0);
	size_t i = 0;
	while (i < s.nframes && s.frames[i].unreliable)
		i++;
	CHECK(i < s.nframes);
	if (i < s.nframes)
		CHECK_STR(s.frames[i].sym.func, x->first_frame);
	if (x->rip) {
		CHECK(s.have_regs && s.rip_symbolic && s.have_rsp);
		CHECK_STR(s.rip.func, x->rip);
		CHECK_STR(s.rip.module, x->rip_module);
	} else {
		CHECK(!s.have_regs);
	}
	CHECK(s.have_modules == x->have_modules);
	char sig[512];
	signature_of(&s, sig, sizeof(sig));
	CHECK_STR(sig, x->sig);
}

#define SIG_OOPS "null-deref|kdlab_do_oops|kdlab_init|do_one_initcall"
#define SIG_BUG "bug|kdlab_do_bug|kdlab_init|do_one_initcall"
#define SIG_PANIC "panic|kdlab_do_panic|kdlab_init|do_one_initcall"
#define SIG_SYSRQ "sysrq|sysrq_handle_crash|__handle_sysrq|write_sysrq_trigger"
#define SIG_NMI "nmi|unknown_nmi_error|exc_nmi|end_repeat_nmi"

static void lab_6_1(void)
{
	static const struct expect x[] = {
		{ "6.1-sysrq.log", KD_KIND_SYSRQ, "sysrq: Trigger a crash", "sysrq triggered crash",
		  1, 1, "init", "", "dump_stack_lvl", NULL, NULL, SIG_SYSRQ, 0 },
		{ "6.1-panic.log", KD_KIND_PANIC, "Kernel panic - not syncing: kdumpkit-lab",
		  "kdumpkit-lab: panic requested by crashmod", 0, 156, "insmod", "GOE",
		  "dump_stack_lvl", NULL, NULL, SIG_PANIC, 0 },
		{ "6.1-oops.log", KD_KIND_NULL_DEREF, "BUG: kernel NULL pointer dereference", NULL,
		  0, 170, "insmod", "GOE", "kdlab_init", "kdlab_do_oops.constprop.0", "crashmod",
		  SIG_OOPS, 1 },
		{ "6.1-bug.log", KD_KIND_BUG, "kernel BUG at /tmp/crashmod-", NULL, 0, 169, "insmod",
		  "GOE", "kdlab_init", "kdlab_do_bug", "crashmod", SIG_BUG, 1 },
		{ "6.1-nmi.log", KD_KIND_NMI, "Uhhuh. NMI received for unknown reason",
		  "NMI: Not continuing", 0, 0, "swapper/0", "", "dump_stack_lvl", NULL, NULL, SIG_NMI,
		  0 },
	};
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		check_fixture(&x[i]);
}

static void lab_6_12(void)
{
	/* 6.12 adds "UID: 0" to the task line and "Oops: " before die()'s header */
	static const struct expect x[] = {
		{ "6.12-sysrq.log", KD_KIND_SYSRQ, "sysrq: Trigger a crash", "sysrq triggered crash",
		  1, 1, "init", "", "panic", NULL, NULL, SIG_SYSRQ, 0 },
		{ "6.12-panic.log", KD_KIND_PANIC, "Kernel panic - not syncing: kdumpkit-lab",
		  "kdumpkit-lab: panic requested by crashmod", 1, 218, "insmod", "GOE", "panic",
		  NULL, NULL, SIG_PANIC, 0 },
		{ "6.12-oops.log", KD_KIND_NULL_DEREF, "BUG: kernel NULL pointer dereference", NULL,
		  0, 210, "insmod", "GOE", "kdlab_init", "kdlab_do_oops.constprop.0", "crashmod",
		  SIG_OOPS, 1 },
		{ "6.12-bug.log", KD_KIND_BUG, "kernel BUG at /tmp/crashmod-", NULL, 0, 205, "insmod",
		  "GOE", "kdlab_init", "kdlab_do_bug", "crashmod", SIG_BUG, 1 },
		{ "6.12-nmi.log", KD_KIND_NMI, "Uhhuh. NMI received for unknown reason",
		  "NMI: Not continuing", 0, 0, "swapper/0", "", "panic", NULL, NULL, SIG_NMI, 0 },
	};
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		check_fixture(&x[i]);
}

static void scan_text(const char *text, struct kd_logscan *s)
{
	static struct log l;
	static char buf[16384];
	snprintf(buf, sizeof(buf), "%s", text);
	split(&l, buf);
	kd_logscan(l.lines, l.n, s);
}

/* Reports the lab does not trigger, in the kernel's wording. */
static void other_kinds(void)
{
	static struct kd_logscan s;
	scan_text("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [spin:321]\n"
		  "Modules linked in: spin(O)\n"
		  "CPU: 1 PID: 321 Comm: spin Tainted: G           O L     6.1.0 #1\n"
		  "RIP: 0010:spin_fn+0x10/0x20 [spin]\n"
		  "RSP: 0018:ffffc90000abcde8 EFLAGS: 00000246\n"
		  "Call Trace:\n <IRQ>\n </IRQ>\n <TASK>\n spin_init+0x5/0x10 [spin]\n"
		  " do_one_initcall+0x59/0x220\n </TASK>\n"
		  "Kernel panic - not syncing: softlockup: hung tasks\n", &s);
	CHECK(s.kind == KD_KIND_SOFT_LOCKUP);
	CHECK(!strncmp(s.headline, "watchdog: BUG: soft lockup", 26));
	CHECK_STR(s.taint_flags, "GOL");
	CHECK_STR(s.rip.func, "spin_fn");
	CHECK_U64(s.rsp, 0xffffc90000abcde8ull);
	CHECK_STR(s.modules, "spin(O)");
	CHECK(s.nframes == 2);

	scan_text("INFO: task kworker/0:1 xyz:57 blocked for more than 120 seconds.\n"
		  "      Not tainted 6.1.0 #1\n"
		  "task:kworker/0:1    state:D stack:0     pid:57\n"
		  "Call Trace:\n <TASK>\n __schedule+0x300/0x9a0\n schedule+0x5d/0xe0\n </TASK>\n"
		  "Kernel panic - not syncing: hung_task: blocked tasks\n"
		  "CPU: 0 PID: 30 Comm: khungtaskd Not tainted 6.1.0 #1\n"
		  "Call Trace:\n <TASK>\n dump_stack_lvl+0x44/0x5c\n panic+0x118/0x2f4\n"
		  " watchdog+0x2a0/0x2b0\n </TASK>\n", &s);
	CHECK(s.kind == KD_KIND_HUNG_TASK);
	CHECK(s.have_task && s.pid == 30);
	CHECK_STR(s.comm, "khungtaskd");

	/* an oops with panic_on_oops: the panic only says "Fatal exception" */
	scan_text("general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP\n"
		  "CPU: 3 PID: 99 Comm: my prog Not tainted 6.1.0 #1\n"
		  "RIP: 0010:list_del+0x4/0x30\n"
		  "RSP: 0018:ffffc90000123e00 EFLAGS: 00010246\n"
		  "Call Trace:\n <TASK>\n ? die_addr+0x30/0x80\n foo_release+0x20/0x40\n"
		  " __fput+0x90/0x250\n </TASK>\n"
		  "Modules linked in:\n"
		  "---[ end trace 0000000000000000 ]---\n"
		  "Kernel panic - not syncing: Fatal exception\n", &s);
	CHECK(s.kind == KD_KIND_GPF);
	CHECK_STR(s.comm, "my prog");
	CHECK_STR(s.panic_message, "Fatal exception");
	CHECK(s.have_modules && !s.modules[0]);
	CHECK(s.nframes == 3 && s.frames[0].unreliable && !s.frames[1].unreliable);

	scan_text("------------[ cut here ]------------\n"
		  "WARNING: CPU: 0 PID: 1 at drivers/foo.c:12 foo_probe+0x1/0x2\n"
		  "Kernel panic - not syncing: panic_on_warn set ...\n"
		  "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1\n", &s);
	CHECK(s.kind == KD_KIND_WARNING);

	scan_text("NMI watchdog: Watchdog detected hard LOCKUP on cpu 2\n"
		  "Kernel panic - not syncing: Hard LOCKUP\n", &s);
	CHECK(s.kind == KD_KIND_HARD_LOCKUP);
	CHECK(!strncmp(s.headline, "NMI watchdog:", 13));

	scan_text("BUG: unable to handle page fault for address: ffffffffc0000000\n"
		  "#PF: supervisor write access in kernel mode\n"
		  "Oops: 0002 [#1] PREEMPT SMP NOPTI\n", &s);
	CHECK(s.kind == KD_KIND_PAGE_FAULT);

	/* a second oops: the first one is named */
	scan_text("BUG: unable to handle page fault for address: ffffc90000000000\n"
		  "Oops: 0000 [#1] SMP\n"
		  "CPU: 1 PID: 5 Comm: a Not tainted 6.1.0 #1\n"
		  "general protection fault, probably for non-canonical address 0x1: 0000 [#2] SMP\n"
		  "CPU: 0 PID: 6 Comm: b Tainted: G      D     6.1.0 #1\n"
		  "Kernel panic - not syncing: Fatal exception\n", &s);
	CHECK(s.kind == KD_KIND_GPF);
	CHECK(s.oops_number == 2);
	CHECK_STR(s.first_oops, "BUG: unable to handle page fault for address: ffffc90000000000");
	CHECK(s.pid == 6);
	CHECK_STR(s.taint_flags, "GD");

	/* the OOM killer's reports are not the crash; panic_on_oom's panic is */
	scan_text("Out of memory: Killed process 77 (hog) total-vm:1000kB\n"
		  "BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
		  "Oops: 0000 [#1] SMP\n"
		  "Out of memory: Killed process 78 (hog2) total-vm:1000kB\n", &s);
	CHECK(s.kind == KD_KIND_NULL_DEREF);
	scan_text("Out of memory: Killed process 77 (hog)\n"
		  "Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is enabled\n",
		  &s);
	CHECK(s.kind == KD_KIND_OOM);

	scan_text("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n",
		  &s);
	CHECK(s.kind == KD_KIND_PANIC);
	CHECK_STR(s.panic_message, "VFS: Unable to mount root fs on unknown-block(0,0)");
	CHECK(!s.have_task && !s.have_trace);
}

/* Logs cut short, empty, or full of garbage: fields are simply absent. */
static void damaged_logs(void)
{
	static struct kd_logscan s;
	kd_logscan(NULL, 0, &s);
	CHECK(!s.have_event && s.kind == KD_KIND_UNKNOWN);

	scan_text("[    1.000000] just booting\n[    2.000000] nothing wrong\n", &s);
	CHECK(!s.have_event);

	/* cut inside the trace and inside the task line */
	scan_text("Kernel panic - not syncing: x\nCPU: 1\nCall Trace:\n <TASK>\n dump_stack_l", &s);
	CHECK(s.have_event && s.kind == KD_KIND_PANIC);
	CHECK(!s.have_task);
	CHECK(s.have_trace && s.nframes == 0);

	/* symbol-like junk */
	static struct kd_logsym sym;
	CHECK(kd_logsym_parse("+0x/0x", 6, &sym) == -1);
	CHECK(kd_logsym_parse("f+0x1/", 6, &sym) == -1);
	CHECK(kd_logsym_parse("f+0x11111111111111111/0x1", 25, &sym) == -1);
	CHECK(!kd_logsym_parse(" a+0x1/0x2 [m", 13, &sym));
	CHECK_STR(sym.func, "a");
	CHECK_STR(sym.module, "");
	CHECK(!kd_logsym_parse("x b.cold+0x0/0x10 [mod]", 23, &sym));
	CHECK_STR(sym.func, "b.cold");
	CHECK_STR(sym.module, "mod");

	/* control bytes never reach the copied strings */
	scan_text("Kernel panic - not syncing: a\033[31mb\x01\n", &s);
	CHECK_STR(s.panic_message, "a?[31mb?");
}

static void signature(void)
{
	CHECK_U64(kd_fnv1a64("", 0), 0xcbf29ce484222325ull);
	CHECK_U64(kd_fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
	CHECK_U64(kd_fnv1a64("foobar", 6), 0x85944171f73967e8ull);
	char out[64];
	kd_sig_normalize("__handle_sysrq.cold", out, sizeof(out));
	CHECK_STR(out, "__handle_sysrq");
	kd_sig_normalize("kdlab_do_oops.constprop.0", out, sizeof(out));
	CHECK_STR(out, "kdlab_do_oops");
	struct kd_sig_builder b;
	kd_sig_begin(&b, "panic");
	CHECK(!kd_sig_add(&b, "dump_stack_lvl"));
	CHECK(!kd_sig_add(&b, "panic"));
	CHECK(!kd_sig_add(&b, "nmi_panic.cold"));
	CHECK(kd_sig_add(&b, "a.isra.0"));
	CHECK(kd_sig_add(&b, "b"));
	CHECK(kd_sig_add(&b, "c"));
	CHECK(!kd_sig_add(&b, "d"));
	CHECK_STR(b.input, "panic|a|b|c");
	char hex[17];
	kd_sig_finish(&b, hex);
	CHECK(strlen(hex) == 16);
	char want[17];
	snprintf(want, sizeof(want), "%016llx",
		 (unsigned long long)kd_fnv1a64("panic|a|b|c", strlen("panic|a|b|c")));
	CHECK_STR(hex, want);
}

/* Taint letters by bit (kernel/panic.c's table) and their meanings. */
static void taint(void)
{
	char letters[32], desc[512];
	kd_taint_letters(0x3000, letters, sizeof(letters)); /* TAINT_OOT_MODULE | TAINT_UNSIGNED */
	CHECK_STR(letters, "OE");
	kd_taint_letters((1u << 0) | (1u << 7) | (1u << 9) | (1u << 18), letters, sizeof(letters));
	CHECK_STR(letters, "PDWN");
	kd_taint_letters(0, letters, sizeof(letters));
	CHECK_STR(letters, "");
	kd_taint_describe("GOE", desc, sizeof(desc));
	CHECK_STR(desc, "O (out-of-tree module), E (unsigned module)");
	kd_taint_describe("PL?", desc, sizeof(desc));
	CHECK_STR(desc, "P (proprietary module), L (soft lockup)");
	kd_taint_describe("OE", desc, 10); /* cut short, still terminated */
	CHECK(strlen(desc) < 10);
}

TEST_MAIN(T(lab_6_1), T(lab_6_12), T(other_kinds), T(damaged_logs), T(signature), T(taint))

/* What the dead kernel's log says about its death: the panic or oops message and its kind,
 * the "CPU: N PID: N Comm: x" line with its taint flags, the "Modules linked in:" list, the
 * register line the oops printed and the "Call Trace:" block, as the kernel printed them.
 *
 * Input is the log as lines (report.c splits kd_printk_walk's records); it is untrusted text:
 * any bytes, any length, truncated anywhere. Scanning is linear in the log and never fails:
 * what is not found is left empty/zero and its `have_*` flag clear. */
#ifndef KD_REPORT_LOGSCAN_H
#define KD_REPORT_LOGSCAN_H

#include <stddef.h>
#include <stdint.h>

struct kd_logline {
	const char *text; /* not NUL-terminated */
	size_t len;
	uint64_t ts_nsec;
};

enum kd_crash_kind {
	KD_KIND_UNKNOWN = 0,
	KD_KIND_SYSRQ,       /* echo c > /proc/sysrq-trigger */
	KD_KIND_PANIC,       /* an explicit panic() call */
	KD_KIND_NULL_DEREF,  /* oops: NULL pointer dereference */
	KD_KIND_PAGE_FAULT,  /* oops: bad kernel paging request */
	KD_KIND_GPF,         /* oops: general protection fault */
	KD_KIND_OOPS,        /* any other die(): invalid opcode, double fault, ... */
	KD_KIND_BUG,         /* BUG() / BUG_ON(): "kernel BUG at file:line!" */
	KD_KIND_WARNING,     /* WARN() with panic_on_warn */
	KD_KIND_NMI,         /* unknown/IOCK/SERR NMI with panic_on_unrecovered_nmi or similar */
	KD_KIND_HARD_LOCKUP,
	KD_KIND_SOFT_LOCKUP,
	KD_KIND_HUNG_TASK,
	KD_KIND_OOM,         /* panic_on_oom */
	KD_KIND_MCE,         /* machine check */
	KD_KIND_KMSG_BUG,    /* another "BUG: ..." report (scheduling while atomic, KASAN, ...) */
	KD_KIND_COUNT
};

/* "sysrq", "panic", "null-deref", ...: the stable name used in JSON and the signature. */
const char *kd_kind_name(enum kd_crash_kind k);
/* "sysrq crash trigger", "kernel NULL pointer dereference (oops)", ...: for people. */
const char *kd_kind_text(enum kd_crash_kind k);

#define KD_LOG_FUNC_MAX 128
#define KD_LOG_MOD_MAX 64
#define KD_LOG_MAX_FRAMES 64

/* One "func+0xoff/0xsize [module]" as printed. */
struct kd_logsym {
	char func[KD_LOG_FUNC_MAX];
	char module[KD_LOG_MOD_MAX]; /* "" for the kernel itself */
	uint64_t offset, size;
};

struct kd_logframe {
	struct kd_logsym sym;
	int unreliable; /* printed with "? " (a stale stack word, not a real frame) */
	size_t line;    /* index of the line it came from */
};

struct kd_logscan {
	enum kd_crash_kind kind;
	int have_event;
	size_t event_line;      /* first line of the crash report */
	char headline[256];     /* that line's text, e.g. "BUG: kernel NULL pointer dereference, ..." */
	int oops_number;        /* N of the event's die() header "[#N]", 0 when it has none */
	char first_oops[256];   /* when N > 1: the headline of oops #1 ("" if not in the log) */
	int have_panic;
	size_t panic_line;
	char panic_message[256]; /* after "Kernel panic - not syncing: " */

	int have_task;          /* the "CPU: N PID: N Comm: x" line of the event */
	int cpu, pid;
	char comm[32];
	int have_taint;         /* that line's "Tainted: ..." or "Not tainted" */
	char taint_flags[32];   /* the letters, e.g. "GOE" ("" for not tainted) */

	int have_modules;
	char modules[2048];     /* the list after "Modules linked in:", trimmed */

	int have_regs;          /* a kernel-mode "RIP: 0010:..." before the trace: the oops' own */
	int rip_symbolic;       /* RIP printed as func+off/size (else only as an address) */
	struct kd_logsym rip;
	uint64_t rip_addr;      /* when printed as an address */
	int have_rsp;
	uint64_t rsp;

	int have_trace;
	size_t trace_line;      /* the "Call Trace:" line */
	size_t trace_end;       /* one past its last line */
	size_t nframes;
	struct kd_logframe frames[KD_LOG_MAX_FRAMES];
};

void kd_logscan(const struct kd_logline *lines, size_t n, struct kd_logscan *out);

/* Parse "func+0xoff/0xsize" with an optional " [module]" somewhere in s; 0 when found. */
int kd_logsym_parse(const char *s, size_t len, struct kd_logsym *out);

#endif

/* The dead kernel's log, read from its memory with nothing but VMCOREINFO.
 *
 * Three layouts, chosen by the symbols VMCOREINFO exports (as kexec-tools' vmcore-dmesg does):
 *   SYMBOL(prb)            5.10+   the lockless ringbuffer: descriptors, infos, a text data ring
 *   SYMBOL(log_first_idx)  3.5-5.9 the structured log_buf: struct printk_log headers + text
 *   SYMBOL(log_buf)        < 3.5   a plain character ring (log_end, log_buf_len)
 *
 * kd_printk_walk() hands every record it can find to a callback, oldest first, so other readers
 * (report/) can use them. kd_printk_write() prints them exactly as vmcore-dmesg prints them.
 *
 * The dump is untrusted. A missing VMCOREINFO key or an unreadable control structure (the prb,
 * the ring pointers) is an error naming what is missing: nothing can be shown. A damaged record
 * (unreadable descriptor, text block outside the ring, text_len beyond its block, a chain that
 * does not lead to the end) is counted in kd_printk_stats with the first reason, and the walk
 * goes on with what can still be found. Every loop is bounded by the ring's size.
 *
 * Memory is read as little-endian (x86_64, arm64, ...). The width of a kernel long/pointer is
 * taken from the symbols: a kernel whose symbols are all below 4 GiB is read as 32-bit. */
#ifndef KD_PRINTK_PRINTK_H
#define KD_PRINTK_PRINTK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "vmcore/mem.h"

enum kd_printk_format {
	KD_PRINTK_NONE = 0,
	KD_PRINTK_LOCKLESS,   /* 5.10+ printk_ringbuffer */
	KD_PRINTK_STRUCTURED, /* 3.5-5.9 log_buf of struct printk_log */
	KD_PRINTK_LEGACY,     /* before 3.5: plain text */
};

enum kd_printk_kind {
	/* A log record: timestamp and text. */
	KD_PRINTK_RECORD = 0,
	/* Structured log_buf only: the zero-length header that marks where the kernel wrapped to
	 * the start of the buffer. Not a message; vmcore-dmesg prints it as an empty line with the
	 * header's timestamp (normally "[    0.000000] "), so the writer does too. */
	KD_PRINTK_WRAP_MARKER,
	/* Legacy log_buf: a piece of the plain text (no records, no timestamps of its own). */
	KD_PRINTK_RAW,
};

struct kd_printk_record {
	enum kd_printk_kind kind;
	uint64_t seq;      /* lockless: printk_info.seq; otherwise the record's position, from 0 */
	uint64_t ts_nsec;  /* local_clock() at printk time (0 for KD_PRINTK_RAW) */
	const char *text;  /* raw bytes, not escaped, not NUL-terminated; valid during the call */
	size_t len;
	int has_caller_id; /* lockless with OFFSET(printk_info.caller_id) */
	uint32_t caller_id;
	int truncated;     /* the text is shorter than the record says (damage, shown anyway) */
};

/* Return an error to stop the walk; kd_printk_walk() returns it (wrapped). */
typedef kd_err *(*kd_printk_fn)(void *arg, const struct kd_printk_record *r);

struct kd_printk_stats {
	enum kd_printk_format format;
	uint64_t shown;   /* callbacks made (records, wrap markers, raw pieces) */
	uint64_t skipped; /* descriptors not committed (free, or being written at the crash): normal
			   * ring state, skipped silently as vmcore-dmesg does */
	uint64_t damaged; /* records shown truncated or not at all because the dump is inconsistent */
	char problem[256]; /* the first damage, "" when none */
};

/* Which layout the dump uses (from VMCOREINFO alone); KD_PRINTK_NONE if none is exported. */
enum kd_printk_format kd_printk_detect(const struct kd_vmcoreinfo *vi);
const char *kd_printk_format_name(enum kd_printk_format f);

/* Walk the log oldest first. `stats` (optional) is filled even when an error is returned. */
kd_err *kd_printk_walk(const struct kd_mem *mem, kd_printk_fn fn, void *arg,
		       struct kd_printk_stats *stats);

/* One record in vmcore-dmesg's text form: "[%5llu.%06llu] " (seconds, microseconds truncated),
 * the text with every byte that is neither printable ASCII nor white space written as "\xNN",
 * then "\n". Raw pieces are written as they are. Returns an error if writing fails. */
kd_err *kd_printk_format_record(const struct kd_printk_record *r, FILE *out);

/* The whole log as vmcore-dmesg prints it. Everything that can be shown is written; then an
 * error is returned if the log could not be found, if writing failed, or if records were
 * damaged (the message counts them and names the first problem). */
kd_err *kd_printk_write(const struct kd_mem *mem, FILE *out, struct kd_printk_stats *stats);

#endif

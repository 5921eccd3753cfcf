/* The structured log_buf (Linux 3.5-5.9, kernel/printk/printk.c before the lockless ring).
 *
 * log_buf points at log_buf_len bytes holding records back to back from log_first_idx (the
 * oldest) to log_next_idx (where the next one would go). A record is a struct printk_log header
 * (struct log before 3.11: SIZE(log), OFFSET(log.*)) with ts_nsec, len (the whole record: header,
 * text, dictionary, padding) and text_len, then text_len bytes of text. A header with len == 0
 * marks the end of the used part of the buffer: the next record is at offset 0. vmcore-dmesg
 * prints that marker as a record too (an empty line with the marker's timestamp), so it is
 * passed on as KD_PRINTK_WRAP_MARKER. The dictionary is not shown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "printk/internal.h"

/* struct printk_log, or before 3.11 struct log: SIZE(log), OFFSET(log.*). The newer name is
 * used when present, and named when neither is. */
static kd_err *log_key(struct kd_pk_walk *w, const char *kind, const char *field, uint64_t *out)
{
	char key[64], old_key[64], full[80];
	snprintf(key, sizeof(key), "printk_log%s", field);
	snprintf(old_key, sizeof(old_key), "log%s", field);
	const char *name = key;
	snprintf(full, sizeof(full), "%s(%s)", kind, key);
	if (!kd_vmcoreinfo_get(w->vi, full)) {
		snprintf(full, sizeof(full), "%s(%s)", kind, old_key);
		if (kd_vmcoreinfo_get(w->vi, full))
			name = old_key;
	}
	return kind[0] == 'S' ? kd_pk_size(w, name, out) : kd_pk_offset(w, name, out);
}

kd_err *kd_pk_walk_structured(struct kd_pk_walk *w)
{
	uint64_t sym_buf, sym_len, sym_first, sym_next, hdr, off_ts, off_len, off_text_len;
	kd_err *e;
	if ((e = kd_pk_symbol(w, "log_buf", &sym_buf)) ||
	    (e = kd_pk_symbol(w, "log_buf_len", &sym_len)) ||
	    (e = kd_pk_symbol(w, "log_first_idx", &sym_first)) ||
	    (e = kd_pk_symbol(w, "log_next_idx", &sym_next)) ||
	    (e = log_key(w, "SIZE", "", &hdr)) || (e = log_key(w, "OFFSET", ".ts_nsec", &off_ts)) ||
	    (e = log_key(w, "OFFSET", ".len", &off_len)) ||
	    (e = log_key(w, "OFFSET", ".text_len", &off_text_len)))
		return kd_err_wrap(e, "locating the structured log_buf");
	w->long_size = kd_pk_long_size(sym_buf);
	if (off_ts + 8 > hdr || off_len + 2 > hdr || off_text_len + 2 > hdr || hdr > KD_PK_TEXT_MAX)
		return kd_err_new(0, "VMCOREINFO SIZE(printk_log)=%llu does not fit its fields",
				  (unsigned long long)hdr);

	uint64_t buf;
	uint32_t len, first, next;
	if ((e = kd_pk_ulong(w, sym_buf, &buf)) || (e = kd_pk_u32(w, sym_len, &len)) ||
	    (e = kd_pk_u32(w, sym_first, &first)) || (e = kd_pk_u32(w, sym_next, &next)))
		return kd_err_wrap(e, "reading log_buf, log_buf_len, log_first_idx, log_next_idx");
	if (len < hdr || len > (1u << 31))
		return kd_err_new(0, "log_buf_len is %u", len);
	if (first >= len || next >= len)
		return kd_err_new(0, "log_first_idx %u or log_next_idx %u is outside the %u-byte "
				  "log_buf", first, next, len);

	unsigned char *h = malloc(hdr);
	char *text = malloc(KD_PK_TEXT_MAX);
	if (!h || !text) {
		free(h);
		free(text);
		return kd_err_new(ENOMEM, "reading the structured log_buf");
	}
	/* From log_first_idx forward to log_next_idx the records cover at most the whole buffer:
	 * `walked` going past that means the chain is broken (or loops). */
	uint64_t idx = first, walked = 0, seq = 0;
	while (idx != next && !e) {
		if (idx + hdr > len) {
			kd_pk_damage(w, "record at log_buf+%llu: header runs past the end of log_buf",
				     (unsigned long long)idx);
			break;
		}
		if ((e = kd_mem_read(w->mem, buf + idx, h, hdr))) {
			kd_pk_damage_err(w, e, "record at log_buf+%llu", (unsigned long long)idx);
			e = NULL;
			break;
		}
		struct kd_printk_record r = { .seq = seq++, .ts_nsec = kd_pk_get64(h + off_ts),
					      .text = text };
		uint16_t rlen = kd_pk_get16(h + off_len), tlen = kd_pk_get16(h + off_text_len);
		if (rlen == 0) {
			r.kind = KD_PRINTK_WRAP_MARKER;
			e = kd_pk_emit(w, &r);
			walked += len - idx;
			idx = 0;
		} else if (rlen < hdr || idx + rlen > len) {
			kd_pk_damage(w, "record at log_buf+%llu: length %u does not fit log_buf; the "
				     "records after it cannot be found", (unsigned long long)idx, rlen);
			break;
		} else {
			r.len = tlen;
			if (r.len > rlen - hdr) {
				r.len = rlen - hdr;
				r.truncated = 1;
				kd_pk_damage(w, "record at log_buf+%llu: text_len %u exceeds its length "
					     "%u; shown truncated", (unsigned long long)idx, tlen, rlen);
			}
			kd_err *re = r.len ? kd_mem_read(w->mem, buf + idx + hdr, text, r.len) : NULL;
			if (re)
				kd_pk_damage_err(w, re, "record at log_buf+%llu: reading its text",
						 (unsigned long long)idx);
			else
				e = kd_pk_emit(w, &r);
			walked += rlen;
			idx += rlen;
		}
		if (walked > len && idx != next) {
			kd_pk_damage(w, "the records from log_first_idx %u do not lead to "
				     "log_next_idx %u", first, next);
			break;
		}
	}
	free(h);
	free(text);
	return e;
}

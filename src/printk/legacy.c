/* The plain log_buf of kernels before 3.5: log_buf_len bytes of text used as a ring, log_end the
 * count of characters ever written (the next one goes to log_end % log_buf_len). The oldest
 * text still there starts at log_end once the ring has wrapped, at 0 before. vmcore-dmesg
 * prints min(log_end, log_buf_len) characters from there, raw, whatever logged_chars says
 * (`dmesg -c` lowers logged_chars; the text is still there), and so does this. */
#include <errno.h>
#include <stdlib.h>

#include "printk/internal.h"

/* The text is passed on in pieces of this size, so no buffer as large as the log is needed. */
#define PIECE 65536u

static kd_err *pieces(struct kd_pk_walk *w, char *tmp, uint64_t addr, uint64_t n)
{
	kd_err *e = NULL;
	for (uint64_t at = 0; at < n && !e; at += PIECE) {
		struct kd_printk_record r = { .kind = KD_PRINTK_RAW, .text = tmp };
		r.len = n - at < PIECE ? n - at : PIECE;
		kd_err *re = kd_mem_read(w->mem, addr + at, tmp, r.len);
		if (re)
			kd_pk_damage_err(w, re, "%zu bytes of log_buf at %#llx", r.len,
					 (unsigned long long)(addr + at));
		else
			e = kd_pk_emit(w, &r);
	}
	return e;
}

kd_err *kd_pk_walk_legacy(struct kd_pk_walk *w)
{
	uint64_t sym_buf, sym_end, sym_len, buf;
	uint32_t end, len;
	kd_err *e;
	if ((e = kd_pk_symbol(w, "log_buf", &sym_buf)) ||
	    (e = kd_pk_symbol(w, "log_end", &sym_end)) ||
	    (e = kd_pk_symbol(w, "log_buf_len", &sym_len)))
		return kd_err_wrap(e, "locating the plain log_buf");
	w->long_size = kd_pk_long_size(sym_buf);
	if ((e = kd_pk_ulong(w, sym_buf, &buf)) || (e = kd_pk_u32(w, sym_end, &end)) ||
	    (e = kd_pk_u32(w, sym_len, &len)))
		return kd_err_wrap(e, "reading log_buf, log_end, log_buf_len");
	/* log_buf_len is an int in these kernels */
	if (len == 0 || len > INT32_MAX)
		return kd_err_new(0, "log_buf_len is %d", (int32_t)len);
	char *tmp = malloc(PIECE);
	if (!tmp)
		return kd_err_new(ENOMEM, "reading the plain log_buf");
	if (end < len) {
		e = pieces(w, tmp, buf, end);
	} else {
		uint32_t wrap = end % len;
		e = pieces(w, tmp, buf + wrap, len - wrap);
		if (!e)
			e = pieces(w, tmp, buf, wrap);
	}
	free(tmp);
	return e;
}

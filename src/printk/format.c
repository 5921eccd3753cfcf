/* The text vmcore-dmesg prints (kexec-tools util_lib/elf_info.c), byte for byte:
 *   "[%5llu.%06llu] " seconds and microseconds (truncated) of ts_nsec,
 *   the text, where a byte that is neither printable nor white space in the C locale
 *   (0x20-0x7e, \t \n \v \f \r) becomes "\x%02x" (a multi-line record keeps its newlines, and
 *   continuation records get their own timestamp line: it prints every record on its own),
 *   "\n".
 * The plain log_buf of old kernels is written as it is, without any escaping. */
#include <errno.h>
#include <inttypes.h>

#include "printk/internal.h"

static int shown_as_is(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7e) || (c >= '\t' && c <= '\r');
}

kd_err *kd_printk_format_record(const struct kd_printk_record *r, FILE *out)
{
	if (r->kind == KD_PRINTK_RAW) {
		if (r->len && fwrite(r->text, 1, r->len, out) != r->len)
			return kd_err_errno("writing the kernel log");
		return NULL;
	}
	/* vmcore-dmesg formats in a 4 KiB buffer flushed as it fills; the bytes are the same */
	char buf[4096 + 8];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "[%5" PRIu64 ".%06" PRIu64 "] ",
				    r->ts_nsec / 1000000000, r->ts_nsec % 1000000000 / 1000);
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < r->len; i++) {
		unsigned char c = (unsigned char)r->text[i];
		if (shown_as_is(c)) {
			buf[n++] = (char)c;
		} else {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
		if (n >= 4096) {
			if (fwrite(buf, 1, n, out) != n)
				return kd_err_errno("writing the kernel log");
			n = 0;
		}
	}
	buf[n++] = '\n';
	if (fwrite(buf, 1, n, out) != n)
		return kd_err_errno("writing the kernel log");
	return NULL;
}

static kd_err *write_one(void *arg, const struct kd_printk_record *r)
{
	return kd_printk_format_record(r, arg);
}

kd_err *kd_printk_write(const struct kd_mem *mem, FILE *out, struct kd_printk_stats *stats)
{
	struct kd_printk_stats local;
	struct kd_printk_stats *st = stats ? stats : &local;
	kd_err *e = kd_printk_walk(mem, write_one, out, st);
	if (fflush(out) && !e)
		e = kd_err_errno("writing the kernel log");
	if (e)
		return e;
	if (st->damaged)
		return kd_err_new(EIO, "%" PRIu64 " record%s of the %s could not be shown in full; "
				  "the first: %s", st->damaged, st->damaged == 1 ? "" : "s",
				  kd_printk_format_name(st->format), st->problem);
	return NULL;
}

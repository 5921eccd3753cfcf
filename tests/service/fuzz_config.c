/* libFuzzer: the configuration reader and the snapshot reader.
 *
 * The input is up to three files separated by a line "----" (kdump.conf, /etc/sysconfig/kdump,
 * /etc/default/kdump-tools); an input that starts with "kdumpkit-config" is a snapshot instead.
 * The first byte's low bit picks the kdump-config personality. Properties: no crash, leak or
 * hang; an error leaves the config empty; and whatever parses writes a snapshot that reads back
 * and writes again to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "service/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_empty(const struct kd_svc_config *c)
{
	static const struct kd_svc_config zero;
	return !memcmp(c, &zero, sizeof(zero));
}

static void round_trip(const struct kd_svc_config *c)
{
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	FILE *f = open_memstream(&a, &la);
	if (kd_svc_config_snapshot_write(c, f))
		abort();
	fclose(f);
	struct kd_svc_config back;
	kd_err *err = kd_svc_config_snapshot_parse("snap", a, la, &back);
	if (err) {
		kd_err_print(stderr, "fuzz_config", err);
		abort();
	}
	f = open_memstream(&b, &lb);
	if (kd_svc_config_snapshot_write(&back, f))
		abort();
	fclose(f);
	if (la != lb || memcmp(a, b, la))
		abort();
	kd_svc_config_free(&back);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		kd_log_set_level(KD_LOG_ERROR);
		kd_log_set_stream(fopen("/dev/null", "w"));
		quiet = 1;
	}
	const char *text = (const char *)data;
	struct kd_svc_config c;
	kd_err *err;
	if (size >= 15 && !memcmp(text, "kdumpkit-config", 15)) {
		err = kd_svc_config_snapshot_parse("snap", text, size, &c);
	} else {
		struct kd_svc_config_source src[3] = {
			{ "/etc/kdump.conf", NULL, 0 },
			{ "/etc/sysconfig/kdump", NULL, 0 },
			{ "/etc/default/kdump-tools", NULL, 0 },
		};
		int as_tools = size && (data[0] & 1);
		const char *p = text, *end = text + size;
		for (int i = 0; i < 3 && p <= end; i++) {
			const char *sep = NULL;
			for (const char *q = p; q + 6 <= end; q++)
				if (!memcmp(q, "\n----\n", 6)) {
					sep = q;
					break;
				}
			src[i].text = p;
			src[i].len = (size_t)((sep ? sep + 1 : end) - p);
			if (!sep)
				break;
			p = sep + 6;
		}
		err = kd_svc_config_parse(&src[0], &src[1], &src[2], as_tools, &c);
	}
	if (err) {
		kd_err_free(err);
		if (!is_empty(&c))
			abort();
		return 0;
	}
	round_trip(&c);
	kd_svc_config_free(&c);
	return 0;
}

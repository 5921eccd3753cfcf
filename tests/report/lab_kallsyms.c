/* Lab probe (run by tests/lab/check_report.py on real dumps, not a unit test on its own): the
 * kallsyms table read from a dump, for comparison with a debugger that reads the vmlinux.
 *   lab-kallsyms DUMP STEP      every STEP-th symbol: "addr type name size"
 *   lab-kallsyms DUMP -a ADDR…  the lookup of each address: "addr name+0xoff/0xsize"
 * First line: "count N encoding E verified V". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/kallsyms.h"
#include "vmcore/dump.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s DUMP STEP | DUMP -a ADDR...\n", argv[0]);
		return 2;
	}
	struct kd_dump *d;
	struct kd_kallsyms *ks;
	kd_err *e = kd_dump_open(argv[1], &d);
	if (e) {
		kd_err_print(stderr, "lab-kallsyms", e);
		kd_err_free(e);
		return 1;
	}
	struct kd_mem mem = kd_dump_mem(d);
	if ((e = kd_kallsyms_load(&mem, &ks))) {
		kd_err_print(stderr, "lab-kallsyms", e);
		kd_err_free(e);
		kd_dump_close(d);
		return 1;
	}
	int verified;
	const char *enc = kd_kallsyms_encoding(ks, &verified);
	printf("count %zu encoding %s verified %d\n", kd_kallsyms_count(ks), enc, verified);
	if (!strcmp(argv[2], "-a")) {
		for (int i = 3; i < argc; i++) {
			char buf[KD_KALLSYMS_NAME_MAX + 64];
			uint64_t a = strtoull(argv[i], NULL, 16);
			kd_kallsyms_format(ks, a, buf, sizeof(buf));
			printf("%016" PRIx64 " %s\n", a, buf);
		}
	} else {
		size_t step = strtoul(argv[2], NULL, 10);
		struct kd_ksym s;
		for (size_t i = 0; step && !kd_kallsyms_nth(ks, i, &s); i += step)
			printf("%016" PRIx64 " %c %s %" PRIu64 "\n", s.addr, s.type, s.name, s.size);
	}
	kd_kallsyms_free(ks);
	kd_dump_close(d);
	return 0;
}

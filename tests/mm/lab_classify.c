/* Crash-lab probe for the classifier: opens a real dump, classifies every pfn in cycles as the
 * collector does, counts the zero pages (by content) among the pages no class excludes, and
 * prints one JSON object: pages per class over the pfns the dump has memory for, the zero
 * count, the first problem, and the time classification took. tests/lab/check_mm.py compares
 * it with makedumpfile. --classes FILE also writes the class of every pfn below max_pfn, one
 * byte each (enum kd_page_class), for per-page checks.
 *   lab-classify [--cycle PFNS] [--classes FILE] DUMP */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mm/pageclass.h"
#include "vmcore/dump.h"

#define ZERO_BATCH 256

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bit(const uint8_t *bm, uint64_t i)
{
	return bm[i / 8] >> (i % 8) & 1;
}

static int is_zero(const uint8_t *p, size_t n)
{
	static const uint8_t z[64];
	for (size_t i = 0; i < n; i += 64)
		if (memcmp(p + i, z, 64))
			return 0;
	return 1;
}

static void print_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	uint64_t cycle = 1ull << 18;
	const char *path = NULL, *classes = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cycle") && i + 1 < argc)
			cycle = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--classes") && i + 1 < argc)
			classes = argv[++i];
		else
			path = argv[i];
	}
	if (!path || !cycle) {
		fprintf(stderr, "usage: lab-classify [--cycle PFNS] [--classes FILE] DUMP\n");
		return 2;
	}
	struct kd_dump *d;
	kd_err *e = kd_dump_open(path, &d);
	if (e) {
		kd_err_print(stderr, "lab-classify", e);
		return 1;
	}
	struct kd_mem mem = kd_dump_mem(d);
	uint64_t max_pfn = kd_dump_max_pfn(d);
	uint32_t psz = kd_dump_page_size(d);
	struct kd_mm *mm;
	double t0 = now();
	if ((e = kd_mm_open(&mem, max_pfn, &mm))) {
		kd_err_print(stderr, "lab-classify", e);
		kd_dump_close(d);
		return 1;
	}
	uint64_t align = kd_mm_cycle_align(mm);
	cycle = (cycle + align - 1) / align * align;
	uint8_t *cls = malloc(cycle), *exists = malloc(cycle / 8 + 1), *held = malloc(cycle / 8 + 1);
	uint8_t *pages = malloc((size_t)ZERO_BATCH * psz);
	uint64_t n[KD_PAGE_NCLASSES] = { 0 }, total = 0, zero = 0, unread = 0;
	double t_classify = 0;
	FILE *out = NULL;
	if (classes && !(out = fopen(classes, "wb")))
		e = kd_err_errno("opening %s", classes);
	for (uint64_t s = 0; !e && s < max_pfn; s += cycle) {
		uint64_t end = s + cycle < max_pfn ? s + cycle : max_pfn;
		double t = now();
		e = kd_mm_classify(mm, s, end, cls);
		t_classify += now() - t;
		if (!e && out && fwrite(cls, 1, end - s, out) != end - s)
			e = kd_err_errno("writing %s", classes);
		if (!e)
			e = kd_dump_pfn_bitmaps(d, s, end, exists, held);
		for (uint64_t i = 0; !e && i < end - s;) {
			if (!bit(exists, i)) {
				i++;
				continue;
			}
			total++;
			n[cls[i]]++;
			int kept = cls[i] == KD_PAGE_KEEP || cls[i] == KD_PAGE_UNKNOWN ||
				   cls[i] == KD_PAGE_NO_STRUCT;
			if (!kept || !bit(held, i)) {
				unread += kept;
				i++;
				continue;
			}
			/* a run of kept, held pages: read them at once, count the zero ones */
			uint64_t j = i + 1;
			while (j < end - s && j - i < ZERO_BATCH && bit(exists, j) && bit(held, j) &&
			       (cls[j] == KD_PAGE_KEEP || cls[j] == KD_PAGE_UNKNOWN ||
				cls[j] == KD_PAGE_NO_STRUCT))
				j++;
			e = kd_dump_read_pages(d, s + i, (size_t)(j - i), pages);
			for (uint64_t k = 0; !e && k < j - i; k++) {
				zero += is_zero(pages + k * psz, psz);
				if (k)
					total++, n[cls[i + k]]++;
			}
			i = j;
		}
	}
	double t_all = now() - t0;
	if (out && fclose(out) && !e)
		e = kd_err_errno("writing %s", classes);
	if (e) {
		kd_err_print(stderr, "lab-classify", e);
		return 1;
	}
	struct kd_mm_stats st;
	kd_mm_stats(mm, &st);
	printf("{\"max_pfn\": %llu, \"total\": %llu", (unsigned long long)max_pfn,
	       (unsigned long long)total);
	for (int c = 0; c < KD_PAGE_NCLASSES; c++)
		printf(", \"%s\": %llu", kd_page_class_name(c), (unsigned long long)n[c]);
	printf(", \"zero\": %llu, \"kept_unreadable\": %llu, \"reads\": %llu, \"read_errors\": %llu",
	       (unsigned long long)zero, (unsigned long long)unread, (unsigned long long)st.reads,
	       (unsigned long long)st.read_errors);
	printf(", \"classify_seconds\": %.3f, \"seconds\": %.3f, \"problem\": ", t_classify, t_all);
	print_json_str(kd_mm_problem(mm));
	printf("}\n");
	free(cls);
	free(exists);
	free(held);
	free(pages);
	kd_mm_close(mm);
	kd_dump_close(d);
	return 0;
}

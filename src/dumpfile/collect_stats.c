/* The statistics table, laid out like makedumpfile's report so operators and scripts that read
 * one can read the other. */
#include <inttypes.h>

#include "dumpfile/collect.h"

void kd_collect_print_stats(FILE *f, const struct kd_collect_stats *st)
{
	uint64_t ex = st->zero;
	for (int k = 0; k < KD_PAGE_NCLASSES; k++)
		ex += st->excluded[k];
	uint64_t remaining = st->dumped - st->zero;
	fprintf(f, "\nOriginal pages  : 0x%016" PRIx64 "\n", st->held);
	fprintf(f, "  Excluded pages   : 0x%016" PRIx64 "\n", ex);
	fprintf(f, "    Pages filled with zero  : 0x%016" PRIx64 "\n", st->zero);
	fprintf(f, "    Non-private cache pages : 0x%016" PRIx64 "\n", st->excluded[KD_PAGE_CACHE]);
	fprintf(f, "    Private cache pages     : 0x%016" PRIx64 "\n",
		st->excluded[KD_PAGE_CACHE_PRIVATE]);
	fprintf(f, "    User process data pages : 0x%016" PRIx64 "\n", st->excluded[KD_PAGE_USER]);
	fprintf(f, "    Free pages              : 0x%016" PRIx64 "\n", st->excluded[KD_PAGE_FREE]);
	fprintf(f, "    Hwpoison pages          : 0x%016" PRIx64 "\n",
		st->excluded[KD_PAGE_HWPOISON]);
	fprintf(f, "    Offline pages           : 0x%016" PRIx64 "\n",
		st->excluded[KD_PAGE_OFFLINE]);
	fprintf(f, "  Remaining pages  : 0x%016" PRIx64 "\n", remaining);
	if (st->held)
		fprintf(f, "  (The number of pages is reduced to %" PRIu64 "%%.)\n",
			remaining * 100 / st->held);
	fprintf(f, "Memory Hole     : 0x%016" PRIx64 "\n", st->max_pfn - st->exists);
	fprintf(f, "--------------------------------------------------\n");
	fprintf(f, "Total pages     : 0x%016" PRIx64 "\n", st->max_pfn);
	if (st->unknown)
		fprintf(f, "Kept unclassified: 0x%016" PRIx64 " (%s)\n", st->unknown, st->problem);
	if (!st->classified)
		fprintf(f, "Pages not classified: %s\n", st->problem);
	fprintf(f, "Page data       : %" PRIu64 " bytes (%" PRIu64 " pages stored raw)\n",
		st->data_bytes, st->raw);
	fprintf(f, "\n");
}

/* What each page codec costs and writes on a real dump's kept pages, the codec alone: the
 * floor under any collector that stores pages with it. bench/codecs.py builds and runs this.
 *
 *   codecs PAGES-FILE OFFSET COUNT [ROUNDS]
 * compresses COUNT 4 KiB pages found at OFFSET in PAGES-FILE, one call per page the way a
 * kdump-compressed file stores them, and prints per codec: the median time of ROUNDS passes
 * and the bytes stored (a page that does not shrink is stored raw, 4096 bytes).
 * Built with -DHAVE_ISAL when Intel's ISA-L (libisal-dev) is there. */
#include <lzo/lzo1x.h>
#include <libdeflate.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>
#ifdef HAVE_ISAL
#include <isa-l.h>
#endif

#define PS 4096
#define OUT_MAX (2 * PS)

struct codec {
	const char *name, *note;
	size_t (*fn)(void *st, const uint8_t *in, uint8_t *out); /* 0: failed or did not fit */
	void *st;
};

static size_t zlib_fn(void *st, const uint8_t *in, uint8_t *out)
{
	z_stream *z = st;
	deflateReset(z);
	z->next_in = (uint8_t *)in;
	z->avail_in = PS;
	z->next_out = out;
	z->avail_out = OUT_MAX;
	return deflate(z, Z_FINISH) == Z_STREAM_END ? OUT_MAX - z->avail_out : 0;
}

static size_t ldefl_fn(void *st, const uint8_t *in, uint8_t *out)
{
	return libdeflate_zlib_compress(st, in, PS, out, OUT_MAX);
}

struct lzo_st {
	int (*fn)(const lzo_bytep, lzo_uint, lzo_bytep, lzo_uintp, lzo_voidp);
	uint8_t wrk[LZO1X_1_15_MEM_COMPRESS > LZO1X_1_MEM_COMPRESS ? LZO1X_1_15_MEM_COMPRESS :
		    LZO1X_1_MEM_COMPRESS];
};

static size_t lzo_fn(void *st, const uint8_t *in, uint8_t *out)
{
	struct lzo_st *l = st;
	lzo_uint n = OUT_MAX;
	return l->fn(in, PS, out, &n, l->wrk) == LZO_E_OK ? n : 0;
}

static size_t zstd_fn(void *st, const uint8_t *in, uint8_t *out)
{
	size_t n = ZSTD_compressCCtx(st, out, OUT_MAX, in, PS, 1);
	return ZSTD_isError(n) ? 0 : n;
}

static size_t snappy_fn(void *st, const uint8_t *in, uint8_t *out)
{
	size_t n = OUT_MAX;
	(void)st;
	return snappy_compress((const char *)in, PS, (char *)out, &n) == SNAPPY_OK ? n : 0;
}

#ifdef HAVE_ISAL
struct isal_st {
	int level;
	uint8_t *buf;
	uint32_t size;
};

static size_t isal_fn(void *st, const uint8_t *in, uint8_t *out)
{
	struct isal_st *i = st;
	struct isal_zstream s;
	isal_deflate_stateless_init(&s);
	s.level = (uint32_t)i->level;
	s.level_buf = i->buf;
	s.level_buf_size = i->size;
	s.gzip_flag = IGZIP_ZLIB;
	s.next_in = (uint8_t *)in;
	s.avail_in = PS;
	s.next_out = out;
	s.avail_out = OUT_MAX;
	s.end_of_stream = 1;
	s.flush = NO_FLUSH;
	return isal_deflate_stateless(&s) == COMP_OK ? s.total_out : 0;
}
#endif

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: codecs PAGES-FILE OFFSET COUNT [ROUNDS]\n");
		return 2;
	}
	long off = atol(argv[2]), count = atol(argv[3]);
	int rounds = argc > 4 ? atoi(argv[4]) : 3;
	FILE *f = fopen(argv[1], "rb");
	uint8_t *pages = malloc((size_t)count * PS);
	if (!f || !pages || fseek(f, off, SEEK_SET) ||
	    fread(pages, PS, (size_t)count, f) != (size_t)count) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	if (lzo_init() != LZO_E_OK)
		return 1;

	z_stream z = { 0 };
	deflateInit(&z, 1);
	static struct lzo_st l1 = { .fn = lzo1x_1_compress }, l11 = { .fn = lzo1x_1_11_compress },
			     l12 = { .fn = lzo1x_1_12_compress }, l15 = { .fn = lzo1x_1_15_compress };
	struct codec cs[16] = {
		{ "zlib level 1", "makedumpfile -c", zlib_fn, &z },
		{ "libdeflate 1 (zlib format)", "", ldefl_fn, libdeflate_alloc_compressor(1) },
		{ "libdeflate 2 (zlib format)", "kdumpkit -c", ldefl_fn,
		  libdeflate_alloc_compressor(2) },
		{ "libdeflate 3 (zlib format)", "", ldefl_fn, libdeflate_alloc_compressor(3) },
		{ "lzo1x_1", "makedumpfile -l, kdumpkit -l", lzo_fn, &l1 },
		{ "lzo1x_1_11", "", lzo_fn, &l11 },
		{ "lzo1x_1_12", "", lzo_fn, &l12 },
		{ "lzo1x_1_15", "", lzo_fn, &l15 },
		{ "zstd level 1", "kdumpkit -z", zstd_fn, ZSTD_createCCtx() },
		{ "snappy", "kdumpkit -p", snappy_fn, NULL },
	};
	size_t n = 10;
#ifdef HAVE_ISAL
	static struct isal_st isal[3] = {
		{ 1, NULL, ISAL_DEF_LVL1_DEFAULT }, { 2, NULL, ISAL_DEF_LVL2_DEFAULT },
		{ 3, NULL, ISAL_DEF_LVL3_DEFAULT },
	};
	static const char *isal_names[3] = { "ISA-L igzip 1 (zlib format)",
					     "ISA-L igzip 2 (zlib format)",
					     "ISA-L igzip 3 (zlib format)" };
	for (int i = 0; i < 3; i++) {
		isal[i].buf = malloc(isal[i].size);
		cs[n++] = (struct codec){ isal_names[i], "", isal_fn, &isal[i] };
	}
#endif
	if (rounds < 1)
		rounds = 1;
	if (rounds > 15)
		rounds = 15;
	printf("codec\tnote\tseconds\tstored bytes\n");
	for (size_t c = 0; c < n; c++) {
		double t[15];
		unsigned long long stored = 0;
		for (int r = 0; r < rounds; r++) {
			static uint8_t out[OUT_MAX];
			stored = 0;
			double t0 = now();
			for (long p = 0; p < count; p++) {
				size_t len = cs[c].fn(cs[c].st, pages + (size_t)p * PS, out);
				stored += len && len < PS ? len : PS;
			}
			t[r] = now() - t0;
		}
		qsort(t, (size_t)rounds, sizeof(double), cmp_double);
		printf("%s\t%s\t%.3f\t%llu\n", cs[c].name, cs[c].note, t[rounds / 2], stored);
	}
	return 0;
}

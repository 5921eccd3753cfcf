/* Pass 2 of the collector: read, zero-check, compress and write the dumpable pages.
 *
 * Work moves in batches of up to BATCH pages that never span a cycle; the first batch of a
 * cycle carries that cycle's bitmaps. One thread runs read → compress → write per batch. With
 * N > 1 threads, N workers each take the next batch, read (where the input allows reads from
 * several threads: an ELF file), zero-check and compress it, and batches are written strictly
 * in sequence, so the file is byte-identical to one thread's. Reading in the workers is what
 * lets the pipeline scale: the copy out of the page cache costs about as much as LZO itself. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dumpfile/collect_priv.h"

#define BATCH 128

/* where fill() takes pages from: read() copies (a file: cheaper than mapping and unmapping
 * page-cache pages), for /proc/vmcore the dump's shared window (one thread: a batch is used
 * before the next fill) or a mapping the batch owns until refilled (the pipeline), or nowhere
 * yet: the compressor thread reads them (DEFER: a file whose reads may run in parallel) */
enum { MAP_NONE, MAP_WINDOW, MAP_OWNED, DEFER };

enum page_kind { PAGE_ZERO, PAGE_RAW, PAGE_PACKED };

struct batch {
	uint64_t seq;
	int state;                  /* FREE, FILLED, PACKED (under the pipeline's lock) */
	int last;                   /* no batches after this one */
	/* bitmaps of a cycle that starts with this batch */
	int has_bm;
	uint64_t cstart, cend;
	uint8_t *bm1, *bm2;
	unsigned n;
	int loaded;                 /* src[] set (DEFER: not until the compressor reads them) */
	uint64_t pfn[BATCH];
	uint8_t kind[BATCH];
	uint32_t len[BATCH];
	const uint8_t *src[BATCH];  /* each page: in `data`, or in the input's mapping */
	uint8_t *data;              /* BATCH pages */
	struct kd_dump_mapping map; /* pipeline: the batch's own mapping of its pages, if any */
	uint8_t *packed;            /* BATCH * bound */
};

struct gen {                    /* where the reader is */
	uint64_t cycle;             /* next cycle to load */
	uint64_t pos;               /* next pfn in the loaded cycle (cend: exhausted) */
	int loaded;
};

static size_t bound_of(const struct kd_collector *c)
{
	return c->o.codec == KD_CODEC_NONE ? 0 : kd_codec_bound(c->o.codec, c->ps);
}

static kd_err *batch_alloc(struct kd_collector *c, struct batch *b)
{
	memset(b, 0, sizeof(*b));
	size_t bm = (size_t)(c->cycle / 8);
	b->bm1 = malloc(bm);
	b->bm2 = malloc(bm);
	b->data = malloc((size_t)BATCH * c->ps);
	size_t bound = bound_of(c);
	b->packed = bound ? malloc(BATCH * bound) : NULL;
	if (!b->bm1 || !b->bm2 || !b->data || (bound && !b->packed))
		return kd_err_new(ENOMEM, "allocating page batches");
	return NULL;
}

static void batch_free(struct batch *b)
{
	kd_dump_unmap_owned(&b->map);
	free(b->bm1);
	free(b->bm2);
	free(b->data);
	free(b->packed);
}

/* Read b's pages [first, end), consecutive pfns, into its buffer and point src[] at them. */
static kd_err *read_run(struct kd_collector *c, struct batch *b, unsigned first, unsigned end)
{
	kd_err *e = kd_dump_read_pages(c->in, b->pfn[first], end - first,
				       b->data + (size_t)first * c->ps);
	if (e)
		return kd_err_wrap(e, "reading pages for the dump");
	for (unsigned k = first; k < end; k++)
		b->src[k] = b->data + (size_t)k * c->ps;
	return NULL;
}

/* Fill b with the next pages (reader side). Sets b->last at the end of the pfn space. Pages
 * come from a mapping of the input where it allows one (`map`), without a copy; a mapped run
 * ends the batch, since the next map may move the window and a batch owns one mapping. */
static kd_err *fill(struct kd_collector *c, struct gen *g, struct batch *b, int map)
{
	b->n = 0;
	b->has_bm = 0;
	b->last = 0;
	kd_dump_unmap_owned(&b->map);
	if (!g->loaded || g->pos >= c->cend) {
		if (g->cycle >= c->ncycles) {
			b->last = 1;
			return NULL;
		}
		kd_err *e = kd_collect_cycle(c, g->cycle, NULL);
		if (e)
			return e;
		g->cycle++;
		g->loaded = 1;
		g->pos = c->cstart;
		size_t bytes = (size_t)((c->cend - c->cstart + 7) / 8);
		memcpy(b->bm1, c->exists, bytes);
		memcpy(b->bm2, c->dump, bytes);
		b->has_bm = 1;
		b->cstart = c->cstart;
		b->cend = c->cend;
	}
	/* collect up to BATCH dumpable pfns of this cycle, reading contiguous runs at once */
	uint64_t p = g->pos;
	while (p < c->cend && b->n < BATCH) {
		uint64_t i = p - c->cstart;
		if (!(i & 7) && !c->dump[i / 8] && p + 8 <= c->cend) {
			p += 8;
			continue;
		}
		if (!(c->dump[i / 8] & (1u << (i & 7)))) {
			p++;
			continue;
		}
		uint64_t run = p;
		unsigned first = b->n;
		while (p < c->cend && b->n < BATCH &&
		       (c->dump[(p - c->cstart) / 8] & (1u << ((p - c->cstart) & 7))))
			b->pfn[b->n++] = p++;
		if (map == DEFER)
			continue;
		const uint8_t *m = NULL;
		if (map == MAP_WINDOW)
			kd_dump_map_pages(c->in, run, b->n - first, &m);
		else if (map == MAP_OWNED) {
			kd_dump_map_owned(c->in, run, b->n - first, &b->map);
			m = b->map.pages;
		}
		if (m) {
			for (unsigned k = first; k < b->n; k++)
				b->src[k] = m + (size_t)(k - first) * c->ps;
			break;
		}
		kd_err *e = read_run(c, b, first, b->n);
		if (e)
			return e;
	}
	g->pos = p;
	if (p >= c->cend && g->cycle >= c->ncycles)
		b->last = 1;
	b->loaded = map != DEFER;
	return NULL;
}

/* DEFER: read the batch's pages, one pread per contiguous run (compressor threads). */
static kd_err *load(struct kd_collector *c, struct batch *b)
{
	for (unsigned k = 0; k < b->n;) {
		unsigned first = k;
		while (k + 1 < b->n && b->pfn[k + 1] == b->pfn[k] + 1)
			k++;
		k++;
		kd_err *e = read_run(c, b, first, k);
		if (e)
			return e;
	}
	b->loaded = 1;
	return NULL;
}

static kd_err *pack(struct kd_collector *c, struct kd_codec_ctx *ctx, struct batch *b)
{
	size_t bound = bound_of(c);
	for (unsigned k = 0; k < b->n; k++) {
		const uint8_t *page = b->src[k];
		if ((c->o.dump_level & KD_DL_ZERO) && kd_page_is_zero(page, c->ps)) {
			b->kind[k] = PAGE_ZERO;
			continue;
		}
		b->kind[k] = PAGE_RAW;
		if (!bound)
			continue;
		size_t out = bound;
		kd_err *e = kd_codec_compress(ctx, page, c->ps, b->packed + k * bound, &out);
		if (e)
			return kd_err_wrap(e, "compressing page %#llx", (unsigned long long)b->pfn[k]);
		if (out < c->ps) {
			b->kind[k] = PAGE_PACKED;
			b->len[k] = (uint32_t)out;
		}
	}
	return NULL;
}

static kd_err *put(struct kd_collector *c, struct batch *b)
{
	struct kd_collect_stats *st = c->st;
	kd_err *e = NULL;
	if (b->has_bm && c->w)
		e = kd_kdump_bitmaps(c->w, b->cstart, b->cend, b->bm1, b->bm2);
	size_t bound = bound_of(c);
	if (c->o.elf) { /* raw pages; zero ones were counted and left out in pass 1 */
		for (unsigned k = 0; !e && k < b->n; k++) {
			if (b->kind[k] == PAGE_ZERO)
				continue;
			st->dumped++;
			st->raw++;
			st->data_bytes += c->ps;
			if (c->ew)
				e = kd_elfout_page(c->ew, b->src[k]);
		}
		kd_progress_update(&c->progress, st->dumped);
		return e;
	}
	for (unsigned k = 0; !e && k < b->n; k++) {
		st->dumped++;
		switch (b->kind[k]) {
		case PAGE_ZERO:
			st->zero++;
			if (c->w)
				e = kd_kdump_zero_page(c->w);
			break;
		case PAGE_RAW:
			st->raw++;
			st->data_bytes += c->ps;
			if (c->w)
				e = kd_kdump_page(c->w, b->src[k], c->ps, KD_CODEC_NONE);
			break;
		default:
			st->data_bytes += b->len[k];
			if (c->w)
				e = kd_kdump_page(c->w, b->packed + k * bound, b->len[k], c->o.codec);
		}
	}
	kd_progress_update(&c->progress, st->dumped);
	return e;
}

static kd_err *run_inline(struct kd_collector *c)
{
	struct batch b;
	struct kd_codec_ctx *ctx = NULL;
	kd_err *e = batch_alloc(c, &b);
	if (!e && c->o.codec != KD_CODEC_NONE)
		e = kd_codec_ctx_new(c->o.codec, &ctx);
	struct gen g = { 0 };
	while (!e) {
		e = fill(c, &g, &b, kd_dump_prefers_mmap(c->in) ? MAP_WINDOW : MAP_NONE);
		if (!e)
			e = pack(c, ctx, &b);
		if (!e)
			e = put(c, &b);
		if (b.last)
			break;
	}
	kd_codec_ctx_free(ctx);
	batch_free(&b);
	return e;
}

/* ---- the pipeline ----
 *
 * N workers (this thread and N-1 more), no reader or writer thread: each worker claims the
 * next batch and fills it (in sequence, under `fill_lock`: listing pfns, plus reading or
 * mapping them where the input wants one reader), then reads and compresses it on its own, and
 * whoever finishes the batch the file needs next writes it and every packed batch after it.
 * A thread sleeps only when the ring is full, so on two CPUs two threads do all the work
 * instead of four threads handing each batch over three times (each wake-up costs more in a
 * VM than compressing a few pages). */

enum { FREE, FILLED, PACKED };

struct pipe {
	struct kd_collector *c;
	struct batch *b;
	unsigned nb;
	int how;                    /* MAP_OWNED, DEFER or MAP_NONE */
	pthread_mutex_t fill_lock;  /* the reader's position: one filler at a time */
	struct gen g;
	pthread_mutex_t lock;       /* everything below */
	pthread_cond_t slot_free;   /* a batch became FREE, or the run stopped */
	unsigned waiting;           /* workers waiting on slot_free */
	uint64_t next_fill, next_put;
	uint64_t end_seq;           /* seq of the last batch + 1 (UINT64_MAX: not known yet) */
	int writing;                /* a worker is writing batches out */
	int stop;
	kd_err *err;
};

static void fail(struct pipe *p, kd_err *e)
{
	pthread_mutex_lock(&p->lock);
	if (!p->err)
		p->err = e;
	else
		kd_err_free(e);
	p->stop = 1;
	pthread_cond_broadcast(&p->slot_free);
	pthread_mutex_unlock(&p->lock);
}

static int stopped(struct pipe *p)
{
	pthread_mutex_lock(&p->lock);
	int stop = p->stop;
	pthread_mutex_unlock(&p->lock);
	return stop;
}

/* Claim and fill the next batch; NULL when there is none left or the run stopped. */
static struct batch *claim(struct pipe *p)
{
	pthread_mutex_lock(&p->fill_lock);
	pthread_mutex_lock(&p->lock);
	struct batch *b = &p->b[p->next_fill % p->nb];
	while (!p->stop && p->next_fill < p->end_seq && b->state != FREE) {
		p->waiting++;
		pthread_cond_wait(&p->slot_free, &p->lock);
		p->waiting--;
	}
	int none = p->stop || p->next_fill >= p->end_seq;
	pthread_mutex_unlock(&p->lock);
	if (none) {
		pthread_mutex_unlock(&p->fill_lock);
		return NULL;
	}
	kd_err *e = fill(p->c, &p->g, b, p->how);
	pthread_mutex_lock(&p->lock);
	if (!e) {
		b->seq = p->next_fill++;
		b->state = FILLED;
		if (b->last) /* possibly empty: it still goes through, to end the run in order */
			p->end_seq = p->next_fill;
	}
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_unlock(&p->fill_lock);
	if (e) {
		fail(p, e);
		return NULL;
	}
	return b;
}

/* b is packed: if it is the one the file needs next and nobody is writing, write it and every
 * packed batch after it, freeing their slots. */
static void packed(struct pipe *p, struct batch *b)
{
	pthread_mutex_lock(&p->lock);
	b->state = PACKED;
	if (p->writing || b->seq != p->next_put) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->writing = 1;
	while (!p->stop) {
		struct batch *w = &p->b[p->next_put % p->nb];
		if (p->next_put >= p->end_seq || w->state != PACKED || w->seq != p->next_put)
			break;
		pthread_mutex_unlock(&p->lock);
		kd_err *e = put(p->c, w);
		if (e) {
			fail(p, e);
			pthread_mutex_lock(&p->lock);
			break;
		}
		pthread_mutex_lock(&p->lock);
		w->state = FREE;
		p->next_put++;
		if (p->waiting)
			pthread_cond_signal(&p->slot_free);
	}
	p->writing = 0;
	pthread_mutex_unlock(&p->lock);
}

static void *worker(void *arg)
{
	struct pipe *p = arg;
	struct kd_codec_ctx *ctx = NULL;
	kd_err *e = p->c->o.codec != KD_CODEC_NONE ? kd_codec_ctx_new(p->c->o.codec, &ctx) : NULL;
	if (e) {
		fail(p, e);
		return NULL;
	}
	struct batch *b;
	while ((b = claim(p))) {
		e = b->loaded ? NULL : load(p->c, b);
		if (!e)
			e = pack(p->c, ctx, b);
		if (e) {
			fail(p, e);
			break;
		}
		packed(p, b);
	}
	kd_codec_ctx_free(ctx);
	return NULL;
}

static kd_err *run_pipeline(struct kd_collector *c, unsigned threads)
{
	/* two batches per worker: one being compressed, one packed and waiting its turn; the
	 * memory stays under makedumpfile's own with threads */
	struct pipe p = { .c = c, .nb = 2 * threads, .end_seq = UINT64_MAX };
	p.how = kd_dump_prefers_mmap(c->in) ? MAP_OWNED :
		kd_dump_parallel_reads(c->in) ? DEFER : MAP_NONE;
	p.b = calloc(p.nb, sizeof(*p.b));
	if (!p.b)
		return kd_err_new(ENOMEM, "allocating the page pipeline");
	kd_err *e = NULL;
	for (unsigned i = 0; !e && i < p.nb; i++)
		e = batch_alloc(c, &p.b[i]);
	pthread_mutex_init(&p.fill_lock, NULL);
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.slot_free, NULL);
	pthread_t tid[64];
	unsigned started = 0;
	if (e)
		fail(&p, e);
	while (!stopped(&p) && started < threads - 1) {
		int err = pthread_create(&tid[started], NULL, worker, &p);
		if (err) { /* fewer workers write the same file */
			kd_warn("--num-threads %u: thread %u did not start (%s); going on with %u",
				threads, started + 2, strerror(err), started + 1);
			break;
		}
		started++;
	}
	if (!stopped(&p))
		worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (!p.err && p.next_put != p.end_seq)
		p.err = kd_err_new(EIO, "page pipeline ended after %llu of %llu batches",
				   (unsigned long long)p.next_put, (unsigned long long)p.end_seq);
	pthread_mutex_destroy(&p.fill_lock);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.slot_free);
	for (unsigned i = 0; i < p.nb; i++)
		batch_free(&p.b[i]);
	free(p.b);
	return p.err;
}

kd_err *kd_collect_pages(struct kd_collector *c)
{
	unsigned t = c->o.threads;
	if (t > 64)
		t = 64;
	return t <= 1 ? run_inline(c) : run_pipeline(c, t);
}

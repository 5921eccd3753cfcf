/* Flattened dumps (makedumpfile -F, or a QEMU/makedumpfile stream saved to a file): the records
 * are indexed once — which file position holds each byte of the dump they describe — and
 * kd_dump_pread reads through the index, so the dump inside (kdump-compressed, or ELF from
 * -E -F) opens with its own backend and no temporary copy. A later record overrides an earlier
 * one for the bytes both cover (writers rewrite the header at the end). A stream from a pipe
 * cannot be indexed: reassemble it first (makedumpfile -R). */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "vmcore/dump_priv.h"
#include "vmcore/kdump_format.h"

/* More records than this is not a dump makedumpfile or QEMU writes (their data records are
 * tens of KiB to MiBs: a 17 MB dump has ~540); a hostile stream of tiny records stops here,
 * before the index (32 bytes a record) passes 512 MiB. */
#define MAX_RECORDS (16u << 20)

struct flat_piece {
	uint64_t off, len;  /* bytes [off, off + len) of the dump */
	uint64_t pos;       /* file position of byte off */
	uint64_t seq;       /* record number: the later record wins */
};

struct kd_flat_index {
	struct flat_piece *p;
	size_t n, cap;
	uint64_t extent;    /* size of the dump the records describe */
};

static int piece_cmp(const void *a, const void *b)
{
	const struct flat_piece *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static kd_err *push(struct flat_piece **v, size_t *n, size_t *cap, struct flat_piece p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		void *nv = realloc(*v, c * sizeof(**v));
		if (!nv)
			return kd_err_new(ENOMEM, "indexing flattened records");
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = p;
	return NULL;
}

/* The part of p inside [a, b). */
static struct flat_piece clip(struct flat_piece p, uint64_t a, uint64_t b)
{
	uint64_t s = p.off > a ? p.off : a, e = p.off + p.len < b ? p.off + p.len : b;
	return (struct flat_piece){ s, e > s ? e - s : 0, p.pos + (s - p.off), p.seq };
}

/* Records sorted by offset become disjoint pieces. A record overlapping the tail of what is
 * built so far replaces the bytes it covers there if it is later in the stream. */
static kd_err *resolve(struct flat_piece *rec, size_t nrec, struct kd_flat_index *fi)
{
	struct flat_piece *tail = NULL;
	size_t ntail = 0, tcap = 0;
	kd_err *e = NULL;
	for (size_t i = 0; i < nrec && !e; i++) {
		struct flat_piece r = rec[i];
		size_t k = fi->n;
		while (k && fi->p[k - 1].off + fi->p[k - 1].len > r.off)
			k--;
		if (k == fi->n) {
			e = push(&fi->p, &fi->n, &fi->cap, r);
			continue;
		}
		/* pieces k.. overlap r: rebuild that stretch with the later bytes winning */
		ntail = 0;
		uint64_t r_end = r.off + r.len;
		for (size_t j = k; j < fi->n && !e; j++) {
			struct flat_piece q = fi->p[j];
			if (q.seq > r.seq) {
				e = push(&tail, &ntail, &tcap, q);
				continue;
			}
			struct flat_piece before = clip(q, q.off, r.off), after = clip(q, r_end, UINT64_MAX);
			if (before.len)
				e = e ? e : push(&tail, &ntail, &tcap, before);
			if (after.len)
				e = e ? e : push(&tail, &ntail, &tcap, after);
		}
		/* r, minus what later pieces cover */
		uint64_t at = r.off;
		size_t nt = ntail;
		if (nt)
			qsort(tail, nt, sizeof(*tail), piece_cmp);
		for (size_t j = 0; j < nt && !e; j++) {
			if (tail[j].seq < r.seq || tail[j].off + tail[j].len <= at)
				continue;
			if (tail[j].off >= r_end)
				break;
			struct flat_piece gap = clip(r, at, tail[j].off);
			if (gap.len)
				e = push(&tail, &ntail, &tcap, gap);
			at = tail[j].off + tail[j].len;
		}
		if (!e && at < r_end)
			e = push(&tail, &ntail, &tcap, clip(r, at, r_end));
		if (e)
			break;
		if (ntail)
			qsort(tail, ntail, sizeof(*tail), piece_cmp);
		fi->n = k;
		for (size_t j = 0; j < ntail && !e; j++)
			e = push(&fi->p, &fi->n, &fi->cap, tail[j]);
	}
	free(tail);
	return e;
}

kd_err *kd_dump_open_flat(struct kd_dump *d, const uint8_t *head, size_t head_len)
{
	d->format = "flattened";
	if (head_len < KD_FLAT_HEADER_SIZE)
		return kd_err_new(EINVAL, "flattened header: the file is %zu bytes", head_len);
	uint64_t tv[2];
	memcpy(tv, head + 16, sizeof(tv));
	if (be64toh(tv[0]) != KD_FLAT_TYPE || be64toh(tv[1]) != KD_FLAT_VERSION)
		return kd_err_new(ENOTSUP, "flattened header type %llu version %llu (only 1, 1 known)",
				  (unsigned long long)be64toh(tv[0]), (unsigned long long)be64toh(tv[1]));
	if (!d->file_size)
		return kd_err_new(ESPIPE, "a flattened stream must be a regular file to be read in "
				  "place; reassemble it first (makedumpfile -R)");
	struct flat_piece *rec = NULL;
	size_t nrec = 0, cap = 0;
	uint64_t pos = KD_FLAT_HEADER_SIZE;
	kd_err *e = NULL;
	int ended = 0;
	/* each record moves pos forward by at least 16: bounded by the file size */
	while (!e && pos + 16 <= d->file_size) {
		uint64_t h[2];
		if ((e = kd_dump_pread(d, pos, h, sizeof(h))))
			break;
		int64_t off = (int64_t)be64toh(h[0]), size = (int64_t)be64toh(h[1]);
		if (off == KD_FLAT_END) {
			ended = 1;
			break;
		}
		pos += 16;
		if (off < 0 || size < 0 || size > INT64_MAX - off ||
		    (uint64_t)size > d->file_size - pos) {
			e = kd_err_new(EINVAL, "flattened record at %#llx: offset %lld, size %lld "
				       "(corrupt or truncated stream)", (unsigned long long)(pos - 16),
				       (long long)off, (long long)size);
			break;
		}
		if (nrec >= MAX_RECORDS) {
			e = kd_err_new(EINVAL, "more than %u flattened records", MAX_RECORDS);
			break;
		}
		if (size)
			e = push(&rec, &nrec, &cap, (struct flat_piece){ (uint64_t)off, (uint64_t)size,
									  pos, nrec });
		pos += (uint64_t)size;
	}
	if (!e && !ended)
		kd_log(KD_LOG_WARN, "%s: the flattened stream has no end marker (cut off?)", d->path);
	struct kd_flat_index *fi = NULL;
	if (!e && !(fi = calloc(1, sizeof(*fi))))
		e = kd_err_new(ENOMEM, "indexing flattened records");
	if (!e) {
		if (nrec)
			qsort(rec, nrec, sizeof(*rec), piece_cmp);
		e = resolve(rec, nrec, fi);
	}
	free(rec);
	if (e) {
		kd_flat_free(fi);
		return e;
	}
	for (size_t i = 0; i < fi->n; i++)
		if (fi->p[i].off + fi->p[i].len > fi->extent)
			fi->extent = fi->p[i].off + fi->p[i].len;
	d->flat = fi;
	d->file_size = fi->extent;

	uint8_t inner[4096];
	size_t got = fi->extent < sizeof(inner) ? (size_t)fi->extent : sizeof(inner);
	if ((e = kd_dump_pread(d, 0, inner, got)))
		return kd_err_wrap(e, "the dump inside the flattened stream");
	if (got >= 4 && !memcmp(inner, ELFMAG, SELFMAG))
		e = kd_dump_open_elf(d, inner, got);
	else if (got >= KD_KDUMP_SIG_LEN && !memcmp(inner, KD_KDUMP_SIGNATURE, KD_KDUMP_SIG_LEN))
		e = kd_dump_open_kdump(d, inner, got);
	else
		e = kd_err_new(EINVAL, "the flattened stream holds neither a kdump-compressed nor "
			       "an ELF dump");
	d->format = "flattened";
	return e;
}

/* Read dump bytes [off, off + len) through the index: bytes no record wrote read as zero
 * (the writer left a hole there, as in a sparse file). */
kd_err *kd_flat_pread(struct kd_dump *d, uint64_t off, void *buf, size_t len)
{
	const struct kd_flat_index *fi = d->flat;
	uint8_t *p = buf;
	if (off > fi->extent || len > fi->extent - off)
		return kd_err_new(EIO, "reading %s at dump offset %#llx: past the end of the "
				  "flattened stream's dump (truncated?)", d->path,
				  (unsigned long long)off);
	/* first piece ending after off */
	size_t lo = 0, hi = fi->n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (fi->p[m].off + fi->p[m].len <= off)
			lo = m + 1;
		else
			hi = m;
	}
	while (len) {
		const struct flat_piece *q = lo < fi->n ? &fi->p[lo] : NULL;
		if (!q || q->off > off) {
			uint64_t gap = q ? q->off - off : len;
			size_t n = gap < len ? (size_t)gap : len;
			memset(p, 0, n);
			p += n;
			off += n;
			len -= n;
			continue;
		}
		uint64_t room = q->off + q->len - off;
		size_t n = room < len ? (size_t)room : len;
		kd_err *e = kd_dump_pread_raw(d, q->pos + (off - q->off), p, n);
		if (e)
			return kd_err_wrap(e, "dump offset %#llx", (unsigned long long)off);
		p += n;
		off += n;
		len -= n;
		lo++;
	}
	return NULL;
}

void kd_flat_free(struct kd_flat_index *fi)
{
	if (!fi)
		return;
	free(fi->p);
	free(fi);
}

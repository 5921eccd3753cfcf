/* On-disk layouts of makedumpfile's formats, shared by the reader (vmcore/kdump_dump.c,
 * flat_dump.c) and the writers (dumpfile/kdump.c, sink.c). Written from the format's published
 * facts (diskdump_mods.h, crash's diskdump.h); every field is fixed-width with its x86_64 offset
 * asserted, because the file stores the C structs of a 64-bit little-endian kernel build.
 *
 * kdump-compressed (block_size = page size):
 *   block 0                   disk_dump_header
 *   block 1 .. sub_hdr_size   kdump_sub_header, then the ELF note blob (VMCOREINFO is a note
 *                             inside it; offset_vmcoreinfo points at its text)
 *   bitmap_blocks blocks      1st bitmap (memory that exists), then 2nd (pages dumped), each
 *                             half of bitmap_blocks; bit i (LSB first) is pfn i
 *   descriptors               one page_desc per set bit of the 2nd bitmap, in pfn order
 *   data                      the pages, compressed or raw
 *
 * Flattened (-F): a 4 KiB header ("makedumpfile", type 1, version 1, big-endian int64s), then
 * records: big-endian int64 offset and size, then size bytes meant for that offset of the
 * kdump-compressed file; a record with offset -1 ends the stream. */
#ifndef KD_VMCORE_KDUMP_FORMAT_H
#define KD_VMCORE_KDUMP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the kdump-compressed layouts here assume a little-endian host"
#endif

#define KD_KDUMP_SIGNATURE "KDUMP   "
#define KD_KDUMP_SIG_LEN 8
#define KD_KDUMP_VERSION 6

/* Header status and page descriptor flags */
#define KD_DH_COMPRESSED_ZLIB       0x1
#define KD_DH_COMPRESSED_LZO        0x2
#define KD_DH_COMPRESSED_SNAPPY     0x4
#define KD_DH_COMPRESSED_INCOMPLETE 0x8
#define KD_DH_EXCLUDED_VMEMMAP      0x10
#define KD_DH_COMPRESSED_ZSTD       0x20

struct kd_disk_dump_header {
	char signature[8];
	int32_t header_version;
	char utsname[6][65];      /* struct new_utsname */
	uint8_t pad0[6];
	int64_t tv_sec, tv_usec;  /* struct timeval */
	uint32_t status;
	int32_t block_size;
	int32_t sub_hdr_size;     /* blocks */
	uint32_t bitmap_blocks;   /* both bitmaps together */
	uint32_t max_mapnr;       /* min(max_mapnr, UINT32_MAX); version 6: max_mapnr_64 */
	uint32_t total_ram_blocks;
	uint32_t device_blocks;
	uint32_t written_blocks;
	uint32_t current_cpu;
	int32_t nr_cpus;
};
_Static_assert(offsetof(struct kd_disk_dump_header, tv_sec) == 408, "timestamp");
_Static_assert(offsetof(struct kd_disk_dump_header, status) == 424, "status");
_Static_assert(sizeof(struct kd_disk_dump_header) == 464, "disk_dump_header");

struct kd_kdump_sub_header {
	uint64_t phys_base;
	int32_t dump_level;
	int32_t split;
	uint64_t start_pfn, end_pfn;                  /* split dumps */
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;  /* version 3 */
	uint64_t offset_note, size_note;              /* version 4 */
	uint64_t offset_eraseinfo, size_eraseinfo;    /* version 5 */
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64; /* version 6 */
};
_Static_assert(offsetof(struct kd_kdump_sub_header, offset_vmcoreinfo) == 32, "vmcoreinfo");
_Static_assert(sizeof(struct kd_kdump_sub_header) == 104, "kdump_sub_header");

struct kd_page_desc {
	uint64_t offset;     /* of the page's data in the file */
	uint32_t size;       /* of the stored data */
	uint32_t flags;      /* KD_DH_COMPRESSED_* of the codec, 0: raw */
	uint64_t page_flags; /* unused (0) */
};
_Static_assert(sizeof(struct kd_page_desc) == 24, "page_desc_t");

#define KD_FLAT_SIGNATURE "makedumpfile"
#define KD_FLAT_HEADER_SIZE 4096
#define KD_FLAT_TYPE 1
#define KD_FLAT_VERSION 1
#define KD_FLAT_END (-1)

#endif

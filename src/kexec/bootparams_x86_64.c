#include "kexec/bootparams_x86_64.h"

#include <errno.h>
#include <string.h>

/* kexec-tools' loader id (Documentation/arch/x86/boot.rst: 0xD), version 0 */
#define LOADER_KEXEC 0xd0
#define E820_ENTRY_SIZE 20
#define SETUP_DATA_HDR 16
/* Where the header of a bzImage ends: 0x202 plus the jump's displacement byte at 0x201. */
#define HDR_END_MAX 0x290

static void put16(uint8_t *b, size_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }

static size_t cmdline_bytes(const struct kd_bootparams_req *rq)
{
	return (rq->cmdline ? strlen(rq->cmdline) : 0) + 1;
}

static size_t cmdline_area(const struct kd_bootparams_req *rq)
{
	return (cmdline_bytes(rq) + 15) & ~(size_t)15;
}

static size_t ext_entries(const struct kd_bootparams_req *rq)
{
	return rq->e820->n > KD_BP_E820_MAX ? rq->e820->n - KD_BP_E820_MAX : 0;
}

static int has_efi(const struct kd_bootparams_req *rq)
{
	return rq->efi && rq->efi->present;
}

/* offset of the SETUP_EFI block: after the e820 extension, 8-byte aligned */
static size_t efi_offset(const struct kd_bootparams_req *rq)
{
	size_t n = KD_BP_ZERO_PAGE + cmdline_area(rq);
	if (ext_entries(rq))
		n += SETUP_DATA_HDR + ext_entries(rq) * E820_ENTRY_SIZE;
	return (n + 7) & ~(size_t)7;
}

size_t kd_bootparams_size(const struct kd_bootparams_req *rq)
{
	size_t n = KD_BP_ZERO_PAGE + cmdline_area(rq);
	if (ext_entries(rq))
		n += SETUP_DATA_HDR + ext_entries(rq) * E820_ENTRY_SIZE;
	if (has_efi(rq))
		n = efi_offset(rq) + SETUP_DATA_HDR + KD_EFI_SETUP_DATA_LEN + rq->efi->map_len;
	return n;
}

/* efi_info and the SETUP_EFI block, as kexec_file_load's setup_efi_state() passes them */
static void put_efi(const struct kd_bootparams_req *rq, uint64_t addr, uint8_t *buf)
{
	const struct kd_efi_state *st = rq->efi;
	size_t sd = efi_offset(rq), map = sd + SETUP_DATA_HDR + KD_EFI_SETUP_DATA_LEN;
	uint64_t map_addr = addr + map;
	uint8_t *ei = buf + KD_BP_EFI_INFO;
	put32(ei, 0, st->loader_signature);
	put32(ei, 4, st->systab);
	put32(ei, 8, KD_EFI_MEMDESC_SIZE);
	put32(ei, 12, st->memdesc_version);
	put32(ei, 16, (uint32_t)map_addr);
	put32(ei, 20, (uint32_t)st->map_len);
	put32(ei, 24, st->systab_hi);
	put32(ei, 28, (uint32_t)(map_addr >> 32));
	buf[KD_BP_SECURE_BOOT] = st->secure_boot;
	uint64_t next;
	memcpy(&next, buf + KD_BP_SETUP_DATA, 8);
	put64(buf, sd, next); /* chained in front of the e820 extension, if any */
	put32(buf, sd + 8, KD_SETUP_EFI);
	put32(buf, sd + 12, KD_EFI_SETUP_DATA_LEN);
	/* struct efi_setup_data: fw_vendor, runtime (unused since 5.x), tables, smbios, 8 x 0 */
	put64(buf, sd + 16, st->fw_vendor);
	put64(buf, sd + 24, st->runtime);
	put64(buf, sd + 32, st->tables);
	put64(buf, sd + 40, st->smbios);
	memcpy(buf + map, st->map, st->map_len);
	put64(buf, KD_BP_SETUP_DATA, addr + sd);
}

static void put_e820(uint8_t *at, const struct kd_e820_entry *e)
{
	put64(at, 0, e->addr);
	put64(at, 8, e->size);
	put32(at, 16, e->type);
}

/* What the firmware told the running kernel, passed on as kexec_file_load does. */
static void carry_over(uint8_t *bp, const uint8_t *run, size_t len)
{
	if (!run || len < KD_BP_ZERO_PAGE)
		return;
	memcpy(bp, run, 0x40);                                  /* screen_info */
	memcpy(bp + KD_BP_ACPI_RSDP, run + KD_BP_ACPI_RSDP, 8);
	memcpy(bp + KD_BP_HARDWARE_SUBARCH, run + KD_BP_HARDWARE_SUBARCH, 4 + 8);
	bp[KD_BP_EDDBUF_ENTRIES] = run[KD_BP_EDDBUF_ENTRIES];
	bp[KD_BP_EDD_MBR_SIG_ENTRIES] = run[KD_BP_EDD_MBR_SIG_ENTRIES];
	memcpy(bp + KD_BP_EDD_MBR_SIG_BUF, run + KD_BP_EDD_MBR_SIG_BUF, 16 * 4);
	memcpy(bp + KD_BP_EDDBUF, run + KD_BP_EDDBUF, 6 * 82);
}

/* A header for a kernel that has none (ELF vmlinux): what head_64.S and setup_arch() read. */
static void minimal_header(uint8_t *bp, uint64_t kernel_addr)
{
	put16(bp, KD_BP_BOOT_FLAG, 0xaa55);
	memcpy(bp + KD_BP_HEADER_MAGIC, "HdrS", 4);
	put16(bp, KD_BP_VERSION, 0x020f);
	put32(bp, KD_BP_KERNEL_ALIGNMENT, 0x200000);
	put16(bp, KD_BP_XLOADFLAGS, 0x3); /* 64-bit entry, loadable above 4G */
	put32(bp, KD_BP_CMDLINE_SIZE, 2047);
	(void)kernel_addr;
}

/* ext_mem_k / alt_mem_k: KiB of RAM above 1 MiB in the entry that crosses 1 MiB. */
static void mem_k(uint8_t *bp, const struct kd_e820 *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct kd_e820_entry *e = &m->e[i];
		uint64_t end = e->addr + e->size;
		if (e->type != KD_E820_RAM || e->addr > 0x100000 || end <= 0x100000)
			continue;
		uint64_t k = (end >> 10) - (0x100000 >> 10);
		put16(bp, KD_BP_EXT_MEM_K, (uint16_t)(k > 0xfc00 ? 0xfc00 : k));
		put32(bp, KD_BP_ALT_MEM_K, (uint32_t)(k > 0xffffffff ? 0xffffffff : k));
	}
}

kd_err *kd_bootparams_build(const struct kd_bootparams_req *rq, uint64_t addr, uint8_t *buf)
{
	uint8_t *bp = buf;
	memset(buf, 0, kd_bootparams_size(rq));
	if (rq->image) {
		if (rq->image_len < 0x202)
			return kd_err_new(ENOEXEC, "bzImage shorter than its setup header");
		size_t end = 0x202 + rq->image[0x201];
		if (end > HDR_END_MAX || end > rq->image_len)
			return kd_err_new(ENOEXEC, "bzImage setup header ends at %#zx", end);
		memcpy(bp + KD_BP_HDR, rq->image + KD_BP_HDR, end - KD_BP_HDR);
	} else {
		minimal_header(bp, rq->kernel_addr);
	}
	/* after the header: hardware_subarch (0x23c) lies inside it and the running one wins */
	carry_over(bp, rq->running, rq->running_len);
	bp[KD_BP_TYPE_OF_LOADER] = LOADER_KEXEC;
	bp[KD_BP_LOADFLAGS] = 0;
	put32(bp, KD_BP_CODE32_START, (uint32_t)rq->kernel_addr);

	uint64_t cmd = addr + KD_BP_ZERO_PAGE;
	memcpy(buf + KD_BP_ZERO_PAGE, rq->cmdline ? rq->cmdline : "", cmdline_bytes(rq));
	put32(bp, KD_BP_CMD_LINE_PTR, (uint32_t)cmd);
	put32(bp, KD_BP_EXT_CMD_LINE_PTR, (uint32_t)(cmd >> 32));
	put32(bp, KD_BP_RAMDISK_IMAGE, (uint32_t)rq->initrd_addr);
	put32(bp, KD_BP_EXT_RAMDISK_IMAGE, (uint32_t)(rq->initrd_addr >> 32));
	put32(bp, KD_BP_RAMDISK_SIZE, (uint32_t)rq->initrd_size);
	put32(bp, KD_BP_EXT_RAMDISK_SIZE, (uint32_t)(rq->initrd_size >> 32));

	const struct kd_e820 *m = rq->e820;
	size_t in_page = m->n < KD_BP_E820_MAX ? m->n : KD_BP_E820_MAX;
	bp[KD_BP_E820_ENTRIES] = (uint8_t)in_page;
	for (size_t i = 0; i < in_page; i++)
		put_e820(bp + KD_BP_E820_TABLE + i * E820_ENTRY_SIZE, &m->e[i]);
	put64(bp, KD_BP_SETUP_DATA, 0);
	if (ext_entries(rq)) {
		size_t sd = KD_BP_ZERO_PAGE + cmdline_area(rq);
		put64(buf, sd, 0);
		put32(buf, sd + 8, KD_BP_SETUP_E820_EXT);
		put32(buf, sd + 12, (uint32_t)(ext_entries(rq) * E820_ENTRY_SIZE));
		for (size_t i = 0; i < ext_entries(rq); i++)
			put_e820(buf + sd + SETUP_DATA_HDR + i * E820_ENTRY_SIZE,
				 &m->e[KD_BP_E820_MAX + i]);
		put64(bp, KD_BP_SETUP_DATA, addr + sd);
	}
	mem_k(bp, m);
	if (has_efi(rq))
		put_efi(rq, addr, buf);
	return NULL;
}

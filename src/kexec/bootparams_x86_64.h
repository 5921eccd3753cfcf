/* x86's "zero page" (struct boot_params, Documentation/arch/x86/zero-page.rst) for the next
 * kernel, built in one segment with the command line and, past 128 e820 entries, a
 * SETUP_E820_EXT setup_data block behind it:
 *
 *   +0      boot_params (4096 bytes)
 *   +4096   command line, NUL-terminated
 *   +...    setup_data { next = 0, type = SETUP_E820_EXT, len, e820 entries 128.. }
 *   +...    setup_data { next, type = SETUP_EFI, len, struct efi_setup_data }, then the EFI
 *           runtime memory map efi_info points at (EFI-booted machines only)
 *
 * The setup header comes from the bzImage (or a minimal one for an ELF vmlinux); what the
 * firmware told the running kernel (screen, ACPI RSDP, EDD, subarch) is carried over from
 * /sys/kernel/boot_params/data, as kexec_file_load does in the kernel. */
#ifndef KD_KEXEC_BOOTPARAMS_X86_64_H
#define KD_KEXEC_BOOTPARAMS_X86_64_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "kexec/e820.h"
#include "kexec/efi_x86_64.h"

#define KD_BP_ZERO_PAGE 4096
#define KD_BP_E820_MAX 128         /* entries in the zero page itself */
#define KD_BP_SETUP_E820_EXT 1

/* Offsets in struct boot_params used here. */
#define KD_BP_EXT_MEM_K 0x002
#define KD_BP_ACPI_RSDP 0x070
#define KD_BP_EXT_RAMDISK_IMAGE 0x0c0
#define KD_BP_EXT_RAMDISK_SIZE 0x0c4
#define KD_BP_EXT_CMD_LINE_PTR 0x0c8
#define KD_BP_EFI_INFO 0x1c0
#define KD_BP_ALT_MEM_K 0x1e0
#define KD_BP_E820_ENTRIES 0x1e8
#define KD_BP_EDDBUF_ENTRIES 0x1e9
#define KD_BP_EDD_MBR_SIG_ENTRIES 0x1ea
#define KD_BP_SECURE_BOOT 0x1ec
#define KD_BP_HDR 0x1f1
#define KD_BP_BOOT_FLAG 0x1fe
#define KD_BP_JUMP 0x200
#define KD_BP_HEADER_MAGIC 0x202
#define KD_BP_VERSION 0x206
#define KD_BP_TYPE_OF_LOADER 0x210
#define KD_BP_LOADFLAGS 0x211
#define KD_BP_CODE32_START 0x214
#define KD_BP_RAMDISK_IMAGE 0x218
#define KD_BP_RAMDISK_SIZE 0x21c
#define KD_BP_CMD_LINE_PTR 0x228
#define KD_BP_KERNEL_ALIGNMENT 0x230
#define KD_BP_XLOADFLAGS 0x236
#define KD_BP_CMDLINE_SIZE 0x238
#define KD_BP_HARDWARE_SUBARCH 0x23c
#define KD_BP_SETUP_DATA 0x250
#define KD_BP_EDD_MBR_SIG_BUF 0x290
#define KD_BP_E820_TABLE 0x2d0
#define KD_BP_EDDBUF 0xd00

struct kd_bootparams_req {
	const uint8_t *image;       /* the bzImage's first bytes (its setup header), or NULL: an
	                               ELF vmlinux, which gets a minimal header */
	size_t image_len;
	const uint8_t *running;     /* /sys/kernel/boot_params/data, or NULL */
	size_t running_len;
	const char *cmdline;        /* NULL: empty */
	uint64_t kernel_addr;       /* where the protected-mode kernel is loaded (code32_start) */
	uint64_t initrd_addr, initrd_size; /* 0, 0: none */
	const struct kd_e820 *e820;
	const struct kd_efi_state *efi; /* NULL or not present: no EFI state passed */
};

/* Bytes of the segment for this request (zero page, command line, setup_data). */
size_t kd_bootparams_size(const struct kd_bootparams_req *rq);
/* Build the segment for loading at physical address addr into buf (kd_bootparams_size bytes). */
kd_err *kd_bootparams_build(const struct kd_bootparams_req *rq, uint64_t addr, uint8_t *buf);

#endif

/* What an EFI-booted kernel passes to the next one so it can use the firmware's runtime
 * services (as kexec_file_load does, setup_efi_state in the kernel): efi_info in boot_params
 * (the running kernel's system table, and the runtime memory map as it mapped it) and a
 * SETUP_EFI setup_data block (firmware vendor, config tables, SMBIOS). Read from
 * /sys/firmware/efi (runtime-map needs CONFIG_EFI_RUNTIME_MAP) and
 * /sys/kernel/boot_params/data. Absent on BIOS machines: then nothing is passed, and the next
 * kernel finds ACPI through acpi_rsdp_addr. */
#ifndef KD_KEXEC_EFI_X86_64_H
#define KD_KEXEC_EFI_X86_64_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define KD_EFI_MEMDESC_SIZE 40    /* efi_memory_desc_t */
#define KD_EFI_SETUP_DATA_LEN 96  /* struct efi_setup_data */
#define KD_SETUP_EFI 4

struct kd_efi_state {
	int present;
	uint32_t loader_signature, systab, systab_hi, memdesc_version; /* running efi_info */
	uint8_t secure_boot;
	uint64_t fw_vendor, runtime, tables, smbios;
	uint8_t *map;     /* runtime memory map, KD_EFI_MEMDESC_SIZE per descriptor */
	size_t map_len;
};

/* root prefixes /sys (tests). running is /sys/kernel/boot_params/data (NULL: none, then no
 * EFI state is passed). No /sys/firmware/efi: present = 0, no error. */
kd_err *kd_efi_read(const char *root, const uint8_t *running, size_t running_len,
		    struct kd_efi_state *st);
void kd_efi_free(struct kd_efi_state *st);

#endif

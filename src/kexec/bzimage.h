/* The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst), read from the first
 * sectors of a bzImage: enough to tell a kernel kexec_file_load() will take from one it will
 * refuse, and how much memory the kernel needs once it runs (init_size). Offsets are from the
 * start of the file (the header sits at 0x1f1 inside the "zero page"). Pure parsing of an
 * untrusted buffer: every read is bounds-checked against len. */
#ifndef KD_KEXEC_BZIMAGE_H
#define KD_KEXEC_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* loadflags */
#define KD_BZ_LOADED_HIGH 0x01
/* xloadflags */
#define KD_BZ_XLF_KERNEL_64 (1u << 0)
#define KD_BZ_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)
#define KD_BZ_XLF_EFI_HANDOVER_64 (1u << 3)
#define KD_BZ_XLF_5LEVEL (1u << 5)

/* How many leading bytes kd_bzimage_parse() wants to see: the boot sector and the header
 * (the kernel version string, further in, is read when the buffer holds it). */
#define KD_BZ_HEADER_LEN 0x280

struct kd_bzimage {
	uint16_t version;        /* boot protocol, e.g. 0x020f */
	uint8_t setup_sects;     /* 512-byte sectors of real-mode setup after the boot sector */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint8_t relocatable;
	uint32_t kernel_alignment;
	uint32_t cmdline_size;   /* longest command line the kernel takes, NUL excluded */
	uint32_t init_size;      /* memory the kernel needs from its load address to boot */
	uint64_t pref_address;
	uint64_t setup_len;      /* (setup_sects + 1) * 512 */
	uint64_t payload_len;    /* syssize * 16: the protected-mode part */
	char kernel_version[128]; /* "6.1.0-56-cloud-amd64 (debian-kernel@...) #1 SMP ...", or "" */
};

/* Whether buf starts like a bzImage: "HdrS" at 0x202 and the 0xAA55 boot flag. */
int kd_bzimage_is(const void *buf, size_t len);
/* Parse the header. Errors (errno EINVAL/ENOEXEC) name what is wrong with the image. */
kd_err *kd_bzimage_parse(const void *buf, size_t len, struct kd_bzimage *bz);
/* The checks x86_64's kexec_file_load() makes before it accepts a bzImage (protocol 2.12+,
 * loaded high, 64-bit entry, loadable above 4G), and that a file of file_len bytes holds all
 * of it (a truncated copy is refused here rather than half-loaded). ENOEXEC errors. */
kd_err *kd_bzimage_check_file_load(const struct kd_bzimage *bz, uint64_t file_len);

#endif

#include "kexec/bzimage.h"

#include <errno.h>
#include <string.h>

#define OFF_SETUP_SECTS 0x1f1
#define OFF_SYSSIZE 0x1f4
#define OFF_BOOT_FLAG 0x1fe
#define OFF_HEADER 0x202
#define OFF_VERSION 0x206
#define OFF_KERNEL_VERSION 0x20e
#define OFF_LOADFLAGS 0x211
#define OFF_KERNEL_ALIGNMENT 0x230
#define OFF_RELOCATABLE 0x234
#define OFF_XLOADFLAGS 0x236
#define OFF_CMDLINE_SIZE 0x238
#define OFF_PREF_ADDRESS 0x258
#define OFF_INIT_SIZE 0x260

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

int kd_bzimage_is(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	return len >= OFF_HEADER + 4 && !memcmp(b + OFF_HEADER, "HdrS", 4) &&
	       le16(b + OFF_BOOT_FLAG) == 0xAA55;
}

kd_err *kd_bzimage_parse(const void *buf, size_t len, struct kd_bzimage *bz)
{
	const uint8_t *b = buf;
	memset(bz, 0, sizeof(*bz));
	if (len < KD_BZ_HEADER_LEN)
		return kd_err_new(ENOEXEC, "%zu bytes: too short for an x86 boot header", len);
	if (memcmp(b + OFF_HEADER, "HdrS", 4))
		return kd_err_new(ENOEXEC, "no \"HdrS\" boot header magic at 0x%x", OFF_HEADER);
	if (le16(b + OFF_BOOT_FLAG) != 0xAA55)
		return kd_err_new(ENOEXEC, "no 0xAA55 boot flag at 0x%x", OFF_BOOT_FLAG);
	bz->version = le16(b + OFF_VERSION);
	bz->setup_sects = b[OFF_SETUP_SECTS];
	/* boot.rst: a setup_sects of 0 means 4 */
	unsigned sects = bz->setup_sects ? bz->setup_sects : 4;
	bz->setup_len = (uint64_t)(sects + 1) * 512;
	bz->payload_len = (uint64_t)le32(b + OFF_SYSSIZE) * 16;
	bz->loadflags = b[OFF_LOADFLAGS];
	/* Fields exist from the protocol version that introduced them; older ones read as 0. */
	if (bz->version >= 0x0205) {
		bz->kernel_alignment = le32(b + OFF_KERNEL_ALIGNMENT);
		bz->relocatable = b[OFF_RELOCATABLE];
	}
	bz->cmdline_size = bz->version >= 0x0206 ? le32(b + OFF_CMDLINE_SIZE) : 255;
	if (bz->version >= 0x020a) {
		bz->pref_address = le64(b + OFF_PREF_ADDRESS);
		bz->init_size = le32(b + OFF_INIT_SIZE);
	}
	if (bz->version >= 0x020c)
		bz->xloadflags = le16(b + OFF_XLOADFLAGS);

	/* The version string: an offset (less 0x200) into the setup code, NUL-terminated. Shown
	 * only when the NUL is inside the setup code the buffer holds. */
	uint16_t kv = le16(b + OFF_KERNEL_VERSION);
	size_t lim = len < bz->setup_len ? len : (size_t)bz->setup_len;
	size_t at = (size_t)kv + 0x200;
	if (kv && at < lim) {
		const uint8_t *nul = memchr(b + at, 0, lim - at);
		size_t n = nul ? (size_t)(nul - (b + at)) : 0;
		if (n >= sizeof(bz->kernel_version))
			n = sizeof(bz->kernel_version) - 1;
		for (size_t i = 0; i < n; i++) {
			uint8_t c = b[at + i];
			bz->kernel_version[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		bz->kernel_version[n] = '\0';
	}
	return NULL;
}

kd_err *kd_bzimage_check_file_load(const struct kd_bzimage *bz, uint64_t file_len)
{
	if (bz->version < 0x020c)
		return kd_err_new(ENOEXEC, "boot protocol %u.%02u: kexec_file_load needs 2.12 or later",
				  bz->version >> 8, bz->version & 0xff);
	if (!(bz->loadflags & KD_BZ_LOADED_HIGH))
		return kd_err_new(ENOEXEC, "a zImage (not loaded high): kexec_file_load needs a bzImage");
	if (!(bz->xloadflags & KD_BZ_XLF_KERNEL_64))
		return kd_err_new(ENOEXEC, "no 64-bit entry point (XLF_KERNEL_64 clear): not an x86_64 kernel");
	if (!(bz->xloadflags & KD_BZ_XLF_CAN_BE_LOADED_ABOVE_4G))
		return kd_err_new(ENOEXEC, "XLF_CAN_BE_LOADED_ABOVE_4G clear: kexec_file_load refuses it");
	if (bz->setup_len + bz->payload_len > file_len)
		return kd_err_new(ENOEXEC, "truncated: the header describes %llu bytes, the file has %llu",
				  (unsigned long long)(bz->setup_len + bz->payload_len),
				  (unsigned long long)file_len);
	if (!bz->init_size)
		return kd_err_new(ENOEXEC, "init_size is 0");
	return NULL;
}

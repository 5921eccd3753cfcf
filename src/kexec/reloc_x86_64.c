/* x86_64 relocations the purgatory object may carry (tests/purgatory/check_object.sh keeps the
 * build to these): absolute 64-bit for -mcmodel=large addresses, 32-bit PC-relative for the
 * calls and RIP-relative loads inside it. Anything else is refused, never guessed at. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "kexec/purgatory_image.h"

kd_err *kd_reloc_x86_64(uint32_t type, uint8_t *loc, size_t room, uint64_t S, int64_t A,
			uint64_t P)
{
	switch (type) {
	case R_X86_64_NONE:
		return NULL;
	case R_X86_64_64: {
		if (room < 8)
			break;
		uint64_t v = S + (uint64_t)A;
		memcpy(loc, &v, 8);
		return NULL;
	}
	case R_X86_64_PC32:
	case R_X86_64_PLT32: {
		if (room < 4)
			break;
		int64_t v = (int64_t)(S + (uint64_t)A - P);
		if (v < INT32_MIN || v > INT32_MAX)
			return kd_err_new(ERANGE, "PC-relative relocation out of 32-bit range");
		int32_t v32 = (int32_t)v;
		memcpy(loc, &v32, 4);
		return NULL;
	}
	default:
		return kd_err_new(ENOEXEC, "unsupported x86_64 relocation type %u", type);
	}
	return kd_err_new(ENOEXEC, "relocation type %u runs past its section", type);
}

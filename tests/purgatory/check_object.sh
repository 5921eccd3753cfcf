#!/bin/sh
# The freestanding purgatory object (src/purgatory/purgatory.ro) is fit to run between kernels:
#  - no undefined symbols: nothing (memcpy, memset, __stack_chk_fail, sanitizer hooks) that
#    only a libc or runtime would provide;
#  - only the relocations the loader will apply (64-bit absolute, 32-bit PC-relative);
#  - no MMX/SSE/AVX registers: relocate_kernel leaves CR4.OSFXSR clear;
#  - the symbols the loader and the entry need are defined.
# usage: check_object.sh OBJECT
set -eu
obj=$1
fail=0

undef=$(nm -u "$obj")
if [ -n "$undef" ]; then
	echo "undefined symbols in $obj:"; echo "$undef"; fail=1
fi

relocs=$(readelf -rW "$obj" | awk '/R_X86_64_/ { print $3 }' | sort -u)
[ -n "$relocs" ] || { echo "no relocations read from $obj"; fail=1; }
for r in $relocs; do
	case $r in
	R_X86_64_64|R_X86_64_PC32|R_X86_64_PLT32) ;;
	*) echo "relocation the loader will not handle: $r"; fail=1 ;;
	esac
done

simd=$(objdump -d "$obj" | grep -E '%([xyz]mm|mm)[0-9]' || true)
if [ -n "$simd" ]; then
	echo "SIMD registers used:"; echo "$simd" | head -20; fail=1
fi

for sym in kd_purgatory_start kd_purgatory_verify kd_purgatory_regions kd_purgatory_digest \
	   kd_purgatory_boot_params kd_purgatory_kernel_entry kd_sha256_update; do
	nm --defined-only "$obj" | grep -qE " [TtDd] $sym\$" || { echo "$sym not defined"; fail=1; }
done

[ $fail -eq 0 ] && echo "ok: $obj: no undefined symbols; relocations: $(echo $relocs)"
exit $fail

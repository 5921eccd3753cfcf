#!/bin/sh
# `kexec` through the real binary, on the host: only paths that stop before any syscall (files
# that are not kernels, truncated kernels, usage errors). Kernels are loaded in the lab, never
# here.
bin=$1
fixtures=$2
dir=$(dirname "$bin")
fail=0
err=/tmp/kd-kx-cli-$$
check() { # description, condition...
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
has() { grep -q -- "$1" "$err"; }

so=$("$dir/kexec" --help); rc=$?
check "kexec --help: exit 0" [ $rc -eq 0 ]
check "kexec --help: usage on stdout" [ "$(printf '%s\n' "$so" | head -n 1)" = "Usage: kexec [OPTION]... [kernel]" ]
so=$("$bin" kexec -v); rc=$?
check "kexec -v: version" sh -c "[ $rc -eq 0 ] && printf '%s' '$so' | grep -q '^kexec (kdumpkit '"

"$dir/kexec" -l 2>"$err"; rc=$?
check "-l without a kernel: exit 1" [ $rc -eq 1 ]
check "-l without a kernel: says so" has "No kernel specified"
"$dir/kexec" --bogus 2>"$err"; rc=$?
check "unknown option: exit 1, named" sh -c "[ $rc -eq 1 ] && grep -q 'unknown option --bogus' '$err'"

so=$("$dir/kexec" -l /nonexistent/vmlinuz 2>"$err"); rc=$?
check "missing kernel: exit 1" [ $rc -eq 1 ]
check "missing kernel: named, with the reason" has "kernel /nonexistent/vmlinuz: opening: No such file"
check "missing kernel: nothing on stdout" [ -z "$so" ]

printf 'console=ttyS0\n' > "$err.txt"
"$dir/kexec" -l "$err.txt" 2>"$err"; rc=$?
check "text file: exit 1" [ $rc -eq 1 ]
check "text file: not a kernel image" has "not a kernel image"
gzip -c "$err.txt" > "$err.gz"
"$dir/kexec" -s -l "$err.gz" 2>"$err"; rc=$?
check "gzip of a text file: exit 1, not a kernel" sh -c "[ $rc -eq 1 ] && grep -q 'not a kernel image' '$err'"
"$dir/kexec" -l "$bin" 2>"$err"; rc=$?
check "an ELF program: exit 1, not a kernel" sh -c "[ $rc -eq 1 ] && grep -q 'not a kernel' '$err'"

# a real Debian bzImage cut after its setup code: refused as truncated before the syscall
head=$fixtures/vmlinuz-6.1.0-56-cloud-amd64.head
"$dir/kexec" -s -l "$head" 2>"$err"; rc=$?
check "truncated bzImage with -s: exit 1" [ $rc -eq 1 ]
check "truncated bzImage with -s: says truncated" has "truncated: the header describes"
"$dir/kexec" -l "$head" 2>"$err"; rc=$?
check "truncated bzImage in auto mode: exit 1 (kexec_load refuses it too)" [ $rc -eq 1 ]
check "truncated bzImage in auto mode: kexec_load says truncated" sh -c "grep -q 'with kexec_load' '$err' && grep -q 'truncated' '$err'"
"$dir/kexec" -c -l "$head" 2>"$err"; rc=$?
check "-c: exit 1, truncated" sh -c "[ $rc -eq 1 ] && grep -q 'with kexec_load' '$err' && grep -q truncated '$err'"
"$dir/kexec" -l --mem-max=0x10000000 "$head" 2>"$err"; rc=$?
check "--mem-max: the classic path, exit 1 (truncated)" sh -c "[ $rc -eq 1 ] && grep -q 'with kexec_load' '$err'"
"$dir/kexec" -l --mem-max=0x10zz "$head" 2>"$err"; rc=$?
check "--mem-max: a bad address, exit 1" sh -c "[ $rc -eq 1 ] && grep -q \"mem-max: bad address '0x10zz'\" '$err'"
"$dir/kexec" -l --entry=0x1000 "$head" 2>"$err"; rc=$?
check "--entry (kexec-tools' loaders only): exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'entry is an option of kexec-tools' '$err'"
"$dir/kexec" -l -t elf-x86_64 "$head" 2>"$err"; rc=$?
check "-t of the wrong type: exit 1" sh -c "[ $rc -eq 1 ] && grep -q 'Wrong file type elf-x86_64, file matches type bzImage64' '$err'"
rm -f "$err" "$err.txt" "$err.gz"
exit $fail

#!/bin/sh
# The multi-call front end through the real binary: --help, --version, symlinks, unknown and
# not-yet-built applets (stderr + exit 2, nothing on stdout), and vmcore-dmesg's usage errors.
bin=$1
dir=$(dirname "$bin")
fail=0
check() { # description, condition...
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
out=$("$bin" --help); rc=$?
check "--help exits 0" [ $rc -eq 0 ]
for a in kexec makedumpfile vmcore-dmesg report kdumpctl; do
  check "--help lists $a on one line" [ "$(printf '%s\n' "$out" | grep -c "^  $a ")" -eq 1 ]
done
ver=$("$bin" --version)
check "--version prints the version" sh -c "printf '%s' '$ver' | grep -q '^kdumpkit [0-9][0-9.]* (zlib'"
check "static executable" sh -c "file -L '$bin' | grep -q 'statically linked' || [ -n \"\$KD_DYNAMIC_OK\" ]"
# the applets --help lists as not built yet (none, once every one has landed)
for a in $(printf '%s\n' "$out" | sed -n 's/^  \([a-z-]*\) .*(not built yet)$/\1/p'); do
  so=$("$bin" "$a" -l 2>/tmp/kd-mc-$$); rc=$?
  check "kdumpkit $a: not built yet, exit 2" [ $rc -eq 2 ]
  check "kdumpkit $a: says so on stderr" grep -q "applet '$a' is not built yet" /tmp/kd-mc-$$
  check "kdumpkit $a: no stdout" [ -z "$so" ]
done
# the service's front ends are built: no verb is a usage error (exit 1), through both names
for a in kdumpctl kdump-config; do
  so=$("$dir/$a" 2>/tmp/kd-mc-$$); rc=$?
  check "$a via symlink, no verb: usage, exit 1" sh -c "[ $rc -eq 1 ] && grep -q '^Usage: $a' /tmp/kd-mc-$$"
  check "$a via symlink, no verb: no stdout" [ -z "$so" ]
done
# vmcore-dmesg is built: usage errors exit 1 with vmcore-dmesg's usage line, like kexec-tools'
for args in "" "-p" "a b"; do
  # shellcheck disable=SC2086
  so=$("$dir/vmcore-dmesg" $args 2>/tmp/kd-mc-$$); rc=$?
  check "vmcore-dmesg '$args': usage error, exit 1" [ $rc -eq 1 ]
  check "vmcore-dmesg '$args': usage on stderr" grep -q "^usage: .*vmcore-dmesg <kernel core file>" /tmp/kd-mc-$$
  check "vmcore-dmesg '$args': no stdout" [ -z "$so" ]
done
so=$("$bin" vmcore-dmesg -l 2>/dev/null); rc=$?
check "kdumpkit vmcore-dmesg -l: exit 1" [ $rc -eq 1 ]
so=$("$bin" vmcore-dmesg --help); rc=$?
check "vmcore-dmesg --help: usage on stdout, exit 0" sh -c "[ $rc -eq 0 ] && printf '%s' '$so' | grep -q '^usage:'"
so=$("$bin" vmcore-dmesg /nonexistent/dump 2>/tmp/kd-mc-$$); rc=$?
check "vmcore-dmesg on a missing file: exit 1" [ $rc -eq 1 ]
check "vmcore-dmesg on a missing file: names it" grep -q "^vmcore-dmesg: .*/nonexistent/dump" /tmp/kd-mc-$$
check "vmcore-dmesg on a missing file: no stdout" [ -z "$so" ]
# makedumpfile: usage and conflicting options exit 1 with a message, as makedumpfile does
for args in "" "-c -l a b" "-d 32 a b" "--frob a b" "-E -c a b" "a" "-R" "--num-threads x a b"; do
  # shellcheck disable=SC2086
  so=$("$dir/makedumpfile" $args 2>/tmp/kd-mc-$$); rc=$?
  check "makedumpfile '$args': usage error, exit 1" [ $rc -eq 1 ]
  check "makedumpfile '$args': says why" grep -q "^makedumpfile: " /tmp/kd-mc-$$
  check "makedumpfile '$args': no stdout" [ -z "$so" ]
done
so=$("$bin" makedumpfile -l -d 31 /nonexistent/vmcore /tmp/kd-mc-out-$$ 2>/tmp/kd-mc-$$); rc=$?
check "makedumpfile on a missing vmcore: exit 1, names it" sh -c "[ $rc -eq 1 ] && grep -q /nonexistent/vmcore /tmp/kd-mc-$$"
check "makedumpfile on a missing vmcore: no dump left" [ ! -e /tmp/kd-mc-out-$$ ]
"$bin" frobnicate 2>/tmp/kd-mc-$$; rc=$?
check "unknown applet exits 1" [ $rc -eq 1 ]
check "unknown applet is named" grep -q "unknown applet 'frobnicate'" /tmp/kd-mc-$$
"$bin" 2>/dev/null; rc=$?
check "no arguments exits 1" [ $rc -eq 1 ]
rm -f /tmp/kd-mc-$$
exit $fail

#!/bin/sh
# kdumpctl and kdump-config through the real binary and its symlinks, in a fake root
# (--root): exit statuses as kdump-utils' and kdump-tools' (status 3 when nothing is loaded),
# a configuration error stopping start with file:line and nothing loaded, kdump-config's dry
# run, showmem, test refusing without a loaded kernel. Nothing here needs root or loads
# anything: the fake root has no capture kernel to load, and every write stays under it.
bin=$1
fixtures=$2 # tests/
dir=$(dirname "$bin")
fail=0
check() { # description, condition...
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
rel=6.1.0-56-cloud-amd64
root=$(mktemp -d /tmp/kd-kdumpctl-XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/boot" "$root/proc/sys/kernel" "$root/sys/kernel" "$root/etc/sysconfig" \
  "$root/etc/default" "$root/run"
cp "$fixtures/kexec/fixtures/vmlinuz-$rel.head" "$root/boot/vmlinuz-$rel"
cp "$fixtures/base/fixtures/iomem-qemu-q35-1G-6.1.txt" "$root/proc/iomem"
echo 268435456 >"$root/sys/kernel/kexec_crash_size"
echo 0 >"$root/sys/kernel/kexec_crash_loaded"
echo 0 >"$root/proc/sys/kernel/panic_on_oops"
echo "BOOT_IMAGE=/boot/vmlinuz-$rel root=/dev/vda1 ro console=ttyS0 crashkernel=256M quiet" \
  >"$root/proc/cmdline"
out=$root.out
err=$root.err

# status: 3 when nothing is loaded, 0 when something is
"$dir/kdumpctl" --root="$root" status >"$out" 2>"$err"; rc=$?
check "status, nothing loaded: exit 3" [ $rc -eq 3 ]
check "status, nothing loaded: says so" grep -q "^Kdump is not operational$" "$out"
check "status: the reservation and crashkernel=" grep -q "^reservation:  256M at 0x.*(crashkernel=256M)$" "$out"
echo 1 >"$root/sys/kernel/kexec_crash_loaded"
"$bin" kdumpctl --root="$root" status >"$out" 2>"$err"; rc=$?
check "status, loaded: exit 0" [ $rc -eq 0 ]
check "status, loaded: says so" grep -q "^Kdump is operational$" "$out"
"$dir/kdump-config" --root="$root" status >"$out" 2>"$err"; rc=$?
check "kdump-config status: exit 0, Debian's line" sh -c "[ $rc -eq 0 ] && [ \"\$(cat '$out')\" = 'current state   : ready to kdump' ]"
echo 0 >"$root/sys/kernel/kexec_crash_loaded"
"$dir/kdump-config" --root="$root" status >"$out" 2>"$err"; rc=$?
check "kdump-config status, nothing loaded: exit 0 all the same" [ $rc -eq 0 ]
check "kdump-config status, nothing loaded: Not ready" grep -q "^current state   : Not ready to kdump$" "$out"

# a configuration error: start fails with file:line, nothing is loaded or recorded
printf 'path /var/crash\nlink_delay 10\n' >"$root/etc/kdump.conf"
"$dir/kdumpctl" --root="$root" start >"$out" 2>"$err"; rc=$?
check "start, configuration error: exit 1" [ $rc -eq 1 ]
check "start, configuration error: file:line on stderr" grep -q "$root/etc/kdump.conf:2" "$err"
check "start, configuration error: [FAILED] as kdump-utils says" grep -q "^Starting kdump: \[FAILED\]$" "$err"
check "start, configuration error: nothing on stdout" [ ! -s "$out" ]
check "start, configuration error: nothing recorded" [ ! -e "$root/var/lib/kdumpkit/loaded" ]
rm "$root/etc/kdump.conf"

# kdump-config test: Debian's dry run prints the plan and loads nothing
cat >"$root/etc/default/kdump-tools" <<EOF
USE_KDUMP=1
KDUMP_KERNEL=/boot/vmlinuz-$rel
KDUMP_COREDIR=/srv/crash
KDUMP_KEXEC_ARGS="-s"
EOF
"$dir/kdump-config" --root="$root" test >"$out" 2>"$err"; rc=$?
check "kdump-config test: exit 0" [ $rc -eq 0 ]
check "kdump-config test: USE_KDUMP and KDUMP_COREDIR" sh -c "head -2 '$out' | tr '\n' '|' | grep -q '^USE_KDUMP:        1|KDUMP_COREDIR:    /srv/crash|$'"
check "kdump-config test: the kernel" grep -q "^   $root/boot/vmlinuz-$rel$" "$out"
check "kdump-config test: the capture command line" grep -q "^   ro console=ttyS0 irqpoll nr_cpus=1 reset_devices .*panic=10$" "$out"
check "kdump-config test: the kexec command" grep -q "^  kexec -p -s --command-line=\"ro console=ttyS0 irqpoll" "$out"
check "kdump-config test: nothing recorded" [ ! -e "$root/var/lib/kdumpkit/loaded" ]
check "kdump-config test: panic_on_oops untouched" [ "$(cat "$root/proc/sys/kernel/panic_on_oops")" = 0 ]
# a KDUMP_KEXEC_ARGS that is not a load option: exit 1 with its line
sed -i 's/^KDUMP_KEXEC_ARGS=.*/KDUMP_KEXEC_ARGS="-u"/' "$root/etc/default/kdump-tools"
"$dir/kdump-config" --root="$root" test >"$out" 2>"$err"; rc=$?
check "kdump-config test, KDUMP_KEXEC_ARGS=-u: exit 1, file:line" sh -c "[ $rc -eq 1 ] && grep -q 'kdump-tools:4: \"-u\": -u/--unload is not a load option' '$err'"
rm "$root/etc/default/kdump-tools"

# showmem: kdump-utils' line
"$dir/kdumpctl" --root="$root" showmem >"$out" 2>"$err"; rc=$?
check "showmem: exit 0, kdump-utils' line" sh -c "[ $rc -eq 0 ] && grep -q '^Reserved 256MB memory for crash kernel$' '$out'"

# test: refused when nothing is loaded, the trigger untouched
: >"$root/proc/sysrq-trigger"
"$dir/kdumpctl" --root="$root" test --force >"$out" 2>"$err" </dev/null; rc=$?
check "test, nothing loaded: exit 1" [ $rc -eq 1 ]
check "test, nothing loaded: says why" grep -q "Kdump is not operational" "$err"
check "test: the trigger untouched" [ ! -s "$root/proc/sysrq-trigger" ]
echo 1 >"$root/sys/kernel/kexec_crash_loaded"
echo n | "$dir/kdumpctl" --root="$root" test >"$out" 2>"$err"; rc=$?
check "test, answered n: exit 0, cancelled" sh -c "[ $rc -eq 0 ] && grep -q 'Cancelled' '$out'"
check "test, answered n: the trigger untouched" [ ! -s "$root/proc/sysrq-trigger" ]

# usage
"$dir/kdumpctl" --root="$root" frobnicate >"$out" 2>"$err"; rc=$?
check "unknown verb: exit 1, usage on stderr" sh -c "[ $rc -eq 1 ] && grep -q '^Usage: kdumpctl' '$err'"
"$dir/kdumpctl" >"$out" 2>"$err"; rc=$?
check "no verb: exit 1" [ $rc -eq 1 ]
"$dir/kdump-config" --root="$root" status extra >"$out" 2>"$err"; rc=$?
check "kdump-config, extra argument: exit 1" sh -c "[ $rc -eq 1 ] && grep -q '^Usage: kdump-config' '$err'"
rm -f "$out" "$err"
exit $fail

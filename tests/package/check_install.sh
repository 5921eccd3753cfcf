#!/bin/sh
# `meson install` into a DESTDIR: everything lands under it, in the layout the package uses
# (kdumpkit and the service's names in sbindir, the tools' names off PATH, units, udev rule,
# configuration, man pages), and every symlink resolves to the installed kdumpkit.
#   check_install.sh BUILDDIR PREFIX SBINDIR APPLETDIR SYSCONFDIR MANDIR UNITDIR RULESDIR STATEDIR
b=$1 prefix=$2 sbin=$3 applets=$4 etc=$5 man=$6 units=$7 rules=$8 state=$9
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
sbin=$(abs "$sbin") applets=$(abs "$applets") etc=$(abs "$etc") man=$(abs "$man")
d=$(mktemp -d "${TMPDIR:-/tmp}/kdumpkit-install.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
fail=0
check() { # description, condition...
  t=$1; shift
  if "$@"; then echo "ok   $t"; else echo "FAIL $t"; fail=1; fi
}
meson install -C "$b" --destdir "$d" --no-rebuild --quiet >"$d.log" 2>&1; rc=$?
check "meson install --destdir exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$d.log"
rm -f "$d.log"
check "kdumpkit in sbindir, executable" test -f "$d$sbin/kdumpkit" -a -x "$d$sbin/kdumpkit"
for n in kdumpctl kdump-config; do
  check "$n -> kdumpkit" [ "$(readlink "$d$sbin/$n")" = kdumpkit ]
done
for n in kexec makedumpfile vmcore-dmesg report; do
  check "$applets/$n resolves to kdumpkit" [ "$(readlink -f "$d$applets/$n")" = "$(readlink -f "$d$sbin/kdumpkit")" ]
  check "$applets/$n is a relative link" sh -c "readlink '$d$applets/$n' | grep -qv '^/'"
done
check "no tool name in sbindir or bindir" sh -c \
  "! ls '$d$sbin' '$d$prefix/bin' 2>/dev/null | grep -qxE 'kexec|makedumpfile|vmcore-dmesg|report'"
for u in kdumpkit.service kdumpkit-reload.service kdumpkit-reload.timer; do
  check "unit $u in $units" [ -f "$d$units/$u" ]
done
check "unit runs $sbin/kdumpctl" grep -qx "ExecStart=$sbin/kdumpctl start" "$d$units/kdumpkit.service"
check "udev rule in $rules" [ -f "$d$rules/98-kdumpkit.rules" ]
check "kdump.conf in $etc" [ -f "$d$etc/kdump.conf" ]
check "sysconfig/kdump in $etc" [ -f "$d$etc/sysconfig/kdump" ]
for p in man8/kdumpctl.8 man8/kdump-config.8 man8/kdumpkit.8 man5/kdump.conf.5; do
  check "man page $p" [ -f "$d$man/$p" ]
done
check "the dump directory" test -d "$d$state/crash"
check "version in the man pages" grep -q '^\.TH KDUMPCTL 8 .*"kdumpkit [0-9]' "$d$man/man8/kdumpctl.8"
exit $fail

#!/usr/bin/env bash
# Part of check.sh, run by it in a private mount namespace (unshare -m): dpkg installs, removes
# and purges TMP/kdumpkit.deb in an overlay of this system's root (writes go to a tmpfs that
# disappears with the namespace), with the maintainer scripts, beside whatever kexec-tools and
# makedumpfile this system has. Prints "ok NAME" / "FAIL NAME" lines for check.sh to count.
set -uo pipefail
tmp=$1
ov=$tmp/ov
mkdir -p "$ov"
mount -t tmpfs kdumpkit-scratch "$ov" || { echo "FAIL install/overlay-mount"; exit 1; }
mkdir -p "$ov/upper" "$ov/work" "$ov/root"
m=$ov/root
mount -t overlay kdumpkit-scratch -o "lowerdir=/,upperdir=$ov/upper,workdir=$ov/work" "$m" ||
  { echo "FAIL install/overlay-mount"; exit 1; }
mount -t proc proc "$m/proc"
mount --bind /dev "$m/dev"
mount --rbind /sys "$m/sys"
# an empty /run: no systemd socket to reach from here, so the maintainer scripts enable the
# unit but start nothing (and policy-rc.d says so too)
mount -t tmpfs run "$m/run"
printf '#!/bin/sh\nexit 101\n' >"$m/usr/sbin/policy-rc.d"
chmod +x "$m/usr/sbin/policy-rc.d"
cp "$tmp/kdumpkit.deb" "$tmp/kdump-tools-fake.deb" "$m/tmp/"

rt() { chroot "$m" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         LC_ALL=C "$@"; }
check() { local d=$1; shift; if "$@" >>"$tmp/scratch-detail.log" 2>&1; then echo "ok   install/$d"; else
  echo "FAIL install/$d"; fi; }
installed() { rt dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
theirs=()
for p in kexec-tools makedumpfile; do installed $p && theirs+=($p); done
echo "scratch root: beside ${theirs[*]:-neither kexec-tools nor makedumpfile}"
installed kdump-tools && rt dpkg --purge kdump-tools >/dev/null 2>&1

# Conflicts: dpkg refuses kdumpkit while kdump-tools is installed.
check "fake-kdump-tools-installs" rt dpkg -i /tmp/kdump-tools-fake.deb
out=$(rt dpkg -i /tmp/kdumpkit.deb 2>&1); rc=$?
check "refused-beside-kdump-tools" sh -c "[ $rc -ne 0 ] && printf '%s' \"\$1\" | grep -q 'conflicts with kdump-tools'" _ "$out"
check "kdump-tools-left-alone" installed kdump-tools
rt dpkg --purge kdump-tools >/dev/null 2>&1

check "dpkg-install" rt dpkg -i /tmp/kdumpkit.deb
check "installed" installed kdumpkit
check "conffiles-registered" sh -c "[ \$(chroot '$m' dpkg-query -W -f='\${Conffiles}' kdumpkit | grep -c '/etc/kdump.conf \|/etc/sysconfig/kdump ') -eq 2 ]"
check "unit-enabled" test -L "$m/etc/systemd/system/multi-user.target.wants/kdumpkit.service"
check "kdumpkit-runs" sh -c "chroot '$m' /usr/sbin/kdumpkit --version | grep -q '^kdumpkit '"
check "kdumpctl-is-kdumpkit" [ "$(rt readlink -f /usr/sbin/kdumpctl)" = /usr/sbin/kdumpkit ]
check "kdump-config-is-kdumpkit" [ "$(rt readlink -f /usr/sbin/kdump-config)" = /usr/sbin/kdumpkit ]
check "tools-run-from-lib-dir" sh -c "chroot '$m' /usr/lib/kdumpkit/bin/vmcore-dmesg --help | grep -q '^usage:'"
# the two personalities by the names the package installs, reading the installed configuration
check "kdumpctl-usage" sh -c "chroot '$m' /usr/sbin/kdumpctl --help | grep -q '^Usage: kdumpctl '"
check "kdump-config-usage" sh -c "chroot '$m' /usr/sbin/kdump-config --help | grep -q '^Usage: kdump-config '"
out=$(rt kdump-config status 2>&1); rc=$?
check "kdump-config-status-exits-0" sh -c "[ $rc -eq 0 ] && printf '%s' \"\$1\" | grep -q '^current state *: '" _ "$out"
out=$(rt kdumpctl status 2>&1); rc=$?
check "kdumpctl-status-reads-shipped-config" sh -c "[ $rc -ne 2 ] && printf '%s' \"\$1\" | grep -q '^target: *\/var\/crash '" _ "$out"
check "units-verify" rt systemd-analyze verify --man=no kdumpkit.service kdumpkit-reload.service \
  kdumpkit-reload.timer
for p in "${theirs[@]}"; do
  check "$p-files-intact" rt dpkg --verify $p
done
# What PATH finds under their names is still theirs (dpkg knows merged-/usr paths by the name
# the package shipped: /sbin/kexec, not /usr/sbin/kexec).
owner_on_path() {
  local p; p=$(rt sh -c "command -v $1") || return 0
  { rt dpkg -S "$p" 2>/dev/null || rt dpkg -S "${p#/usr}" 2>/dev/null; } | cut -d: -f1
}
for c in kexec:kexec-tools vmcore-dmesg:kexec-tools makedumpfile:makedumpfile; do
  [[ " ${theirs[*]} " == *" ${c#*:} "* ]] || continue
  check "${c%%:*}-on-PATH-is-${c#*:}" [ "$(owner_on_path ${c%%:*})" = "${c#*:}" ]
done
check "reinstall" rt dpkg -i /tmp/kdumpkit.deb

check "var-crash-exists" test -d "$m/var/crash"
# What kdumpctl leaves behind: the capture initramfs and its manifest; and a saved dump.
mkdir -p "$m/var/lib/kdumpkit"
echo image >"$m/var/lib/kdumpkit/initrd-test.img"
echo operator >>"$m/etc/kdump.conf"
mkdir -p "$m/var/crash/127.0.0.1-2026-12-02-10:00:00"
echo dump >"$m/var/crash/127.0.0.1-2026-12-02-10:00:00/vmcore"
check "dpkg-remove" rt dpkg -r kdumpkit
check "remove-removes-binary" test ! -e "$m/usr/sbin/kdumpkit"
check "remove-keeps-conffiles" test -f "$m/etc/kdump.conf"
check "remove-keeps-state" test -f "$m/var/lib/kdumpkit/initrd-test.img"
check "dpkg-purge" rt dpkg --purge kdumpkit
check "purge-removes-state" test ! -e "$m/var/lib/kdumpkit"
check "purge-keeps-dumps" test -f "$m/var/crash/127.0.0.1-2026-12-02-10:00:00/vmcore"
check "purge-removes-conffiles" sh -c "[ ! -e '$m/etc/kdump.conf' ] && [ ! -e '$m/etc/sysconfig/kdump' ]"
check "purge-removes-enable-link" test ! -e "$m/etc/systemd/system/multi-user.target.wants/kdumpkit.service"
check "purge-leaves-no-files" sh -c "! chroot '$m' dpkg-query -W kdumpkit 2>/dev/null | grep -q ."
for p in "${theirs[@]}"; do
  check "$p-intact-after-purge" rt dpkg --verify $p
done
echo "ok   install/done"
if [ -s "$tmp/scratch-detail.log" ]; then
  echo "scratch root: output of the failed or chatty steps:"
  sed 's/^/  /' "$tmp/scratch-detail.log" | tail -40
fi

#!/bin/sh
# Part of check.sh, run by it in a private mount namespace (unshare -m): `udevadm test` on this
# machine's CPU and memory devices with the package's rule as the only extra rule (in a tmpfs
# /run/udev/rules.d). The rule's PROGRAM asks systemd whether kdumpkit.service is active, which
# cannot be answered here: it is replaced by /bin/true, so the test sees which events reach the
# RUN (the reload timer's restart). A fake /sys/devices/system/cpu (tmpfs bound over it, with
# SYSTEMD_DEVICE_VERIFY_SYSFS=0) gives the parent's crash_hotplug attribute 0 or 1.
#   udev-test.sh UDEVADM RULE WORKDIR      prints "ok NAME" / "FAIL NAME" lines
udevadm=$1 rule=$2 w=$3
mount -t tmpfs kdumpkit-udev /run || { echo "FAIL udev/tmpfs-run"; exit 0; }
mkdir -p /run/udev/rules.d
sed 's#^PROGRAM=="/bin/systemctl -q is-active kdumpkit.service"#PROGRAM=="/bin/true"#' "$rule" \
  >/run/udev/rules.d/98-kdumpkit.rules
runs() { # ACTION DEVPATH: does the event end in the timer's restart?
  SYSTEMD_DEVICE_VERIFY_SYSFS=0 "$udevadm" test --action="$1" "$2" 2>&1 |
    grep -q "^run: '/bin/systemctl --no-block restart kdumpkit-reload.timer'"
}
expect() { # NAME yes|no ACTION DEVPATH
  if runs "$3" "$4"; then got=yes; else got=no; fi
  if [ $got = "$2" ]; then echo "ok   udev/$1"; else echo "FAIL udev/$1"; fi
}
cpu=$(ls -d /sys/devices/system/cpu/cpu[0-9]* 2>/dev/null | tail -1)
mem=$(ls -d /sys/devices/system/memory/memory[0-9]* 2>/dev/null | tail -1)
if [ ! -e /sys/devices/system/cpu/crash_hotplug ] || [ "$(cat /sys/devices/system/cpu/crash_hotplug)" != 1 ]; then
  [ -n "$cpu" ] && expect "cpu-add-reloads" yes add "$cpu"
  [ -n "$cpu" ] && expect "cpu-remove-reloads" yes remove "$cpu"
fi
if [ -n "$mem" ] && { [ ! -e /sys/devices/system/memory/crash_hotplug ] ||
                      [ "$(cat /sys/devices/system/memory/crash_hotplug)" != 1 ]; }; then
  expect "memory-online-reloads" yes online "$mem"
  expect "memory-offline-reloads" yes offline "$mem"
fi
[ -n "$cpu" ] && expect "cpu-online-ignored" no online "$cpu"
[ -n "$cpu" ] && expect "cpu-change-ignored" no change "$cpu"
[ -n "$mem" ] && expect "memory-add-ignored" no add "$mem"
# the parent's crash_hotplug, faked
f=$w/fakecpu
mkdir -p "$f/cpu1"
: >"$f/uevent"
cp /sys/devices/system/cpu/cpu0/uevent "$f/cpu1/uevent" 2>/dev/null || : >"$f/cpu1/uevent"
ln -s ../../../../bus/cpu "$f/cpu1/subsystem"
mount --bind "$f" /sys/devices/system/cpu || { echo "FAIL udev/fake-sysfs"; exit 0; }
echo 0 >"$f/crash_hotplug"
expect "crash_hotplug-0-reloads" yes add /sys/devices/system/cpu/cpu1
echo 1 >"$f/crash_hotplug"
expect "crash_hotplug-1-does-nothing" no add /sys/devices/system/cpu/cpu1
expect "crash_hotplug-1-does-nothing-on-remove" no remove /sys/devices/system/cpu/cpu1
echo "ok   udev/done"

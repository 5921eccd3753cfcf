#!/bin/busybox sh
# kdumpkit crash lab: /init of both kernels. The first kernel loads the capture kernel, runs the
# workload and crashes; the capture kernel (it has /proc/vmcore) runs the capture command with
# the lab disk mounted on /out, and powers off. Settings come from /lab.conf.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /out
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# the page-cache workload fills /tmp: let it use most of memory
mount -t tmpfs -o size=90% tmpfs /tmp
. /lab.conf

die() { echo "KDLAB: FAILED: $*"; sync; poweroff -f; }

for m in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$m.ko" || die "insmod $m"
done
# virtio_blk probes asynchronously
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -b /dev/vda ] || die "no /dev/vda"
mount -t ext4 /dev/vda /out || die "mount /dev/vda"

if [ -e /proc/vmcore ]; then
  echo "KDLAB: capture kernel up: $(uname -r)"
  cat /proc/cmdline > /out/capture-cmdline.txt
  ls -l /proc/vmcore > /out/capture-vmcore-ls.txt
  start=$(cat /proc/uptime)
  ( cd /out && eval "$LAB_CAPTURE" ) > /out/capture.log 2>&1
  rc=$?
  echo "$rc" > /out/capture.rc
  echo "$start $(cat /proc/uptime)" > /out/capture-uptime.txt
  sync
  umount /out
  echo "KDLAB: capture done rc=$rc"
  poweroff -f
fi

# LAB_MODE=reboot, second boot: the kernel the first one loaded with -l and ran with -e
if [ "$LAB_MODE" = reboot ] && grep -q "kdlab_reboot=" /proc/cmdline; then
  echo "KDLAB: second kernel up: $(uname -r)"
  cat /proc/cmdline > /out/second-cmdline.txt
  uname -r > /out/second-release.txt
  sync
  umount /out
  echo "KDLAB: second kernel done"
  poweroff -f
fi

echo "KDLAB: first kernel up: $(uname -r)"
cat /proc/iomem > /out/first-iomem.txt
cat /proc/cmdline > /out/first-cmdline.txt
uname -r > /out/first-release.txt
sync
umount /out

# LAB_MODE=script|reboot: run LAB_SCRIPT on the lab disk (its output in script.log, its status
# in script.rc); script mode then powers off, reboot mode runs kexec -e into what it loaded.
if [ "$LAB_MODE" = script ] || [ "$LAB_MODE" = reboot ]; then
  mount -t ext4 /dev/vda /out || die "mount /dev/vda"
  ( cd /out && eval "$LAB_SCRIPT" ) > /out/script.log 2>&1
  rc=$?
  echo "$rc" > /out/script.rc
  sync
  umount /out
  echo "KDLAB: script done rc=$rc"
  [ "$LAB_MODE" = script ] && poweroff -f
  echo "KDLAB: executing the loaded kernel"
  kdumpkit kexec -e
  die "kexec -e returned $?"
fi

echo 1 > /proc/sys/kernel/sysrq
echo 1 > /proc/sys/kernel/panic_on_oops
echo 1 > /proc/sys/kernel/unknown_nmi_panic

eval "$LAB_LOADER" || die "loading the capture kernel failed"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || die "capture kernel not loaded"
echo "KDLAB: capture kernel loaded"

if [ -n "$LAB_WORKLOAD" ]; then
  # its report goes to the rootfs, not to the /tmp it fills
  lab-memfill $LAB_WORKLOAD > /workload.out 2>&1 &
  i=0
  while ! grep -q "workload ready" /workload.out 2>/dev/null; do
    sleep 0.2; i=$((i+1))
    [ $i -lt 3000 ] || die "workload did not get ready"
    kill -0 $! 2>/dev/null || die "workload: $(cat /workload.out)"
  done
  cat /workload.out
fi
grep -E '^(MemTotal|MemFree|AnonPages|Shmem|Cached):' /proc/meminfo
sync

echo "KDLAB: crashing via $LAB_TRIGGER"
sleep 0.5 # let the console drain, so the log reads in order
case "$LAB_TRIGGER" in
  sysrq)
    if [ -n "$LAB_TRIGGER_CPU" ]; then
      taskset -c "$LAB_TRIGGER_CPU" sh -c 'echo c > /proc/sysrq-trigger'
    else
      echo c > /proc/sysrq-trigger
    fi ;;
  panic|oops|bug) insmod /lib/modules/crashmod.ko action="$LAB_TRIGGER" ;;
  nmi) echo "KDLAB: waiting for NMI"; while :; do sleep 1; done ;;
  *) die "unknown trigger $LAB_TRIGGER" ;;
esac
sleep 5
die "still alive after trigger $LAB_TRIGGER"

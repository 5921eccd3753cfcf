#!/usr/bin/env python3
"""QEMU's own dumps (dump-guest-memory) read by kdumpkit: a lab kernel booted with
-device vmcoreinfo (its qemu_fw_cfg driver hands QEMU the VMCOREINFO note), then the monitor's
dump-guest-memory in ELF and in kdump-zlib, kdump-lzo and kdump-snappy. Each must open, read
page for page like QEMU's ELF dump, and give `kdumpkit vmcore-dmesg` one log, holding a line the
guest wrote to /dev/kmsg and every kernel line the serial console printed. (kexec-tools'
vmcore-dmesg cannot read QEMU's ELF dump: its PT_LOADs carry no virtual addresses; makedumpfile
cannot read QEMU 7.2's kdump files: QEMU parses VMCOREINFO's decimal NUMBER(phys_base) as hex
and stores that in the sub header, so makedumpfile walks the wrong page tables. kdumpkit takes
phys_base from VMCOREINFO itself.) QEMU 7.2 writes its kdump formats flattened; Debian's build
has kdump-lzo and kdump-snappy disabled, which is reported as a skip.

  qemu_dumps.py [--build DIR] [--series 6.1|6.12] [--keep DIR]

Ends with "qemu-dumps: N passed, N failed".
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

INIT = """#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
insmod /lib/modules/qemu_fw_cfg.ko
echo "kdumpkit qemu-dump lab: a line for the log" > /dev/kmsg
echo "KDLAB: ready $(cat /sys/firmware/qemu_fw_cfg/rev 2>/dev/null)"
while :; do sleep 60; done
"""


def monitor(sock_path, cmd, timeout=600):
    """Run one HMP command and wait for the next prompt (dump-guest-memory is synchronous)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    buf = b""
    while b"(qemu)" not in buf:
        buf += s.recv(4096)
    s.sendall(cmd.encode() + b"\n")
    buf = b""
    while buf.count(b"(qemu)") < 1:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=lab.build_dir())
    ap.add_argument("--series", default="6.1")
    ap.add_argument("--keep", default=None)
    args = ap.parse_args()
    kdumpkit = os.path.join(args.build, "kdumpkit")
    probe = os.path.join(args.build, "tests", "dumpfile", "lab-write-kdump")
    kernel = lab.fetch_kernel(args.series)
    work = args.keep or tempfile.mkdtemp(prefix="kd-qemu-dumps-")
    os.makedirs(work, exist_ok=True)

    c = lab.Cpio()
    for d in ("bin", "sbin", "proc", "sys", "dev", "lib/modules"):
        c.mkdir(d)
    c.add_file("bin/busybox", "/bin/busybox", 0o100755)
    c.add("init", INIT.encode(), 0o100755)
    fw = [data for name, data in lab.module_load_order(kernel, ["qemu_fw_cfg"])
          if name.endswith("qemu_fw_cfg")]
    c.add("lib/modules/qemu_fw_cfg.ko", fw[0])
    initrd = os.path.join(work, "initrd.img")
    with open(initrd, "wb") as f:
        f.write(c.finish())
    serial = os.path.join(work, "serial.log")
    mon = os.path.join(work, "monitor.sock")
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-smp", "2", "-m", "512M",
           "-kernel", kernel.vmlinuz, "-initrd", initrd, "-device", "vmcoreinfo",
           "-append", "console=ttyS0 loglevel=6 rdinit=/init", "-display", "none",
           "-serial", f"file:{serial}", "-monitor", f"unix:{mon},server,nowait"]
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        passed += bool(ok)
        failed += not ok
        print(("ok   " if ok else "FAIL ") + name + (f"  ({detail})" if detail else ""),
              flush=True)

    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    dumps = {}
    try:
        t0 = time.monotonic()
        while "KDLAB: ready" not in open(serial, errors="replace").read() \
                if os.path.exists(serial) else True:
            if time.monotonic() - t0 > 300 or proc.poll() is not None:
                raise SystemExit(f"guest did not come up; see {serial}")
            time.sleep(0.5)
        time.sleep(1)
        monitor(mon, "stop")
        for fmt, flag in (("elf", ""), ("kdump-zlib", "-z"), ("kdump-lzo", "-l"),
                          ("kdump-snappy", "-s")):
            path = os.path.join(work, f"qemu-{fmt}.dump")
            t = time.monotonic()
            out = monitor(mon, f"dump-guest-memory {flag} {path}".replace("  ", " "))
            if "is not available" in out:
                print(f"skip QEMU dump-guest-memory {flag}: this QEMU was built without "
                      f"{fmt}", flush=True)
                continue
            ok = os.path.exists(path) and os.path.getsize(path) > 0
            check(f"QEMU dump-guest-memory {flag or '(ELF)'}", ok,
                  f"{os.path.getsize(path) >> 20 if ok else 0} MiB, "
                  f"{time.monotonic() - t:.1f}s" + ("" if ok else " " + out[-200:]))
            if ok:
                dumps[fmt] = path
    finally:
        proc.kill()
        proc.wait()

    elf = dumps.get("elf")
    console = [l for l in open(serial, errors="replace").read().splitlines()
               if re.match(r"^\[\s*\d+\.\d+\] ", l)]
    logs = {}
    for fmt, path in dumps.items():
        p = subprocess.run([kdumpkit, "vmcore-dmesg", path], capture_output=True)
        logs[fmt] = p.stdout
        # multi-line messages: the console prefixes each line, vmcore-dmesg indents the rest
        have = p.stdout.decode(errors="replace")
        missing = [l for l in console if re.sub(r"^\[[^]]*\] ", "", l).strip() not in have]
        check(f"kdumpkit vmcore-dmesg on QEMU {fmt}: the /dev/kmsg line and all "
              f"{len(console)} console lines",
              p.returncode == 0 and b"kdumpkit qemu-dump lab" in p.stdout and not missing,
              f"{len(p.stdout.splitlines())} lines"
              + (f", missing e.g. {missing[0]!r}" if missing else "")
              + p.stderr.decode(errors="replace")[-200:])
        if fmt != "elf" and elf:
            check(f"QEMU {fmt}: the same log as from QEMU's ELF dump", logs[fmt] == logs["elf"])
            p = subprocess.run([probe, "compare", elf, path], capture_output=True)
            check(f"QEMU {fmt}: every page it holds equals QEMU's ELF dump",
                  p.returncode == 0, p.stdout.decode().strip()
                  + p.stderr.decode(errors="replace")[-200:])
    if not args.keep:
        for p in list(dumps.values()) + [initrd]:
            os.unlink(p)
    print(f"qemu-dumps: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Lab tests of kdumpkit's classic loader (`kexec -c`: kexec_load with our own placement,
boot_params, e820, ELF core header and purgatory) on Debian's 6.1 and 6.12 kernels:

  1. headers: on one guest layout (nokaslr, so two boots place everything alike) the capture
              kernel's /proc/vmcore after `-c -p` has the same PT_LOAD ranges (paddr, vaddr,
              size) and the same notes as after kexec_file_load (`-s -p`)
  2. collect: with KASLR and the mixed workload, `-c -p`, sysrq; in the capture kernel our
              collector writes -l -d 31 of /proc/vmcore (with one thread and with two: the same
              bytes); the vmcore passes the collector's
              checks (6.1: crash 8.0.2 `sys`, `bt -a`, `log`, `ps`, `kmem -i` the same on our dump
              as on Debian makedumpfile's, page classes within 0.5%; 6.12: drgn reads the same
              tasks, uts and printk records from our dump as from the raw vmcore); the dump made
              in the capture kernel is the same file as the one made on the host; the kernel
              text PT_LOAD is where VMCOREINFO's KERNELOFFSET says
  3. elf:     an ELF vmlinux loaded with `-c -p` into the crash region boots as the capture
              kernel after sysrq
  4. uefi:    booted through OVMF, `-c -p`: the capture kernel comes up with EFI runtime
              services (efi_info, runtime map and SETUP_EFI passed on)
  5. reboot:  `-c -l` with a marker and the initrd, `-e`: the second kernel runs the initrd's
              /init with exactly that command line (bzImage on both kernels, ELF vmlinux on 6.1)
  6. errors:  not a kernel, segments that do not fit (--mem-max, --mem-min), an initrd too big
              for the crash region: exit 1, a clear message, nothing loaded

  run_kexec_classic.py [--only headers|collect|elf|uefi|reboot]
Prints one "ok"/"FAIL" line per check; ends with "lab-kexec-classic: N passed, N failed".
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_collector  # noqa: E402
from checks import Checks  # noqa: E402
import elfcore  # noqa: E402
import lab  # noqa: E402
from run_kexec import (MARKER, STEP_FN, Steps, expect, lab_crash_range,  # noqa: E402
                        run, _tail)

START_KERNEL_TEXT = 0xffffffff81000000


def crash_scenario(series, mem, cpu, loader, **kw):
    return lab.Scenario(series=series, mem=mem, trigger="sysrq", cpu=cpu, loader=loader, **kw)


def layout(core):
    """What the capture kernel made of the ELF core header: PT_LOADs and notes."""
    loads = [(p["paddr"], p["vaddr"], p["memsz"]) for p in core.loads()]
    notes = [(n, t, len(d)) for n, t, d in core.notes]
    return loads, notes


def loaded_classic(c, name, res):
    return c.check(f"{name}: `kexec -c -p` loaded the capture kernel with kexec_load",
                   "capture kernel loaded with kexec_load" in res.serial and
                   "KDLAB: capture kernel loaded" in res.serial, _tail(res.serial))


def capture_booted(c, name, res):
    log = res.serial
    panic = log.find("Kernel panic - not syncing: sysrq triggered crash")
    up = log.find("KDLAB: capture kernel up", max(panic, 0))
    return c.check(f"{name}: our purgatory verified the segments and started the capture "
                   "kernel", panic > 0 and up > panic, _tail(log))


# ---------------------------------------------------------------- 1. headers


def test_headers(c, series, mem, cpu):
    name = f"classic-headers-{series}-{mem}"
    head = "head -c 65536 /proc/vmcore > vmcore-head"
    views = {}
    for loader in ("kdumpkit", "kdumpkit-classic"):
        sc = crash_scenario(series, mem, cpu, loader, workload="idle", capture=head,
                            extra_append="nokaslr")
        res = run(c, f"{name}-{loader}", sc)
        if not res:
            return
        if loader == "kdumpkit-classic" and not (loaded_classic(c, name, res) and
                                                 capture_booted(c, name, res)):
            return
        try:
            views[loader] = layout(elfcore.Core(res.file("vmcore-head")))
        except (elfcore.CoreError, TypeError) as e:
            c.check(f"{name}: /proc/vmcore after {loader} is an ELF core", False, e)
            return
        if loader == "kdumpkit-classic":
            cmd = (res.text("capture-cmdline.txt") or "").strip()
            c.check(f"{name}: capture command line is elfcorehdr= then ours",
                    re.fullmatch(r"elfcorehdr=0x[0-9a-f]+ " + re.escape(sc.capture_append), cmd)
                    is not None, cmd)
    (fl, fn), (cl, cn) = views["kdumpkit"], views["kdumpkit-classic"]
    c.check(f"{name}: {len(cl)} PT_LOADs (paddr, vaddr, size) equal kexec_file_load's",
            cl == fl and len(cl) >= 2, f"kexec_load {cl} vs kexec_file_load {fl}")
    c.check(f"{name}: the notes ({len(cn)}: {sum(1 for n in cn if n[0] == b'CORE')} CORE, "
            "VMCOREINFO) equal kexec_file_load's", cn == fn and len(cn) >= 2,
            f"{cn} vs {fn}")


# ---------------------------------------------------------------- 2. collect


def test_collect(c, series, mem, cpu):
    name = f"classic-collect-{series}-{mem}"
    capture = ("kdumpkit makedumpfile -l -d 31 /proc/vmcore guest.kd > guest-mdf.log 2>&1; "
               "echo $? > guest-mdf.rc; "
               "grep -c ^processor /proc/cpuinfo > capture-cpus; "
               "kdumpkit makedumpfile -l -d 31 --num-threads 2 /proc/vmcore guest2.kd "
               "> guest-mdf2.log 2>&1; echo $? > guest-mdf2.rc; cat /proc/vmcore > vmcore")
    # two CPUs in the capture kernel, so --num-threads 2 really runs two workers on /proc/vmcore;
    # crashing on CPU 0, since 6.12 brings up only the boot CPU of a kdump kernel that boots on
    # another ("Boot CPU APIC ID not the first enumerated APIC ID")
    sc = crash_scenario(series, mem, cpu, "kdumpkit-classic", workload="mixed", capture=capture,
                        capture_append="console=ttyS0 irqpoll nr_cpus=2 reset_devices panic=1",
                        trigger_cpu="0")
    res = run(c, name, sc)
    if not res or not (loaded_classic(c, name, res) and capture_booted(c, name, res)):
        return
    vmcore = res.file("vmcore")
    if not c.check(f"{name}: /proc/vmcore copied", vmcore and os.path.getsize(vmcore) > 0):
        return
    c.check(f"{name}: our collector ran in the capture kernel (exit 0)",
            (res.text("guest-mdf.rc") or "").strip() == "0", res.text("guest-mdf.log"))
    g1, g2 = res.file("guest.kd"), res.file("guest2.kd")
    cpus = (res.text("capture-cpus") or "?").strip()
    c.check(f"{name}: with --num-threads 2 on /proc/vmcore (mapped windows per batch, {cpus} "
            "CPUs in the capture kernel) the collector wrote the same bytes as one thread",
            cpus == "2" and (res.text("guest-mdf2.rc") or "").strip() == "0" and g1 and g2 and
            open(g1, "rb").read() == open(g2, "rb").read(), res.text("guest-mdf2.log"))
    core = elfcore.Core(vmcore)
    vi = core.vmcoreinfo() or {}
    text = [p for p in core.loads() if p["vaddr"] >= START_KERNEL_TEXT]
    want = START_KERNEL_TEXT + int(vi.get("KERNELOFFSET", "0"), 16)
    c.check(f"{name}: the kernel text PT_LOAD is at _text (KASLR offset "
            f"{vi.get('KERNELOFFSET')})", len(text) == 1 and text[0]["vaddr"] == want,
            [hex(p["vaddr"]) for p in text])
    c.check(f"{name}: one NT_PRSTATUS per CPU (2)", core.prstatus_count() == 2)
    # The collector's checks want a fixture beside its .json and serial log.
    tmp = tempfile.mkdtemp(prefix="kdlab-classic-", dir=os.environ.get("TMPDIR", "/var/tmp"))
    try:
        fx = os.path.join(tmp, f"classic-{series}.vmcore")
        os.rename(vmcore, fx)
        with open(fx[:-len(".vmcore")] + ".json", "w") as f:
            json.dump({"release": res.kernel.release}, f)
        with open(fx[:-len(".vmcore")] + ".serial.log", "w") as f:
            f.write(res.serial)
        host = os.path.join(tmp, "host.kd")
        r = subprocess.run([check_collector.KDUMPKIT, "makedumpfile", "-f", "-l", "-d", "31",
                            fx, host], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        guest = res.file("guest.kd")
        same = r.returncode == 0 and guest and open(guest, "rb").read() == open(host, "rb").read()
        c.check(f"{name}: the dump made in the capture kernel is the file made on the host "
                "from its copy of /proc/vmcore", same, r.stderr[-300:])
        cc = Checks()
        if series == "6.1":
            check_collector.check_61(cc, fx, tmp, quick=True)
        else:
            check_collector.check_612(cc, fx, tmp, quick=True)
        c.check(f"{name}: the collector's {'crash' if series == '6.1' else 'drgn'} checks on "
                f"this vmcore: {cc.passed} passed, {cc.failed} failed",
                cc.failed == 0 and cc.passed >= 5)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_elf_crash(c, series, mem, cpu):
    """An ELF vmlinux as the capture kernel: placed 2 MiB-aligned in the crash region, far from
    where it was linked; head_64.S runs it there."""
    name = f"classic-elf-crash-{series}-{mem}"
    append = "console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1"
    loader = ("mount -t ext4 /dev/vda /out && cp /out/vmlinux /tmp/vmlinux && umount /out && "
              "kdumpkit kexec -d -c -p /tmp/vmlinux --initrd=/boot/capture.img "
              f"--append={lab.shell_quote(append)} && rm /tmp/vmlinux")
    sc = crash_scenario(series, mem, cpu, "kdumpkit-classic", workload="idle",
                        capture="head -c 65536 /proc/vmcore > vmcore-head", loader_cmd=loader,
                        disk_files={"vmlinux": stripped_vmlinux(lab.fetch_kernel(series).release)})
    res = run(c, name, sc)
    if not res or not (loaded_classic(c, name, res) and capture_booted(c, name, res)):
        return
    m = re.search(r"segment \d+: kernel +0x([0-9a-f]+)-", res.serial)
    lo, hi = lab_crash_range(res.text("first-iomem.txt") or "")
    c.check(f"{name}: the vmlinux was placed inside the crash region, 2 MiB-aligned",
            m is not None and lo <= int(m.group(1), 16) < hi and int(m.group(1), 16) % (2 << 20)
            == 0, m.group(0) if m else _tail(res.serial))
    try:
        core = elfcore.Core(res.file("vmcore-head"))
        ok = len(core.loads()) >= 2 and core.prstatus_count() == 2 and core.vmcoreinfo()
    except (elfcore.CoreError, TypeError) as e:
        ok = False
    c.check(f"{name}: the capture kernel has a /proc/vmcore with CPU notes and VMCOREINFO", ok)


def test_uefi(c, series, mem, cpu):
    """On an EFI-booted machine (OVMF) the capture kernel gets the EFI state: efi_info, the
    runtime map and SETUP_EFI, and comes up with EFI runtime services as after
    kexec_file_load."""
    name = f"classic-uefi-{series}-{mem}"
    sc = crash_scenario(series, mem, cpu, "kdumpkit-classic", workload="idle", firmware="uefi",
                        capture="dmesg > dmesg.txt; ls /sys/firmware/efi > efi.txt 2>&1")
    res = run(c, name, sc)
    if not res or not (loaded_classic(c, name, res) and capture_booted(c, name, res)):
        return
    m = re.search(r"EFI: system table 0x[0-9a-f]+, (\d+) runtime map entries passed on",
                  res.serial)
    c.check(f"{name}: the loader passed the EFI system table and runtime map",
            m is not None and int(m.group(1)) > 0, _tail(res.serial))
    dmesg = res.text("dmesg.txt") or ""
    first = re.search(r"efi: EFI v[0-9.]+ by .*", res.serial)
    c.check(f"{name}: the capture kernel found the same EFI firmware ({first and first.group(0)})",
            first is not None and first.group(0) in dmesg, _tail(dmesg))
    c.check(f"{name}: and has EFI runtime services (efivars, runtime-map)",
            "Registered efivars operations" in dmesg and "runtime-map" in
            (res.text("efi.txt") or ""), res.text("efi.txt"))


# ---------------------------------------------------------------- 3 + 4. reboot and errors

REBOOT_SCRIPT = STEP_FN + r'''
step notkernel /tmp/kexec -c -l /lab.conf
step memmax /tmp/kexec -c -l $K --initrd=$I --mem-max=0x1ffffff
step memmin /tmp/kexec -c -p $K --initrd=$I --mem-min=0xfffffffff
dd if=/dev/zero of=/tmp/big.img bs=1M count=0 seek=300 2>/dev/null
step big /tmp/kexec -c -p $K --initrd=/tmp/big.img --append="$A"
cat /sys/kernel/kexec_loaded > errors-loaded.sys
cat /sys/kernel/kexec_crash_loaded > errors-crash-loaded.sys
step loadl /tmp/kexec -d -c -l KERNEL --initrd=$I --append="console=ttyS0 panic=1 loglevel=6 MARKER"
cat /sys/kernel/kexec_loaded > loadl.sys
'''.replace("MARKER", MARKER)


def stripped_vmlinux(release):
    """The -dbg vmlinux without its debug sections: an ELF vmlinux to load, cached."""
    src = os.path.join(lab.CACHE, "debug", f"vmlinux-{release}")
    out = os.path.join(lab.CACHE, "kexec-images", release, "vmlinux")
    if not os.path.exists(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run(["objcopy", "--strip-debug", src, out + ".tmp"], check=True)
        os.rename(out + ".tmp", out)
    return out


def test_reboot(c, series, mem, cpu, elf=False):
    kind = "ELF vmlinux" if elf else "bzImage"
    name = f"classic-reboot-{series}-{mem}{'-elf' if elf else ''}"
    files = {}
    kernel = "$K"
    if elf:
        files["vmlinux"] = stripped_vmlinux(lab.fetch_kernel(series).release)
        kernel = "vmlinux"
    sc = lab.Scenario(series=series, mem=mem, workload="idle", cpu=cpu, mode="reboot",
                      script=REBOOT_SCRIPT.replace("KERNEL", kernel), disk_files=files)
    res = run(c, name, sc)
    if not res:
        return
    st = Steps(res)
    if not elf:
        expect(c, st, f"{name}: -c of a file that is not a kernel: exit 1", "notkernel", 1,
               err_has=("/lab.conf", "not a kernel image"))
        expect(c, st, f"{name}: -c -l with --mem-max below the kernel's size: no room", "memmax",
               1, err_has=("no room for the kernel", "within --mem-min/--mem-max"))
        expect(c, st, f"{name}: -c -p with --mem-min above the crash region: no room", "memmin",
               1, err_has=("no room for the kernel", "crash kernel region"))
        expect(c, st, f"{name}: -c -p with an initrd bigger than the crash region", "big", 1,
               err_has=("cannot fit", "crash kernel region is"))
        c.check(f"{name}: after the errors nothing is loaded in either slot",
                st.text("errors-loaded.sys").strip() == "0" and
                st.text("errors-crash-loaded.sys").strip() == "0")
    expect(c, st, f"{name}: -c -l of the {kind} loads with kexec_load", "loadl", 0,
           err_has=("reboot kernel loaded with kexec_load",))
    c.check(f"{name}: kexec_loaded is 1", st.text("loadl.sys").strip() == "1")
    log = res.serial
    execd = log.find("KDLAB: executing the loaded kernel")
    second = log.find(f"Linux version {res.kernel.release}", max(execd, 0))
    c.check(f"{name}: kexec -e went through our purgatory into the {kind}",
            execd > 0 and second > execd and "KDLAB: second kernel up" in log[second:],
            _tail(log))
    got = (res.text("second-cmdline.txt") or "").strip()
    c.check(f"{name}: the second kernel ran the initrd's /init with exactly the -l command line",
            got == f"console=ttyS0 panic=1 loglevel=6 {MARKER}", got)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("headers", "collect", "elf", "uefi", "reboot"))
    a = ap.parse_args()
    c = Checks()
    groups = {
        # 6.1 with 4-level paging, 6.12 with 5 (LA57)
        "headers": [lambda: test_headers(c, "6.1", "1G", "max,la57=off"),
                    lambda: test_headers(c, "6.12", "1G", "max")],
        "collect": [lambda: test_collect(c, "6.1", "1G", "max,la57=off"),
                    lambda: test_collect(c, "6.12", "1G", "max")],
        "elf": [lambda: test_elf_crash(c, "6.1", "1G", "max,la57=off")],
        "uefi": [lambda: test_uefi(c, "6.1", "1G", "max,la57=off"),
                 lambda: test_uefi(c, "6.12", "1G", "max")],
        "reboot": [lambda: test_reboot(c, "6.1", "1G", "max,la57=off"),
                   lambda: test_reboot(c, "6.12", "512M", "max"),
                   lambda: test_reboot(c, "6.1", "1G", "max,la57=off", elf=True)],
    }
    for g, fns in groups.items():
        if a.only and g != a.only:
            continue
        for fn in fns:
            fn()
    print(f"lab-kexec-classic: {c.passed} passed, {c.failed} failed", flush=True)
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

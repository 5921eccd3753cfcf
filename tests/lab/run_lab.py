#!/usr/bin/env python3
"""Crash-lab tests: real Debian kernels crashed in QEMU and captured, with every result checked.

  run_lab.py                 the standard matrix (both kernels, every trigger, plus sizes)
  run_lab.py --series 6.1 --trigger nmi --mem 4G --workload mixed   one scenario
  run_lab.py --list          print the matrix

Each scenario prints one "ok"/"FAIL" line per check and the script ends with
"lab: N passed, N failed". The raw vmcores are kept in the cache as fixtures for the collector
and report tests: $KDUMPKIT_LAB_CACHE/vmcores/RELEASE-MEM-WORKLOAD-TRIGGER.{vmcore,serial.log}.
"""

import argparse
import json
import mmap
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from checks import Checks  # noqa: E402
from elfcore import Core, CoreError, ET_CORE, EM_X86_64  # noqa: E402

MB = 1 << 20


# The sysrq scenarios also run kdumpkit's collector in the capture kernel, on /proc/vmcore
# itself, before the raw copy that becomes the fixture.
COLLECT_CAPTURE = ("kdumpkit makedumpfile -l -d 31 --message-level 23 /proc/vmcore dump.kd "
                   "> collect.txt 2>&1; echo $? > collect.rc; cat /proc/vmcore > vmcore")


def standard_matrix():
    m = []
    for series in ("6.1", "6.12"):
        for trig in lab.TRIGGERS:
            # 6.1 guests page with 4 levels, 6.12 guests with 5: both walks get exercised
            cpu = "max,la57=off" if series == "6.1" else "max"
            m.append(lab.Scenario(series=series, mem="1G", trigger=trig, workload="mixed",
                                  cpu=cpu))
            if trig == "sysrq":
                m[-1].capture = COLLECT_CAPTURE
    m.append(lab.Scenario(series="6.12", mem="512M", trigger="sysrq", workload="idle"))
    m.append(lab.Scenario(series="6.1", mem="2G", trigger="sysrq", workload="cache"))
    return m


def check_result(c, res):
    sc, k = res.scenario, res.kernel
    n = sc.name()
    log = res.serial
    first_boot = log.find(f"Linux version {k.release}")
    up = log.find("KDLAB: first kernel up")
    c.check(f"{n}: first kernel booted", first_boot >= 0 and up > first_boot)
    c.check(f"{n}: capture kernel loaded", "KDLAB: capture kernel loaded" in log,
            _grep(log, "KDLAB: FAILED"))
    if sc.workload != "idle":
        c.check(f"{n}: workload ready", "KDLAB: workload ready" in log)
    crash_at = log.find(f"KDLAB: crashing via {sc.trigger}")
    c.check(f"{n}: {sc.trigger} triggered", crash_at >= 0, _tail(log))
    # The guest's echo and the kernel's printk interleave on the serial line: look for the
    # panic from the last message that surely came before it.
    loaded_at = log.find("KDLAB: capture kernel loaded")
    m = re.compile(lab.PANIC_PATTERNS[sc.trigger], re.S).search(log, max(loaded_at, 0))
    if sc.trigger not in lab.SERIAL_SILENT:
        c.check(f"{n}: serial log shows the {sc.trigger} panic", crash_at >= 0 and m is not None,
                _tail(log))
    panic_at = m.end() if m else max(crash_at, loaded_at, 0)
    second_boot = log.find(f"Linux version {k.release}", panic_at)
    cap_up = log.find("KDLAB: capture kernel up", panic_at)
    c.check(f"{n}: capture kernel booted after the panic", second_boot > 0 and cap_up > second_boot,
            _tail(log))
    rc = (res.text("capture.rc") or "").strip()
    c.check(f"{n}: capture command succeeded", rc == "0",
            f"rc={rc!r}: {(res.text('capture.log') or '')[-500:]}")
    vm = res.file("vmcore")
    if not c.check(f"{n}: vmcore written", vm is not None and os.path.getsize(vm) > 0):
        return
    check_vmcore(c, n, res, vm)
    if res.file("collect.rc"):
        check_collected(c, n, res, vm)


def check_collected(c, n, res, vm):
    """kdumpkit makedumpfile ran in the capture kernel on /proc/vmcore: its dump must hold the
    same log, and crash (6.1) or drgn (6.12) must read from it what they read from the raw
    vmcore of the same crash."""
    import check_collector as cc
    rc = (res.text("collect.rc") or "").strip()
    c.check(f"{n}: kdumpkit makedumpfile in the capture kernel succeeded", rc == "0",
            f"rc={rc!r}: {(res.text('collect.txt') or '')[-600:]}")
    dump = res.file("dump.kd")
    if not c.check(f"{n}: its dump was written and is complete",
                   dump is not None and cc.header_status(dump) is not None and
                   not cc.header_status(dump) & 0x8):
        return
    r = subprocess.run([os.path.join(lab.build_dir(), "kdumpkit"), "vmcore-dmesg", dump],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c.check(f"{n}: the collected dump holds the log vmcore-dmesg reads from the raw vmcore",
            r.returncode == 0 and r.stdout == cc.vmcore_dmesg(vm), r.stderr[-300:])
    vmlinux = os.path.join(lab.CACHE, "debug", f"vmlinux-{res.kernel.release}")
    if not os.path.exists(vmlinux):
        c.check(f"{n}: debug vmlinux for the oracles", False, "tests/lab/fetch-debug.sh")
        return
    if res.scenario.series == "6.1":
        ours, r1 = cc.crash_outputs(vmlinux, dump)
        raw, r2 = cc.crash_outputs(vmlinux, vm)
        for cmd in ("sys", "bt -a", "ps", "log"):
            a, b = ours.get(cmd, ""), raw.get(cmd, "")
            if cmd == "sys":  # the raw vmcore is a full dump, ours partial
                a = a.replace(" [PARTIAL DUMP]", "")
            c.check(f"{n}: crash `{cmd}` on the collected dump equals the raw vmcore's",
                    bool(a) and a == b, cc.first_diff(b, a) if a else r1.stderr[-300:])
    else:
        ours, e1 = cc.drgn_view(vmlinux, dump)
        raw, e2 = cc.drgn_view(vmlinux, vm)
        for k in ("uts", "tasks", "printk"):
            c.check(f"{n}: drgn {k} from the collected dump equals the raw vmcore's",
                    ours is not None and raw is not None and ours[k] == raw[k], e1 or e2)


def check_vmcore(c, n, res, vm):
    sc, k = res.scenario, res.kernel
    try:
        core = Core(vm)
    except CoreError as e:
        c.check(f"{n}: vmcore is an ELF core", False, str(e))
        return
    c.check(f"{n}: vmcore is an x86_64 ELF core",
            core.e_type == ET_CORE and core.e_machine == EM_X86_64)
    size = os.path.getsize(vm)
    ls = res.text("capture-vmcore-ls.txt") or ""
    proc_size = int(ls.split()[4]) if len(ls.split()) > 4 else -1
    c.check(f"{n}: vmcore is the whole /proc/vmcore", size == proc_size == core.end_offset(),
            f"file {size}, /proc/vmcore {proc_size}, ELF end {core.end_offset()}")
    info = core.vmcoreinfo()
    c.check(f"{n}: VMCOREINFO names the crashed kernel",
            info is not None and info.get("OSRELEASE") == k.release,
            f"OSRELEASE={info and info.get('OSRELEASE')}")
    c.check(f"{n}: VMCOREINFO has CRASHTIME and BUILD-ID",
            info is not None and info.get("CRASHTIME", "").isdigit() and
            len(info.get("BUILD-ID", "")) == 40)
    c.check(f"{n}: one NT_PRSTATUS per CPU (2)", core.prstatus_count() == 2,
            f"{core.prstatus_count()} notes")
    loads = sum(p["filesz"] for p in core.loads() if p["vaddr"] < 0xffffffff80000000)
    ram, below_1m, crash = iomem_ram(res.text("first-iomem.txt") or "")
    # The kernel leaves the first megabyte out (it is always reserved); nothing else may be missing.
    c.check(f"{n}: PT_LOADs cover System RAM minus the crash region ({crash // MB}M)",
            crash > 0 and ram - crash - below_1m <= loads <= ram - crash,
            f"{loads} bytes of PT_LOAD; System RAM {ram}, below 1M {below_1m}, crash {crash}")
    text = [p for p in core.loads() if p["vaddr"] >= 0xffffffff80000000]
    c.check(f"{n}: a PT_LOAD maps the kernel text", len(text) == 1)
    with open(vm, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        missing = [s.decode() for s in lab.PANIC_LOG_STRINGS[sc.trigger] if mm.find(s) < 0]
        others = [s.decode() for t, strs in lab.PANIC_LOG_STRINGS.items() if t != sc.trigger
                  for s in strs[-1:] if mm.find(s) >= 0]
    c.check(f"{n}: the dead kernel's log in the vmcore holds the {sc.trigger} panic",
            not missing, f"not found: {missing}")
    c.check(f"{n}: and no other trigger's panic", not others, f"found: {others}")
    check_reader(c, n, res, vm, info or {})


def check_reader(c, n, res, vm, info):
    """kdumpkit's dump reader on the real vmcore: the release string read through the dead
    kernel's page tables, and through its direct map, equals VMCOREINFO's OSRELEASE."""
    probe = os.path.join(lab.build_dir(), "tests/vmcore/lab-read-uts")
    r = subprocess.run([probe, vm], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    words = r.stdout.split()
    want_levels = "4" if "la57=off" in res.scenario.cpu else "5"
    c.check(f"{n}: reader: init_uts_ns release via {want_levels}-level page walk and direct map",
            r.returncode == 0 and words == ["ELF", want_levels, info.get("OSRELEASE"),
                                            info.get("OSRELEASE")], r.stdout.strip())


def iomem_ram(text):
    """(System RAM bytes, of which below 1M, Crash kernel bytes) from the first kernel's iomem."""
    ram = low = crash = 0
    for line in text.splitlines():
        m = re.match(r"( *)([0-9a-f]+)-([0-9a-f]+) : (.*)$", line)
        if not m:
            continue
        s, e = int(m.group(2), 16), int(m.group(3), 16) + 1
        if m.group(1) == "" and m.group(4) == "System RAM":
            ram += e - s
            low += max(0, min(e, 1 << 20) - s)
        elif m.group(4) == "Crash kernel":
            crash += e - s
    return ram, low, crash


def _grep(text, pat):
    return "\n".join(line for line in text.splitlines() if pat in line)


def _tail(text, n=25):
    return "\n" + "\n".join(text.splitlines()[-n:])


def keep_fixture(res):
    vm = res.file("vmcore")
    if not vm:
        return
    d = os.path.join(lab.CACHE, "vmcores")
    os.makedirs(d, exist_ok=True)
    sc = res.scenario
    base = os.path.join(d, f"{res.kernel.release}-{sc.mem}-{sc.workload}-{sc.trigger}")
    shutil.move(vm, base + ".vmcore")
    with open(base + ".serial.log", "w") as f:
        f.write(res.serial)
    with open(base + ".json", "w") as f:
        json.dump({"release": res.kernel.release, "scenario": sc.__dict__}, f, indent=1)
    for name in ("first-iomem.txt",):
        if res.file(name):
            shutil.copy(res.file(name), base + "." + name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--series", choices=["6.1", "6.12"])
    ap.add_argument("--trigger", choices=lab.TRIGGERS)
    ap.add_argument("--mem")
    ap.add_argument("--workload", choices=["mixed", "anon", "cache", "idle"])
    ap.add_argument("--cpu", help="QEMU -cpu model (default max; max,la57=off for 4-level paging)")
    ap.add_argument("--loader", choices=["kdumpkit", "debian"], default="kdumpkit",
                    help="what loads the capture kernel in the guest (default kdumpkit kexec -p;"
                         " debian: kexec-tools, as a comparison)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.series or a.trigger or a.mem or a.workload or a.cpu:
        matrix = [lab.Scenario(series=a.series or "6.1", trigger=a.trigger or "sysrq",
                               mem=a.mem or "1G", workload=a.workload or "mixed",
                               cpu=a.cpu or "max")]
    else:
        matrix = standard_matrix()
    for sc in matrix:
        sc.loader = a.loader
    if a.list:
        for sc in matrix:
            print(sc.name())
        return 0
    c = Checks()
    for sc in matrix:
        try:
            res = lab.run(sc)
        except lab.LabError as e:
            c.check(f"{sc.name()}: run completed", False, str(e))
            continue
        c.check(f"{sc.name()}: run completed", True)
        check_result(c, res)
        keep_fixture(res)
        shutil.rmtree(os.path.join(res.workdir, "out"), ignore_errors=True)
    print(f"lab: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())

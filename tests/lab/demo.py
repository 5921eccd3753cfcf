"""Prints what the crash lab did, step by step, for one crash (see tests/lab/demo)."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from elfcore import Core  # noqa: E402


def show(title, lines):
    print(f"\n== {title}")
    for line in lines:
        print(f"   {line}")


def main():
    series, trigger = sys.argv[1], sys.argv[2]
    kdumpkit = os.path.join(lab.build_dir(), "kdumpkit")
    show("kdumpkit today", subprocess.run([kdumpkit, "--help"], stdout=subprocess.PIPE,
                                          text=True).stdout.splitlines()[5:])
    sc = lab.Scenario(series=series, mem="1G", trigger=trigger, workload="mixed")
    print(f"\n== booting Debian {series} in QEMU (TCG), crashkernel={lab.CRASHKERNEL}, "
          f"then crashing it via {trigger}")
    res = lab.run(sc)
    log = res.serial.splitlines()
    picks = [line for line in log if "KDLAB" in line or "Kernel panic" in line or
             "Linux version" in line or re.search(r"BUG:|Oops|RIP:", line)]
    show("serial console (excerpt)", picks[:30])
    vm = res.file("vmcore")
    if not vm:
        print("no vmcore was captured; serial log:", os.path.join(res.workdir, "serial.log"))
        return 1
    core = Core(vm)
    info = core.vmcoreinfo() or {}
    show(f"captured {vm} ({os.path.getsize(vm) >> 20} MiB, raw ELF copy of /proc/vmcore)", [
        f"kernel {info.get('OSRELEASE')}  build-id {info.get('BUILD-ID')}",
        f"crash time {info.get('CRASHTIME')}  KASLR offset 0x{info.get('KERNELOFFSET', '?')}",
        f"{core.prstatus_count()} CPU register notes, {len(core.loads())} PT_LOAD segments:",
    ] + [f"  phys {p['paddr']:#014x}  {p['filesz'] >> 20:6d} MiB" for p in core.loads()])
    print("\nNext: kdumpkit makedumpfile / vmcore-dmesg / report will read this file once they "
          "land; it is kept in", os.path.join(lab.CACHE, "runs", sc.name()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

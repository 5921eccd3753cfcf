"""The whole cycle with kdumpkit alone, for one real crash (see tests/lab/demo): the guest loads
its capture kernel with `kdumpkit kexec -p`, crashes, and the capture kernel saves /proc/vmcore
with `kdumpkit makedumpfile -l -d 31`; then, on the host, `kdumpkit report` and
`kdumpkit vmcore-dmesg` read the dump."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

CAPTURE = ("kdumpkit makedumpfile -l -d 31 --message-level 23 /proc/vmcore dump.kd "
           "> collect.txt 2>&1; echo $? > collect.rc")


def show(title, lines):
    print(f"\n== {title}")
    for line in lines:
        print(f"   {line}")


def main():
    series, trigger = sys.argv[1], sys.argv[2]
    kdumpkit = os.path.join(lab.build_dir(), "kdumpkit")
    show("kdumpkit", subprocess.run([kdumpkit, "--help"], stdout=subprocess.PIPE,
                                    text=True).stdout.splitlines()[5:])
    cpu = "max,la57=off" if series == "6.1" else "max"
    sc = lab.Scenario(series=series, mem="1G", trigger=trigger, workload="mixed", cpu=cpu,
                      loader="kdumpkit", capture=CAPTURE)
    print(f"\n== booting Debian {series} in QEMU (TCG), crashkernel={lab.CRASHKERNEL}; "
          f"kdumpkit kexec -p loads the capture kernel; crashing via {trigger}")
    res = lab.run(sc)
    log = res.serial.splitlines()
    picks = [line for line in log if "KDLAB" in line or "Kernel panic" in line or
             "Linux version" in line or re.search(r"BUG:|Oops|RIP:", line)]
    show("serial console (excerpt)", picks[:30])
    dump = res.file("dump.kd")
    rc = (res.text("collect.rc") or "?").strip()
    show(f"kdumpkit makedumpfile in the capture kernel (exit {rc})",
         (res.text("collect.txt") or "").strip().splitlines())
    if not dump:
        print("no dump was written; serial log:", os.path.join(res.workdir, "serial.log"))
        return 1
    ls = (res.text("capture-vmcore-ls.txt") or "").split()
    whole = int(ls[4]) if len(ls) > 4 else 0
    print(f"\n== {dump}: {os.path.getsize(dump) >> 20} MiB, from a /proc/vmcore of "
          f"{whole >> 20} MiB")
    r = subprocess.run([kdumpkit, "report", dump], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    show("kdumpkit report", r.stdout.rstrip().splitlines())
    r = subprocess.run([kdumpkit, "vmcore-dmesg", dump], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    show("kdumpkit vmcore-dmesg (last 12 lines)", r.stdout.rstrip().splitlines()[-12:])
    print("\nThe run's files (serial log, dump) are in", res.workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

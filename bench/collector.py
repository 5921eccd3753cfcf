#!/usr/bin/env python3
"""kdumpkit makedumpfile vs Debian's makedumpfile, side by side in one run, on the same lab vmcores.

For each vmcore and each configuration (-d 31 -l, -d 31 -c, -d 1 -l, -d 1 -c; one thread and
--num-threads 2), both tools run alternately `--runs` times, the input read through just before
each run (a page cache that holds it stays warm; outputs are deleted at once); the table has
the median wall time, CPU time (user+sys), peak RSS (the child's ru_maxrss) and output size, and
the ratios ours/theirs. Timing is measured here, never asserted in tests.

  bench/collector.py [--runs 3] [--write docs/PERFORMANCE.md] [VMCORE...]
Default vmcores: the lab's 6.1 4G and 8G mixed-workload fixtures (make them with
tests/lab/run_lab.py --series 6.1 --mem 4G --workload mixed --trigger sysrq --cpu max,la57=off).
"""
import argparse
import glob
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("KDUMPKIT_LAB_CACHE", "/var/cache/kdumpkit-lab")
KDUMPKIT = os.path.join(os.environ.get("KDUMPKIT_BUILD", os.path.join(REPO, "build")), "kdumpkit")
MDF = shutil.which("makedumpfile") or "/usr/bin/makedumpfile"

CONFIGS = [
    ("-d 31 -l", ["-d", "31", "-l"]),
    ("-d 31 -c", ["-d", "31", "-c"]),
    ("-d 1 -l", ["-d", "1", "-l"]),
    ("-d 1 -c", ["-d", "1", "-c"]),
]


def measure(cmd):
    """Run cmd; return (wall s, cpu s, max rss KiB). The RSS comes from GNU time in the exec'd
    process: a child's ru_maxrss would include this Python from before the exec."""
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-f", "KDBENCH-RSS %M"] + cmd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err[-500:]}")
    rss = int(err.rsplit("KDBENCH-RSS ", 1)[1].split()[0])
    return wall, ru.ru_utime + ru.ru_stime, rss


def warm(path):
    with open(path, "rb") as f:
        while f.read(16 << 20):
            pass


def bench_one(vmcore, args, threads, runs, tmp):
    res = {}
    for tool in ("makedumpfile", "kdumpkit"):
        res[tool] = {"wall": [], "cpu": [], "rss": [], "size": 0}
    extra = ["--num-threads", str(threads)] if threads > 1 else []
    for _ in range(runs):
        for tool in ("makedumpfile", "kdumpkit"):
            out = os.path.join(tmp, f"{tool}.kd")
            if os.path.exists(out):
                os.unlink(out)
            base = [MDF] if tool == "makedumpfile" else [KDUMPKIT, "makedumpfile"]
            # the previous run's output may have pushed the input out of the page cache
            warm(vmcore)
            cmd = base + ["--message-level", "4"] + args + extra + [vmcore, out]
            try:
                wall, cpu, rss = measure(cmd)
            except RuntimeError as e:
                # Debian's static makedumpfile 1.7.2 sometimes aborts at thread exit
                # ("libgcc_s.so.1 must be installed for pthread_exit to work"): once more
                print(f"retrying: {e}", file=sys.stderr, flush=True)
                if os.path.exists(out):
                    os.unlink(out)
                warm(vmcore)
                wall, cpu, rss = measure(cmd)
            r = res[tool]
            r["wall"].append(wall)
            r["cpu"].append(cpu)
            r["rss"].append(rss)
            r["size"] = os.path.getsize(out)
            os.unlink(out)
    for r in res.values():
        for k in ("wall", "cpu", "rss"):
            r[k] = statistics.median(r[k])
    return res


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 30
    mdf = subprocess.run([MDF, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout.splitlines()[0]
    return f"{os.cpu_count()} CPUs ({cpu}), {mem} GiB RAM, {platform.platform()}; {mdf}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write", help="replace the measured table in this markdown file")
    ap.add_argument("vmcores", nargs="*")
    a = ap.parse_args()
    vmcores = a.vmcores or sorted(
        glob.glob(os.path.join(CACHE, "vmcores", "6.1.*-[48]G-mixed-sysrq.vmcore")))
    if not vmcores:
        sys.exit("no vmcores: make the 4G/8G fixtures first (see --help)")
    lines = ["| vmcore | options | threads | makedumpfile wall / cpu / RSS / size | "
             "kdumpkit wall / cpu / RSS / size | wall ratio | size ratio | RSS ratio |",
             "|---|---|---|---|---|---|---|---|"]
    speedup = {}
    with tempfile.TemporaryDirectory(prefix="kdbench-", dir="/var/tmp") as tmp:
        for v in vmcores:
            warm(v)
            name = os.path.basename(v).replace(".vmcore", "")
            for label, args in CONFIGS:
                for threads in (1, 2):
                    r = bench_one(v, args, threads, a.runs, tmp)
                    m, k = r["makedumpfile"], r["kdumpkit"]
                    speedup[(name, label, threads)] = k["wall"]
                    row = (f"| {name} | `{label}` | {threads} | "
                           f"{m['wall']:.2f} s / {m['cpu']:.2f} s / {m['rss'] / 1024:.0f} MB / "
                           f"{m['size'] / 1e6:.1f} MB | "
                           f"{k['wall']:.2f} s / {k['cpu']:.2f} s / {k['rss'] / 1024:.0f} MB / "
                           f"{k['size'] / 1e6:.1f} MB | {k['wall'] / m['wall']:.2f} | "
                           f"{k['size'] / m['size']:.3f} | {k['rss'] / m['rss']:.2f} |")
                    lines.append(row)
                    print(row, flush=True)
    lines.append("")
    for (name, label, threads), w in sorted(speedup.items()):
        if threads == 2:
            one = speedup[(name, label, 1)]
            lines.append(f"- {name} `{label}`: kdumpkit --num-threads 2 is "
                         f"{one / w:.2f}x one thread's speed")
    text = "\n".join(lines)
    print(text)
    if a.write:
        doc = open(a.write).read() if os.path.exists(a.write) else ""
        begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
        block = (f"{begin}\nMeasured {time.strftime('%Y-%m-%d')} on {machine()}; "
                 f"median of {a.runs} runs, the input read through before each.\n\n{text}\n{end}")
        if begin in doc and end in doc:
            doc = doc[:doc.index(begin)] + block + doc[doc.index(end) + len(end):]
        else:
            doc += "\n" + block + "\n"
        open(a.write, "w").write(doc)


if __name__ == "__main__":
    main()

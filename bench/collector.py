#!/usr/bin/env python3
"""kdumpkit makedumpfile vs Debian's makedumpfile, side by side in one run, on the same lab vmcores.

For each vmcore and each configuration (-d 31 -l, -d 31 -c, -d 1 -l, -d 1 -c) there are `--runs`
rounds; each round runs makedumpfile and kdumpkit with one thread, then both with
--num-threads 2, the input read through just before every run (a page cache that holds it
stays warm; outputs are deleted at once). This machine's speed drifts by tens of percent over
minutes (it is shared), so ratios are taken inside a round, where the runs are seconds apart,
and the table gives the median of the rounds' ratios next to the median wall time, CPU time
(user+sys), peak RSS and output size.

kdumpkit syncs its output before it marks the dump complete; makedumpfile 1.7.2 never syncs,
so its wall time ends with the dump still in the page cache. The table also gives the time
makedumpfile's output then takes to fsync (what kdump services' `sync` afterwards costs); the
ratios use makedumpfile's own wall time.

The machine line: one kdumpkit `-d 1 -c` alone, then two at once, each with one thread; two
CPUs doing independent work get this much more done than one, the ceiling for any two-thread
speed-up here. Timing is measured here, never asserted in tests.

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


def run_tool(tool, vmcore, args, threads, out):
    """One run; returns (wall, cpu, rss, size, sync seconds for makedumpfile's output)."""
    if os.path.exists(out):
        os.unlink(out)
    base = [MDF] if tool == "makedumpfile" else [KDUMPKIT, "makedumpfile"]
    extra = ["--num-threads", str(threads)] if threads > 1 else []
    # the previous run's output may have pushed the input out of the page cache
    warm(vmcore)
    cmd = base + ["--message-level", "4"] + args + extra + [vmcore, out]
    for attempt in range(5):
        try:
            wall, cpu, rss = measure(cmd)
            break
        except RuntimeError as e:
            # Debian's static makedumpfile 1.7.2 with threads often aborts at thread exit
            # ("libgcc_s.so.1 must be installed for pthread_exit to work"): again, a few times
            if tool != "makedumpfile" or attempt == 4:
                raise
            print(f"retrying: {e}", file=sys.stderr, flush=True)
            if os.path.exists(out):
                os.unlink(out)
            warm(vmcore)
    sync = 0.0
    if tool == "makedumpfile":
        t0 = time.monotonic()
        fd = os.open(out, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        sync = time.monotonic() - t0
    size = os.path.getsize(out)
    os.unlink(out)
    return wall, cpu, rss, size, sync


def bench_config(vmcore, args, runs, tmp):
    """Rounds of (makedumpfile, kdumpkit) x (1, 2 threads); per-round ratios."""
    keys = [(tool, t) for t in (1, 2) for tool in ("makedumpfile", "kdumpkit")]
    res = {k: {"wall": [], "cpu": [], "rss": [], "sync": [], "size": 0} for k in keys}
    ratio = {1: [], 2: []}
    speedup = []
    for _ in range(runs):
        got = {}
        for tool, t in keys:
            wall, cpu, rss, size, sync = run_tool(tool, vmcore, args, t,
                                                  os.path.join(tmp, f"{tool}.kd"))
            r = res[(tool, t)]
            for k, v in (("wall", wall), ("cpu", cpu), ("rss", rss), ("sync", sync)):
                r[k].append(v)
            r["size"] = size
            got[(tool, t)] = wall
        for t in (1, 2):
            ratio[t].append(got[("kdumpkit", t)] / got[("makedumpfile", t)])
        speedup.append(got[("kdumpkit", 1)] / got[("kdumpkit", 2)])
    for r in res.values():
        for k in ("wall", "cpu", "rss", "sync"):
            r[k] = statistics.median(r[k])
    return res, {t: statistics.median(v) for t, v in ratio.items()}, statistics.median(speedup)


def ceiling(vmcore, runs, tmp):
    """Throughput of two independent one-thread runs at once over one alone (median)."""
    args = ["--message-level", "4", "-d", "1", "-c", vmcore]
    outs = [os.path.join(tmp, f"ceiling{i}.kd") for i in range(2)]
    got = []
    for _ in range(runs):
        for o in outs:
            if os.path.exists(o):
                os.unlink(o)
        warm(vmcore)
        alone, _, _ = measure([KDUMPKIT, "makedumpfile"] + args + [outs[0]])
        os.unlink(outs[0])
        warm(vmcore)
        t0 = time.monotonic()
        ps = [subprocess.Popen([KDUMPKIT, "makedumpfile"] + args + [o],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for o in outs]
        if any(p.wait() != 0 for p in ps):
            raise RuntimeError("a concurrent kdumpkit run failed")
        both = time.monotonic() - t0
        for o in outs:
            os.unlink(o)
        got.append(2 * alone / both)
    return statistics.median(got)


def write_block(path, name, body):
    """Replace what stands between <!-- NAME:begin --> and <!-- NAME:end --> in a markdown
    file with body (appended, with the markers, if they are not there yet)."""
    doc = open(path).read() if os.path.exists(path) else ""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body}\n{end}"
    if begin in doc and end in doc:
        doc = doc[:doc.index(begin)] + block + doc[doc.index(end) + len(end):]
    else:
        doc += "\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


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
    lines = ["| vmcore | options | threads | makedumpfile wall / cpu / RSS / size (+ sync) | "
             "kdumpkit wall / cpu / RSS / size | wall ratio | size ratio | RSS ratio |",
             "|---|---|---|---|---|---|---|---|"]
    notes = []
    with tempfile.TemporaryDirectory(prefix="kdbench-", dir="/var/tmp") as tmp:
        for v in vmcores:
            warm(v)
            name = os.path.basename(v).replace(".vmcore", "")
            for label, args in CONFIGS:
                res, ratio, speedup = bench_config(v, args, a.runs, tmp)
                for threads in (1, 2):
                    m, k = res[("makedumpfile", threads)], res[("kdumpkit", threads)]
                    row = (f"| {name} | `{label}` | {threads} | "
                           f"{m['wall']:.2f} s / {m['cpu']:.2f} s / {m['rss'] / 1024:.0f} MB / "
                           f"{m['size'] / 1e6:.1f} MB (+{m['sync']:.2f} s) | "
                           f"{k['wall']:.2f} s / {k['cpu']:.2f} s / {k['rss'] / 1024:.0f} MB / "
                           f"{k['size'] / 1e6:.1f} MB | {ratio[threads]:.2f} | "
                           f"{k['size'] / m['size']:.3f} | {k['rss'] / m['rss']:.2f} |")
                    lines.append(row)
                    print(row, flush=True)
                notes.append(f"- {name} `{label}`: kdumpkit --num-threads 2 is {speedup:.2f}x "
                             "one thread's speed")
                print(notes[-1], flush=True)
        c = ceiling(vmcores[0], a.runs, tmp)
        notes.append(f"- the machine: two one-thread `-d 1 -c` runs at once do {c:.2f}x the work "
                     "of one alone in the same time (the ceiling for two threads here)")
        print(notes[-1], flush=True)
    lines.append("")
    lines += notes
    text = "\n".join(lines)
    print(text)
    if a.write:
        write_block(a.write, "bench", f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; "
                    f"{a.runs} rounds; medians, ratios taken within each round; the input "
                    f"read through before each run.\n\n{text}")


if __name__ == "__main__":
    main()

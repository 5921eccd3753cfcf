#!/usr/bin/env python3
"""The collector, checked on the lab's real vmcores against the tools people trust.

6.1 (crash 8.0.2 with the -dbg vmlinux is the oracle): for -d 0, 1 and 31 with each
compression, crash on our dump prints the same as crash on Debian makedumpfile's dump of the
same vmcore for `sys`, `bt -a`, `log`, `ps` and `kmem -i`; the pages excluded per class equal
makedumpfile's within 0.5%.
6.12 (crash 8.0.2 refuses 6.12; drgn reads its memory): the task list, init_uts_ns and the printk
records drgn reads from our dump equal what it reads from the raw vmcore; at -d 31 at least 95%
of the workload's anonymous pages are excluded.
Both: `makedumpfile --dump-dmesg` reads our dump and prints the log vmcore-dmesg prints from the
raw vmcore; --num-threads 2 writes the same bytes as one thread; -F | -R gives the same file;
a disk that fills up gives an error and a dump marked incomplete.

  tests/lab/check_collector.py [--quick] [FIXTURE.vmcore...]
Ends with "collector: N passed, N failed".
"""
import argparse
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CACHE = os.environ.get("KDUMPKIT_LAB_CACHE", "/var/cache/kdumpkit-lab")
BUILD = os.environ.get("KDUMPKIT_BUILD", os.path.join(REPO, "build"))
KDUMPKIT = os.path.join(BUILD, "kdumpkit")
MDF = shutil.which("makedumpfile") or "/usr/bin/makedumpfile"
DRGN_PY = "/usr/bin/python3"  # Debian's python3-drgn is only importable there

CODECS = {"zlib": "-c", "lzo": "-l", "snappy": "-p", "zstd": "-z", "elf": "-E"}
CRASH_CMDS = ["sys", "bt -a", "log", "ps", "kmem -i"]
STAT_KEYS = {
    "Pages filled with zero": "zero",
    "Non-private cache pages": "cache",
    "Private cache pages": "cache_private",
    "User process data pages": "user",
    "Free pages": "free",
}


def release_of(vmcore):
    return json.load(open(vmcore[:-len(".vmcore")] + ".json"))["release"]


def parse_stats(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*([A-Za-z -]+?)\s*:\s*0x([0-9a-f]+)", line)
        if m and m.group(1) in STAT_KEYS:
            out[STAT_KEYS[m.group(1)]] = int(m.group(2), 16)
        elif m and m.group(1) == "Original pages":
            out["total"] = int(m.group(2), 16)
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def ours(vmcore, out, args):
    r = run([KDUMPKIT, "makedumpfile", "--show-stats", "-f", *args, vmcore, out])
    return r.returncode, r.stderr


def theirs(vmcore, out, args):
    r = run([MDF, "--message-level", "31", "-f", *args, vmcore, out])
    return r.returncode, r.stdout + r.stderr


def crash_outputs(vmlinux, dump):
    """One crash session running every command, each redirected to its own file (crash's own
    `>`; its stdout interleaves); output per command, with the dump's name removed."""
    d = tempfile.mkdtemp(prefix="kdlab-crash-")
    try:
        script = os.path.join(d, "cmds")
        with open(script, "w") as f:
            for i, c in enumerate(CRASH_CMDS):
                f.write(f"{c} > {d}/out{i}\n")
            f.write("quit\n")
        r = run(["crash", "-s", vmlinux, dump, "-i", script], timeout=600)
        parts = {}
        for i, c in enumerate(CRASH_CMDS):
            p = os.path.join(d, f"out{i}")
            if os.path.exists(p):
                lines = open(p, errors="replace").read().splitlines()
                parts[c] = "\n".join("DUMPFILE: -" if l.strip().startswith("DUMPFILE:") else l
                                     for l in lines)
        return parts, r
    finally:
        shutil.rmtree(d, ignore_errors=True)


def header_status(path):
    """disk_dump_header.status of a kdump-compressed file (None if not one)."""
    with open(path, "rb") as f:
        h = f.read(512)
    if h[:8] != b"KDUMP   ":
        return None
    # signature 8, header_version 4, utsname 6*65=390, pad to 8: timestamp (16) at 408
    return struct.unpack_from("<I", h, 424)[0]


def vmcore_dmesg(path):
    return run(["/usr/sbin/vmcore-dmesg", path]).stdout


def check_61(c, vmcore, tmp, quick):
    name = os.path.basename(vmcore)[:-len(".vmcore")]
    rel = release_of(vmcore)
    vmlinux = os.path.join(CACHE, "debug", f"vmlinux-{rel}")
    levels = [31] if quick else [0, 1, 31]
    codecs = ["lzo"] if quick else [k for k in CODECS if k != "elf"]
    for level in levels:
        ref = {}
        for mc in [x for x in ("zlib", "lzo") if x in codecs] or ["lzo"]:
            mout = os.path.join(tmp, f"mdf-{level}-{mc}.kd")
            rc, text = theirs(vmcore, mout, [CODECS[mc], "-d", str(level)])
            if not c.check(f"{name}: makedumpfile 1.7.2 {CODECS[mc]} -d {level}", rc == 0,
                           text[-400:]):
                continue
            ref[mc] = (mout, parse_stats(text))
        if not ref:
            continue
        ref_out, _ = crash_outputs(vmlinux, next(iter(ref.values()))[0])
        for codec in codecs + (["elf"] if level == 31 and not quick else []):
            out = os.path.join(tmp, f"ours-{level}-{codec}.kd")
            rc, text = ours(vmcore, out, [CODECS[codec], "-d", str(level)])
            if not c.check(f"{name}: kdumpkit {CODECS[codec]} -d {level}", rc == 0, text[-600:]):
                continue
            st = parse_stats(text)
            if codec in ref:
                their = ref[codec][1]
                for k in STAT_KEYS.values():
                    a, b = st.get(k, -1), their.get(k, -1)
                    c.check(f"{name}: -d {level} {k} pages {a} vs makedumpfile {b} (within 0.5%)",
                            a >= 0 and b >= 0 and abs(a - b) <= max(1, b * 0.005))
                their_size = os.path.getsize(ref[codec][0])
                our_size = os.path.getsize(out)
                c.check(f"{name}: -d {level} {CODECS[codec]} size {our_size} <= makedumpfile's "
                        f"{their_size}", our_size <= their_size)
            got, r = crash_outputs(vmlinux, out)
            for cmd in CRASH_CMDS:
                a, b = got.get(cmd), ref_out.get(cmd)
                same = a is not None and a == b and len(a) > 0
                detail = ""
                if not same:
                    detail = f"crash stderr: {r.stderr[-300:]}" if a is None else \
                        first_diff(b or "", a or "")
                c.check(f"{name}: crash `{cmd}` same on ours ({CODECS[codec]} -d {level})",
                        same, detail)
            os.unlink(out)
        for mout, _ in ref.values():
            os.unlink(mout)


def first_diff(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(al, bl)):
        if x != y:
            return f"line {i}: makedumpfile's {x!r} ours {y!r}"
    return f"lengths {len(al)} vs {len(bl)}"


def drgn_view(vmlinux, dump):
    r = run([DRGN_PY, os.path.join(HERE, "drgn_probe.py"), vmlinux, dump], timeout=600)
    if r.returncode:
        return None, r.stderr[-500:]
    return json.loads(r.stdout), ""


def anon_mb(vmcore):
    log = open(vmcore[:-len(".vmcore")] + ".serial.log", errors="replace").read()
    m = re.search(r"workload ready anon=(\d+)M", log)
    return int(m.group(1)) if m else 0


def check_612(c, vmcore, tmp, quick):
    name = os.path.basename(vmcore)[:-len(".vmcore")]
    rel = release_of(vmcore)
    vmlinux = os.path.join(CACHE, "debug", f"vmlinux-{rel}")
    raw, err = drgn_view(vmlinux, vmcore)
    if not c.check(f"{name}: drgn reads the raw vmcore", raw is not None, err):
        return
    for args in ([["-l", "-d", "31"]] if quick else [["-l", "-d", "31"], ["-z", "-d", "1"]]):
        out = os.path.join(tmp, "ours.kd")
        rc, text = ours(vmcore, out, args)
        tag = " ".join(args)
        if not c.check(f"{name}: kdumpkit {tag}", rc == 0, text[-600:]):
            continue
        got, err = drgn_view(vmlinux, out)
        if c.check(f"{name}: drgn reads our {tag} dump", got is not None, err):
            for k in ("uts", "tasks", "printk"):
                c.check(f"{name}: drgn {k} equal on ours ({tag}) and raw ({len(raw[k])} items)",
                        got[k] == raw[k])
        if "31" in args:
            st = parse_stats(text)
            anon = anon_mb(vmcore) * 256
            c.check(f"{name}: -d 31 excludes {st.get('user', 0)} user pages, >= 95% of the "
                    f"workload's {anon} anonymous pages", anon > 0 and st.get("user", 0) >= anon * 0.95)
        os.unlink(out)


def check_common(c, vmcore, tmp, quick):
    name = os.path.basename(vmcore)[:-len(".vmcore")]
    one, two = os.path.join(tmp, "t1.kd"), os.path.join(tmp, "t2.kd")
    rc1, e1 = ours(vmcore, one, ["-l", "-d", "31"])
    rc2, e2 = ours(vmcore, two, ["-l", "-d", "31", "--num-threads", "2"])
    c.check(f"{name}: --num-threads 2 writes the same bytes as one thread",
            rc1 == 0 and rc2 == 0 and open(one, "rb").read() == open(two, "rb").read(),
            (e1 + e2)[-300:])
    log = os.path.join(tmp, "dmesg.txt")
    r = run([MDF, "--dump-dmesg", one, log])
    c.check(f"{name}: makedumpfile --dump-dmesg reads our dump, same log as vmcore-dmesg",
            r.returncode == 0 and os.path.exists(log) and open(log, errors="replace").read()
            .endswith(vmcore_dmesg(vmcore)[-2000:]), (r.stdout + r.stderr)[-300:])
    r = run([KDUMPKIT, "vmcore-dmesg", one])
    c.check(f"{name}: our vmcore-dmesg on our dump equals vmcore-dmesg on the raw vmcore",
            r.returncode == 0 and r.stdout == vmcore_dmesg(vmcore), r.stderr[-300:])
    c.check(f"{name}: a finished dump is not marked incomplete",
            header_status(one) is not None and not header_status(one) & 0x8)
    flat, back = os.path.join(tmp, "t.flat"), os.path.join(tmp, "t.re")
    with open(flat, "wb") as f:
        r1 = subprocess.run([KDUMPKIT, "makedumpfile", "-F", "-l", "-d", "31", vmcore],
                            stdout=f, stderr=subprocess.PIPE)
    with open(flat, "rb") as f:
        r2 = subprocess.run([KDUMPKIT, "makedumpfile", "-f", "-R", back], stdin=f,
                            stderr=subprocess.PIPE)
    c.check(f"{name}: -F then -R gives the file -l -d 31 writes",
            r1.returncode == 0 and r2.returncode == 0 and
            open(back, "rb").read() == open(one, "rb").read(),
            (r1.stderr + r2.stderr).decode(errors="replace")[-300:])
    # an existing dump filtered again: kdump-compressed (-c -d 1) and flattened inputs give the
    # file a direct -l -d 31 of the vmcore gives; a lower level than the input's is refused
    mid, again = os.path.join(tmp, "mid.kd"), os.path.join(tmp, "again.kd")
    rc1, e1 = ours(vmcore, mid, ["-c", "-d", "1"])
    rc2, e2 = ours(mid, again, ["-l", "-d", "31"])
    c.check(f"{name}: re-filtering our -c -d 1 dump at -l -d 31 gives the direct file",
            rc1 == 0 and rc2 == 0 and open(again, "rb").read() == open(one, "rb").read(),
            (e1 + e2)[-300:])
    rc3, e3 = ours(flat, again, ["-l", "-d", "31"])
    c.check(f"{name}: a flattened file as input gives the same file",
            rc3 == 0 and open(again, "rb").read() == open(one, "rb").read(), e3[-300:])
    rc4, e4 = ours(one, again, ["-l", "-d", "1"])
    c.check(f"{name}: re-filtering to a lower level is refused, with the reason",
            rc4 == 1 and "was filtered at -d 31" in e4, e4[-300:])
    for p in (one, two, log, flat, back, mid, again):
        if os.path.exists(p):
            os.unlink(p)


def check_enospc(c, vmcore):
    """A disk that fills mid-write: an error, and a header that says incomplete."""
    mnt = tempfile.mkdtemp(prefix="kdlab-full-")
    try:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8M", "tmpfs", mnt]).returncode:
            c.check("ENOSPC: a small tmpfs to fill", False, "mount failed")
            return
        out = os.path.join(mnt, "dump.kd")
        rc, text = ours(vmcore, out, ["-d", "0"])
        c.check("ENOSPC: a disk that fills up is an error (exit non-zero, says why)",
                rc != 0 and "No space left on device" in text, text[-300:])
        st = header_status(out) if os.path.exists(out) and os.path.getsize(out) >= 512 else None
        c.check("ENOSPC: the partial dump's header is marked incomplete (0x8)",
                st is None or bool(st & 0x8), f"status {st}")
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one level and codec per fixture")
    ap.add_argument("fixtures", nargs="*")
    a = ap.parse_args()
    c = Checks()
    fixtures = a.fixtures or sorted(glob.glob(os.path.join(CACHE, "vmcores", "*-1G-mixed-*.vmcore")))
    if not c.check("lab fixtures exist", bool(fixtures), "run tests/lab/run_lab.py first"):
        print(f"collector: {c.passed} passed, {c.failed} failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="kdlab-collect-", dir=os.environ.get("TMPDIR", "/var/tmp"))
    try:
        for i, v in enumerate(fixtures):
            full = not a.quick and "sysrq" in v
            if json.load(open(v[:-len(".vmcore")] + ".json"))["release"].startswith("6.1."):
                check_61(c, v, tmp, quick=not full)
            else:
                check_612(c, v, tmp, quick=not full)
            if "sysrq" in v or a.fixtures:
                check_common(c, v, tmp, a.quick)
        check_enospc(c, fixtures[0])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"collector: {c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

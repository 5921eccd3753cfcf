#!/usr/bin/env python3
"""Dump formats against the real tools, on the lab's fixtures (ELF vmcores of crashed kernels).

  check_formats.py [--build DIR] [--fixture PATH ...] [--all] [--quick]

(a) Debian's makedumpfile 1.7.2 writes kdump-compressed files (-c and -l, -d 31 and -d 0, and
    one flattened -F): our reader must read every page such a file holds identical to the ELF
    vmcore, and `kdumpkit vmcore-dmesg` on it must print what /usr/sbin/vmcore-dmesg prints for
    the ELF.
(b) our writers (tests/dumpfile/lab_write_kdump.c) copy the ELF's pages into kdump-compressed
    files (every codec), a flattened stream and an ELF dump (-E): makedumpfile --dump-dmesg must
    read them and print the log it prints for the ELF (snappy/zstd only where makedumpfile was
    built with them), our reader must read them back page for page, and on 6.1 crash 8.0.2 with
    the -dbg vmlinux must open them (`sys` and `log` identical to crash on the ELF), and drgn
    (python3-drgn, through libkdumpfile for kdump files) must read the same uts, tasks and printk
    records from them as from the ELF (tests/lab/drgn_probe.py).

Each check prints one "ok"/"FAIL" line; the script ends with "formats: N passed, N failed".
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402

CACHE = os.environ.get("KDUMPKIT_LAB_CACHE", "/var/cache/kdumpkit-lab")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(cmd, **kw):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, **kw)
    return p, time.time() - t


def makedumpfile_features():
    p, _ = run(["makedumpfile", "-v"])
    out = p.stdout.decode() + p.stderr.decode()
    return {c for c in ("lzo", "snappy", "zstd") if re.search(rf"^{c}\s+enabled", out, re.M)}


def md_dmesg(path, work):
    out = os.path.join(work, "md.dmesg")
    if os.path.exists(out):
        os.unlink(out)
    p, _ = run(["makedumpfile", "--dump-dmesg", path, out])
    if p.returncode != 0:
        return None, p.stderr.decode(errors="replace")[-300:]
    with open(out, "rb") as f:
        return f.read(), ""


def crash_session(vmlinux, dump, work):
    cmds = os.path.join(work, "crash.in")
    with open(cmds, "w") as f:
        f.write("sys\nlog\nquit\n")
    p, secs = run(["timeout", "600", "crash", "-s", vmlinux, dump, "-i", cmds])
    text = p.stdout.decode(errors="replace")
    # the dump's own name is the only line that may differ
    text = "\n".join(l for l in text.splitlines() if "DUMPFILE:" not in l)
    return p.returncode, text, secs, p.stderr.decode(errors="replace")[-300:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--fixture", action="append", default=[])
    ap.add_argument("--all", action="store_true", help="every fixture, not one per release")
    ap.add_argument("--quick", action="store_true", help="skip -d 0 and crash")
    ap.add_argument("--work", default=None, help="scratch directory (default: a temp dir)")
    args = ap.parse_args()

    kdumpkit = os.path.join(args.build, "kdumpkit")
    probe = os.path.join(args.build, "tests", "dumpfile", "lab-write-kdump")
    for tool in (kdumpkit, probe):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} is missing: build first")
    for tool in ("makedumpfile", "crash", "/usr/sbin/vmcore-dmesg"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (apt-get install makedumpfile crash kexec-tools)")

    fixtures = args.fixture
    if not fixtures:
        allv = sorted(glob.glob(os.path.join(CACHE, "vmcores", "*.vmcore")))
        if args.all:
            fixtures = allv
        else:  # one per release: the 1G BUG() crash, else the first
            seen = {}
            for v in allv:
                rel = re.sub(r"-\d+[MG]-.*", "", os.path.basename(v))
                if rel not in seen or "-1G-mixed-bug" in v:
                    seen[rel] = v
            fixtures = sorted(seen.values())
    if not fixtures:
        sys.exit(f"no fixtures in {CACHE}/vmcores (run tests/lab/run_lab.py first)")

    features = makedumpfile_features()
    c = Checks(detail_on_ok=True)
    work = args.work or tempfile.mkdtemp(prefix="kd-formats-")
    os.makedirs(work, exist_ok=True)
    try:
        for elf in fixtures:
            name = os.path.basename(elf)[:-len(".vmcore")]
            release = re.sub(r"-\d+[MG]-.*", "", name)
            vmlinux = os.path.join(CACHE, "debug", f"vmlinux-{release}")
            print(f"== {name}", flush=True)
            ref = subprocess.run(["/usr/sbin/vmcore-dmesg", elf], capture_output=True).stdout
            ref_md, err = md_dmesg(elf, work)
            c.check(f"{name}: makedumpfile --dump-dmesg on the ELF", ref_md is not None, err)

            # (a) makedumpfile's files through our reader
            variants = [("-c", "-d", "31"), ("-l", "-d", "31")]
            if not args.quick:
                variants += [("-c", "-d", "0"), ("-l", "-d", "0")]
            for opts in variants + [("-F", "-l", "-d", "31")]:
                tag = "makedumpfile " + " ".join(opts)
                out = os.path.join(work, "md.kd")
                if "-F" in opts:
                    with open(out, "wb") as f:
                        p = subprocess.run(["makedumpfile", *opts, elf], stdout=f,
                                           stderr=subprocess.PIPE)
                else:
                    if os.path.exists(out):
                        os.unlink(out)
                    p = subprocess.run(["makedumpfile", *opts, elf, out], capture_output=True)
                if not c.check(f"{name}: {tag}", p.returncode == 0,
                               "" if p.returncode == 0 else
                               p.stderr.decode(errors="replace")[-200:]):
                    continue
                size = os.path.getsize(out)
                cp, secs = run([probe, "compare", elf, out])
                c.check(f"{name}: {tag}: our reader, page by page", cp.returncode == 0,
                        cp.stdout.decode().strip() + f", {size >> 20} MiB, {secs:.1f}s "
                        + cp.stderr.decode(errors="replace")[-200:])
                dm, secs = run([kdumpkit, "vmcore-dmesg", out])
                c.check(f"{name}: {tag}: kdumpkit vmcore-dmesg == vmcore-dmesg on the ELF",
                        dm.returncode == 0 and dm.stdout == ref,
                        f"{len(dm.stdout.splitlines())} lines, {secs:.2f}s "
                        + dm.stderr.decode(errors="replace")[-200:])
                os.unlink(out)

            # (b) our files through makedumpfile, crash and our reader
            crash_ref = None
            if not args.quick and os.path.exists(vmlinux) and release.startswith("6.1."):
                rc, crash_ref, secs, err = crash_session(vmlinux, elf, work)
                c.check(f"{name}: crash on the ELF", rc == 0 and "PANIC:" in crash_ref,
                        f"{secs:.1f}s {err}")
            drgn_ref = None
            if os.path.exists(vmlinux) and os.path.exists("/usr/bin/python3"):
                p, secs = run(["/usr/bin/python3", os.path.join(HERE, "drgn_probe.py"), vmlinux,
                               elf])
                if c.check(f"{name}: drgn on the ELF", p.returncode == 0,
                           f"{secs:.1f}s " + p.stderr.decode(errors="replace")[-200:]):
                    drgn_ref = p.stdout
            ours = [("zlib", ["-c", "zlib"]), ("lzo", ["-c", "lzo"]),
                    ("snappy", ["-c", "snappy"]), ("zstd", ["-c", "zstd"]),
                    ("none", ["-c", "none"]), ("flattened lzo", ["-F", "-c", "lzo"]),
                    ("ELF -E", ["-E"])]
            for tag, opts in ours:
                out = os.path.join(work, "ours.kd")
                p, secs = run([probe, "write", *opts, elf, out])
                if not c.check(f"{name}: our writer, {tag}", p.returncode == 0,
                               f"{os.path.getsize(out) >> 20 if os.path.exists(out) else 0} MiB"
                               f", {secs:.1f}s " + p.stderr.decode(errors="replace")[-200:]):
                    continue
                cp, _ = run([probe, "compare", elf, out])
                c.check(f"{name}: our writer, {tag}: our reader, page by page",
                        cp.returncode == 0, cp.stdout.decode().strip())
                readable = out
                if tag.startswith("flattened"):
                    # makedumpfile -R turns it back into a plain file
                    readable = os.path.join(work, "ours-r.kd")
                    if os.path.exists(readable):
                        os.unlink(readable)
                    with open(out, "rb") as fi:
                        p = subprocess.run(["makedumpfile", "-R", readable], stdin=fi,
                                           capture_output=True)
                    c.check(f"{name}: makedumpfile -R on our flattened stream",
                            p.returncode == 0, p.stderr.decode(errors="replace")[-200:])
                    # and ours gives the same bytes
                    mine = os.path.join(work, "ours-rk.kd")
                    with open(out, "rb") as fi:
                        p = subprocess.run([kdumpkit, "makedumpfile", "-R", mine], stdin=fi,
                                           capture_output=True)
                    if p.returncode == 0:
                        same = open(mine, "rb").read() == open(readable, "rb").read()
                        c.check(f"{name}: kdumpkit makedumpfile -R == makedumpfile -R", same)
                    else:
                        print(f"skip {name}: kdumpkit makedumpfile -R: "
                              + p.stderr.decode(errors="replace")[-200:], flush=True)
                    if os.path.exists(mine):
                        os.unlink(mine)
                codec = tag.split()[-1]
                if codec in ("snappy", "zstd") and codec not in features:
                    print(f"skip {name}: makedumpfile --dump-dmesg on {tag} (makedumpfile "
                          f"built without {codec})", flush=True)
                else:
                    got, err = md_dmesg(readable, work)
                    c.check(f"{name}: makedumpfile --dump-dmesg on our {tag}",
                            got is not None and got == ref_md,
                            err or f"{len(got.splitlines()) if got else 0} lines")
                if drgn_ref is not None:
                    p, secs = run(["/usr/bin/python3", os.path.join(HERE, "drgn_probe.py"),
                                   vmlinux, readable])
                    c.check(f"{name}: drgn (libkdumpfile) on our {tag} == on the ELF",
                            p.returncode == 0 and p.stdout == drgn_ref,
                            f"{secs:.1f}s " + p.stderr.decode(errors="replace")[-200:])
                if crash_ref is not None and tag in ("zlib", "lzo", "snappy", "zstd", "ELF -E"):
                    rc, text, secs, err = crash_session(vmlinux, readable, work)
                    c.check(f"{name}: crash sys+log on our {tag} == on the ELF",
                            rc == 0 and text == crash_ref, f"{secs:.1f}s {err}")
                for f in (out, readable):
                    if os.path.exists(f):
                        os.unlink(f)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"formats: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())

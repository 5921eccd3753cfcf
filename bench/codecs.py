#!/usr/bin/env python3
"""The page codecs alone on a real dump's kept pages: how fast each one is and how much it
writes, next to makedumpfile's whole run at the same level. A collector cannot beat the codec
it stores pages with, so this is the floor under the wall-time targets.

  bench/codecs.py [--level 31] [--runs 3] [--write docs/PERFORMANCE.md] [VMCORE]

The kept pages are those `kdumpkit makedumpfile -E -d LEVEL` writes (zero pages left out),
compressed one call per page the way kdump-compressed files store them (bench/codecs.c, built
here with gcc; ISA-L is included when libisal-dev is installed). Default vmcore: the lab's 6.1
4G mixed-workload fixture.
"""
import argparse
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector  # noqa: E402  (same machine description, tools and helpers)

HERE = os.path.dirname(os.path.abspath(__file__))


def build(tmp):
    exe = os.path.join(tmp, "codecs")
    cmd = ["gcc", "-O2", "-I/usr/include/lzo", "-o", exe, os.path.join(HERE, "codecs.c"),
           "-lz", "-ldeflate", "-llzo2", "-lzstd", "-lsnappy"]
    if os.path.exists("/usr/include/isa-l.h"):
        cmd[1:1] = ["-DHAVE_ISAL"]
        cmd.append("-lisal")
    subprocess.run(cmd, check=True)
    return exe


def first_load_offset(path):
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phnum, = struct.unpack_from("<H", eh, 56)
        if phnum == 0xffff:
            sys.exit("PN_XNUM ELF output is not handled here")
        f.seek(phoff)
        ph = f.read(56 * phnum)
    return min(struct.unpack_from("<Q", ph, 56 * i + 8)[0] for i in range(phnum)
               if struct.unpack_from("<I", ph, 56 * i)[0] == 1)


def makedumpfile_wall(vmcore, level, codec, runs, tmp):
    out = os.path.join(tmp, "mdf.kd")
    walls = []
    for _ in range(runs):
        if os.path.exists(out):
            os.unlink(out)
        collector.warm(vmcore)
        wall, _, _ = collector.measure([collector.MDF, "--message-level", "4", "-d", str(level),
                                        codec, vmcore, out])
        walls.append(wall)
    os.unlink(out)
    return statistics.median(walls)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--level", type=int, default=31)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write", help="replace the codec table in this markdown file")
    ap.add_argument("vmcore", nargs="?", default=os.path.join(
        collector.CACHE, "vmcores", "6.1.0-56-cloud-amd64-4G-mixed-sysrq.vmcore"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kdcodecs-", dir="/var/tmp") as tmp:
        exe = build(tmp)
        elf = os.path.join(tmp, "kept.elf")
        subprocess.run([collector.KDUMPKIT, "makedumpfile", "--message-level", "0", "-E",
                        "-d", str(a.level), a.vmcore, elf], check=True)
        off = first_load_offset(elf)
        count = (os.path.getsize(elf) - off) // 4096
        r = subprocess.run([exe, elf, str(off), str(count), str(a.runs)], check=True,
                           stdout=subprocess.PIPE, text=True)
        mdf = {c: makedumpfile_wall(a.vmcore, a.level, c, a.runs, tmp) for c in ("-l", "-c")}
    rows = [line.split("\t") for line in r.stdout.splitlines()[1:]]
    ref = {"zlib": None, "lzo": None}
    for name, note, secs, size in rows:
        if note.startswith("makedumpfile -c"):
            ref["zlib"] = int(size)
        if note.startswith("makedumpfile -l"):
            ref["lzo"] = int(size)
    name = os.path.basename(a.vmcore).replace(".vmcore", "")
    lines = [f"{count} kept pages ({count * 4096 / 1e6:.0f} MB) of {name} at `-d {a.level}`; "
             f"makedumpfile's whole run: `-l` {mdf['-l']:.2f} s, `-c` {mdf['-c']:.2f} s "
             f"(median of {a.runs}).", "",
             "| codec | used by | codec alone | / makedumpfile's whole run, same family | "
             "stored | vs makedumpfile's codec |",
             "|---|---|---|---|---|---|"]
    for cname, note, secs, size in rows:
        fam = "-l" if cname.startswith("lzo") else "-c" if "zlib" in cname else None
        whole = f"{float(secs) / mdf[fam]:.2f}" if fam else ""
        base = ref["lzo"] if fam == "-l" else ref["zlib"] if fam == "-c" else None
        vs = f"{int(size) / base:.3f}" if base else ""
        lines.append(f"| {cname} | {note} | {float(secs):.3f} s | {whole} | "
                     f"{int(size) / 1e6:.1f} MB | {vs} |")
    text = "\n".join(lines)
    print(text)
    if a.write:
        collector.write_block(a.write, "codecs", f"Measured {time.strftime('%Y-%m-%d')} on "
                              f"{collector.machine()}.\n\n{text}")


if __name__ == "__main__":
    main()

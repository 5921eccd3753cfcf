#!/usr/bin/env python3
"""Lab check of `kdumpkit report` on real crashes, against independent oracles.

  check_report.py [--kdumpkit build/kdumpkit] [VMCORE ...]

For every lab fixture ($KDUMPKIT_LAB_CACHE/vmcores/*.vmcore, or the ones named) it runs
`kdumpkit report --json` and checks:
  - the crash kind and message the trigger must produce (sysrq, panic, oops, bug, nmi);
  - release, CPU count (NT_PRSTATUS notes, read here by tests/lab/elfcore.py) and crash time;
  - the crashing CPU's registers are that CPU's note (the log's PID is the note's pr_pid);
  - RIP's symbol against a debugger that uses the debug vmlinux, not the dump's kallsyms:
      6.1   crash 8.0.2: `sym RIP`, and what `bt` shows for the panicking task: either its
            "[exception RIP: f+off]" (an oops: prstatus holds the exception's registers) or
            one of its top four frames (a panic: prstatus holds the kexec path's registers,
            __crash_kexec, which bt lists under machine_kexec);
      6.12  drgn (Debian's crash 8.0.2 refuses 6.12): prog.symbol(RIP), or for module code,
            the module's own ELF symtab walked through the debug info (drgn 0.0.22 does not
            read module symbols by itself);
  - the human output fits 100 columns;
  - on damaged copies of two dumps (kallsyms or the log not exported, the file cut short):
    what can be shown is, the reason for the rest is given, the exit status is right; and on
    -d 31 kdump-compressed copies of them (kdumpkit's collector, Debian's makedumpfile): the
    same kind, RIP and signature as from the full vmcore;
  - once per release, the dump's whole kallsyms table (every 97th text symbol, through the
    lab-kallsyms probe) against the vmlinux's symbols of the same name (drgn).
Then, over all fixtures: the signature is equal for every crash of one trigger and differs
between triggers. Prints one ok/FAIL line per check, a table, and exits 1 on any failure.

check(vmcore_path, kdumpkit_path) -> [(name, ok, detail)] is the per-dump part, for run_lab.py.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CACHE = os.environ.get("KDUMPKIT_LAB_CACHE", "/var/cache/kdumpkit-lab")
sys.path.insert(0, HERE)
from elfcore import Core  # noqa: E402

# What each lab trigger must be reported as: kind, and (field, regex) the message must match.
EXPECT = {
    "sysrq": ("sysrq", "panic_message", r"^sysrq triggered crash$"),
    "panic": ("panic", "panic_message", r"^kdumpkit-lab: panic requested by crashmod$"),
    "oops": ("null-deref", "headline", r"^BUG: kernel NULL pointer dereference, address: "),
    "bug": ("bug", "headline", r"^kernel BUG at .*crashmod\.c:\d+!$"),
    "nmi": ("nmi", "panic_message", r"^NMI: Not continuing$"),
}

# Debian's Python has drgn; a pyenv or venv python3 may not.
SYSTEM_PYTHON = "/usr/bin/python3"

DRGN_ORACLE = r"""
import drgn, json, sys
from drgn.helpers.linux.list import list_for_each_entry
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
try:
    prog.load_debug_info([sys.argv[2]])
except drgn.MissingDebugInfoError:
    pass
addr = int(sys.argv[3], 16)
out = {"symbol": None, "source": None}
try:
    s = prog.symbol(addr)
    out = {"symbol": s.name, "source": "prog.symbol"}
except LookupError:
    for mod in list_for_each_entry("struct module", prog["modules"].address_of_(), "list"):
        ks = mod.kallsyms
        for i in range(int(ks.num_symtab)):
            sym = ks.symtab[i]
            v, sz = int(sym.st_value), int(sym.st_size)
            if sz and v <= addr < v + sz:
                out = {"symbol": (ks.strtab + int(sym.st_name)).string_().decode(),
                       "source": "module %s symtab" % mod.name.string_().decode()}
print(json.dumps(out))
"""


# The whole kallsyms table against the vmlinux's ELF symbols (through drgn), once per release:
# every 97th text symbol of the dump's table must be a vmlinux symbol of that name at that
# address (names repeat for static functions, so any of them).
DRGN_KALLSYMS = r"""
import drgn, json, sys
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
try:
    prog.load_debug_info([sys.argv[2]])
except drgn.MissingDebugInfoError:
    pass
bad, n = [], 0
for line in sys.stdin:
    addr, typ, name, size = line.split()
    a = int(addr, 16)
    n += 1
    try:
        addrs = [x.address for x in prog.symbols(name)]
    except LookupError:
        addrs = []
    if a not in addrs:
        bad.append([addr, name, [hex(x) for x in addrs[:3]]])
print(json.dumps({"checked": n, "bad": bad[:10], "nbad": len(bad)}))
"""
KALLSYMS_CHECKED = {}


def kallsyms_vs_drgn(kdumpkit, vmlinux, vmcore):
    probe = os.path.join(os.path.dirname(kdumpkit), "tests", "report", "lab-kallsyms")
    if not os.path.exists(probe):
        return None, f"no {probe} (build the tests)"
    p = subprocess.run([probe, vmcore, "97"], capture_output=True, text=True, timeout=300)
    if p.returncode:
        return None, p.stderr.strip()
    lines = p.stdout.splitlines()
    head = lines[0]
    text = "\n".join(l for l in lines[1:] if l.split()[1] in "tTwW" and
                     int(l.split()[0], 16) >= 0xffffffff80000000)
    q = subprocess.run([SYSTEM_PYTHON, "-c", DRGN_KALLSYMS, vmcore, vmlinux], input=text,
                       capture_output=True, text=True, timeout=600)
    if q.returncode:
        return None, "drgn failed: " + q.stderr.strip()[-300:]
    out = json.loads(q.stdout)
    out["table"] = head
    return out, None


def vmlinux_for(release):
    p = os.path.join(CACHE, "debug", "vmlinux-" + release)
    return p if os.path.exists(p) else None


def scenario_of(vmcore):
    """(release, trigger) from the lab's .json beside the vmcore, else from its name."""
    meta = vmcore[:-len(".vmcore")] + ".json"
    try:
        with open(meta) as f:
            j = json.load(f)
        return j["release"], j["scenario"]["trigger"]
    except (OSError, ValueError, KeyError):
        m = re.match(r"(.*)-\d+[MG]-\w+-(\w+)\.vmcore$", os.path.basename(vmcore))
        return (m.group(1), m.group(2)) if m else (None, None)


def crash_oracle(vmlinux, vmcore, rip):
    """crash's `sym RIP` and what `bt` shows for the panicking task."""
    if not shutil.which("crash"):
        return None, "crash is not installed"
    cmds = f"bt\nsym {rip:x}\nquit\n"
    try:
        p = subprocess.run(["crash", "-s", vmlinux, vmcore], input=cmds, capture_output=True,
                           text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "crash timed out"
    out = p.stdout
    # "ffffffffa376475a (T) __crash_kexec+282 [module] file: line"
    m = re.search(r"^%x \(\w\) ([^\s+]+)" % rip, out, re.M)
    exc = re.search(r"\[exception RIP: ([^+\]]+)", out)
    frames = re.findall(r"^\s*#\d+ \[[0-9a-f]+\] (\S+) at ", out, re.M)
    return {"symbol": m.group(1) if m else None, "exception": exc.group(1) if exc else None,
            "frames": frames}, None


def drgn_oracle(vmlinux, vmcore, rip):
    if not os.path.exists(SYSTEM_PYTHON):
        return None, "no system python3 with drgn"
    try:
        p = subprocess.run([SYSTEM_PYTHON, "-c", DRGN_ORACLE, vmcore, vmlinux, "%x" % rip],
                           capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "drgn timed out"
    if p.returncode:
        return None, "drgn failed: " + p.stderr.strip()[-300:]
    return json.loads(p.stdout), None


def _prstatus(core):
    """(pid, rip, rsp) of every NT_PRSTATUS note, in file order."""
    import struct
    out = []
    for _name, ntype, desc in core.notes:
        if ntype == 1 and len(desc) >= 112 + 27 * 8:
            pid = struct.unpack_from("<i", desc, 32)[0]
            regs = struct.unpack_from("<27Q", desc, 112)
            out.append((pid, regs[16], regs[19]))
    return out


def check(vmcore_path, kdumpkit_path):
    res = []

    def c(name, ok, detail=""):
        res.append((name, bool(ok), detail))
        return ok

    base = os.path.basename(vmcore_path)
    release, trigger = scenario_of(vmcore_path)
    p = subprocess.run([kdumpkit_path, "report", "--json", vmcore_path], capture_output=True,
                       text=True, timeout=300)
    if not c(f"{base}: report --json exits 0", p.returncode == 0,
             f"rc {p.returncode}: {p.stderr.strip()[-300:]}"):
        return res
    try:
        j = json.loads(p.stdout)
    except ValueError as e:
        c(f"{base}: JSON parses", False, str(e))
        return res
    crash = j["crash"]
    regs = j["registers"]
    c(f"{base}: release", j["dump"]["release"] == release,
      f"{j['dump']['release']!r}, expected {release!r}")
    core = Core(vmcore_path)
    notes = _prstatus(core)
    c(f"{base}: CPUs = NT_PRSTATUS notes", j["dump"]["cpus"] == len(notes),
      f"{j['dump']['cpus']} vs {len(notes)}")
    vi = core.vmcoreinfo() or {}
    c(f"{base}: crash time", str(j["dump"]["crash_time"]) == vi.get("CRASHTIME"),
      f"{j['dump']['crash_time']} vs {vi.get('CRASHTIME')}")
    if trigger in EXPECT:
        kind, field, rx = EXPECT[trigger]
        c(f"{base}: kind is {kind}", crash["kind"] == kind, f"got {crash['kind']}")
        c(f"{base}: {field} matches", crash[field] is not None and re.search(rx, crash[field]),
          f"{crash[field]!r}")
    if not c(f"{base}: crashing CPU's registers found", regs is not None, str(j["problems"])):
        return res
    note = regs["note"]
    rip = int(regs["values"]["rip"], 16)
    c(f"{base}: registers are note {note}'s", 0 <= note < len(notes) and notes[note][1] == rip,
      f"note {note} of {len(notes)}")
    c(f"{base}: note's pr_pid is the log's PID", crash["pid"] == regs["pid"],
      f"log PID {crash['pid']}, pr_pid {regs['pid']}")
    c(f"{base}: log's CPU is the note's", crash["cpu"] == note, f"{crash['cpu']} vs {note}")
    func = regs["rip_function"]
    c(f"{base}: RIP symbolized", func, f"source {regs['rip_source']}")

    vmlinux = vmlinux_for(release) if release else None
    if not vmlinux:
        c(f"{base}: RIP oracle", False, f"no debug vmlinux for {release} in {CACHE}/debug")
    elif release.startswith("6.1."):
        o, err = crash_oracle(vmlinux, vmcore_path, rip)
        if c(f"{base}: crash ran", o is not None, err or ""):
            c(f"{base}: RIP = crash's sym", func == o["symbol"], f"{func} vs {o['symbol']}")
            # an oops' prstatus holds the exception's registers ("[exception RIP: f+off]");
            # a panic's, the kexec path's own (one of the frames bt lists above it)
            c(f"{base}: RIP is what crash's bt shows", func == o["exception"] or
              func in o["frames"][:4],
              f"{func} vs exception RIP {o['exception']}, frames {o['frames'][:4]}")
            res.append((f"{base}: oracle", True, f"crash: {o['symbol']}"))
    else:
        o, err = drgn_oracle(vmlinux, vmcore_path, rip)
        if c(f"{base}: drgn ran", o is not None, err or ""):
            c(f"{base}: RIP = drgn's symbol", func == o["symbol"],
              f"{func} vs {o['symbol']} ({o['source']})")
            res.append((f"{base}: oracle", True, f"drgn {o['source']}: {o['symbol']}"))

    if vmlinux and release not in KALLSYMS_CHECKED:
        KALLSYMS_CHECKED[release] = True
        o, err = kallsyms_vs_drgn(kdumpkit_path, vmlinux, vmcore_path)
        if c(f"{base}: kallsyms table vs drgn ran", o is not None, err or ""):
            c(f"{base}: kallsyms table = drgn's symbols", o["nbad"] == 0 and o["checked"] > 100,
              f"{o['table']}; {o['checked']} text symbols, {o['nbad']} differ {o['bad']}")

    t = subprocess.run([kdumpkit_path, "report", vmcore_path], capture_output=True, text=True,
                       timeout=300)
    widest = max((len(line) for line in t.stdout.splitlines()), default=0)
    c(f"{base}: text report exits 0, fits 100 columns", t.returncode == 0 and widest <= 100,
      f"rc {t.returncode}, widest line {widest}")
    c(f"{base}: signature", re.fullmatch(r"[0-9a-f]{16}", j["signature"]["hash"]),
      j["signature"]["input"])
    res.append((f"{base}: summary", True, json.dumps({
        "trigger": trigger, "kind": crash["kind"], "rip": regs["rip_symbol"],
        "rip_source": regs["rip_source"], "cpu_rule": regs["rule"],
        "signature": j["signature"]["hash"], "sig_input": j["signature"]["input"]})))
    return res


def _patched_copy(src, dst, renames):
    """A copy of src with VMCOREINFO keys renamed in place (same length): how a kernel that
    does not export them looks."""
    with open(src, "rb") as f:
        head = f.read(1 << 20)
    shutil.copyfile(src, dst)
    with open(dst, "r+b") as f:
        for old, new in renames:
            at = head.find(old)
            if at < 0 or len(old) != len(new):
                raise ValueError(f"{old!r} not in {src}'s first MiB")
            f.seek(at)
            f.write(new)


def check_degraded(vmcore_path, kdumpkit_path, tmpdir):
    """The report on damaged copies of a real dump: what can be shown is shown, and why the
    rest cannot be is said; never a crash."""
    res = []
    base = os.path.basename(vmcore_path)
    release, trigger = scenario_of(vmcore_path)
    tmp = os.path.join(tmpdir, "degraded.vmcore")

    def run(*args):
        p = subprocess.run([kdumpkit_path, "report", *args, tmp], capture_output=True,
                           text=True, timeout=300)
        return p.returncode, p.stdout, p.stderr

    try:
        # 1. no kallsyms exports (kernels before 6.0)
        _patched_copy(vmcore_path, tmp, [(b"SYMBOL(kallsyms_names)", b"SYMBOL(kallsymX_names)"),
                                         (b"SYMBOL(kallsyms_offsets)", b"SYMBOL(kallsymX_offsets)")])
        rc, out, err = run("--json")
        j = json.loads(out) if rc == 0 else None
        res.append((f"{base} without kallsyms: exit 0", rc == 0, err.strip()[-200:]))
        if j:
            kind = EXPECT.get(trigger, (None,))[0]
            res.append((f"{base} without kallsyms: kind still {kind}", j["crash"]["kind"] == kind,
                        j["crash"]["kind"]))
            res.append((f"{base} without kallsyms: says why", j["symbols"]["count"] == 0 and
                        any("kallsyms" in p for p in j["problems"]), str(j["problems"])[:200]))
            regs = j["registers"]
            want = "log" if trigger in ("oops", "bug") else None
            res.append((f"{base} without kallsyms: RIP source {want}",
                        regs is not None and regs["rip_source"] == want,
                        str(regs and regs["rip_symbol"])))
        # 2. no log (the printk ringbuffer not exported)
        _patched_copy(vmcore_path, tmp, [(b"SYMBOL(prb)=", b"SYMBOL(prX)=")])
        rc, out, err = run("--json")
        j = json.loads(out) if rc == 0 else None
        res.append((f"{base} without the log: exit 0", rc == 0, err.strip()[-200:]))
        if j:
            res.append((f"{base} without the log: registers from panic_cpu",
                        j["registers"] is not None and "panic_cpu" in j["registers"]["rule"],
                        str(j["registers"] and j["registers"]["rule"])))
            res.append((f"{base} without the log: stack scanned",
                        j["trace"]["source"] == "stack-scan" and len(j["trace"]["frames"]) > 0,
                        str(j["trace"]["source"])))
            res.append((f"{base} without the log: says why",
                        any("log" in p for p in j["problems"]), str(j["problems"])[:200]))
        # 3. the same crash from filtered, compressed dumps: kdumpkit's own collector and
        #    Debian's makedumpfile (-d 31): same kind, RIP and signature
        ref = json.loads(subprocess.run([kdumpkit_path, "report", "--json", vmcore_path],
                                        capture_output=True, text=True, timeout=300).stdout)
        writers = [("kdumpkit makedumpfile", [kdumpkit_path, "makedumpfile", "-l", "-d", "31"])]
        if shutil.which("makedumpfile"):
            writers.append(("Debian makedumpfile", ["makedumpfile", "-c", "-d", "31"]))
        for label, cmd in writers:
            if os.path.exists(tmp):
                os.unlink(tmp)
            w = subprocess.run(cmd + [vmcore_path, tmp], capture_output=True, text=True,
                               timeout=900)
            if w.returncode == 2 and "not built yet" in w.stderr:
                continue
            if not w.returncode == 0:
                res.append((f"{base} via {label}: dump written", False, w.stderr[-200:]))
                continue
            rc, out, err = run("--json")
            j = json.loads(out) if rc == 0 else None
            same = j and all(j[a][b] == ref[a][b] for a, b in (
                ("crash", "kind"), ("crash", "headline"), ("registers", "rip_symbol"),
                ("signature", "hash")))
            res.append((f"{base} via {label} -d 31: same kind, RIP, signature",
                        bool(same) and j["dump"]["level"].startswith("dump level 31"),
                        err.strip()[-200:] if not j else
                        f"{j['dump']['format']}, {j['dump']['level']}"))
        # 4. cut short
        with open(vmcore_path, "rb") as f, open(tmp, "wb") as o:
            o.write(f.read(64 << 10))
        rc, out, err = run()
        res.append((f"{base} cut to 64 KiB: exit 1 with a reason", rc == 1 and err.strip(),
                    err.strip()[-200:]))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kdumpkit", default=os.path.join(REPO, "build", "kdumpkit"))
    ap.add_argument("--no-degraded", dest="degraded", action="store_false",
                    help="skip the damaged-copy checks (they copy two dumps to --tmpdir)")
    ap.add_argument("--tmpdir", default=os.environ.get("TMPDIR", "/tmp"))
    ap.add_argument("vmcores", nargs="*")
    a = ap.parse_args()
    vmcores = a.vmcores or sorted(glob.glob(os.path.join(CACHE, "vmcores", "*.vmcore")))
    if not vmcores:
        print(f"no fixtures in {CACHE}/vmcores (run tests/lab/run_lab.py)")
        return 1
    passed = failed = 0
    table = []
    for v in vmcores:
        summary, oracle = None, ""
        for name, ok, detail in check(v, a.kdumpkit):
            if name.endswith(": summary"):
                summary = json.loads(detail)
            elif name.endswith(": oracle"):
                oracle = detail
            else:
                print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f"  ({detail})" if detail else ""))
                passed += ok
                failed += not ok
        if summary:
            summary["oracle"] = oracle
            table.append((os.path.basename(v), summary))

    # signatures: one per trigger, distinct across triggers
    by_trigger = {}
    for _name, s in table:
        by_trigger.setdefault(s["trigger"], set()).add(s["signature"])
    for trig, sigs in sorted(by_trigger.items()):
        n = sum(1 for _n, s in table if s["trigger"] == trig)
        ok = len(sigs) == 1
        print(f"{'ok  ' if ok else 'FAIL'} signature: all {n} {trig} crashes share one "
              f"({', '.join(sorted(sigs))})")
        passed += ok
        failed += not ok
    owners = {}
    for trig, sigs in by_trigger.items():
        for s in sigs:
            owners.setdefault(s, set()).add(trig)
    clash = {s: t for s, t in owners.items() if len(t) > 1}
    ok = not clash
    print(f"{'ok  ' if ok else 'FAIL'} signature: distinct across triggers"
          + (f" (shared: {clash})" if clash else f" ({len(owners)} signatures)"))
    passed += ok
    failed += not ok

    # damaged copies of two real dumps (one oops, one panic path), unless --no-degraded
    if a.degraded:
        picks = [v for v in vmcores if v.endswith("-oops.vmcore")][:1] + \
                [v for v in vmcores if v.endswith("-sysrq.vmcore")][-1:]
        for v in picks:
            for name, ok, detail in check_degraded(v, a.kdumpkit, a.tmpdir):
                print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f"  ({detail})" if detail else ""))
                passed += bool(ok)
                failed += not ok

    print()
    print(f"{'fixture':<48} {'kind':<10} {'RIP (report)':<40} {'signature':<16}")
    for name, s in table:
        print(f"{name[:48]:<48} {s['kind']:<10} {str(s['rip'])[:40]:<40} {s['signature']}")
        print(f"{'':<48}   oracle: {s.get('oracle', '')[:60]}; cpu: {s['cpu_rule'][:50]}")
    print(f"\ncheck_report: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

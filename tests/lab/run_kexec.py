#!/usr/bin/env python3
"""Lab tests of kdumpkit's loader (`kdumpkit kexec`, kexec_file_load) on Debian's real kernels,
with no kexec-tools involved:

  1. crash:   `kdumpkit kexec -p` loads the capture kernel; sysrq-c; the capture kernel boots
              with our command line and has an ELF /proc/vmcore (6.1 and 6.12)
  2. reboot:  `kexec -l` with a marker on the command line, `kexec -e`; the second kernel sees
              exactly that command line (also: a first kernel booted without crashkernel=,
              where -p must refuse and -l must still work)
  3. status:  -S / -l -S / -p -S around -l, -p, -u, -p -u and the classic-syscall unload;
              gzip-, xz- and zstd-compressed kernels loaded through a memfd
  4. errors:  missing file, not a kernel, -c, no reservation, an initrd too big for it
  5. lockdown: under lockdown=integrity the kernel refuses Debian's (untrusted) signature;
              the load fails with that reason and never falls back to kexec_load

  run_kexec.py                 everything
  run_kexec.py --only crash    one group (crash, reboot, status, lockdown)

Prints one "ok"/"FAIL" line per check and ends with "lab-kexec: N passed, N failed".
The kdumpkit binary comes from $KDUMPKIT_BUILD (default build/).
"""

import argparse
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from checks import Checks  # noqa: E402

MB = 1 << 20
CAPTURE_APPEND = "console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1"
MARKER = "kdlab_reboot=kdumpkit-7f3a"


def workdir(name):
    return os.path.join(lab.CACHE, "runs", "kexec-" + name)


def run(c, name, sc):
    try:
        return lab.run(sc, workdir=workdir(name))
    except lab.LabError as e:
        c.check(f"{name}: the guest ran to completion", False, str(e)[-3000:])
        return None


# ---------------------------------------------------------------- 1. crash


def test_crash(c, series, mem, cpu):
    name = f"crash-{series}-{mem}"
    sc = lab.Scenario(series=series, mem=mem, trigger="sysrq", workload="idle", cpu=cpu,
                      loader="kdumpkit", capture_append=CAPTURE_APPEND,
                      capture="head -c 65536 /proc/vmcore > vmcore-head")
    res = run(c, name, sc)
    if not res:
        return
    log = res.serial
    c.check(f"{name}: `kdumpkit kexec -p` loaded the capture kernel (kexec_crash_loaded = 1)",
            "KDLAB: capture kernel loaded" in log, _grep(log, "KDLAB: FAILED"))
    loaded = log.find("KDLAB: capture kernel loaded")
    panic = log.find("Kernel panic - not syncing: sysrq triggered crash", max(loaded, 0))
    c.check(f"{name}: sysrq panic", loaded >= 0 and panic > loaded, _tail(log))
    second = log.find(f"Linux version {res.kernel.release}", max(panic, 0))
    up = log.find("KDLAB: capture kernel up", max(second, 0))
    c.check(f"{name}: the capture kernel booted after the panic", panic > 0 and second > 0 and
            up > second, _tail(log))
    cmdline = (res.text("capture-cmdline.txt") or "").strip()
    # kexec_file_load puts elfcorehdr= in front of the command line it was given
    m = re.fullmatch(r"elfcorehdr=0x([0-9a-f]+) " + re.escape(CAPTURE_APPEND), cmdline)
    c.check(f"{name}: capture kernel command line is ours after the kernel's elfcorehdr=",
            m is not None, cmdline)
    lo, hi = lab_crash_range(res.text("first-iomem.txt") or "")
    c.check(f"{name}: the ELF core header sits in the crash kernel region",
            m is not None and lo <= int(m.group(1), 16) < hi, f"{cmdline}; region {lo:#x}-{hi:#x}")
    head = open(res.file("vmcore-head"), "rb").read() if res.file("vmcore-head") else b""
    ok = len(head) >= 64 and head[:4] == b"\x7fELF" and head[4] == 2 and \
        struct.unpack_from("<HH", head, 16) == (4, 62)  # ET_CORE, EM_X86_64
    c.check(f"{name}: /proc/vmcore is an x86_64 ELF core", ok, head[:20])
    ls = (res.text("capture-vmcore-ls.txt") or "").split()
    size = int(ls[4]) if len(ls) > 4 and ls[4].isdigit() else 0
    ram = lab_ram(res.text("first-iomem.txt") or "")
    c.check(f"{name}: /proc/vmcore is about the size of the first kernel's RAM",
            ram > 0 and ram // 2 < size < ram + 64 * MB, f"{size} bytes, System RAM {ram}")


def lab_ram(iomem):
    total = 0
    for line in iomem.splitlines():
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) : System RAM$", line)
        if m:
            total += int(m.group(2), 16) - int(m.group(1), 16) + 1
    return total


# ---------------------------------------------------------------- guest scripts

# Each step of a guest script leaves NAME.out, NAME.err and NAME.rc on the lab disk.
STEP_FN = r'''
step() { n=$1; shift; "$@" > "$n.out" 2> "$n.err"; echo $? > "$n.rc"; }
ln -s /bin/kdumpkit /tmp/kexec
K=/boot/vmlinuz
I=/boot/capture.img
A="console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1"
'''

STATUS_SCRIPT = STEP_FN + r'''
step s0 /tmp/kexec -S
step s0l /tmp/kexec -l -S
step ckr /tmp/kexec --print-ckr-size
step loadp /tmp/kexec -d -p $K --initrd=$I --append="$A"
cat /sys/kernel/kexec_crash_loaded > loadp.sys
step s1 /tmp/kexec -S
step s1p /tmp/kexec -p -S
step s1l /tmp/kexec -l -S
gzip -c $K > /tmp/vmlinuz.gz
step loadl /tmp/kexec -l /tmp/vmlinuz.gz --initrd=$I --append="console=ttyS0 x=1" -d
step s2l /tmp/kexec -l -S
step s2 /tmp/kexec -S
step loadxz /tmp/kexec -d -l vmlinuz.xz --append="console=ttyS0 x=2"
step sxz /tmp/kexec -l -S
step loadzst /tmp/kexec -d -l vmlinuz.zst --append="console=ttyS0 x=3"
step szst /tmp/kexec -l -S
step u /tmp/kexec -u
step s3l /tmp/kexec -l -S
step s3 /tmp/kexec -S
step pu /tmp/kexec -p -u
step s4 /tmp/kexec -S
cat /sys/kernel/kexec_crash_loaded > pu.sys
step loads kdumpkit kexec -s -p $K --initrd=$I --append="$A"
step s5 /tmp/kexec -S
step cpu /tmp/kexec -c -p -u
step s6 /tmp/kexec -S
step reuse /tmp/kexec -d -p $K --initrd=$I --reuse-cmdline --append=reused=1
step reusel /tmp/kexec -d -l $K --initrd=$I --reuse-cmdline
step missing /tmp/kexec -p /nonexistent/vmlinuz --initrd=$I
step notkernel /tmp/kexec -l /lab.conf
step program /tmp/kexec -l /bin/busybox
step classic /tmp/kexec -d -c -p $K --initrd=$I
cat /sys/kernel/kexec_crash_loaded > classic.sys
step noinitrd /tmp/kexec -p $K --initrd=/nonexistent/initrd.img
step longcmd /tmp/kexec -p $K --initrd=$I --append="$(head -c 2100 /dev/zero | tr '\0' x)"
step pu2 /tmp/kexec -p -u
dd if=/dev/zero of=/tmp/big.img bs=1M count=0 seek=300 2>/dev/null
step big /tmp/kexec -p $K --initrd=/tmp/big.img --append="$A"
cat /sys/kernel/kexec_crash_loaded > big.sys
'''

REBOOT_SCRIPT = STEP_FN + r'''
step ckr /tmp/kexec --print-ckr-size
step noreserve /tmp/kexec -p $K --initrd=$I --append="$A"
step s0 /tmp/kexec -S
step nothing /tmp/kexec -e
step loadl /tmp/kexec -d -l $K --initrd=$I --append="console=ttyS0 panic=1 loglevel=6 MARKER"
dmesg > dmesg.txt
step s1l /tmp/kexec -l -S
'''.replace("MARKER", MARKER)


class Steps:
    def __init__(self, res):
        self.res = res

    def rc(self, n):
        t = (self.res.text(f"{n}.rc") or "").strip()
        return int(t) if t.lstrip("-").isdigit() else None

    def out(self, n):
        return self.res.text(f"{n}.out") or ""

    def err(self, n):
        return self.res.text(f"{n}.err") or ""

    def text(self, n):
        return self.res.text(n) or ""

    def detail(self, n):
        return f"rc={self.rc(n)} stdout={self.out(n)[-300:]!r} stderr={self.err(n)[-500:]!r}"


def expect(c, st, name, step, rc, err_has=(), out_is=None, err_empty=False):
    ok = st.rc(step) == rc and all(s in st.err(step) for s in err_has)
    if out_is is not None:
        ok = ok and st.out(step).strip() == out_is
    if err_empty:
        ok = ok and st.err(step) == ""
    c.check(name, ok, st.detail(step))


# ---------------------------------------------------------------- 3 + 4. status and errors


def compressed_kernels(series):
    """The lab kernel compressed with xz and zstd on the host (busybox in the guest has
    neither compressor), cached: {name on the lab disk: host path}."""
    k = lab.fetch_kernel(series)
    d = os.path.join(lab.CACHE, "kexec-images", k.release)
    os.makedirs(d, exist_ok=True)
    out = {}
    for ext, cmd in (("xz", ["xz", "-0", "-T1", "-c"]), ("zst", ["zstd", "-q", "-1", "-c"])):
        path = os.path.join(d, f"vmlinuz.{ext}")
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                subprocess.run(cmd + [k.vmlinuz], stdout=f, check=True)
            os.rename(path + ".tmp", path)
        out[f"vmlinuz.{ext}"] = path
    return out


def test_status(c, series, mem, cpu):
    name = f"status-{series}-{mem}"
    sc = lab.Scenario(series=series, mem=mem, workload="idle", cpu=cpu, mode="script",
                      script=STATUS_SCRIPT, disk_files=compressed_kernels(series))
    res = run(c, name, sc)
    if not res:
        return
    st = Steps(res)
    c.check(f"{name}: the script ran", st.rc("s0") is not None and st.text("script.rc").strip()
            == "0", _tail(res.serial))
    crash = lab_crash_size(res.text("first-iomem.txt") or "")
    # kexec-tools' -S: exit 1 when loaded, 0 when not; the panic slot unless -l
    expect(c, st, f"{name}: -S before anything is loaded exits 0 (s0)", "s0", 0)
    expect(c, st, f"{name}: -l -S before anything is loaded exits 0 (s0l)", "s0l", 0)
    expect(c, st, f"{name}: --print-ckr-size prints the region's bytes ({crash})", "ckr", 0,
           out_is=str(crash))
    expect(c, st, f"{name}: -d -p loads the capture kernel and reports the fit", "loadp", 0,
           err_has=("crash kernel region", "left for the capture kernel", "kexec_file_load("))
    c.check(f"{name}: /sys/kernel/kexec_crash_loaded is 1 after -p",
            st.text("loadp.sys").strip() == "1")
    expect(c, st, f"{name}: -S exits 1 with a capture kernel loaded", "s1", 1, err_empty=True)
    expect(c, st, f"{name}: -p -S exits 1", "s1p", 1)
    expect(c, st, f"{name}: -l -S exits 0 (reboot slot still empty)", "s1l", 0)
    expect(c, st, f"{name}: -l loads a gzip-compressed bzImage (through a memfd)", "loadl", 0,
           err_has=("gzip-compressed",))
    expect(c, st, f"{name}: -l -S exits 1 after -l", "s2l", 1)
    expect(c, st, f"{name}: -S still exits 1", "s2", 1)
    expect(c, st, f"{name}: -l loads an xz-compressed bzImage", "loadxz", 0,
           err_has=("xz-compressed", "reboot kernel loaded"))
    expect(c, st, f"{name}: -l -S exits 1 after it", "sxz", 1)
    expect(c, st, f"{name}: -l loads a zstd-compressed bzImage", "loadzst", 0,
           err_has=("zstd-compressed", "reboot kernel loaded"))
    expect(c, st, f"{name}: -l -S exits 1 after it", "szst", 1)
    expect(c, st, f"{name}: -u unloads the reboot kernel", "u", 0, err_empty=True)
    expect(c, st, f"{name}: -l -S exits 0 after -u", "s3l", 0)
    expect(c, st, f"{name}: -S exits 1 after -u (capture kernel untouched)", "s3", 1)
    expect(c, st, f"{name}: -p -u unloads the capture kernel", "pu", 0, err_empty=True)
    expect(c, st, f"{name}: -S exits 0 after -p -u", "s4", 0)
    c.check(f"{name}: /sys/kernel/kexec_crash_loaded is 0 after -p -u",
            st.text("pu.sys").strip() == "0")
    expect(c, st, f"{name}: `kdumpkit kexec -s -p` loads", "loads", 0, err_empty=True)
    expect(c, st, f"{name}: -S exits 1 after -s -p", "s5", 1)
    expect(c, st, f"{name}: -c -p -u unloads through kexec_load", "cpu", 0, err_empty=True)
    expect(c, st, f"{name}: -S exits 0 after -c -p -u", "s6", 0)
    # --reuse-cmdline: this kernel's line without crashkernel= (for -p) and BOOT_IMAGE=
    first = (res.text("first-cmdline.txt") or "").strip()
    want_p = " ".join(w for w in first.split() if not w.startswith("crashkernel=")) + " reused=1"
    expect(c, st, f"{name}: -p --reuse-cmdline drops crashkernel=", "reuse", 0,
           err_has=(f"command line: {want_p}\n",))
    expect(c, st, f"{name}: -l --reuse-cmdline keeps crashkernel=", "reusel", 0,
           err_has=(f"command line: {first}\n",))
    # errors: exit 1, one clear message naming the problem
    expect(c, st, f"{name}: a missing kernel file", "missing", 1,
           err_has=("/nonexistent/vmlinuz", "No such file"))
    expect(c, st, f"{name}: a file that is not a kernel", "notkernel", 1,
           err_has=("/lab.conf", "not a kernel image"))
    expect(c, st, f"{name}: an ELF program is not a kernel", "program", 1,
           err_has=("/bin/busybox", "not a kernel"))
    expect(c, st, f"{name}: -c -p loads through kexec_load", "classic", 0,
           err_has=("capture kernel loaded with kexec_load",))
    c.check(f"{name}: and kexec_crash_loaded says so", st.text("classic.sys").strip() == "1")
    expect(c, st, f"{name}: a command line longer than the kernel takes (2016 bytes)",
           "longcmd", 1, err_has=("the command line is 2100 bytes", "at most 2016"))
    expect(c, st, f"{name}: a missing initrd", "noinitrd", 1,
           err_has=("/nonexistent/initrd.img", "No such file"))
    expect(c, st, f"{name}: an initrd too big for the reservation is refused before the syscall",
           "big", 1, err_has=("cannot fit", "crash kernel region is"))
    c.check(f"{name}: and nothing is loaded after it", st.text("big.sys").strip() == "0")


def lab_crash_range(iomem):
    """[start, end) of the first kernel's crash kernel region, (0, 0) if none."""
    for line in iomem.splitlines():
        m = re.match(r"\s*([0-9a-f]+)-([0-9a-f]+) : Crash kernel$", line)
        if m:
            return int(m.group(1), 16), int(m.group(2), 16) + 1
    return 0, 0


def lab_crash_size(iomem):
    lo, hi = lab_crash_range(iomem)
    return hi - lo


# ---------------------------------------------------------------- signatures under lockdown

# Debian signs its kernels for Secure Boot with a key the guest's kernel does not trust: under
# lockdown=integrity kexec_file_load refuses them (EPERM), and kdumpkit must say so and stop,
# not fall back to kexec_load.
LOCKDOWN_SCRIPT = STEP_FN + r'''
mount -t securityfs securityfs /sys/kernel/security
cat /sys/kernel/security/lockdown > lockdown.txt
step auto /tmp/kexec -p $K --initrd=$I --append="$A"
step file /tmp/kexec -s -l $K --initrd=$I
step classic /tmp/kexec -c -p $K --initrd=$I --append="$A"
step s0 /tmp/kexec -S
cat /sys/kernel/kexec_crash_loaded > auto.sys
'''


def test_lockdown(c, series, mem, cpu):
    name = f"lockdown-{series}-{mem}"
    sc = lab.Scenario(series=series, mem=mem, workload="idle", cpu=cpu, mode="script",
                      extra_append="lockdown=integrity", script=LOCKDOWN_SCRIPT)
    res = run(c, name, sc)
    if not res:
        return
    st = Steps(res)
    c.check(f"{name}: the kernel is locked down (integrity)",
            "[integrity]" in st.text("lockdown.txt"), st.text("lockdown.txt"))
    expect(c, st, f"{name}: -p of an untrusted image: exit 1, no fallback to kexec_load", "auto",
           1, err_has=("kexec_file_load: Operation not permitted", "locked down"))
    c.check(f"{name}: and no 'classic path' message (it did not try to fall back)",
            "classic" not in st.err("auto"), st.err("auto"))
    expect(c, st, f"{name}: -s -l: the same refusal", "file", 1,
           err_has=("Operation not permitted", "locked down"))
    expect(c, st, f"{name}: -c (kexec_load) is refused, and says why", "classic", 1,
           err_has=("kexec_load: Operation not permitted", "refuses kexec_load altogether"))
    expect(c, st, f"{name}: -S exits 0: nothing was loaded", "s0", 0)


# ---------------------------------------------------------------- 2. reboot (no crashkernel=)


def test_reboot(c, series, mem, cpu):
    name = f"reboot-{series}-{mem}"
    sc = lab.Scenario(series=series, mem=mem, workload="idle", cpu=cpu, mode="reboot",
                      crashkernel="", script=REBOOT_SCRIPT)
    res = run(c, name, sc)
    if not res:
        return
    st = Steps(res)
    log = res.serial
    first = (res.text("first-cmdline.txt") or "")
    c.check(f"{name}: first kernel booted without crashkernel=",
            first and "crashkernel=" not in first, first)
    expect(c, st, f"{name}: --print-ckr-size prints 0 without a reservation", "ckr", 0,
           out_is="0")
    expect(c, st, f"{name}: -p without a reservation stops with a clear message", "noreserve", 1,
           err_has=("crashkernel", "not reserved"))
    expect(c, st, f"{name}: -S exits 0", "s0", 0)
    expect(c, st, f"{name}: -e with nothing loaded refuses", "nothing", 1,
           err_has=("Nothing has been loaded",))
    expect(c, st, f"{name}: -l loads without any reservation", "loadl", 0,
           err_has=("reboot kernel loaded",))
    # 6.8 and later take KEXEC_FILE_DEBUG (-d): no retry, and the kernel logs the placement
    c.check(f"{name}: -d passes KEXEC_FILE_DEBUG and the kernel logs where segments went",
            "does not take KEXEC_FILE_DEBUG" not in st.err("loadl") and
            "Loaded purgatory at 0x" in st.text("dmesg.txt"), _grep(st.text("dmesg.txt"), "kexec"))
    expect(c, st, f"{name}: -l -S exits 1", "s1l", 1)
    execd = log.find("KDLAB: executing the loaded kernel")
    second = log.find(f"Linux version {res.kernel.release}", max(execd, 0))
    c.check(f"{name}: kexec -e booted the second kernel", execd > 0 and second > execd and
            "KDLAB: second kernel up" in log[second:], _tail(log))
    got = (res.text("second-cmdline.txt") or "").strip()
    c.check(f"{name}: the second kernel's /proc/cmdline is exactly the one given to -l",
            got == f"console=ttyS0 panic=1 loglevel=6 {MARKER}", got)
    c.check(f"{name}: the second kernel is the same release",
            (res.text("second-release.txt") or "").strip() == res.kernel.release)


def _grep(text, pat):
    return "\n".join(line for line in text.splitlines() if pat in line)


def _tail(text, n=25):
    return "\n" + "\n".join(text.splitlines()[-n:])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("crash", "reboot", "status", "lockdown"))
    a = ap.parse_args()
    c = Checks()
    groups = {
        # 6.1 pages with 4 levels, 6.12 with 5 (LA57): both kernels, both paging modes
        "crash": [lambda: test_crash(c, "6.1", "1G", "max,la57=off"),
                  lambda: test_crash(c, "6.12", "512M", "max")],
        "status": [lambda: test_status(c, "6.1", "1G", "max,la57=off")],
        "reboot": [lambda: test_reboot(c, "6.12", "512M", "max")],
        "lockdown": [lambda: test_lockdown(c, "6.12", "512M", "max")],
    }
    for g, fns in groups.items():
        if a.only and g != a.only:
            continue
        for fn in fns:
            fn()
    print(f"lab-kexec: {c.passed} passed, {c.failed} failed", flush=True)
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

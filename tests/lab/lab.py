"""The kdumpkit crash lab: boot a real Debian kernel in QEMU, load a capture kernel, crash the
first kernel for real, let the capture kernel run a capture command, and read its results back.

One scenario = (kernel, memory size, workload, trigger, loader, capture command). run() returns a
Result with the serial log, the files the capture kernel wrote to the lab disk, and timings.
Everything large (kernels, headers, built modules, vmcores) lives in a cache outside the repo:
$KDUMPKIT_LAB_CACHE, /var/cache/kdumpkit-lab by default.
"""

import gzip
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CACHE = os.environ.get("KDUMPKIT_LAB_CACHE", "/var/cache/kdumpkit-lab")

TRIGGERS = ("sysrq", "panic", "oops", "bug", "nmi")
# The range form, as distributions write it: small guests cannot spare 256M (6.12 fails to place
# 256M in a 512M guest).
CRASHKERNEL = "0-1G:192M,1G-:256M"

# What the first kernel's serial log shows for each trigger.
PANIC_PATTERNS = {
    "sysrq": r"Kernel panic - not syncing: sysrq triggered crash",
    "panic": r"Kernel panic - not syncing: kdumpkit-lab: panic requested by crashmod",
    # with panic_on_oops, oops_end() calls crash_kexec() itself: no "Kernel panic" line follows
    "oops": r"BUG: kernel NULL pointer dereference.*?RIP: \S+:kdlab_do_oops",
    "bug": r"kernel BUG at \S*crashmod\.c:\d+.*?invalid opcode.*?RIP: \S+:kdlab_do_bug",
    "nmi": r"Kernel panic - not syncing: NMI: Not continuing",
}


# Strings the crashed kernel's log buffer must hold, found in the vmcore's memory itself.
PANIC_LOG_STRINGS = {
    "sysrq": [b"Kernel panic - not syncing: sysrq triggered crash"],
    "panic": [b"Kernel panic - not syncing: kdumpkit-lab: panic requested by crashmod"],
    # expanded messages only: the bare format strings sit in the kernel's rodata anyway
    "oops": [b"BUG: kernel NULL pointer dereference, address: 0000000000000020",
             b"RIP: 0010:kdlab_do_oops"],
    "bug": [b"RIP: 0010:kdlab_do_bug"],
    "nmi": [b"Kernel panic - not syncing: NMI: Not continuing"],
}
# An NMI panic runs crash_kexec() before the console is flushed: the message is in the log
# buffer (and so in the dump) but the serial console never prints it.
SERIAL_SILENT = {"nmi"}


OVMF = "/usr/share/ovmf/OVMF.fd"


class LabError(Exception):
    pass


def log(msg):
    print(f"[lab] {msg}", flush=True)


# ---------------------------------------------------------------- kernels


@dataclass
class Kernel:
    release: str  # e.g. 6.1.0-56-cloud-amd64
    root: str     # unpacked packages
    vmlinuz: str

    @property
    def series(self):
        return "6.12" if self.release.startswith("6.12.") else "6.1"

    @property
    def moddir(self):
        return os.path.join(self.root, "lib/modules", self.release)

    @property
    def headers(self):
        return os.path.join(self.root, "usr/src", f"linux-headers-{self.release}")


def fetch_kernel(series):
    """series: '6.1' or '6.12'. Downloads once into the cache."""
    out = subprocess.run([os.path.join(HERE, "fetch-kernels.sh"), series], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.split()
    release, d = out[-2], out[-1]
    return Kernel(release, os.path.join(d, "root"), os.path.join(d, "vmlinuz"))


def _elf_section(data, name):
    """Contents of a section of an ELF64 little-endian relocatable object."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise LabError("not an ELF64 object")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def sh(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    stro = sh(shstrndx)[4]
    for i in range(shnum):
        s = sh(i)
        nm = data[stro + s[0]:data.index(b"\0", stro + s[0])].decode()
        if nm == name:
            return data[s[4]:s[4] + s[5]]
    return b""


def _read_module(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        data = lzma.decompress(data)
    return data


def module_load_order(kernel, wanted):
    """The modules (name -> decompressed bytes, in load order) needed for `wanted`, dependencies
    first, skipping what is built into the kernel."""
    paths = {}
    for dirpath, _, files in os.walk(os.path.join(kernel.moddir, "kernel")):
        for f in files:
            m = re.match(r"(.+)\.ko(\.xz)?$", f)
            if m:
                paths[m.group(1).replace("-", "_")] = os.path.join(dirpath, f)
    builtin = set()
    with open(os.path.join(kernel.moddir, "modules.builtin")) as f:
        for line in f:
            builtin.add(os.path.basename(line.strip()).split(".ko")[0].replace("-", "_"))
    order, blobs = [], {}

    def visit(name, stack=()):
        name = name.replace("-", "_")
        if name in blobs or name in builtin:
            return
        if name in stack:
            raise LabError(f"module dependency loop at {name}")
        if name not in paths:
            raise LabError(f"module {name} not found for {kernel.release}")
        data = _read_module(paths[name])
        info = _elf_section(data, ".modinfo").split(b"\0")
        deps = [x[8:].decode() for x in info if x.startswith(b"depends=")]
        for d in (deps[0].split(",") if deps and deps[0] else []):
            visit(d, stack + (name,))
        blobs[name] = data
        order.append(name)

    for w in wanted:
        visit(w)
    return [(n, blobs[n]) for n in order]


def build_crashmod(kernel):
    """Build tests/lab/guest/crashmod against the kernel's Debian headers; cached by source."""
    src = os.path.join(HERE, "guest", "crashmod")
    h = hashlib.sha256()
    for f in sorted(os.listdir(src)):
        if f in ("crashmod.c", "Kbuild"):
            with open(os.path.join(src, f), "rb") as fh:
                h.update(f.encode() + fh.read())
    out = os.path.join(CACHE, "crashmod", kernel.release, h.hexdigest()[:16], "crashmod.ko")
    if os.path.exists(out):
        return out
    work = tempfile.mkdtemp(prefix="crashmod-")
    try:
        for f in ("crashmod.c", "Kbuild"):
            shutil.copy(os.path.join(src, f), work)
        # BTF for modules needs pahole and the vmlinux; the lab has neither and needs no BTF.
        r = subprocess.run(["make", "-s", "-C", kernel.headers, f"M={work}",
                            "CONFIG_DEBUG_INFO_BTF_MODULES=", "modules"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise LabError(f"building crashmod for {kernel.release} failed:\n{r.stdout}")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        shutil.copy(os.path.join(work, "crashmod.ko"), out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


# ---------------------------------------------------------------- initramfs


class Cpio:
    """A newc cpio archive, built in memory (no root, no device nodes needed)."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1000
        self.dirs = set()

    def _entry(self, name, mode, data=b""):
        self.ino += 1
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        self.buf.write(hdr.encode() + nb)
        self.buf.write(b"\0" * ((4 - (110 + len(nb)) % 4) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * ((4 - len(data) % 4) % 4))

    def mkdir(self, path):
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p and p not in self.dirs:
                self.dirs.add(p)
                self._entry(p, 0o40755)

    def add(self, path, data, mode=0o100644):
        path = path.strip("/")
        if "/" in path:
            self.mkdir(os.path.dirname(path))
        self._entry(path, mode, data)

    def add_file(self, path, src, mode=None):
        with open(src, "rb") as f:
            data = f.read()
        if mode is None:
            mode = 0o100755 if os.access(src, os.X_OK) else 0o100644
        self.add(path, data, mode)

    def symlink(self, path, target):
        self.add(path, target.encode(), 0o120777)

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return gzip.compress(self.buf.getvalue(), compresslevel=6)


def _shared_libs(binary):
    out = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, text=True).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r"(/\S+)", line.split("=>")[-1])
        if m and os.path.exists(m.group(1)):
            libs.append(m.group(1))
    return libs


def build_dir():
    return os.environ.get("KDUMPKIT_BUILD", os.path.join(REPO, "build"))


def build_initramfs(kernel, conf, with_boot_files):
    """The lab initramfs: busybox, kdumpkit, the lab helpers, virtio modules, crashmod and
    Debian's kexec (a comparison oracle, and the loader until kdumpkit's own lands).
    with_boot_files adds /boot/vmlinuz and /boot/capture.img for the first kernel."""
    bd = build_dir()
    kdumpkit = os.path.join(bd, "kdumpkit")
    memfill = os.path.join(bd, "tests/lab/guest/lab-memfill")
    for p in (kdumpkit, memfill):
        if not os.path.exists(p):
            raise LabError(f"{p} is missing: build first (meson setup build && ninja -C build)")
    c = Cpio()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "out",
              "lib/modules", "boot"):
        c.mkdir(d)
    c.add_file("bin/busybox", "/bin/busybox", 0o100755)
    c.add_file("init", os.path.join(HERE, "guest", "init.sh"), 0o100755)
    c.add_file("bin/kdumpkit", kdumpkit, 0o100755)
    for a in ("makedumpfile", "vmcore-dmesg", "report", "kdumpctl"):
        c.symlink(f"bin/{a}", "kdumpkit")
    c.add_file("bin/lab-memfill", memfill, 0o100755)
    # Debian's kexec-tools as /usr/sbin/kexec-debian with its shared libraries.
    kexec = shutil.which("kexec") or "/usr/sbin/kexec"
    c.add_file("usr/sbin/kexec-debian", kexec, 0o100755)
    for lib in _shared_libs(kexec):
        real = os.path.realpath(lib)
        c.add_file(lib, real, 0o100755)
    mods = module_load_order(kernel, ["virtio_pci", "virtio_blk"])
    for name, data in mods:
        c.add(f"lib/modules/{name}.ko", data)
    c.add("lib/modules/load-order", ("\n".join(n for n, _ in mods) + "\n").encode())
    c.add_file("lib/modules/crashmod.ko", build_crashmod(kernel))
    c.add("lab.conf", "".join(f"{k}={shell_quote(v)}\n" for k, v in conf.items()).encode())
    base = c.finish()
    if not with_boot_files:
        return base
    b = Cpio()
    b.mkdir("boot")
    b.add_file("boot/vmlinuz", kernel.vmlinuz, 0o100644)
    b.add("boot/capture.img", base)
    # The kernel unpacks concatenated archives in order.
    return base + b.finish()


def shell_quote(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


# ---------------------------------------------------------------- running


@dataclass
class Scenario:
    series: str = "6.1"          # '6.1' or '6.12'
    mem: str = "1G"
    trigger: str = "sysrq"
    workload: str = "mixed"      # mixed | cache | idle
    workload_mb: int = 0         # 0: a size that fits the guest
    capture: str = "cat /proc/vmcore > vmcore"
    # kdumpkit kexec -p; "kdumpkit-classic": the same with -c (kexec_load); "debian":
    # kexec-tools, as an oracle
    loader: str = "kdumpkit"
    # "max" has LA57: the guest kernel uses 5-level paging; "max,la57=off" gives 4 levels
    cpu: str = "max"
    capture_append: str = "console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1"
    timeout: int = 0             # 0: scaled by memory
    # What the guest does (tests/lab/guest/init.sh): "crash" (load, fill, crash, capture);
    # "script": run `script` in the first kernel with the lab disk as its working directory,
    # then power off; "reboot": the same, then `kdumpkit kexec -e` into the kernel the script
    # loaded, whose init records its /proc/cmdline when it carries kdlab_reboot=.
    mode: str = "crash"
    script: str = ""
    firmware: str = "bios"          # "uefi": OVMF (package ovmf), so the kernels run on EFI
    loader_cmd: str = ""            # a shell command that replaces `loader` (the lab disk is
                                    # not mounted when it runs)
    crashkernel: str = CRASHKERNEL  # "": boot the first kernel without crashkernel=
    extra_append: str = ""          # more first-kernel parameters (e.g. lockdown=integrity)
    disk_files: dict = field(default_factory=dict)  # name on the lab disk -> file on the host
    trigger_cpu: str = ""           # sysrq: crash on this CPU (the capture kernel boots there)

    def mem_mb(self):
        m = re.fullmatch(r"(\d+)([MG])", self.mem)
        if not m:
            raise LabError(f"memory size {self.mem}: use e.g. 512M or 4G")
        return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)

    def name(self):
        return f"{self.series}-{self.mem}-{self.workload}-{self.trigger}"


@dataclass
class Result:
    scenario: Scenario
    kernel: Kernel
    workdir: str
    serial: str
    files: dict = field(default_factory=dict)   # name -> path on the host
    seconds: float = 0.0
    exit_status: int = 0

    def file(self, name):
        return self.files.get(name)

    def text(self, name):
        p = self.files.get(name)
        if not p:
            return None
        with open(p, errors="replace") as f:
            return f.read()


def _workload_args(sc):
    usable = sc.mem_mb() - 256 - 160  # crash kernel, kernel + initramfs + slack
    if sc.mem_mb() < 1024:
        usable += 64
    mb = sc.workload_mb or max(32, int(usable * 0.6))
    if sc.workload == "mixed":
        return f"--anon {mb // 2} --cache {mb // 2} /tmp"
    if sc.workload == "anon":
        return f"--anon {mb}"
    if sc.workload == "cache":
        return f"--cache {mb} /tmp"
    if sc.workload == "idle":
        return ""
    raise LabError(f"unknown workload {sc.workload}")


def _loader_cmd(sc):
    append = sc.capture_append
    if sc.loader_cmd:
        return sc.loader_cmd
    if sc.loader == "debian":
        # kexec_file_load first, like kdump-tools; the classic syscall if the kernel refuses
        return ("kexec-debian -s -p /boot/vmlinuz --initrd=/boot/capture.img "
                f"--append={shell_quote(append)} || "
                "kexec-debian -p /boot/vmlinuz --initrd=/boot/capture.img "
                f"--append={shell_quote(append)}")
    if sc.loader == "kdumpkit":
        return (f"kdumpkit kexec -p /boot/vmlinuz --initrd=/boot/capture.img "
                f"--append={shell_quote(append)}")
    if sc.loader == "kdumpkit-classic":
        # the classic kexec_load path: our placement, crash headers and purgatory
        return (f"kdumpkit kexec -d -c -p /boot/vmlinuz --initrd=/boot/capture.img "
                f"--append={shell_quote(append)}")
    raise LabError(f"unknown loader {sc.loader}")


def _make_disk(path, size_mb):
    with open(path, "wb") as f:
        f.truncate(size_mb << 20)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-E", "lazy_itable_init=1,lazy_journal_init=1",
                    "-L", "kdlab", path], check=True)


def _extract_disk(img, dest):
    os.makedirs(dest, exist_ok=True)
    r = subprocess.run(["debugfs", "-R", f"rdump / {dest}", img], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise LabError(f"debugfs rdump failed: {r.stderr}")
    files = {}
    for dirpath, _, names in os.walk(dest):
        for n in names:
            full = os.path.join(dirpath, n)
            files[os.path.relpath(full, dest)] = full
    return files


def _send_monitor(sock_path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path)
    s.recv(4096)
    s.sendall(cmd.encode() + b"\n")
    time.sleep(0.3)
    s.close()


def run(sc, workdir=None, keep_disk=False):
    """Boot, crash, capture. Returns a Result; raises LabError with the serial log's tail when
    the run does not finish in time."""
    kernel = fetch_kernel(sc.series)
    if workdir is None:
        workdir = os.path.join(CACHE, "runs", sc.name())
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    conf = {
        "LAB_TRIGGER": sc.trigger,
        "LAB_WORKLOAD": _workload_args(sc),
        "LAB_LOADER": _loader_cmd(sc),
        "LAB_CAPTURE": sc.capture,
        "LAB_MODE": sc.mode,
        "LAB_SCRIPT": sc.script,
        "LAB_TRIGGER_CPU": sc.trigger_cpu,
    }
    initrd = os.path.join(workdir, "initrd.img")
    with open(initrd, "wb") as f:
        f.write(build_initramfs(kernel, conf, with_boot_files=True))
    disk = os.path.join(workdir, "disk.img")
    _make_disk(disk, sc.mem_mb() + 1024)
    for name, src in sc.disk_files.items():
        subprocess.run(["debugfs", "-w", "-R", f"write {src} {name}", disk], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    serial = os.path.join(workdir, "serial.log")
    mon = os.path.join(workdir, "monitor.sock")
    append = (f"console=ttyS0 {'crashkernel=' + sc.crashkernel + ' ' if sc.crashkernel else ''}"
              "panic=1 loglevel=6 "
              "rdinit=/init" + (" " + sc.extra_append if sc.extra_append else ""))
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", sc.cpu,
           "-smp", "2", "-m", sc.mem, "-kernel", kernel.vmlinuz, "-initrd", initrd,
           "-append", append, "-display", "none", "-no-reboot",
           "-serial", f"file:{serial}", "-monitor", f"unix:{mon},server,nowait",
           "-drive", f"file={disk},format=raw,if=virtio,cache=unsafe"]
    if sc.firmware == "uefi":
        cmd += ["-bios", OVMF]
    timeout = sc.timeout or 120 + sc.mem_mb() * 60 // 1024
    log(f"{sc.name()}: booting {kernel.release} ({sc.mem}, trigger {sc.trigger}, "
        f"workload '{conf['LAB_WORKLOAD'] or 'idle'}', timeout {timeout}s)")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    nmi_sent = False
    try:
        while proc.poll() is None:
            if time.monotonic() - t0 > timeout:
                proc.kill()
                proc.wait()
                raise LabError(f"{sc.name()}: no poweroff within {timeout}s; serial log "
                               f"{serial}:\n{_tail(serial)}")
            if sc.trigger == "nmi" and not nmi_sent and "KDLAB: waiting for NMI" in _read(serial):
                time.sleep(1)
                _send_monitor(mon, "nmi")
                nmi_sent = True
            time.sleep(0.25)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    qemu_out = proc.stdout.read().decode(errors="replace")
    seconds = time.monotonic() - t0
    text = _read(serial)
    if proc.returncode != 0:
        raise LabError(f"{sc.name()}: qemu exited {proc.returncode}: {qemu_out}\n{_tail(serial)}")
    files = _extract_disk(disk, os.path.join(workdir, "out"))
    if not keep_disk:
        os.unlink(disk)
    os.unlink(initrd)
    res = Result(sc, kernel, workdir, text, files, seconds, proc.returncode)
    with open(os.path.join(workdir, "result.json"), "w") as f:
        json.dump({"scenario": sc.__dict__, "release": kernel.release, "seconds": seconds,
                   "files": sorted(files)}, f, indent=1)
    log(f"{sc.name()}: done in {seconds:.1f}s")
    return res


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def _tail(path, n=40):
    return "\n".join(_read(path).splitlines()[-n:])

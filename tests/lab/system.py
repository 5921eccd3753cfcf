"""The system lab: a real Debian bookworm system (systemd, udev, Debian's kernels and initrds)
booted under QEMU TCG, driven by the host, crashed and brought back.

Image: built once with mmdebstrap from Debian's archive (nothing else is contacted), with the lab's
cached 6.1 and 6.12 cloud kernels installed by dpkg (so /boot/vmlinuz-*, /boot/config-* and
/lib/modules/* are real), and Debian's kdump-tools downloaded (not installed) into
/var/lib/kdlab/debs so a run can install it offline. It is cached as an ext4 image in
$KDUMPKIT_LAB_CACHE/system/<key>/, key = hash of the recipe below, the guest files and the kernel
packages; a run boots a sparse copy of it, so the cached image is never written.

Guest control: the second serial port (ttyS1) carries a tiny agent (guest/system/lab-agent) that
runs one command at a time and returns its output and exit status. The console (ttyS0) is read
by a host thread that stamps every line with the host's clock: the timings (panic, capture
kernel, reboot, multi-user) come from there, not from the guest's clock. Every wait is bounded.

Results leave the guest on a spare raw disk (serial "xfer"): the guest writes a tar of a
directory onto the device, the host reads the tar from the image file. No loop mounts, no root
file system access from the host.
"""

import base64
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import threading
import time

import lab

HERE = lab.HERE
CACHE = lab.CACHE
SYSTEM_CACHE = os.path.join(CACHE, "system")
GUEST = os.path.join(HERE, "guest", "system")

SUITE = "bookworm"
MIRRORS = [
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
]
# Minimal: what boots with systemd and what the kdump service touches (file systems for the
# targets, kmod, initramfs-tools for the kernels' own initrds).
PACKAGES = [
    "systemd", "systemd-sysv", "udev", "kmod", "initramfs-tools", "linux-base",
    "e2fsprogs", "xfsprogs", "procps", "util-linux", "zstd",
]
# Downloaded into the image, installed by a run that wants Debian's service instead.
# makedumpfile is only a Recommends of kdump-tools, which apt installs by default: without it
# kdump-tools' capture "saves" an empty dump.
OFFLINE_PACKAGES = ["kdump-tools", "makedumpfile"]
IMAGE_SIZE = "3G"
# Bump when the recipe changes in a way the hash below does not see.
RECIPE = 1

CRASHKERNEL = "256M"


class SystemError_(lab.LabError):
    pass


def log(msg):
    print(f"[system] {msg}", flush=True)


# ---------------------------------------------------------------- the image


def kernel_deb(release):
    for f in sorted(os.listdir(os.path.join(CACHE, "debs"))):
        if f.startswith(f"linux-image-{release}_") and f.endswith(".deb"):
            return os.path.join(CACHE, "debs", f)
    raise SystemError_(f"no linux-image-{release} .deb in {CACHE}/debs: run "
                       "tests/lab/fetch-kernels.sh")


def _hooks():
    """mmdebstrap customize hooks ($1 is the new root, run on the host as root)."""
    agent = os.path.join(GUEST, "lab-agent")
    unit = os.path.join(GUEST, "lab-agent.service")
    return [
        'echo kdlab > "$1/etc/hostname"',
        'printf "127.0.0.1 localhost\\n127.0.1.1 kdlab\\n" > "$1/etc/hosts"',
        # a fixed machine id: no first-boot units, the same image every time
        'echo 6b646c61626b646c61626b646c616201 > "$1/etc/machine-id"',
        # fsck off: the root is dirty after every crash and the journal replay is enough
        'echo "/dev/vda / ext4 rw,errors=remount-ro 0 0" > "$1/etc/fstab"',
        f'install -m 0755 {agent} "$1/usr/local/sbin/lab-agent"',
        f'install -m 0644 {unit} "$1/etc/systemd/system/lab-agent.service"',
        'chroot "$1" systemctl enable lab-agent.service',
        # nothing scheduled behind the test's back
        'chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer '
        'fstrim.timer e2scrub_reap.service systemd-timesyncd.service',
        'passwd -R "$1" -d root',
        # Debian's kdump service, for the comparison runs: downloaded, installed by the run
        'mkdir -p "$1/var/lib/kdlab/debs/partial"',
        'APT_CONFIG="$MMDEBSTRAP_APT_CONFIG" apt-get --yes --download-only '
        '-o Dir::Cache::Archives="$1/var/lib/kdlab/debs/" install ' + " ".join(OFFLINE_PACKAGES),
        'rm -rf "$1/var/lib/kdlab/debs/partial" "$1/var/lib/kdlab/debs/lock"',
    ]


def _recipe(kernels):
    debs = [kernel_deb(k.release) for k in kernels]
    args = ["mmdebstrap", "--mode=root", "--variant=minbase", "--quiet",
            "--include=" + ",".join(PACKAGES)]
    args += [f"--include={d}" for d in debs]
    args += [f"--customize-hook={h}" for h in _hooks()]
    # the key must not depend on where the repository is checked out (CI clones it anew):
    # the guest files' path is left out here, their contents are hashed below
    keyed = [a.replace(GUEST, "<guest>") for a in args]
    h = hashlib.sha256(json.dumps({"recipe": RECIPE, "args": keyed, "mirrors": MIRRORS,
                                   "size": IMAGE_SIZE}).encode())
    for d in debs:
        h.update(f"{os.path.basename(d)} {os.path.getsize(d)}".encode())
    for f in sorted(os.listdir(GUEST)):
        with open(os.path.join(GUEST, f), "rb") as fh:
            h.update(f.encode() + b"\0" + fh.read())
    return args, h.hexdigest()[:16]


class Image:
    """A built system image: the ext4 root and, per kernel release, the image's own vmlinuz
    and initrd (copied out at build time so the host boots them with -kernel/-initrd)."""

    def __init__(self, path):
        self.dir = path
        self.root = os.path.join(path, "root.ext4")
        with open(os.path.join(path, "image.json")) as f:
            self.meta = json.load(f)

    def vmlinuz(self, release):
        return os.path.join(self.dir, f"vmlinuz-{release}")

    def initrd(self, release):
        return os.path.join(self.dir, f"initrd.img-{release}")


def build_image(kernels=None):
    """The cached image for the lab's kernels; built when the recipe's key is new (minutes),
    otherwise found (milliseconds)."""
    if kernels is None:
        kernels = [lab.fetch_kernel("6.1"), lab.fetch_kernel("6.12")]
    args, key = _recipe(kernels)
    out = os.path.join(SYSTEM_CACHE, key)
    if os.path.exists(os.path.join(out, "image.json")):
        return Image(out)
    os.makedirs(SYSTEM_CACHE, exist_ok=True)
    with open(os.path.join(SYSTEM_CACHE, ".lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(out, "image.json")):
            return Image(out)
        tmp = out + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        rootdir = os.path.join(tmp, "rootdir")
        log(f"building the bookworm image {key} with mmdebstrap (minutes, once)")
        t0 = time.monotonic()
        r = subprocess.run(args + [SUITE, rootdir] + MIRRORS, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise SystemError_(f"mmdebstrap failed ({r.returncode}):\n{r.stdout[-3000:]}")
        meta = {"key": key, "kernels": {}, "packages": PACKAGES,
                "offline": sorted(os.listdir(os.path.join(rootdir, "var/lib/kdlab/debs")))}
        for k in kernels:
            for f in (f"vmlinuz-{k.release}", f"initrd.img-{k.release}"):
                src = os.path.join(rootdir, "boot", f)
                if not os.path.exists(src):
                    raise SystemError_(f"the image has no /boot/{f}")
                shutil.copy(src, os.path.join(tmp, f))
            meta["kernels"][k.series] = k.release
        dpkg = subprocess.run(["dpkg-query", f"--admindir={rootdir}/var/lib/dpkg", "-W",
                               "-f", "${Package} ${Version}\\n"], stdout=subprocess.PIPE,
                              text=True, check=True).stdout
        with open(os.path.join(tmp, "packages.txt"), "w") as f:
            f.write(dpkg)
        r = subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "kdlab-root", "-d", rootdir,
                            os.path.join(tmp, "root.ext4"), IMAGE_SIZE],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise SystemError_(f"mkfs.ext4 -d failed:\n{r.stdout}")
        shutil.rmtree(rootdir)
        meta["build_seconds"] = round(time.monotonic() - t0, 1)
        with open(os.path.join(tmp, "image.json"), "w") as f:
            json.dump(meta, f, indent=1)
        os.rename(tmp, out)
        log(f"image {key} built in {meta['build_seconds']}s")
    return Image(out)


def build_kdump_tools_twin(image, series="6.1"):
    """The comparison image: the same system with Debian's kdump-tools installed by dpkg in the
    booted guest (USE_KDUMP=1) and its kdump initrd made for `series`' kernel by kdump-config
    there, then powered off cleanly and cached. Making that initrd takes minutes under TCG, so
    it is done once per base image."""
    out = os.path.join(image.dir, f"twin-kdump-tools-{series}")
    if os.path.exists(os.path.join(out, "image.json")):
        return Image(out)
    with open(os.path.join(SYSTEM_CACHE, ".lock-twin"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(out, "image.json")):
            return Image(out)
        tmp = out + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        work = os.path.join(CACHE, "runs", "system-twin-build")
        shutil.rmtree(work, ignore_errors=True)
        g = Guest(image, series, work)
        t0 = time.monotonic()
        g.start()
        try:
            g.wait_up()
            # The host boots the initrds copied out at image build time: initramfs-tools'
            # trigger rebuilding /boot/initrd.img-* (minutes under TCG) would go unused.
            g.out("sed -i 's/^update_initramfs=.*/update_initramfs=no/' "
                  "/etc/initramfs-tools/update-initramfs.conf")
            # kdump-tools' postinst starts its service, which makes the kdump initrd
            g.out("export DEBIAN_FRONTEND=noninteractive; dpkg -i /var/lib/kdlab/debs/*.deb",
                  timeout=2400)
            g.out("sed -i 's/^USE_KDUMP=.*/USE_KDUMP=1/' /etc/default/kdump-tools && "
                  "systemctl restart kdump-tools && kdump-config status", timeout=1200)
            g.out("systemctl poweroff --no-block")
            g.proc.wait(timeout=120)
        finally:
            if g.proc.poll() is None:
                g.proc.kill()
                g.proc.wait()
        os.makedirs(tmp)
        os.rename(os.path.join(work, "root.ext4"), os.path.join(tmp, "root.ext4"))
        for f in os.listdir(image.dir):
            if f.startswith(("vmlinuz-", "initrd.img-")):
                os.link(os.path.join(image.dir, f), os.path.join(tmp, f))
        meta = dict(image.meta, twin="kdump-tools", twin_series=series,
                    build_seconds=round(time.monotonic() - t0, 1))
        with open(os.path.join(tmp, "image.json"), "w") as f:
            json.dump(meta, f, indent=1)
        os.rename(tmp, out)
        log(f"kdump-tools twin built in {meta['build_seconds']}s")
    return Image(out)


# ---------------------------------------------------------------- the guest


class Console(threading.Thread):
    """Reads the guest console from QEMU's socket; every line gets the host's monotonic time."""

    def __init__(self, sock_path, log_path):
        super().__init__(daemon=True)
        self.sock_path = sock_path
        self.log_path = log_path
        self.lines = []          # (host time, text)
        self.lock = threading.Lock()
        self.sock = None

    def connect(self, timeout=20):
        end = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock_path)
                self.sock = s
                return
            except OSError:
                s.close()
                if time.monotonic() > end:
                    raise SystemError_(f"QEMU's console socket {self.sock_path} never appeared")
                time.sleep(0.05)

    def run(self):
        buf = b""
        with open(self.log_path, "wb") as raw, \
                open(self.log_path + ".ts", "w") as ts:
            while True:
                try:
                    data = self.sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    break
                raw.write(data)
                raw.flush()
                buf += data
                now = time.monotonic()
                *done, buf = buf.split(b"\n")
                with self.lock:
                    for line in done:
                        text = line.decode(errors="replace").rstrip("\r")
                        self.lines.append((now, text))
                        ts.write(f"{now:.3f} {text}\n")
                ts.flush()

    def find(self, pattern, start=0):
        """(index, time, text) of the first line from `start` matching the regex, or None."""
        rx = re.compile(pattern)
        with self.lock:
            for i in range(start, len(self.lines)):
                if rx.search(self.lines[i][1]):
                    return i, self.lines[i][0], self.lines[i][1]
        return None

    def count(self):
        with self.lock:
            return len(self.lines)

    def tail(self, n=40):
        with self.lock:
            return "\n".join(t for _, t in self.lines[-n:])


class Guest:
    """One booted system: QEMU, its console, its agent."""

    def __init__(self, image, series, workdir, disks=(), mem="1G", crashkernel=CRASHKERNEL,
                 append=""):
        self.image = image
        self.series = series
        self.release = image.meta["kernels"][series]
        self.workdir = workdir
        self.disks = list(disks)  # (serial, raw image path)
        self.mem = mem
        self.crashkernel = crashkernel
        self.append = append
        self.proc = None
        self.console = None
        self.agent = None
        self.agent_buf = b""
        self.seq = 0

    # -- lifetime

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        # a private copy of the cached root (sparse: about 600 MB of data, a few seconds)
        root = os.path.join(self.workdir, "root.ext4")
        subprocess.run(["cp", "--sparse=always", self.image.root, root], check=True)
        self.xfer = os.path.join(self.workdir, "xfer.img")
        with open(self.xfer, "wb") as f:
            f.truncate(1 << 30)
        con = os.path.join(self.workdir, "console.sock")
        agent = os.path.join(self.workdir, "agent.sock")
        mon = os.path.join(self.workdir, "monitor.sock")
        for p in (con, agent, mon):
            if os.path.exists(p):
                os.unlink(p)
        # 6.1 pages with 4 levels as in run_lab.py (crash reads it); 6.12 with 5
        cpu = "max,la57=off" if self.series == "6.1" else "max"
        append = (f"root=/dev/vda rw console=ttyS0 crashkernel={self.crashkernel} "
                  f"{self.append}").strip()
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", cpu,
               "-smp", "2", "-m", self.mem, "-display", "none", "-nic", "none",
               "-kernel", self.image.vmlinuz(self.release),
               "-initrd", self.image.initrd(self.release), "-append", append,
               "-chardev", f"socket,id=con,path={con},server=on,wait=on",
               "-serial", "chardev:con",
               "-chardev", f"socket,id=agent,path={agent},server=on,wait=off",
               "-serial", "chardev:agent",
               "-monitor", f"unix:{mon},server,nowait",
               ]
        # vda: the root; then the xfer disk; then the scenario's disks (by-id/virtio-SERIAL)
        for n, (serial, path) in enumerate([("root", root), ("xfer", self.xfer)] + self.disks):
            cmd += ["-drive", f"file={path},format=raw,if=none,id=d{n},cache=unsafe",
                    "-device", f"virtio-blk-pci,drive=d{n},serial={serial}"]
        with open(os.path.join(self.workdir, "qemu.cmd"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        log(f"booting {self.release} ({self.mem}, crashkernel={self.crashkernel}) in "
            f"{self.workdir}")
        self.qemu_log = open(os.path.join(self.workdir, "qemu.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.qemu_log,
                                     stderr=subprocess.STDOUT)
        self.t_start = time.monotonic()
        self.console = Console(con, os.path.join(self.workdir, "serial.log"))
        self.console.connect()
        self.console.start()
        end = time.monotonic() + 20
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(agent)
                break
            except OSError:
                s.close()
                if time.monotonic() > end or self.proc.poll() is not None:
                    self.stop()
                    raise SystemError_("QEMU's agent socket never appeared: "
                                       + _read(os.path.join(self.workdir, "qemu.log")))
                time.sleep(0.05)
        self.agent = s

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.run("systemctl poweroff --no-block", timeout=10)
                self.proc.wait(timeout=60)
            except (lab.LabError, subprocess.TimeoutExpired):
                pass
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.agent:
            self.agent.close()
        for p in ("root.ext4", "xfer.img"):
            path = os.path.join(self.workdir, p)
            if os.path.exists(path):
                os.unlink(path)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def alive(self):
        return self.proc.poll() is None

    # -- the agent

    def _send(self, script):
        self.seq += 1
        rid = f"r{self.seq}"
        line = f"{rid} {base64.b64encode(script.encode()).decode()}\n".encode()
        self.agent.sendall(line)
        return rid

    def _answer(self, rid, timeout):
        end = time.monotonic() + timeout
        begin = f"@@BEGIN {rid}".encode()
        while True:
            m = re.search(rb"@@BEGIN " + rid.encode() + rb"\r?\n([A-Za-z0-9+/=]*)\r?\n@@END "
                          + rid.encode() + rb" (\d+)\r?\n", self.agent_buf)
            if m:
                self.agent_buf = self.agent_buf[m.end():]
                return int(m.group(2)), base64.b64decode(m.group(1)).decode(errors="replace")
            # keep only what may still hold our answer
            k = self.agent_buf.rfind(begin)
            if k > 0:
                self.agent_buf = self.agent_buf[k:]
            elif k < 0 and len(self.agent_buf) > 64:
                self.agent_buf = self.agent_buf[-64:]
            left = end - time.monotonic()
            if left <= 0 or not self.alive():
                return None
            self.agent.settimeout(min(left, 1.0))
            try:
                data = self.agent.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise SystemError_("the agent socket closed (QEMU exited?)")
            self.agent_buf += data

    def run(self, script, timeout=60, check=False):
        """Run a bash script in the guest: (exit status, output)."""
        rid = self._send(script)
        ans = self._answer(rid, timeout)
        if ans is None:
            raise SystemError_(f"guest command timed out after {timeout}s: {script[:200]!r}\n"
                               f"console:\n{self.console.tail()}")
        if check and ans[0] != 0:
            raise SystemError_(f"guest command failed ({ans[0]}): {script[:200]!r}\n{ans[1]}")
        return ans

    def out(self, script, timeout=60):
        return self.run(script, timeout, check=True)[1]

    def send_nowait(self, script):
        self._send(script)

    def wait_up(self, timeout=400, not_boot_id=None):
        """Until the agent answers and systemd has finished booting (multi-user reached):
        returns the boot id."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.alive():
                raise SystemError_(f"QEMU exited ({self.proc.returncode}) while waiting for the "
                                   f"guest:\n{self.console.tail()}")
            try:
                ans = self._answer(self._send(
                    "systemctl is-system-running --wait >/dev/null; "
                    "cat /proc/sys/kernel/random/boot_id"), min(20, end - time.monotonic()))
            except SystemError_:
                raise
            if ans and ans[0] == 0:
                bid = ans[1].strip()
                if bid != not_boot_id:
                    return bid
            time.sleep(1)
        raise SystemError_(f"the guest was not up within {timeout}s:\n{self.console.tail()}")

    def wait_console(self, pattern, start, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            hit = self.console.find(pattern, start)
            if hit:
                return hit
            if not self.alive():
                break
            time.sleep(0.2)
        raise SystemError_(f"{what}: /{pattern}/ not on the console within {timeout}s:\n"
                           f"{self.console.tail()}")

    # -- files out

    def fetch_dir(self, guest_dir, dest, timeout=300):
        """Copy a guest directory to `dest` on the host through the xfer disk."""
        self.out("set -e; dev=/dev/disk/by-id/virtio-xfer; "
                 f"tar -C {shq(os.path.dirname(guest_dir.rstrip('/')))} -cf $dev "
                 f"{shq(os.path.basename(guest_dir.rstrip('/')))}; sync; blockdev --flushbufs $dev",
                 timeout=timeout)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        with open(self.xfer, "rb") as f, tarfile.open(fileobj=f, mode="r:") as t:
            t.extractall(dest, filter="fully_trusted") if hasattr(tarfile, "data_filter") \
                else t.extractall(dest)
        return os.path.join(dest, os.path.basename(guest_dir.rstrip("/")))

    def put_file(self, src, guest_path, timeout=300):
        """Copy a host file into the guest through the xfer disk."""
        size = os.path.getsize(src)
        with open(src, "rb") as s, open(self.xfer, "r+b") as d:
            shutil.copyfileobj(s, d)
            d.flush()
            os.fsync(d.fileno())
        self.out(f"set -e; blockdev --flushbufs /dev/disk/by-id/virtio-xfer; "
                 f"head -c {size} /dev/disk/by-id/virtio-xfer > {shq(guest_path)}",
                 timeout=timeout)


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def shq(s):
    return lab.shell_quote(s)


# ---------------------------------------------------------------- a crash cycle


def crash_cycle(g, boot_id, up_timeout=900):
    """sysrq-crash the guest, follow the console through the capture kernel and the reboot,
    wait for multi-user. Returns the timings (host clock) and the new boot id."""
    start = g.console.count()
    g.send_nowait("sync; echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger")
    i_p, t_p, _ = g.wait_console(r"Kernel panic - not syncing: sysrq triggered crash", start,
                                 120, "the panic")
    i_c, t_c, _ = g.wait_console(r"Linux version \d", i_p, 300, "the capture kernel's boot")
    i_r, t_r, _ = g.wait_console(r"reboot: (Restarting system|Power down)", i_c, up_timeout,
                                 "the capture kernel's reboot")
    # kdumpkit's capture says "saved /path/vmcore", kdump-tools' "saved vmcore in /path"
    saved = g.console.find(r"\bsaved (/\S+|vmcore in )", i_c)
    i_b, t_b, _ = g.wait_console(r"Linux version \d", i_r, 300, "the system's reboot")
    new_id = g.wait_up(up_timeout, not_boot_id=boot_id)
    hit = g.console.find(r"Reached target .*Multi-User System", i_b)
    t_up = hit[1] if hit else time.monotonic()
    return {"panic_to_capture_boot": round(t_c - t_p, 1),
            "panic_to_dump_saved": round(saved[1] - t_p, 1) if saved and saved[0] < i_r
            else None,
            "panic_to_capture_done": round(t_r - t_p, 1),
            "panic_to_multi_user": round(t_up - t_p, 1),
            "capture_lines": (i_c, i_r)}, new_id

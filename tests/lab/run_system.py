#!/usr/bin/env python3
"""System-lab tests: kdumpkit's Debian package on a real bookworm system (tests/lab/system.py),
crashed with sysrq and brought back by its own capture initramfs, every dump read on the host.

  run_system.py                  6.1 and 6.12 sessions (the README's test command runs this)
  run_system.py --series 6.1     one kernel
  run_system.py --compare 3      also Debian's kdump-tools on the same image (6.1), 3 crashes, and
                                 kdumpkit's numbers beside them (initramfs size, panic to
                                 multi-user)
  run_system.py --deb FILE       use this .deb instead of building one from this tree

One booted system serves several scenarios (a TCG boot costs a minute):
  6.1 : install with dpkg; the unit loaded; kdump-tools personality (/etc/default/kdump-tools,
        KDUMP_NUM_DUMPS=2) over three crashes: the dumps read by crash, their dmesg and report,
        rotation; kdump.conf: xfs by UUID on a second disk, raw target recovered at the next
        boot, a target too small (vmcore-incomplete kept, failure_action, back up); a
        configuration error from `kdumpctl start` (file:line, nothing loaded).
  6.12: install; kdump.conf on the root file system; one crash, the dump read by drgn.
Ends with "system lab: N passed, N failed". Runs and serial logs: $KDUMPKIT_LAB_CACHE/runs/system-*.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
import system  # noqa: E402
from checks import Checks  # noqa: E402

REPO = lab.REPO
RUNS = os.path.join(lab.CACHE, "runs")
UP = 900       # boot to multi-user, bounded (TCG on a busy machine)
CMD = 300      # one guest command


# ---------------------------------------------------------------- what the tests need


def host_kdumpkit():
    """The host's kdumpkit (vmcore-dmesg of the saved dumps), built from this tree."""
    bd = lab.build_dir()
    exe = os.path.join(bd, "kdumpkit")
    if not os.path.isdir(bd):
        subprocess.run(["meson", "setup", bd], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", bd, "-j2", "kdumpkit"], check=True, stdout=subprocess.DEVNULL)
    return exe


def tree_hash():
    """The package's inputs: the files git tracks or would track, minus tests/ other than
    tests/package/ (the package build does not build the tests)."""
    names = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "-co", "--exclude-standard"],
                           stdout=subprocess.PIPE, check=True).stdout.split(b"\0")
    h = hashlib.sha256()
    for n in sorted(x.decode() for x in names if x):
        if n.startswith("tests/") and not n.startswith("tests/package/"):
            continue
        p = os.path.join(REPO, n)
        if os.path.islink(p):
            h.update(f"{n} -> {os.readlink(p)}\0".encode())
        elif os.path.isfile(p):
            with open(p, "rb") as f:
                h.update(n.encode() + b"\0" + hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]


def build_deb():
    """tests/package/build-deb.sh from this tree, cached by the tree's contents."""
    out = os.path.join(system.SYSTEM_CACHE, "deb", tree_hash())
    done = os.path.join(out, "deb-path")
    if os.path.exists(done):
        with open(done) as f:
            deb = f.read().strip()
        if os.path.exists(deb):
            return deb
    script = os.path.join(REPO, "tests/package/build-deb.sh")
    if not os.path.exists(script):
        raise lab.LabError(f"{script} is missing: pass --deb")
    system.log(f"building the .deb with {script} (minutes, once per tree)")
    r = subprocess.run([script, out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise lab.LabError(f"build-deb.sh failed:\n{r.stderr[-3000:]}")
    deb = r.stdout.strip().splitlines()[-1]
    with open(done, "w") as f:
        f.write(deb + "\n")
    return deb


def debug_vmlinux(release):
    r = subprocess.run([os.path.join(lab.HERE, "fetch-debug.sh"), release],
                       stdout=subprocess.PIPE, text=True)
    path = os.path.join(lab.CACHE, "debug", f"vmlinux-{release}")
    return path if r.returncode == 0 and os.path.exists(path) else None


def make_disk(path, size_mb, fs=None, uuid=None):
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(size_mb << 20)
    if fs == "xfs":
        subprocess.run(["mkfs.xfs", "-q", "-f", "-m", f"uuid={uuid}", path], check=True)
    elif fs == "ext4":
        subprocess.run(["mkfs.ext4", "-q", "-F", "-U", uuid, path], check=True)
    return path


# ---------------------------------------------------------------- checks on a dump


def check_dump(c, name, d, release, series, host_exe, vmlinux, oracle=True, capture_log=True):
    """A dump directory copied out of the guest: complete, its dmesg equal to vmcore-dmesg of
    its vmcore, its report naming the sysrq crash, and (oracle) the vmcore read by crash
    (6.1) or drgn (6.12)."""
    files = sorted(os.listdir(d)) if d and os.path.isdir(d) else []
    vm = [f for f in files if f == "vmcore" or re.fullmatch(r"dump\.\d{12}", f)]
    dm = [f for f in files if f == "vmcore-dmesg.txt" or re.fullmatch(r"dmesg\.\d{12}", f)]
    c.check(f"{name}: dump directory has no *-incomplete file",
            not any(f.endswith("-incomplete") for f in files), " ".join(files))
    if not c.check(f"{name}: vmcore saved", len(vm) == 1, " ".join(files)):
        return
    vmcore = os.path.join(d, vm[0])
    r = subprocess.run([host_exe, "vmcore-dmesg", vmcore], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    saved = open(os.path.join(d, dm[0]), errors="replace").read() if dm else None
    c.check(f"{name}: saved dmesg identical to `kdumpkit vmcore-dmesg` of the vmcore",
            r.returncode == 0 and saved is not None and saved == r.stdout and
            "sysrq triggered crash" in saved,
            f"rc {r.returncode} {r.stderr[-200:]}; saved {dm}")
    rep = open(os.path.join(d, "report.txt"), errors="replace").read() \
        if "report.txt" in files else ""
    c.check(f"{name}: report.txt names the sysrq crash", re.search(r"sysrq", rep, re.I) is not None,
            rep[:300])
    if capture_log:
        c.check(f"{name}: report.json and kexec-dmesg.log beside it",
                "report.json" in files and "kexec-dmesg.log" in files, " ".join(files))
    else:
        c.check(f"{name}: report.json beside it", "report.json" in files, " ".join(files))
    if not oracle:
        return
    import check_collector as cc
    if not vmlinux:
        c.check(f"{name}: debug vmlinux for the oracle", False, "tests/lab/fetch-debug.sh")
        return
    if series == "6.1":
        out, r = cc.crash_outputs(vmlinux, vmcore)
        sys_ = out.get("sys", "")
        c.check(f"{name}: crash reads the vmcore (sys: release, sysrq panic)",
                release in sys_ and "sysrq" in sys_ and "PANIC" in sys_,
                (sys_ or r.stderr)[-500:])
        c.check(f"{name}: crash bt -a shows sysrq_handle_crash",
                "sysrq_handle_crash" in out.get("bt -a", ""), out.get("bt -a", "")[-400:])
        c.check(f"{name}: crash log holds the panic",
                "sysrq triggered crash" in out.get("log", ""))
    else:
        view, err = cc.drgn_view(vmlinux, vmcore)
        c.check(f"{name}: drgn reads the vmcore (init_uts_ns release)",
                view is not None and view["uts"]["release"] == release, err)
        c.check(f"{name}: drgn's printk records hold the panic",
                view is not None and any("sysrq triggered crash" in t for _, t in view["printk"]))
        c.check(f"{name}: drgn lists the tasks (systemd as pid 1)",
                view is not None and any(p == 1 and comm == "systemd"
                                         for p, comm, _ in view["tasks"]))


# ---------------------------------------------------------------- guest steps


def install(c, g, deb, tag):
    g.put_file(deb, "/root/kdumpkit.deb")
    rc, out = g.run("DEBIAN_FRONTEND=noninteractive dpkg -i /root/kdumpkit.deb", timeout=CMD)
    c.check(f"{tag}: dpkg -i kdumpkit (maintainer scripts run in the guest)", rc == 0, out[-800:])
    rc, out = g.run("systemctl is-active kdumpkit.service; kdumpctl status", timeout=CMD)
    return c.check(f"{tag}: kdumpkit.service started by the package, `kdumpctl status` says "
                   "loaded", rc == 0 and "active" in out, out[-600:])


def status_after_boot(c, g, tag, tool="kdumpctl"):
    rc, out = g.run(f"systemctl is-active kdumpkit.service; {tool} status", timeout=CMD)
    c.check(f"{tag}: the unit loaded at boot (`{tool} status` exits 0)", rc == 0, out[-600:])
    return out


def dump_dirs(g, where):
    rc, out = g.run(f"ls -1 {system.shq(where)} 2>/dev/null", timeout=CMD)
    return [x for x in out.split() if x and x != "lost+found"]


def crash(c, g, tag, boot_id, timings):
    """One crash cycle; None when the machine did not come back (the session is over)."""
    try:
        tm, new = system.crash_cycle(g, boot_id, up_timeout=UP)
    except lab.LabError as e:
        c.check(f"{tag}: crashed, captured, rebooted by itself, back at multi-user", False,
                str(e)[-3000:])
        return None
    c.check(f"{tag}: crashed, captured, rebooted by itself, back at multi-user", True)
    i_c, i_r = tm.pop("capture_lines")
    timings.append(dict(tm, tag=tag))
    system.log(f"{tag}: {tm}")
    return new


def fetch(g, guest_dir, tag):
    dest = os.path.join(g.workdir, "dumps", re.sub(r"[^A-Za-z0-9_.-]", "_", tag))
    return g.fetch_dir(guest_dir, dest)


KDUMP_TOOLS_DEFAULT = """# written by the system lab
USE_KDUMP=1
KDUMP_COREDIR="/var/crash"
KDUMP_NUM_DUMPS=2
"""


def write(g, path, text):
    g.out(f"cat > {system.shq(path)} <<'KDLAB_EOF'\n{text}KDLAB_EOF\n", timeout=CMD)


def session_61(c, image, deb, host_exe, vmlinux, timings, sizes):
    rel = image.meta["kernels"]["6.1"]
    work = os.path.join(RUNS, "system-6.1")
    os.makedirs(work, exist_ok=True)
    xfs_uuid = "4b444c41-4258-4653-8000-000000000001"
    small_uuid = "4b444c41-4253-4d4c-8000-000000000002"
    disks = [("kdxfs", make_disk(os.path.join(work, "xfs.img"), 320, "xfs", xfs_uuid)),
             ("kdraw", make_disk(os.path.join(work, "raw.img"), 512)),
             ("kdsmall", make_disk(os.path.join(work, "small.img"), 12, "ext4", small_uuid))]
    g = system.Guest(image, "6.1", work, disks=disks)
    g.start()
    try:
        boot = g.wait_up(UP)
        c.check("6.1: booted the bookworm system to multi-user", True)
        if not install(c, g, deb, "6.1"):
            # recorded above; the scenarios below each restart the service themselves
            g.run("mkdir -p /var/crash", timeout=CMD)

        # -- kdump-tools personality, rotation over three crashes
        write(g, "/etc/default/kdump-tools", KDUMP_TOOLS_DEFAULT)
        g.out("printf '# emptied by the system lab: kdump-tools personality\\n' > /etc/kdump.conf")
        rc, out = g.run("kdumpctl restart && kdump-config status && kdump-config show",
                        timeout=CMD)
        loaded = c.check("6.1 kdump-tools: restart with /etc/default/kdump-tools, "
                         "`kdump-config status` loaded", rc == 0, out[-800:])
        sizes["kdumpkit-show"] = out
        rc, out = g.run("ls -lR /var/lib/kdumpkit", timeout=CMD)
        sizes["kdumpkit-listing"] = out
        seen = []
        for n in (1, 2, 3) if loaded else ():
            tag = f"6.1 kdump-tools crash {n}"
            boot = crash(c, g, tag, boot, timings)
            if boot is None:
                return
            status_after_boot(c, g, tag, "kdump-config")
            dirs = dump_dirs(g, "/var/crash")
            new = [x for x in dirs if x not in seen]
            c.check(f"{tag}: one new dump directory named YYYYMMDDHHMM",
                    len(new) == 1 and re.fullmatch(r"\d{12}", new[0]) is not None,
                    f"before {seen}, now {dirs}")
            if len(new) == 1:
                d = fetch(g, f"/var/crash/{new[0]}", tag)
                check_dump(c, tag, d, rel, "6.1", host_exe, vmlinux, oracle=(n == 1))
                seen.append(new[0])
        if loaded:
            dirs = dump_dirs(g, "/var/crash")
            c.check("6.1 kdump-tools: KDUMP_NUM_DUMPS=2 kept the two newest dumps of three",
                    len(seen) == 3 and sorted(dirs) == sorted(seen[-2:]),
                    f"dumps {seen}, left {dirs}")

        # -- kdump.conf: xfs by UUID on a second disk
        write(g, "/etc/default/kdump-tools", "# the system lab: kdump.conf personality\n")
        write(g, "/etc/kdump.conf", f"xfs UUID={xfs_uuid}\npath /dumps\n")
        rc, out = g.run("kdumpctl restart && kdumpctl status", timeout=CMD)
        if c.check("6.1 xfs: `kdumpctl restart` with an xfs target by UUID", rc == 0, out[-800:]):
            tag = "6.1 xfs by UUID"
            boot = crash(c, g, tag, boot, timings)
            if boot is None:
                return
            status_after_boot(c, g, tag)
            g.out(f"mkdir -p /mnt/x && mount UUID={xfs_uuid} /mnt/x", timeout=CMD)
            dirs = dump_dirs(g, "/mnt/x/dumps")
            c.check(f"{tag}: one dump directory 127.0.0.1-YYYY-MM-DD-HH:MM:SS on the xfs disk",
                    len(dirs) == 1 and re.fullmatch(r"127\.0\.0\.1-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d",
                                                    dirs[0]) is not None, str(dirs))
            if dirs:
                d = fetch(g, f"/mnt/x/dumps/{dirs[0]}", tag)
                check_dump(c, tag, d, rel, "6.1", host_exe, vmlinux, oracle=False)
            g.run("umount /mnt/x", timeout=CMD)

        # -- raw target, recovered by the next boot's `kdumpctl start`
        write(g, "/etc/kdump.conf", "raw /dev/disk/by-id/virtio-kdraw\n")
        before = dump_dirs(g, "/var/crash")
        rc, out = g.run("kdumpctl restart && kdumpctl status", timeout=CMD)
        if c.check("6.1 raw: `kdumpctl restart` with a raw target", rc == 0, out[-800:]):
            tag = "6.1 raw"
            boot = crash(c, g, tag, boot, timings)
            if boot is None:
                return
            status_after_boot(c, g, tag)
            new = [x for x in dump_dirs(g, "/var/crash") if x not in before]
            c.check(f"{tag}: the next boot reassembled the dump into /var/crash", len(new) == 1,
                    str(new))
            if len(new) == 1:
                rc, out = g.run("head -c 4096 /dev/disk/by-id/virtio-kdraw | tr -d '\\0' | "
                                "wc -c", timeout=CMD)
                c.check(f"{tag}: block 0 of the raw device cleared after recovery",
                        rc == 0 and out.strip() == "0", out)
                d = fetch(g, f"/var/crash/{new[0]}", tag)
                # the raw device holds the dump's stream alone: the capture kernel's own log
                # has nowhere to go, so a recovered dump has no kexec-dmesg.log
                check_dump(c, tag, d, rel, "6.1", host_exe, vmlinux, oracle=False,
                           capture_log=False)

        # -- a target too small: the dump stays vmcore-incomplete, failure_action, back up
        write(g, "/etc/kdump.conf",
              f"ext4 UUID={small_uuid}\npath /dumps\nfailure_action reboot\n")
        rc, out = g.run("kdumpctl restart && kdumpctl status", timeout=CMD)
        if c.check("6.1 too small: `kdumpctl restart` with a 12 MiB ext4 target", rc == 0,
                   out[-800:]):
            tag = "6.1 target too small"
            start = g.console.count()
            boot = crash(c, g, tag, boot, timings)
            if boot is None:
                return
            status_after_boot(c, g, tag)
            g.out(f"mkdir -p /mnt/s && mount UUID={small_uuid} /mnt/s", timeout=CMD)
            rc, out = g.run("cd /mnt/s/dumps && ls -l */", timeout=CMD)
            c.check(f"{tag}: vmcore-incomplete kept, no vmcore",
                    "vmcore-incomplete" in out and not re.search(r" vmcore$", out, re.M), out)
            cap = "\n".join(t for _, t in g.console.lines[start:])
            c.check(f"{tag}: the capture console says the dump failed and takes failure_action "
                    "reboot", re.search(r"(?i)failure_action|fail", cap) is not None and
                    re.search(r"(?i)no space|ENOSPC", cap) is not None, cap[-1500:])
            g.run("umount /mnt/s", timeout=CMD)

        # -- a configuration error: file:line, nothing loaded
        g.run("kdumpctl stop", timeout=CMD)
        write(g, "/etc/kdump.conf", "path /var/crash\n# a removed directive below\n"
              "blacklist virtio_blk\n")
        rc, out = g.run("kdumpctl start", timeout=CMD)
        c.check("6.1 config error: `kdumpctl start` fails quoting /etc/kdump.conf:3",
                rc != 0 and "/etc/kdump.conf:3" in out, f"rc {rc}: {out[-600:]}")
        rc2, out2 = g.run("kdumpctl status; echo rc=$?; cat /sys/kernel/kexec_crash_loaded",
                          timeout=CMD)
        c.check("6.1 config error: nothing loaded (`kdumpctl status` exits 3, "
                "kexec_crash_loaded 0)", out2.split()[-2:] == ["rc=3", "0"], out2[-400:])
    except lab.LabError as e:
        c.check("6.1: session completed", False, str(e)[-3000:])
    finally:
        g.stop()


def session_612(c, image, deb, host_exe, vmlinux, timings):
    rel = image.meta["kernels"]["6.12"]
    work = os.path.join(RUNS, "system-6.12")
    g = system.Guest(image, "6.12", work)
    g.start()
    try:
        boot = g.wait_up(UP)
        c.check("6.12: booted the bookworm system to multi-user", True)
        if not install(c, g, deb, "6.12"):
            g.run("mkdir -p /var/crash", timeout=CMD)
            rc, out = g.run("kdumpctl start", timeout=CMD)
            if not c.check("6.12: `kdumpctl start` after the failed install start", rc == 0,
                           out[-600:]):
                return
        tag = "6.12 kdump.conf crash"
        boot = crash(c, g, tag, boot, timings)
        if boot is None:
            return
        status_after_boot(c, g, tag)
        dirs = dump_dirs(g, "/var/crash")
        c.check(f"{tag}: one dump directory 127.0.0.1-YYYY-MM-DD-HH:MM:SS in /var/crash",
                len(dirs) == 1 and dirs[0].startswith("127.0.0.1-"), str(dirs))
        if dirs:
            d = fetch(g, f"/var/crash/{dirs[0]}", tag)
            check_dump(c, tag, d, rel, "6.12", host_exe, vmlinux)
    except lab.LabError as e:
        c.check("6.12: session completed", False, str(e)[-3000:])
    finally:
        g.stop()


def compare(c, image, runs, timings, sizes):
    """Debian's kdump-tools on the twin image: the same crash cycle, `runs` times."""
    twin = system.build_kdump_tools_twin(image)
    rel = image.meta["kernels"]["6.1"]
    work = os.path.join(RUNS, "system-kdump-tools")
    g = system.Guest(twin, "6.1", work)
    g.start()
    try:
        boot = g.wait_up(UP)
        rc, out = g.run("command -v makedumpfile && kdump-config status && "
                        "stat -L -c %s /var/lib/kdump/initrd.img-$(uname -r)", timeout=CMD)
        c.check("kdump-tools (with makedumpfile): loaded at boot",
                rc == 0 and "ready to kdump" in out, out)
        sizes["kdump-tools-initrd"] = int(out.split()[-1]) if out.split()[-1].isdigit() else None
        for n in range(1, runs + 1):
            tag = f"kdump-tools crash {n}"
            boot = crash(c, g, tag, boot, timings)
            if boot is None:
                return
            rc, out = g.run("ls /var/crash/*/dump.* && ls /var/crash | grep -c '^[0-9]'",
                            timeout=CMD)
            c.check(f"{tag}: dump saved in /var/crash", rc == 0 and out.split()[-1] == str(n),
                    out)
    except lab.LabError as e:
        c.check("kdump-tools: session completed", False, str(e)[-3000:])
    finally:
        g.stop()


def summarize(timings, sizes):
    print("\ntimings (host clock, seconds from the panic line):")
    print(f"  {'run':34s} {'capture boot':>12s} {'dump saved':>10s} {'reboot':>8s} "
          f"{'multi-user':>10s}")
    for t in timings:
        saved = t["panic_to_dump_saved"]
        print(f"  {t['tag']:34s} {t['panic_to_capture_boot']:12.1f} "
              f"{saved if saved is not None else '-':>10} "
              f"{t['panic_to_capture_done']:8.1f} {t['panic_to_multi_user']:10.1f}")
    for k, v in sizes.items():
        if isinstance(v, str):
            print(f"  {k}:\n    " + v.strip().replace("\n", "\n    "))
        else:
            print(f"  size {k}: {v}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--series", choices=["6.1", "6.12"], action="append")
    ap.add_argument("--deb")
    ap.add_argument("--compare", type=int, default=0, metavar="N")
    ap.add_argument("--no-kdumpkit", action="store_true", help="only the --compare runs")
    a = ap.parse_args()
    series = a.series or ["6.1", "6.12"]
    c = Checks()
    t0 = time.monotonic()
    timings, sizes = [], {}
    try:
        kernels = [lab.fetch_kernel("6.1"), lab.fetch_kernel("6.12")]
        image = system.build_image(kernels)
        c.check(f"bookworm image {image.meta['key']} (mmdebstrap, cached)", True)
        if not a.no_kdumpkit:
            host_exe = host_kdumpkit()
            deb = a.deb or build_deb()
            c.check(f"kdumpkit .deb {os.path.basename(deb)}", os.path.exists(deb))
    except (lab.LabError, subprocess.CalledProcessError) as e:
        c.check("system lab prerequisites", False, str(e)[-3000:])
        print(f"system lab: {c.passed} passed, {c.failed} failed")
        return 1
    rels = {k.series: k.release for k in kernels}
    if not a.no_kdumpkit:
        if "6.1" in series:
            session_61(c, image, deb, host_exe, debug_vmlinux(rels["6.1"]), timings, sizes)
        if "6.12" in series:
            session_612(c, image, deb, host_exe, debug_vmlinux(rels["6.12"]), timings)
    if a.compare:
        compare(c, image, a.compare, timings, sizes)
    summarize(timings, sizes)
    with open(os.path.join(RUNS, "system-summary.json"), "w") as f:
        json.dump({"timings": timings, "sizes": sizes}, f, indent=1)
    print(f"system lab total: {time.monotonic() - t0:.0f}s")
    print(f"system lab: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Disk tests (issue 15, docs/storage.md): lux with two virtio disks the
host made, `disk/smp<N>/<case>`.

- vda, an ext2 image made by the host's mke2fs, which lumen mounts on
  /home (/etc/fstab): the file test programs run there (`ext2_files`), a
  file written and fsynced before the power goes (`persist_write`) and
  one written just before (`unsynced_write`: lumen has the file system
  write it at the halt) are read back by a second boot of the same image
  (`persist_read`), and
  `e2fsck -fn` on the host finds the image clean; a third boot kills
  the driver (`driver_kill`) and the ext2 server (`ext2_kill`) under a
  writing client and writes a 64 MiB file (`big_file`), after which
  `e2fsck_killed` wants the image clean or repairable by `e2fsck -fy`;
- vdb, 4 MiB: pattern A in its first half (made here), which
  tests/user/disk.c reads through /dev/vdb; it writes pattern B into the
  second half, which `host_pattern` then finds in the image file.

A tool that is missing (mke2fs, e2fsck) fails every case: never a skip.
"""

import os
import re
import shutil
import struct
import subprocess

from qemu import Qemu, QemuError

DISK_BYTES = 4 << 20
SEED_A, SEED_B = 0x5A5A5A5A, 0xA5A5A5A5
FIRST = ["node", "blk_ioctl", "not_mine", "pattern_read", "pattern_write",
         "raw_mount", "ext2_files", "persist_write", "unsynced_write"]
SECOND = ["persist_read"]
THIRD = ["driver_kill", "ext2_kill", "big_file"]
PLUG = ["plug_write", "plug_e2fsck", "plug_read"]
HOST = ["raw_once", "host_pattern", "e2fsck", "e2fsck_killed"]
CASES = FIRST + SECOND + THIRD + HOST + PLUG
PLUG_SYNCED = 6  # fsyncs or syncs returned before QEMU is killed
SYNCED_LINE = r"^disk: plug synced (\d+)\n"
TIMEOUT = 900  # the file test programs on ext2, TCG, a loaded machine
CASE_LINE = r"^utest: disk/(\S+): (PASS|FAIL)(?: (.*))?\n"
END = r"^lux: init exited with status \d+$"
BROKEN = (r"^.*(KERNEL FAULT|PANIC on CPU|lux: fault while reporting"
          r"|lux: all CPUs stopped).*$")


def pattern(seed, off, n):
    """Bytes [off, off + n) of the pattern (off and n multiples of 4): the
    word at byte offset o is (o / 4) * 2654435761 ^ seed, little-endian."""
    first = off // 4
    return struct.pack(f"<{n // 4}I", *(
        ((w * 2654435761) & 0xFFFFFFFF) ^ seed
        for w in range(first, first + n // 4)))


def tool(name):
    return shutil.which(name) or shutil.which(name, path="/sbin:/usr/sbin")


def make_images(work):
    """vda.img and vdb.img in work: (vda, vdb), or raise OSError."""
    os.makedirs(work, exist_ok=True)
    vda, vdb = os.path.join(work, "vda.img"), os.path.join(work, "vdb.img")
    with open(vdb, "wb") as f:
        f.write(pattern(SEED_A, 0, DISK_BYTES // 2))
        f.write(bytes(DISK_BYTES // 2))
    if os.path.exists(vda):
        os.remove(vda)
    mke2fs = tool("mke2fs")
    if not mke2fs:
        raise OSError("mke2fs not found (e2fsprogs: tools/setup.sh)")
    subprocess.run([mke2fs, "-q", "-F", "-t", "ext2", "-E",
                    "root_owner=0:0", vda, "128M"],
                   check=True, capture_output=True)
    return vda, vdb


def drive_args(boot, vda, vdb):
    args = []
    for i, img in enumerate((vda, vdb)):
        args += ["-drive", f"file={img},format=raw,if=none,id=d{i}"]
        args += boot.virtio("blk", f"drive=d{i}")
    return args


def boot_cases(r, name, args, log, cases):
    """Boot lux running /tests/disk with cases; report each one. Returns
    the console's text."""
    vm = Qemu(args, log)
    seen = set()
    try:
        with vm:
            while len(seen) < len(cases):
                m = vm.expect(CASE_LINE, max(TIMEOUT - vm.elapsed(), 0),
                              fail=BROKEN + "|" + END)
                seen.add(m.group(1))
                r.report(f"{name}/{m.group(1)}", None if m.group(2) ==
                         "PASS" else m.group(3) or "failed", vm.elapsed())
            vm.expect(END, 120, fail=BROKEN)
    except QemuError as e:
        for c in cases:
            if c not in seen:
                r.report(f"{name}/{c}", str(e), vm.elapsed(), vm.tail(15))
    return vm.text


def check_raw_once(r, name, text):
    """raw_mount's console: lumen gave the ext2 server of /dev/vdb (no
    file system) up, and never said it would restart it. (Lines are not
    counted: on several CPUs the console interleaves the writes of lumen
    and the servers, so a line can be cut in two; raw_mount counts the
    processes lumen started instead.)"""
    gave_up = text.count("cannot serve its source; given up")
    looped = text.count("status 78, restarting")
    r.report(f"{name}/raw_once", None if gave_up and not looped else
             f"{gave_up} 'given up', {looped} 'status 78, restarting'")


def check_host(r, name, vda, vdb):
    with open(vdb, "rb") as f:
        data = f.read()
    half = DISK_BYTES // 2
    reason = None
    if data[:half] != pattern(SEED_A, 0, half):
        reason = "pattern A changed in the first half"
    elif data[half:] != pattern(SEED_B, half, half):
        bad = next(i for i, (a, b) in enumerate(
            zip(data[half:], pattern(SEED_B, half, half))) if a != b)
        reason = f"pattern B wrong at byte {half + bad}"
    r.report(f"{name}/host_pattern", reason)
    e2fsck = tool("e2fsck")
    if not e2fsck:
        return r.report(f"{name}/e2fsck", "e2fsck not found (e2fsprogs)")
    p = subprocess.run([e2fsck, "-fn", vda], capture_output=True, text=True)
    r.report(f"{name}/e2fsck", None if p.returncode == 0 else
             f"e2fsck -fn: status {p.returncode}",
             tail=(p.stdout + p.stderr).splitlines()[-15:])


def check_killed(r, name, vda, case="e2fsck_killed"):
    """After a kill boot: `e2fsck -fn` finds the image clean, or what it
    finds `e2fsck -fy` repairs on a copy (exit 0 or 1, then -fn clean);
    which of the two is printed."""
    e2fsck, case = tool("e2fsck"), f"{name}/{case}"
    if not e2fsck:
        return r.report(case, "e2fsck not found (e2fsprogs)")
    p = subprocess.run([e2fsck, "-fn", vda], capture_output=True, text=True)
    if p.returncode == 0:
        print(f"    {case}: e2fsck -fn: clean", flush=True)
        return r.report(case)
    found = [l for l in (p.stdout + p.stderr).splitlines()
             if l and not l.startswith(("Pass ", "e2fsck "))]
    copy = vda + ".fix"
    shutil.copyfile(vda, copy)
    fix = subprocess.run([e2fsck, "-fy", copy], capture_output=True,
                         text=True)
    again = subprocess.run([e2fsck, "-fn", copy], capture_output=True,
                           text=True)
    os.remove(copy)
    if fix.returncode in (0, 1) and again.returncode == 0:
        print(f"    {case}: e2fsck -fn: repairable (-fy fixed it): "
              + "; ".join(found[:6]), flush=True)
        return r.report(case)
    r.report(case, f"e2fsck -fy: status {fix.returncode}, then -fn: "
             f"{again.returncode}", tail=found[-15:])


def pull_plug(r, name, args, log):
    """Boot lux running plug_write, which writes files on /home and prints
    the number of each one whose fsync returned; SIGKILL QEMU (no halt, no
    sync) once PLUG_SYNCED of them are on the console. The numbers seen,
    or None if the workload did not get that far."""
    vm = Qemu(args, log)
    case, synced = f"{name}/plug_write", []
    try:
        with vm:
            while len(synced) < PLUG_SYNCED:
                m = vm.expect(SYNCED_LINE + "|" + CASE_LINE,
                              max(TIMEOUT - vm.elapsed(), 0),
                              fail=BROKEN + "|" + END)
                if m.group(1) is None:
                    raise QemuError(f"plug_write ended: {m.group(0)}")
                synced.append(int(m.group(1)))
            vm.kill()  # the plug: SIGKILL, mid-workload
            synced = [int(n) for n in re.findall(SYNCED_LINE, vm.text,
                                                 re.M)]
    except QemuError as e:
        r.report(case, str(e), vm.elapsed(), vm.tail(15))
        return None
    print(f"    {case}: killed after fsync or sync returned for "
          + ",".join(map(str, synced)), flush=True)
    r.report(case, None, vm.elapsed())
    return synced


def run_plug(r, boot, log_path, vda, vdb):
    """Pull the plug mid-workload, check the image on the host, then boot
    again: every file whose fsync had returned reads back whole."""
    name = boot.name
    boot.cmdline = "init=/sbin/lumen -- /tests/disk plug_write"
    log = re.sub(r"\.log$", "-4.log", log_path(name))
    synced = pull_plug(r, name, boot_args(boot, vda, vdb), log)
    check_killed(r, name, vda, "plug_e2fsck")
    if synced is None:
        return r.report(f"{name}/plug_read", "plug_write failed")
    boot.cmdline = ("init=/sbin/lumen -- /tests/disk plug_read plug="
                    + ",".join(map(str, synced)))
    log = re.sub(r"\.log$", "-5.log", log_path(name))
    boot_cases(r, name, boot_args(boot, vda, vdb), log, ["plug_read"])


def one_thread(args):
    """args with QEMU's TCG on one host thread. QEMU 7.2's multi-threaded
    TCG (a thread per CPU) races a change of the machine's memory map
    (lumen probing a disk's PCI BARs) with other CPUs' device accesses and
    dies with SIGSEGV now and then (docs/troubleshooting.md); on one
    thread the CPUs still interleave, but never during that change."""
    if "-accel" in args:
        i = args.index("-accel")
        return (args[:i + 1] + ["tcg,thread=single"] + args[i + 2:]
                if args[i + 1] == "tcg" else args)
    i = args.index("-machine")
    machine, _, accel = args[i + 1].partition(",accel=")
    if accel != "tcg":
        return args
    return args[:i] + ["-machine", machine, "-accel", "tcg,thread=single"] \
        + args[i + 2:]


def boot_args(boot, vda, vdb):
    """QEMU's arguments for boot with the two disks."""
    return one_thread(boot.qemu_args()) + drive_args(boot, vda, vdb)


def run(r, boot, log_path, work):
    """The disk cases of boot (a run.Boot: name, smp, qemu_args)."""
    name = boot.name
    try:
        vda, vdb = make_images(work)
    except (OSError, subprocess.CalledProcessError) as e:
        for c in CASES:
            r.report(f"{name}/{c}", f"cannot make the images: {e}")
        return
    for cases, part in ((FIRST, 1), (SECOND, 2), (THIRD, 3)):
        boot.cmdline = "init=/sbin/lumen -- /tests/disk " + " ".join(cases)
        args = boot_args(boot, vda, vdb)
        log = re.sub(r"\.log$", f"-{part}.log", log_path(name))
        text = boot_cases(r, name, args, log, cases)
        if part == 1:
            check_raw_once(r, name, text)
        if part == 2:  # the kills below may leave what e2fsck repairs
            check_host(r, name, vda, vdb)
    check_killed(r, name, vda)
    run_plug(r, boot, log_path, vda, vdb)

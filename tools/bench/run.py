#!/usr/bin/env python3
"""`make bench`: run tools/bench/bench.c on lux and on Linux, side by side.

Both systems boot under the same QEMU: TCG, one CPU, the same memory, and
`-icount shift=0`, so the guest clock advances one nanosecond per guest
instruction and the figures repeat exactly from run to run. lux boots
its normal image (`make initrd`) with /bench/bench added, and lumen runs
the benchmark once the file servers are up (init=/sbin/lumen -- /bench/bench).
Linux is Debian's linux-image-cloud-amd64, downloaded once with
`apt-get download` into ~/.cache/lux-bench/ (never into the repository),
with an initramfs of busybox, the benchmark and a two-line /init.

Each system then boots a second time, for the boot metrics alone: the
benchmark is the first user process (`bench first-user INIT...`), notes
the time and becomes the real init, which starts the login shell; the
shell's profile puts `$(/bench/bench prompt)` in its prompt, and QEMU
stops once that has printed the time.

Each system boots a third time with a disk: a fresh ext2 image (the
host's `mke2fs -t ext2`, 4 KiB blocks) attached as a virtio disk the same
way (virtio-blk-pci, modern only), for the disk benchmarks (DISK_OPS: a
64 MiB file written with fsync and read back from the disk, small files
created, stat'ed and removed). lux mounts it on /home (/etc/fstab); the
Linux initramfs gets the cloud kernel's virtio modules from the same
package (its ext4 is built in and serves ext2) and an /init that loads
them and mounts /dev/vda on /home with `-t ext2`. The other benchmarks
and the boot metrics run without a disk, as before.

The platform (--arch, `make bench ARCH=arm64`) picks the QEMU machine,
the Debian kernel package and which of these boots run
(BENCH of kernel/arch/<name>/platform.py); its files go under <out>/<its folder>.

Prints a table (operation, lux, Linux, lux/Linux) and writes
<out>/bench.json: {"<op>": {"lux": n|null, "linux": n|null, "unit": "ns"}}
(the unit is "KiB" for a memory figure).
A system that stops early (hangs, faults) keeps the figures it printed,
with a warning; exits 1 only if one printed none or Linux cannot be fetched.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tests"))
from qemu import Qemu, QemuError  # noqa: E402
import platforms  # noqa: E402

# Each platform's BENCH table (kernel/arch/<name>/platform.py).
PLATFORMS = {n: platforms.load(n)["BENCH"] for n in platforms.names()}

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME")
                     or os.path.expanduser("~/.cache"), "lux-bench")
# A whole system's run takes under two minutes; this is the limit. A run
# that stops early keeps the figures it printed; the rest are null.
RUN_TIMEOUT = 150
# The boot metrics' run: a boot to the first prompt, seconds on the host.
PROMPT_TIMEOUT = 60
# The boot metrics, printed by the boot to the prompt; first in the table.
BOOT_METRICS = ("boot_to_first_user", "boot_to_prompt")
RESULT = re.compile(r"^bench: (\S+) (n/a|[0-9.]+ (?:ns|KiB))$", re.M)
# The disk boot: its benchmarks, its wall-time limit, the image's size,
# and the Linux modules it loads (with what they depend on; not the
# built-in ones).
DISK_OPS = ("disk_seq_write_64m", "disk_seq_read_64m", "disk_small_files")
DISK_TIMEOUT = 300
DISK_IMAGE = "256M"
DISK_MODULES = ("virtio_pci", "virtio_blk")


def qemu_common(plat):
    """The same machine for both systems of platform `plat`
    (BENCH of kernel/arch/<name>/platform.py); only kernel, initrd and command differ."""
    return plat["machine"] + [
        "-smp", "1", "-icount", "shift=0,sleep=off", "-no-reboot",
        "-display", "none", "-serial", "stdio", "-monitor", "none"]


QEMU_COMMON = qemu_common(PLATFORMS[platforms.chosen()])


class BenchError(Exception):
    pass


def cpio_newc(entries):
    """A newc cpio archive from (name, mode, data, rdev) tuples; names
    without a leading slash, parents before children. Written here rather
    than with cpio(1) so that /dev/console can be a device node without
    mknod (and without root)."""
    out = bytearray()

    def pad4():
        out.extend(b"\0" * (-len(out) % 4))

    def header(ino, name, mode, data, rdev):
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0,
                  rdev >> 8, rdev & 0xff, len(name) + 1, 0]
        out.extend(b"070701" + "".join(f"{f:08x}" for f in fields).encode())
        out.extend(name.encode() + b"\0")
        pad4()
        out.extend(data)
        pad4()

    for ino, (name, mode, data, rdev) in enumerate(entries, 1):
        header(ino, name, mode, data, rdev)
    header(0, "TRAILER!!!", 0, b"", 0)
    return bytes(out)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def cpio_entries(archive):
    """The (name, mode, data, rdev) tuples of a newc cpio archive, trailer
    left out: the inverse of cpio_newc."""
    entries, at = [], 0
    while True:
        fields = [int(archive[at + 6 + 8 * i:at + 14 + 8 * i], 16)
                  for i in range(13)]
        mode, size, rmaj, rmin, namesize = (fields[1], fields[6], fields[9],
                                            fields[10], fields[11])
        at += 110
        name = archive[at:at + namesize - 1].decode()
        at += namesize + (-(110 + namesize) % 4)
        data = archive[at:at + size]
        at += size + (-size % 4)
        if name == "TRAILER!!!":
            return entries
        entries.append((name.removeprefix("./"), mode, data,
                        (rmaj << 8) | rmin))


# The login shell's own profile, read after /etc/profile (which sets
# lux's PS1; on Linux the shell's default stands): the prompt runs the
# benchmark, which prints the time on stderr as the prompt is drawn.
PROFILE = (b"# make bench: the first prompt prints the time since reset\n"
           b"PS1='$(/bench/bench prompt)'$PS1\n")


def lux_initrd(bench, image):
    """The normal boot image (`make initrd`) plus /bench/bench, and the
    root's profile for the boot to the prompt (HOME=/root)."""
    entries = [e for e in cpio_entries(read(image)) if e[0] not in ("", ".")]
    return cpio_newc(entries + [("bench", 0o40755, b"", 0),
                                ("bench/bench", 0o100755, read(bench), 0),
                                ("root/.profile", 0o100644, PROFILE, 0)])


def linux_initramfs(bench, busybox, command="/bench/bench", extra=()):
    """busybox, the benchmark, /dev/console (the kernel opens it for init
    before any devtmpfs exists), an /init that runs `command` (the
    benchmark; shell lines) and powers off, and the profile of a login
    shell run as init instead (HOME=/); then the `extra` entries."""
    init = (b"#!/bin/sh\n"
            b"/bin/busybox mount -t proc proc /proc\n" +
            command.encode() + b"\n"
            b"/bin/busybox poweroff -f\n")
    entries = [("bin", 0o40755, b"", 0),
               ("bin/busybox", 0o100755, read(busybox), 0),
               ("bin/sh", 0o120777, b"busybox", 0),
               ("bench", 0o40755, b"", 0),
               ("bench/bench", 0o100755, read(bench), 0),
               ("dev", 0o40755, b"", 0),
               ("dev/console", 0o20600, b"", (5 << 8) | 1),
               ("proc", 0o40755, b"", 0),
               ("tmp", 0o41777, b"", 0),
               ("init", 0o100755, init, 0),
               (".profile", 0o100644, PROFILE, 0)]
    return cpio_newc(entries + list(extra))


def linux_modules(vmlinuz, names):
    """The .ko files (paths) of the modules `names` of the kernel vmlinuz
    and of the modules they depend on (each .ko's modinfo `depends=`),
    dependencies first. The package's modules are not compressed."""
    version = os.path.basename(vmlinuz).removeprefix("vmlinuz-")
    top = os.path.join(os.path.dirname(vmlinuz), "..", "lib", "modules",
                       version)
    index = {os.path.basename(p)[:-3].replace("-", "_"): p for p in
             glob.glob(os.path.join(top, "kernel", "**", "*.ko"),
                       recursive=True)}
    order = []

    def visit(name):
        if name in order:
            return
        if name not in index:
            raise BenchError(f"no module {name}.ko under {top}")
        m = re.search(rb"depends=([^\0]*)\0", read(index[name]))
        for dep in (m.group(1).decode().split(",") if m else []):
            if dep:
                visit(dep.replace("-", "_"))
        order.append(name)

    for name in names:
        visit(name)
    return [index[n] for n in order]


def linux_disk_initramfs(bench, busybox, vmlinuz):
    """The Linux initramfs of the disk boot: the virtio modules loaded,
    /dev from devtmpfs, /dev/vda mounted on /home as ext2, then the disk
    benchmarks."""
    mods = linux_modules(vmlinuz, DISK_MODULES)
    names = [os.path.basename(p) for p in mods]
    command = "\n".join(
        ["/bin/busybox mount -t devtmpfs dev /dev"]
        + [f"/bin/busybox insmod /mod/{n}" for n in names]
        + ["/bin/busybox mount -t ext2 /dev/vda /home",
           "/bench/bench " + " ".join(DISK_OPS)])
    extra = [("home", 0o40755, b"", 0), ("mod", 0o40755, b"", 0)]
    extra += [(f"mod/{n}", 0o100644, read(p), 0) for n, p in zip(names, mods)]
    return linux_initramfs(bench, busybox, command, extra)


def disk_args(out, name):
    """A fresh ext2 image for `name`'s disk boot; QEMU's arguments that
    attach it. Raises BenchError without mke2fs."""
    mke2fs = (shutil.which("mke2fs")
              or shutil.which("mke2fs", path="/sbin:/usr/sbin"))
    if not mke2fs:
        raise BenchError("mke2fs not found (e2fsprogs: tools/setup.sh)")
    path = os.path.join(out, f"bench-disk-{name.lower()}.img")
    if os.path.exists(path):
        os.remove(path)
    p = subprocess.run([mke2fs, "-q", "-F", "-t", "ext2", "-b", "4096",
                        "-E", "root_owner=0:0", path, DISK_IMAGE],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"mke2fs {path}: {p.stderr.strip()}")
    return ["-drive", f"file={path},format=raw,if=none,id=d0",
            "-device", "virtio-blk-pci,drive=d0,disable-legacy=on"]


def fetch_linux(plat=PLATFORMS[platforms.chosen()]):
    """Path of platform `plat`'s Debian kernel's vmlinuz, downloading and
    unpacking the package into its folder of CACHE the first time. The meta
    package only depends on the versioned image package, which holds the
    vmlinuz."""
    cache = os.path.join(CACHE, plat["cache"])
    found = sorted(glob.glob(os.path.join(cache, "root/boot/vmlinuz-*")))
    if found:
        return found[-1]
    os.makedirs(cache, exist_ok=True)

    def run(cmd):
        p = subprocess.run(cmd, cwd=cache, capture_output=True, text=True)
        if p.returncode != 0:
            raise BenchError(
                f"cannot fetch the Linux kernel: `{' '.join(cmd)}` failed:\n"
                f"{p.stderr.strip()}\n(needs Debian's apt sources and the "
                f"network; or unpack a vmlinuz into {cache}/root/boot/)")
        return p.stdout

    deps = run(["apt-cache", "depends", plat["package"]])
    m = re.search(r"Depends: (linux-image-\S+)", deps)
    if not m:
        raise BenchError(f"cannot fetch the Linux kernel: {plat['package']} "
                         f"names no linux-image package:\n{deps}")
    run(["apt-get", "download", m.group(1)])
    name = m.group(1).split(":")[0]  # without the ":arm64" of a foreign one
    debs = glob.glob(os.path.join(cache, name + "_*.deb"))
    if not debs:
        raise BenchError(f"cannot fetch the Linux kernel: no {name} "
                         f".deb in {cache}")
    run(["dpkg-deb", "-x", debs[0], "root"])
    found = sorted(glob.glob(os.path.join(cache, "root/boot/vmlinuz-*")))
    if not found:
        raise BenchError(f"cannot fetch the Linux kernel: {debs[0]} holds "
                         f"no boot/vmlinuz-*")
    return found[-1]


def boot(name, args, log, until=r"^bench: done$", timeout=RUN_TIMEOUT,
         common=None, qemu=None):
    """Boot one system, wait for `until`; return ({op: ns or None}, {op:
    unit}, seconds taken, problem or None). QEMU is the program `qemu`
    (default the platform's), its machine `common` (default QEMU_COMMON). A run
    that fails after printing some figures keeps them (the problem says
    what happened); one that printed none raises BenchError with the
    console's tail."""
    problem = None
    with Qemu((common or QEMU_COMMON) + args, log=log, qemu=qemu) as vm:
        try:
            vm.expect(until, timeout=timeout,
                      fail=r"^bench: error .*|panic|Kernel panic")
        except QemuError as e:
            tail = "\n    ".join(vm.tail())
            problem = f"{name}: {e}; see {log}; last lines:\n    {tail}"
        seconds = vm.elapsed()
        text = vm.text
    if problem and not RESULT.search(text):
        raise BenchError(problem)
    results, units = {}, {}
    for m in RESULT.finditer(text):
        value = m.group(2).split()
        results[m.group(1)] = None if value[0] == "n/a" else float(value[0])
        if len(value) > 1:
            units[m.group(1)] = value[1]
    return results, units, seconds, problem


def run_system(name, args, bench_cmd, prompt_cmd, out, disk, plat):
    """The three boots of one system on platform `plat`: the benchmark run
    (`bench_cmd`), the boot to the shell prompt (`prompt_cmd`), which also
    gives the boot to the first user instruction, and the disk benchmarks
    (`disk`: the whole QEMU arguments, command line included); the last
    two only where the platform has them. Returns ({op: figure or None},
    {op: unit}, [problems]); the boot metrics and the disk benchmarks are
    there even when missing."""
    figures = dict.fromkeys(BOOT_METRICS)
    log = os.path.join(out, f"bench-{name.lower()}")
    common = qemu_common(plat)
    print(f"bench: {name} ...", flush=True)
    results, units, secs, problem = boot(name, args + ["-append", bench_cmd],
                                         log + ".log", common=common,
                                         qemu=plat["qemu"])
    print(f"bench: {name} ran {secs:.0f} s", flush=True)
    figures.update(results)
    problems = [problem] if problem else []
    if plat["reset"]:
        problems += boot_prompt(name, args, prompt_cmd, log, plat, figures,
                                units)
    figures.update(dict.fromkeys(DISK_OPS))
    if not plat["disk"]:
        return figures, units, problems
    # The disk boot's clock: with sleep=off a guest waiting for the disk
    # would see its clock jump to its next timer (up to seconds), so it
    # follows the host's while the guest is idle; it still counts
    # instructions while it runs.
    try:
        results, unit, secs, problem = boot(
            f"{name} with a disk", disk, log + "-disk.log",
            timeout=DISK_TIMEOUT,
            common=[a.replace("sleep=off", "sleep=on") for a in common],
            qemu=plat["qemu"])
        print(f"bench: {name} with a disk ran {secs:.0f} s", flush=True)
        figures.update(results)
        units.update(unit)
        problems += [problem] if problem else []
    except BenchError as e:
        problems.append(str(e))
    return figures, units, problems


def boot_prompt(name, args, prompt_cmd, log, plat, figures, units):
    """The boot metrics' boot of one system (run_system): adds its figures
    and units; returns its problems."""
    problems = []
    try:
        results, unit, secs, problem = boot(
            f"{name} to the prompt", args + ["-append", prompt_cmd],
            log + "-prompt.log", until=r"^bench: boot_to_prompt .*\n",
            timeout=PROMPT_TIMEOUT, common=qemu_common(plat),
            qemu=plat["qemu"])
        print(f"bench: {name} to the prompt ran {secs:.0f} s", flush=True)
        figures.update(results)
        units.update(unit)
        problems += [problem] if problem else []
    except BenchError as e:
        problems.append(str(e))
    return problems


def format_value(value, unit):
    if value is None:
        return "n/a"
    if unit == "KiB":
        return f"{value / 1024:.1f} MiB"
    if value >= 1e6:
        return f"{value / 1e6:.2f} ms"
    if value >= 1e3:
        return f"{value / 1e3:.2f} us"
    return f"{value:.1f} ns"


def print_table(lux, linux, units):
    ops = list(dict.fromkeys(list(lux) + list(linux)))
    rows = [("operation", "lux", "Linux", "lux/Linux")]
    for op in ops:
        a, b = lux.get(op), linux.get(op)
        ratio = f"{a / b:.2f}" if a is not None and b else "-"
        unit = units.get(op, "ns")
        rows.append((op, format_value(a, unit), format_value(b, unit), ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, r in enumerate(rows):
        print(r[0].ljust(widths[0]) + "  " +
              "  ".join(c.rjust(w) for c, w in zip(r[1:], widths[1:])))
        if i == 0:
            print("-" * (sum(widths) + 6))
    return ops


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", required=True, help="lux.bin")
    ap.add_argument("--bench", required=True, help="the benchmark binary")
    ap.add_argument("--bench-disk",
                    help="the benchmark built with the disk benchmarks "
                    "(default: the --bench path with -disk appended)")
    ap.add_argument("--image",
                    default=f"build/{platforms.chosen()}/initrd.cpio",
                    help="lux's boot image, to which the benchmark is added")
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--out", default="build")
    ap.add_argument("--arch", default=platforms.chosen(),
                    choices=sorted(PLATFORMS),
                    help="the platform (kernel/arch/<name>/platform.py)")
    ap.add_argument("--only", choices=["lux", "linux"],
                    help="run one system only")
    opt = ap.parse_args()
    opt.bench_disk = opt.bench_disk or opt.bench + "-disk"
    plat = PLATFORMS[opt.arch]
    opt.out = os.path.join(opt.out, plat["out"])
    if not (plat["reset"] and plat["disk"]):
        print(f"bench: {opt.arch} leaves out "
              + " and ".join(n for n, k in (("the boot metrics", "reset"),
                                           ("the disk boot", "disk"))
                             if not plat[k])
              + f" ({plat['why']})", flush=True)

    try:
        vmlinuz = None if opt.only == "lux" else fetch_linux(plat)
        os.makedirs(opt.out, exist_ok=True)
        lux_img = os.path.join(opt.out, "bench-lux.cpio")
        linux_img = os.path.join(opt.out, "bench-linux.cpio")
        with open(lux_img, "wb") as f:
            f.write(lux_initrd(opt.bench, opt.image))
        with open(linux_img, "wb") as f:
            f.write(linux_initramfs(opt.bench, opt.busybox))
        linux_disk_img = os.path.join(opt.out, "bench-linux-disk.cpio")
        lux_disk_img = os.path.join(opt.out, "bench-lux-disk.cpio")
        if plat["disk"]:
            with open(lux_disk_img, "wb") as f:
                f.write(lux_initrd(opt.bench_disk, opt.image))
        if vmlinuz and plat["disk"]:
            with open(linux_disk_img, "wb") as f:
                f.write(linux_disk_initramfs(opt.bench_disk, opt.busybox,
                                             vmlinuz))

        systems = []
        if opt.only != "linux":
            systems.append(("lux", ["-kernel", opt.kernel, "-initrd", lux_img],
                            "init=/sbin/lumen -- /bench/bench",
                            "init=/bench/bench -- first-user /sbin/lumen",
                            ["-kernel", opt.kernel, "-initrd", lux_disk_img,
                             "-append", "init=/sbin/lumen -- /bench/bench "
                             + " ".join(DISK_OPS)]))
        if opt.only != "lux":
            print(f"bench: Linux is {os.path.basename(vmlinuz)}", flush=True)
            linux_cmd = f"console={plat['console']} quiet panic=-1"
            systems.append((
                "Linux", ["-kernel", vmlinuz, "-initrd", linux_img],
                linux_cmd,
                linux_cmd + " rdinit=/bench/bench -- first-user /bin/sh -l",
                ["-kernel", vmlinuz, "-initrd", linux_disk_img,
                 "-append", linux_cmd]))
        figures, units, problems = {}, {}, []
        for name, image, bench_cmd, prompt_cmd, disk in systems:
            figures[name], unit, problem = run_system(
                name, ["-m", opt.mem] + image, bench_cmd, prompt_cmd,
                opt.out, ["-m", opt.mem] + disk
                + (disk_args(opt.out, name) if plat["disk"] else []), plat)
            units.update(unit)
            problems += problem
        lux, linux = figures.get("lux", {}), figures.get("Linux", {})
    except BenchError as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        return 1

    print()
    ops = print_table(lux, linux, units)
    report = {op: {"lux": lux.get(op), "linux": linux.get(op),
                   "unit": units.get(op, "ns")} for op in ops}
    return write_report(os.path.join(opt.out, "bench.json"), report,
                        problems, "bench")


def write_report(path, report, problems, tag):
    """Write the JSON report, name what is missing; the exit status 0."""
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"\nwritten: {path}")
    for problem in problems:
        print(f"{tag}: INCOMPLETE: {problem}", file=sys.stderr)
    return 0


def run_timed(main, tag):
    """Run main, print the total wall time, exit with its status."""
    start = time.monotonic()
    rc = main()
    print(f"{tag}: total {time.monotonic() - start:.0f} s", flush=True)
    sys.exit(rc)


if __name__ == "__main__":
    run_timed(main, "bench")

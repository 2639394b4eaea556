#!/usr/bin/env python3
"""make fuzz: a long run of the system-call fuzzer (tests/user/fuzz.c).

    tools/fuzz.py [--seed S] [--calls N] [--cpus C] [--uid U] [--known K]
                  [--first-child I] [--verbose]

Boots lux with lumen running /tests/fuzz as its command, then an ordinary
test program (/tests/devproc) to see that the system still answers, and
prints the calls made, the children that died, panics and hangs. A hang is
the fuzzer's own (a child that SIGKILL does not end) or a console silent
for longer than SILENCE seconds (the fuzzer prints a progress line every
10,000 calls). Exits 1 unless there were no panics and no hangs. The
whole console goes to build/test-logs/fuzz-s<SEED>.log.
"""

import argparse
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
import platforms  # noqa: E402
from qemu import Qemu, QemuError  # noqa: E402

SILENCE = 600  # seconds without a console line: the kernel stopped
PANIC = (r"^.*(KERNEL FAULT|PANIC on CPU|lux: fault while reporting"
         r"|lux: all CPUs stopped).*$")
SUMMARY = (r"^fuzz: seed \d+ uid \d+: (\d+) calls in (\d+) ms \((\d+) "
           r"calls/s\), (\d+) children, (\d+) died of signals, (\d+) "
           r"stopped, (\d+) stalled and killed, (\d+) hangs\n")
# Lines can be cut by kernel lines, so this one is not anchored.
DONE = r"(lux: init exited with status (\d+))\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", default="1")
    ap.add_argument("--calls", default="100000")
    ap.add_argument("--cpus", default="2")
    ap.add_argument("--uid", default="")
    ap.add_argument("--known", default="")
    ap.add_argument("--first-child", default="")
    ap.add_argument("--verbose", action="store_true")
    o = ap.parse_args()
    fuzz = f"/tests/fuzz -s {o.seed} -n {o.calls}"
    for flag, value in (("-u", o.uid), ("-k", o.known),
                        ("-c", o.first_child)):
        if value:
            fuzz += f" {flag} {value}"
    if o.verbose:
        fuzz += " -v"
    script = f"{fuzz}; echo fuzz exited $?; /tests/devproc"
    arch = platforms.chosen()  # make fuzz ARCH=..., else this machine's
    plat = platforms.load(arch)
    args = plat["machine"](os.environ.get("ACCEL") or "tcg") + [
            "-cpu", "max", "-smp", o.cpus, "-m", "512M", "-display", "none",
            "-no-reboot", "-serial", "stdio", "-monitor", "none",
            "-kernel", f"build/{arch}/lux.bin",
            "-initrd", f"build/{arch}/initrd.cpio",
            "-append", f'init=/sbin/lumen -- /bin/sh -c "{script}"']
    args += os.environ.get("QEMU_EXTRA", "").split()  # e.g. -s for gdb
    os.chdir(REPO)
    panics = hangs = 0
    summary = None
    answered = False
    log = f"build/test-logs/fuzz-s{o.seed}.log"
    with Qemu(args, log, qemu=plat["QEMU"]) as vm:
        try:
            while True:
                m = vm.expect(rf"{SUMMARY}|{DONE}|^fuzz: progress.*\n"
                              r"|^utest: devproc/proc_mounts: PASS\n",
                              SILENCE, fail=PANIC)
                if m.group(1):
                    summary = m
                elif m.group(9):
                    break
                elif "devproc" in m.group(0):
                    answered = True
        except QemuError as e:
            print(f"fuzz: {e}")
            for line in vm.tail(40):
                print("  " + line)
            if "unexpected" in str(e):
                panics += 1
            else:
                hangs += 1
    if summary:
        calls, ms, rate, children, died, stopped, stalled, fhangs = (
            int(x) for x in summary.groups()[:8])
        hangs += fhangs
        print(f"fuzz: seed {o.seed}, {o.cpus} CPUs, uid {o.uid or 0}: "
              f"{calls} calls in {ms / 1000:.0f} s ({rate} calls/s), "
              f"{children} children, {died} died of signals, {stopped} "
              f"stopped, {stalled} stalled and killed")
    else:
        print(f"fuzz: seed {o.seed}: no summary from the fuzzer")
    if not answered and not panics and not hangs:
        print("fuzz: the system did not answer afterwards")
        hangs += 1
    print(f"fuzz: {panics} panics, {hangs} hangs")
    return 1 if panics or hangs or not summary else 0


if __name__ == "__main__":
    sys.exit(main())

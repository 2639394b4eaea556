#!/usr/bin/env python3
"""`make bench-trace OP=name`: where one benchmark operation's instructions go.

Boots lux as `make bench` does (same kernel, image and QEMU machine, with
-icount) but runs `/bench/bench trace OP`: the benchmark warms OP up, then
runs one more operation between two calls of its function trace_mark.
QEMU's gdb stub stops at the first call; gdb then single-steps the whole
machine, recording each instruction's address and CR3 (which process),
until the second. Single-stepping in QEMU runs with interrupts masked, so
the trace holds the operation's own work: system calls, switches, the
servers it waits for; no timer ticks.

Each instruction is named by symbol: kernel addresses from lux.elf, user
addresses from the ELF file of the process they ran in. A process is
recognised by the bytes of its code: at its first user instruction the
bytes at the program counter are compared with each candidate program's
file. The personality (/lib/lux/persona), mapped at the same address in
every process, is named from its own file, as "<process> (persona)".
The report splits the operation into the benchmark's system calls (each
from its `syscall` instruction to the next user instruction of the
benchmark outside the personality, everything other processes ran
meanwhile included: a reflected call counts with the personality's work
and its return) and lists, per call, the instructions by process and
function.

This file is both the driver (run by python3) and the gdb script (gdb
runs it with `-x`; then the module `gdb` exists).
"""

import bisect
import collections
import json
import os
import socket
import struct
import subprocess
import sys

try:
    import gdb  # noqa: F401 (only inside gdb)
except ImportError:
    gdb = None

# Instructions in one trace at most: a runaway trace stops here.
MAX_STEPS = 3_000_000
# User addresses are below this (canonical lower half).
USER_TOP = 1 << 47


def in_gdb():
    """The gdb side: connect, stop at trace_mark of the benchmark, step
    until its next call, write "pc cr3" per instruction to the out file."""
    port, mark, mark_bytes, out = (os.environ["TRACE_PORT"],
                                   int(os.environ["TRACE_MARK"], 16),
                                   bytes.fromhex(os.environ["TRACE_BYTES"]),
                                   os.environ["TRACE_OUT"])
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute(f"target remote localhost:{port}")
    gdb.execute(f"break *{mark:#x}")
    inferior = gdb.selected_inferior()

    def at_mark():
        # The breakpoint is on an address: any process may run code there.
        return bytes(inferior.read_memory(mark, len(mark_bytes))) == mark_bytes

    while True:
        gdb.execute("continue", to_string=True)
        if at_mark():
            break
    frame = gdb.selected_frame()
    cr3 = int(frame.read_register("cr3"))
    # The first step leaves trace_mark; the trace ends at its next call.
    rows, steps, seen, last = [], 0, {}, 0
    with open(out, "w") as f:
        while steps < MAX_STEPS:
            gdb.execute("stepi", to_string=True)
            frame = gdb.selected_frame()
            pc = int(frame.read_register("pc")) & (2**64 - 1)
            c = int(frame.read_register("cr3"))
            steps += 1
            if pc == mark and c == cr3:
                break
            if pc >= USER_TOP and last < USER_TOP:
                rax = int(frame.read_register("rax")) & (2**64 - 1)
                rows.append(f"{pc:x} {c:x} {rax:x}\n")
            else:
                rows.append(f"{pc:x} {c:x}\n")
            last = pc
            if pc < USER_TOP and len(seen.setdefault(c, {})) < 3 \
                    and pc not in seen[c]:
                seen[c][pc] = bytes(inferior.read_memory(pc, 16)).hex()
            if len(rows) >= 4096:
                f.writelines(rows)
                rows = []
        f.writelines(rows)
    with open(out + ".code", "w") as f:
        json.dump({"complete": steps < MAX_STEPS,
                   "code": {f"{c:x}": {f"{pc:x}": b for pc, b in d.items()}
                            for c, d in seen.items()}}, f)
    gdb.execute("kill")


class Symbols:
    """Function names of one ELF file by address (from nm)."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        out = subprocess.run(["nm", "-n", "--defined-only", path],
                             capture_output=True, text=True,
                             check=True).stdout
        self.addrs, self.names = [], []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                self.addrs.append(int(parts[0], 16))
                self.names.append(parts[2])
        self.segments = load_segments(path)

    def lookup(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.names[i] if i >= 0 else f"{pc:#x}"

    def contains(self, addr):
        return any(v <= addr < v + len(d) for v, d in self.segments)

    def bytes_at(self, addr, n):
        for vaddr, data in self.segments:
            if vaddr <= addr and addr + n <= vaddr + len(data):
                return data[addr - vaddr:addr - vaddr + n]
        return None


def load_segments(path):
    """(vaddr, file bytes) of each loadable segment of an ELF64 file."""
    with open(path, "rb") as f:
        elf = f.read()
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    segs = []
    for i in range(phnum):
        p_type, _, off, vaddr, _, filesz = struct.unpack_from(
            "<IIQQQQ", elf, phoff + i * phentsize)
        if p_type == 1:
            segs.append((vaddr, elf[off:off + filesz]))
    return segs


def main():
    import argparse
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "tests"))
    sys.path.insert(0, here)
    import run as benchrun
    from qemu import Qemu

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("op", help="benchmark name, e.g. read_4k")
    b = f"build/{benchrun.platforms.chosen()}"  # make's B
    ap.add_argument("--kernel", default=f"{b}/lux.bin")
    ap.add_argument("--elf", default=f"{b}/lux.elf")
    ap.add_argument("--bench", default=f"{b}/user/bench/bench")
    ap.add_argument("--image", default=f"{b}/initrd.cpio")
    ap.add_argument("--root", default=f"{b}/root",
                    help="the image tree: user programs for symbols")
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--out", default="build")
    ap.add_argument("--port", type=int, default=0,
                    help="gdb port (default: a free one)")
    ap.add_argument("--top", type=int, default=25)
    opt = ap.parse_args()
    if not opt.port:  # a fixed port clashed with parallel runs
        with socket.socket() as s:
            s.bind(("localhost", 0))
            opt.port = s.getsockname()[1]

    bench = Symbols(opt.bench)
    mark = bench.addrs[bench.names.index("trace_mark")]
    mark_bytes = bench.bytes_at(mark, 8)
    img = os.path.join(opt.out, "bench-lux.cpio")
    with open(img, "wb") as f:
        f.write(benchrun.lux_initrd(opt.bench, opt.image))
    raw = os.path.join(opt.out, f"trace-{opt.op}.raw")
    log = os.path.join(opt.out, f"trace-{opt.op}.log")
    args = benchrun.QEMU_COMMON + [
        "-m", opt.mem, "-kernel", opt.kernel, "-initrd", img,
        "-append", f"init=/sbin/lumen -- /bench/bench trace {opt.op}",
        "-gdb", f"tcp:localhost:{opt.port}"]
    env = dict(os.environ, TRACE_PORT=str(opt.port), TRACE_MARK=f"{mark:x}",
               TRACE_BYTES=mark_bytes.hex(), TRACE_OUT=raw)
    for stale in (raw, raw + ".code"):  # never report an earlier trace
        if os.path.exists(stale):
            os.remove(stale)
    with Qemu(args, log=log):
        subprocess.run(["gdb", "-nx", "-batch", "-x", __file__], env=env,
                       check=True, stdout=subprocess.DEVNULL)
    if not os.path.exists(raw + ".code"):
        sys.exit(f"trace.py: the trace did not complete; see {log}")
    report(opt, raw, bench)


# Names of the Linux x86_64 system calls a benchmark makes.
SYSCALLS = {0: "read", 1: "write", 2: "open", 3: "close", 4: "stat",
            5: "fstat", 7: "poll", 9: "mmap", 11: "munmap",
            15: "rt_sigreturn", 17: "pread64",
            24: "sched_yield", 39: "getpid", 44: "sendto", 45: "recvfrom",
            56: "clone", 57: "fork", 59: "execve", 60: "exit", 61: "wait4",
            63: "uname",
            110: "getppid", 202: "futex", 231: "exit_group", 257: "openat",
            262: "newfstatat", 332: "statx"}


def report(opt, raw, bench):
    """Print the trace's instructions by system call, process and function,
    and write the same as JSON to <out>/trace-<op>.json."""
    kernel = Symbols(opt.elf)
    sbin = os.path.join(opt.root, "sbin")
    programs = [bench] + [Symbols(os.path.join(sbin, p))
                          for p in sorted(os.listdir(sbin))
                          if not os.path.islink(os.path.join(sbin, p))]
    # The personality is mapped in every process at the same address: its
    # instructions count in the call that was reflected to it.
    path = os.path.join(opt.root, "lib/lux/persona")
    persona = Symbols(path) if os.path.exists(path) else None
    with open(raw + ".code") as f:
        code = json.load(f)
    who = {}  # cr3 -> program
    for cr3, samples in code["code"].items():
        match = [p for p in programs
                 if all(p.bytes_at(int(pc, 16), 16) == bytes.fromhex(b)
                        for pc, b in samples.items()
                        if not (persona and persona.contains(int(pc, 16))))]
        who[int(cr3, 16)] = match[0] if len(match) == 1 else None

    calls = []  # [label, Counter of (process, function)]
    bench_cr3, current = None, None
    with open(raw) as f:
        for line in f:
            parts = line.split()
            pc, cr3 = int(parts[0], 16), int(parts[1], 16)
            bench_cr3 = bench_cr3 or cr3
            user = pc < USER_TOP
            in_persona = user and persona and persona.contains(pc)
            prog = who.get(cr3)
            pname = prog.name if prog else f"cr3 {cr3:#x}"
            if user and cr3 == bench_cr3 and not in_persona:
                current = None
                if not calls or calls[-1][0] != "bench user":
                    calls.append(["bench user", collections.Counter()])
            elif current is None:
                entry = kernel.lookup(pc)
                if len(parts) > 2 and entry == "syscall_entry":
                    nr = int(parts[2], 16)
                    label = SYSCALLS.get(nr, f"syscall {nr}")
                else:
                    label = f"trap via {entry}"
                current = [label, collections.Counter()]
                calls.append(current)
            if in_persona:
                key = (f"{pname} (persona)", persona.lookup(pc))
            elif user:
                fn = prog.lookup(pc) if prog else f"{pc:#x}"
                key = (pname, fn)
            else:
                key = (f"{pname} (kernel)", kernel.lookup(pc))
            calls[-1][1][key] += 1

    total = sum(sum(c.values()) for _, c in calls)
    lines = [f"trace of one {opt.op}: {total} instructions"]
    if not code["complete"]:
        lines.append(f"warning: cut at {MAX_STEPS} instructions, before "
                     f"the operation ended")
    result = {"op": opt.op, "instructions": total, "calls": []}
    for label, counter in calls:
        n = sum(counter.values())
        by_proc = collections.Counter()
        for (proc, _), k in counter.items():
            by_proc[proc] += k
        lines.append(f"\n{label}: {n} instructions")
        lines += [f"    {k:7d}  {proc}" for proc, k in by_proc.most_common()]
        lines += [f"        {k:6d}  {proc}: {fn}"
                  for (proc, fn), k in counter.most_common(opt.top)]
        result["calls"].append({
            "call": label, "instructions": n, "processes": dict(by_proc),
            "functions": [[p, fn, k] for (p, fn), k in
                          counter.most_common()]})
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(opt.out, f"trace-{opt.op}.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    if gdb:
        in_gdb()
    else:
        main()

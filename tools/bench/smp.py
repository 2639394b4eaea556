#!/usr/bin/env python3
"""`make bench-smp`: Unix socket round trips between many process pairs on
1, 2 and 4 CPUs, lux and Linux side by side (docs/performance.md).

The same boot path and images as `make bench` (tools/bench/run.py), but
the benchmark runs `bench smp ITERS PAIRS...` and QEMU runs without
-icount, with `-accel tcg,thread=multi` (one host thread per vCPU), so the
figures are wall time: they vary from run to run and depend on the host.
Each figure is the wall time of all pairs together divided by all their
round trips (lower is better); the speed-up is against 1 CPU.
A host with fewer cores than vCPUs cannot show the full scaling.

Prints a table and writes <out>/bench-smp.json:
{"<cpus>cpu_<pairs>pairs": {"lux": ns|null, "linux": ns|null, "unit": "ns"}}.
"""

import argparse
import os
import sys

import run
from run import BenchError

CPUS = [1, 2, 4]
PAIRS = [1, 2, 4, 8]
# Round trips per pair: enough for a stable figure, few enough that the six
# boots finish within about three minutes.
ITERS = 5000
QEMU_SMP = ["-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", "max",
            "-no-reboot", "-display", "none", "-serial", "stdio",
            "-monitor", "none"]


def boot(name, cpus, args, log):
    """One system on `cpus` CPUs: {pairs: ns per round trip or None}."""
    run.QEMU_COMMON = QEMU_SMP + ["-smp", str(cpus)]
    results, _, secs, problem = run.boot(name, args, log)
    print(f"bench-smp: {name}, {cpus} CPU: {secs:.0f} s", flush=True)
    return {p: results.get(f"smp_unix_pairs_{p}") for p in PAIRS}, problem


def print_table(rows):
    """rows: (cpus, pairs, lux ns, linux ns, lux speed-up, linux speed-up)"""
    head = ("CPUs", "pairs", "lux", "Linux", "lux/Linux", "lux x1", "Linux x1")

    def f(v, fmt):
        return "n/a" if v is None else fmt.format(v)

    cells = [head] + [
        (str(c), str(p), f(a, "{:.0f} ns"), f(b, "{:.0f} ns"),
         f(a / b if a and b else None, "{:.2f}"),
         f(sa, "{:.2f}x"), f(sb, "{:.2f}x")) for c, p, a, b, sa, sb in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    for i, r in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", required=True, help="lux.bin")
    ap.add_argument("--bench", required=True, help="the benchmark binary")
    ap.add_argument("--image",
                    default=f"build/{run.platforms.chosen()}/initrd.cpio")
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--out", default="build")
    ap.add_argument("--iters", type=int, default=ITERS)
    opt = ap.parse_args()

    words = f"smp {opt.iters} " + " ".join(map(str, PAIRS))
    problems, lux, linux = [], {}, {}
    try:
        vmlinuz = run.fetch_linux()
        os.makedirs(opt.out, exist_ok=True)
        lux_img = os.path.join(opt.out, "bench-smp-lux.cpio")
        linux_img = os.path.join(opt.out, "bench-smp-linux.cpio")
        with open(lux_img, "wb") as f:
            f.write(run.lux_initrd(opt.bench, opt.image))
        with open(linux_img, "wb") as f:
            f.write(run.linux_initramfs(opt.bench, opt.busybox,
                                        "/bench/bench " + words))
        mem = ["-m", opt.mem]
        for cpus in CPUS:
            lux[cpus], p = boot("lux", cpus, mem + [
                "-kernel", opt.kernel, "-initrd", lux_img,
                "-append", "init=/sbin/lumen -- /bench/bench " + words],
                os.path.join(opt.out, f"bench-smp-lux-{cpus}.log"))
            problems += [p] if p else []
            linux[cpus], p = boot("Linux", cpus, mem + [
                "-kernel", vmlinuz, "-initrd", linux_img,
                "-append", "console=ttyS0 quiet panic=-1"],
                os.path.join(opt.out, f"bench-smp-linux-{cpus}.log"))
            problems += [p] if p else []
    except BenchError as e:
        print(f"bench-smp: FAILED: {e}", file=sys.stderr)
        return 1

    def speedup(sys_, cpus, pairs):
        one, this = sys_[1].get(pairs), sys_[cpus].get(pairs)
        return one / this if one and this else None

    rows, report = [], {}
    for cpus in CPUS:
        for pairs in PAIRS:
            a, b = lux[cpus][pairs], linux[cpus][pairs]
            rows.append((cpus, pairs, a, b, speedup(lux, cpus, pairs),
                         speedup(linux, cpus, pairs)))
            report[f"{cpus}cpu_{pairs}pairs"] = {"lux": a, "linux": b,
                                                 "unit": "ns"}
    print(f"\nUnix socket round trip, 8 bytes: wall time / all round trips "
          f"({opt.iters} per pair); x1 = speed-up over 1 CPU")
    print_table(rows)
    print(f"(this host has {os.cpu_count()} cores: QEMU runs one thread per "
          f"vCPU, so more vCPUs than cores cannot scale further)")
    return run.write_report(os.path.join(opt.out, "bench-smp.json"), report,
                            problems, "bench-smp")


if __name__ == "__main__":
    run.run_timed(main, "bench-smp")

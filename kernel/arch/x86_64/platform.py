"""How tests/run.py boots this platform (x86_64) under QEMU: the program,
the machine's arguments, how virtio devices attach, the boot tests of
tests/run.py that do not apply here (none: they were written for it),
the kernel lines some must show."""

QEMU = "qemu-system-x86_64"
UNAME = "x86_64"  # uname's machine


def machine(accel):
    """QEMU's machine arguments with accelerator accel (tcg, kvm)."""
    return ["-machine", f"q35,accel={accel}"]


def virtio(kind, props):
    """QEMU's arguments for a virtio device (blk, net) with props: a
    modern (virtio 1.x only) PCI function (lumen.tab's pci= lines)."""
    return ["-device", f"virtio-{kind}-pci,{props},disable-legacy=on"]


SKIP = ()
SKIP_WHY = ""
# The fault report of each deliberate fault (fault=<kind> on the command
# line, kernel/main.c), line by line. The protections (text, nx, smep,
# smap) fault with -cpu max under TCG; error code bits: 1 present,
# 2 write, 0x10 instruction fetch.
_PF = r"^KERNEL FAULT on CPU 0: vector 14 \(page fault\), error code "
_RIP = r"ffffffff8[0-9a-f]{7}"
FAULTS = {
    "page": (_PF + r"0x[0-9a-fA-F]+$", rf"^rip {_RIP}  rsp ",
             r"^cs 8 ss 10 cr0 ", r"^address 0x10$"),
    "stack": (r"^KERNEL FAULT on CPU 0: vector 8 \(double fault\), "
              r"error code 0x0$",
              r"^kernel stack overflow: rsp is at a guard page$"),
    "panic": (r"^PANIC on CPU 0: deliberate panic$",),
} | {kind: (_PF + code + "$", rf"^rip {rip}  rsp ", r"^cs 8 ss 10 cr0 ",
            rf"^address {addr}$")
     for kind, code, rip, addr in (
         ("text", "0x3", _RIP, "0x" + _RIP),
         ("nx", "0x11", _RIP, "0x" + _RIP),
         ("smep", "0x11", "0000000000400000", "0x400000"),
         ("smap", "0x1", _RIP, "0x400000"))}
# Kernel lines a boot test must show here, by its name.
LOGS = {"boot/direct-smp4": (r"^lux: paging: 5 levels$",)}

# What `make bench` (tools/bench/run.py) does on this platform: the QEMU
# program and machine (TCG, CPU included), the Debian kernel package (its
# meta package: apt-cache depends names the versioned image, which holds
# boot/vmlinuz-*) and console of Linux, the folders under ~/.cache/lux-bench/
# and under --out for its files, whether the benchmark can read the time
# since machine reset (tools/bench/bench.c, reset_ns: the boot metrics'
# boot runs) and whether lux drives the disk boot's virtio-blk-pci; `why`
# is printed for each boot left out. Both systems boot on the same machine
# (docs/performance.md).
BENCH = {
    "qemu": "qemu-system-x86_64",
    "machine": ["-machine", "q35,accel=tcg", "-cpu", "max"],
    "package": "linux-image-cloud-amd64",
    "cache": "",
    "console": "ttyS0",
    "out": "",
    "reset": True,
    "disk": True,
    "why": "",
}

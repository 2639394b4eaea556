"""How tests/run.py boots this platform (arm64, QEMU's virt machine) under
QEMU: the program, the machine's arguments, and the boot tests of
tests/run.py that do not apply here: x86_64's fault reports (vector
numbers, rip, cr0), the GRUB ISO and OVMF, I/O-port grants, 5-level
paging, q35's PCI host bridge; how its virtio devices attach."""

QEMU = "qemu-system-aarch64"
UNAME = "aarch64"  # uname's machine


def machine(accel):
    """QEMU's machine arguments with accelerator accel (tcg, kvm); its
    virtio-mmio devices modern (version 2), the only ones lux drives."""
    return ["-machine", "virt,gic-version=3", "-accel", accel,
            "-global", "virtio-mmio.force-legacy=false"]


def virtio(kind, props):
    """QEMU's arguments for a virtio device (blk, net) with props: on the
    virt machine's virtio-mmio bus (lumen.tab's virtio-mmio= lines)."""
    return ["-device", f"virtio-{kind}-device,{props}"]


SKIP = ("boot/iso-", "boot/hw-grant", "boot/paging-4level",
        "boot/drv-grant")
SKIP_WHY = ("GRUB, I/O ports, 5-level paging and q35's PCI configuration "
            "space and MSI (boot/drv-grant) are x86_64's")

# The fault report of each deliberate fault (fault=<kind>, kernel/main.c):
# ESR 0x96...: a data abort taken at EL1, 0x86...: an instruction abort.
# smap faults through PAN, which -cpu max (the tests' CPU) has.
_HEAD = r"^KERNEL FAULT on CPU 0: synchronous exception, ESR 0x"
_DATA = _HEAD + r"96[0-9a-f]{6} \(data abort\)$"
_TEXT = _HEAD + r"86[0-9a-f]{6} \(instruction abort\)$"
FAULTS = {
    "page": (_DATA, r"^pc  ffffffff8[0-9a-f]{7}  sp  ",
             r"^x30 [0-9a-f]{16}  far 0000000000000010$"),
    "stack": (_DATA, r"^kernel stack overflow: sp is at a guard page$"),
    "panic": (r"^PANIC on CPU 0: deliberate panic$",),
    "text": (_DATA,), "smap": (_DATA,), "nx": (_TEXT,), "smep": (_TEXT,),
}

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
    "qemu": "qemu-system-aarch64",
    "machine": ["-machine", "virt,gic-version=3", "-accel", "tcg",
                "-cpu", "max"],
    "package": "linux-image-cloud-arm64:arm64",
    "cache": "arm64",
    "console": "ttyAMA0",
    "out": "arm64",
    "reset": False,
    "disk": False,
    "why": ("boot metrics: the benchmark reads the time since reset only "
            "from a counter that counts nanoseconds under -icount (x86's "
            "TSC); the generic timer's CNTVCT_EL0, which programs may read, "
            "counts at CNTFRQ_EL0 and is not converted yet; disk: the disk "
            "boot attaches a PCI disk and loads Linux's virtio PCI modules; "
            "arm64's disks are virtio-mmio devices (lux drives them, "
            "docs/storage.md), which this benchmark does not set up yet"),
}

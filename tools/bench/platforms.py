"""What `make bench` (tools/bench/run.py) does differently per platform
(ARCH): the QEMU program and machine, the Debian kernel package and
console of Linux, where its figures go, and which boots it has. Both
systems of one platform boot on the same machine; only kernel, initrd and
command line differ (docs/performance.md)."""

# Per platform:
#   qemu       the QEMU program
#   machine    QEMU's machine arguments (TCG), CPU included
#   package    the meta package of Debian's kernel (apt-cache depends names
#              the versioned image package, which holds boot/vmlinuz-*)
#   cache      the folder under ~/.cache/lux-bench/ it is unpacked into
#   console    Linux's console= device (QEMU's first serial port)
#   out        the folder under --out for the logs, images and bench.json
#   reset      the benchmark can read the time since machine reset
#              (tools/bench/bench.c, reset_ns): the boot metrics' boot runs
#   disk       lux drives the disk boot's virtio-blk-pci: the disk boot runs
#   why        printed for each boot left out
PLATFORMS = {
    "x86_64": {
        "qemu": "qemu-system-x86_64",
        "machine": ["-machine", "q35,accel=tcg", "-cpu", "max"],
        "package": "linux-image-cloud-amd64",
        "cache": "",
        "console": "ttyS0",
        "out": "",
        "reset": True,
        "disk": True,
        "why": "",
    },
    "arm64": {
        "qemu": "qemu-system-aarch64",
        "machine": ["-machine", "virt,gic-version=3", "-accel", "tcg",
                    "-cpu", "max"],
        "package": "linux-image-cloud-arm64:arm64",
        "cache": "arm64",
        "console": "ttyAMA0",
        "out": "arm64",
        "reset": False,
        "disk": False,
        "why": ("boot metrics: lux arm64 leaves the generic timer's counter "
                "to EL1 (CNTKCTL_EL1.EL0VCTEN clear), so the benchmark "
                "cannot read the time since reset; disk: the disk boot "
                "attaches a PCI disk and loads Linux's virtio PCI modules; "
                "arm64's disks are virtio-mmio devices (lux drives them, "
                "docs/storage.md), which this benchmark does not set up "
                "yet"),
    },
}

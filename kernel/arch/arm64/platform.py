"""How tests/run.py boots this platform (arm64, QEMU's virt machine) under
QEMU: the program, the machine's arguments, and the boot tests of
tests/run.py that do not apply here: x86_64's fault reports (vector
numbers, rip, cr0), the GRUB ISO and OVMF, I/O-port grants, 5-level
paging, q35's PCI host bridge."""

QEMU = "qemu-system-aarch64"
UNAME = "aarch64"  # uname's machine


def machine(accel):
    """QEMU's machine arguments with accelerator accel (tcg, kvm)."""
    return ["-machine", "virt,gic-version=3", "-accel", accel]


SKIP = ("boot/fault-", "boot/iso-", "boot/hw-grant", "boot/paging-4level",
        "boot/drv-grant", "disk/", "net/")
SKIP_WHY = ("x86_64's fault reports, GRUB, I/O ports and 5-level paging; "
            "disk/ and net/ need virtio devices, which lux drives over PCI "
            "with MSI-X only: arm64 has neither the ITS nor virtio-mmio yet")

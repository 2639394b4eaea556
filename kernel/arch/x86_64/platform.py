"""How tests/run.py boots this platform (x86_64) under QEMU: the program,
the machine's arguments, the boot tests of tests/run.py that do not
apply here (none: they were written for it), the kernel lines some must
show."""

QEMU = "qemu-system-x86_64"
UNAME = "x86_64"  # uname's machine


def machine(accel):
    """QEMU's machine arguments with accelerator accel (tcg, kvm)."""
    return ["-machine", f"q35,accel={accel}"]


SKIP = ()
SKIP_WHY = ""
# Kernel lines a boot test must show here, by its name.
LOGS = {"boot/direct-smp4": (r"^lux: paging: 5 levels$",)}

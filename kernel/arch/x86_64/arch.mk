# x86_64 platform: compiler flags, link script and how QEMU boots it.
KARCH_CFLAGS := --target=x86_64-unknown-none-elf -mcmodel=kernel \
	-mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
	-mgeneral-regs-only -fno-pic -fno-pie
KARCH_LDFLAGS := -z max-page-size=4096 -z norelro --no-pie
KARCH_LDSCRIPT := kernel/arch/x86_64/kernel.ld
SYSCALL_HEADER := /usr/include/x86_64-linux-gnu/asm/unistd_64.h

QEMU := qemu-system-x86_64
# TCG by default; ACCEL=kvm (if you trust your KVM) is allowed, never needed.
ACCEL ?= tcg
QEMU_CPU ?= max
QEMU_BASE = -machine q35 -accel $(ACCEL)$(TCG_THREAD) -cpu $(QEMU_CPU) -smp $(SMP) -m $(MEM) \
	-no-reboot -display none -serial mon:stdio
# Direct boot: QEMU loads lux.bin through its Multiboot header.
QEMU_DIRECT = $(QEMU_BASE) -kernel $(KBIN) -initrd $(INITRD) -append "$(CMDLINE)"
OVMF ?= /usr/share/ovmf/OVMF.fd
# A virtio device (blk, net) as QEMU names it: a modern PCI function.
VIRTIO_DEVICE = virtio-$(1)-pci,disable-legacy=on

# User space (user/user.mk): the musl triple's architecture, and Debian's
# busybox-static for this platform (the host's own, tools/setup.sh).
# glibc's loader, and Debian's env for tests/dyn (tests/dyn/dyn.mk).
UGLIBC_LD := /lib64/ld-linux-x86-64.so.2
UDEBIAN_ENV := /usr/bin/env
UARCH := x86_64
# Debian's name of the architecture: `make debian` (tools/debian.sh),
# with qemu-user-static's binfmt_misc handler for it on another host;
# `make test` boots its image (docs/decisions/0036-debian-root.md).
DEB_ARCH := amd64
DEB_BINFMT := qemu-x86_64
DEBIAN_TEST := 1
BUSYBOX := /bin/busybox

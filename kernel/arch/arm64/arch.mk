# arm64 platform: compiler flags, link script and how QEMU boots it.
KARCH_CFLAGS := --target=aarch64-unknown-none-elf -mgeneral-regs-only \
	-fno-pic -fno-pie
KARCH_LDFLAGS := -z max-page-size=4096 -z norelro --no-pie
KARCH_LDSCRIPT := kernel/arch/arm64/kernel.ld
SYSCALL_HEADER := /usr/include/aarch64-linux-musl/bits/syscall.h
# glibc's loader, and Debian's env for tests/dyn (tests/dyn/dyn.mk).
UGLIBC_LD := /lib/ld-linux-aarch64.so.1
UDEBIAN_ENV := build/cache/arm64/usr/bin/env
UARCH := aarch64
# Debian's name of the architecture: `make debian` (tools/debian.sh,
# whose second stage runs under qemu-user-static's binfmt_misc handler
# DEB_BINFMT on an amd64 host);
# `make test` boots its image (docs/decisions/0036-debian-root.md).
DEB_ARCH := arm64
DEB_BINFMT := qemu-aarch64
DEBIAN_TEST := 1
BUSYBOX := build/cache/arm64/bin/busybox
# The personality is freestanding: no outline atomics (libgcc helpers).
UPARCH_CFLAGS := -mno-outline-atomics

QEMU := qemu-system-aarch64
GDB := gdb-multiarch
ACCEL ?= tcg
QEMU_CPU ?= max
QEMU_BASE = -machine virt,gic-version=3 -accel $(ACCEL)$(TCG_THREAD) \
	-cpu $(QEMU_CPU) -smp $(SMP) -m $(MEM) -no-reboot -display none \
	-serial mon:stdio -global virtio-mmio.force-legacy=false
# Direct boot: QEMU loads lux.bin as a Linux arm64 Image.
QEMU_DIRECT = $(QEMU_BASE) -kernel $(KBIN) -initrd $(INITRD) \
	-append "$(CMDLINE)"
# A virtio device (blk, net) as QEMU names it on virt's virtio-mmio bus,
# modern (version 2) by QEMU_BASE's -global (docs/platform.md).
VIRTIO_DEVICE = virtio-$(1)-device

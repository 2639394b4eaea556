# lux top-level Makefile. `make help` lists the targets.
# The platforms: every kernel/arch/<name>/ with a platform.py. ARCH= picks
# one; by default the one this machine is (its platform.py's UNAME is
# `uname -m`), else the first: no platform is named outside kernel/arch/
# (docs/platform.md).
ARCHS := $(patsubst kernel/arch/%/platform.py,%,\
	$(wildcard kernel/arch/*/platform.py))
HOST_ARCH := $(patsubst kernel/arch/%/platform.py,%,$(shell grep -l \
	'^UNAME = "$(shell uname -m)"' kernel/arch/*/platform.py))
ARCH ?= $(firstword $(HOST_ARCH) $(ARCHS))
SMP ?= 2
MEM ?= 512M
# The first process: lumen, which starts the servers and a login shell on
# the serial console (docs/lumen.md); words after "--" are its arguments.
CMDLINE ?= init=/sbin/lumen

B := build/$(ARCH)
HB := build/host
KELF := $(B)/lux.elf
KBIN := $(B)/lux.bin
INITRD := $(B)/initrd.cpio
ISO := $(B)/lux.iso

include kernel/arch/$(ARCH)/arch.mk

CC := clang
LD := ld.lld
OBJCOPY := llvm-objcopy
OBJDUMP := llvm-objdump
NM := llvm-nm
PYTHON := python3
GDB ?= gdb

KCFLAGS := $(KARCH_CFLAGS) -std=c17 -ffreestanding -nostdlib -O2 -g \
	-fno-stack-protector -fno-omit-frame-pointer -fno-common \
	-ffunction-sections -Wall -Wextra -Werror \
	-Ikernel/include -Ikernel/arch/$(ARCH)/include -Iinclude \
	-Ikernel/arch/$(ARCH)/uinclude -I$(B)/gen \
	-MMD -MP

KSRC := $(wildcard kernel/*.c kernel/*/*.c \
	kernel/arch/$(ARCH)/*.c kernel/arch/$(ARCH)/*.S tests/kernel/*.c)
KOBJ := $(patsubst %,$(B)/%.o,$(KSRC))

.PHONY: all kernel initrd iso run run-iso debug test debian test-platform fuzz soak unit loc format \
	format-check setup clean help
all: kernel initrd

help:
	@echo "make [all]     build the kernel ($(KELF)) and the initrd"
	@echo "make run       boot lux in QEMU on this terminal (Ctrl-A X quits)"
	@echo "make run-iso   the same, booting the GRUB ISO (UEFI=1 for OVMF)"
	@echo "make iso       GRUB ISO for BIOS and UEFI: $(ISO)"
	@echo "make debian    a Debian root's ext2 image (as root); make run DEBIAN=1"
	@echo "make debug     QEMU halted with a gdb stub, and gdb attached"
	@echo "make test      every test; ends with 'N passed, N failed'"
	@echo "make fuzz      the system-call fuzzer, long (SEED= CALLS= CPUS= UID=)"
	@echo "make bench     lux and Linux micro-benchmarks, side by side"
	@echo "make bench-smp socket round trips, 1-8 pairs on 1, 2, 4 CPUs"
	@echo "make bench-trace OP=NAME  one benchmark operation, instruction by instruction"
	@echo "make soak      kill servers under load for DURATION=600 seconds"
	@echo "make loc       kernel code lines: portable core and each platform"
	@echo "make utest-host  run the user-space test suite on this Linux"
	@echo "make format    clang-format every C file in place"
	@echo "variables: ARCH=$(ARCH) SMP=$(SMP) MEM=$(MEM) CMDLINE='$(CMDLINE)'"
	@echo "           ROOT=dir (extra files for the image), ACCEL=tcg|kvm,"
	@echo "           QEMU_CPU=$(QEMU_CPU) (QEMU's -cpu, make run and make test)"

setup:
	@tools/setup.sh

kernel: $(KELF) $(KBIN)

# System-call numbers and names, from the distribution's kernel headers.
$(B)/gen/syscall_nr.h: tools/mksyscalls.py $(SYSCALL_HEADER)
	@mkdir -p $(dir $@)
	$(PYTHON) tools/mksyscalls.py $(SYSCALL_HEADER) > $@

$(B)/%.c.o: %.c $(B)/gen/syscall_nr.h
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

$(B)/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

# The kernel is linked twice: the second link adds the symbol table that
# fault reports use. The table sits after all code, so code addresses are
# the same in both links (tools/mksyms.py checks that).
$(B)/lux.pass1.elf: $(KOBJ) $(KARCH_LDSCRIPT) tools/mksyms.py
	$(PYTHON) tools/mksyms.py --empty > $(B)/ksyms0.S
	$(CC) $(KCFLAGS) -c $(B)/ksyms0.S -o $(B)/ksyms0.o
	$(LD) $(KARCH_LDFLAGS) -T $(KARCH_LDSCRIPT) -o $@ $(KOBJ) $(B)/ksyms0.o

$(KELF): $(B)/lux.pass1.elf
	$(NM) -n $< | $(PYTHON) tools/mksyms.py > $(B)/ksyms.S
	$(CC) $(KCFLAGS) -c $(B)/ksyms.S -o $(B)/ksyms.o
	$(LD) $(KARCH_LDFLAGS) -T $(KARCH_LDSCRIPT) -o $@ $(KOBJ) $(B)/ksyms.o
	$(NM) -n $@ | $(PYTHON) tools/mksyms.py --check $(B)/lux.pass1.elf
	$(NM) -n $@ > $(B)/lux.sym
	$(OBJDUMP) -d --no-show-raw-insn $@ > $(B)/lux.asm

$(KBIN): $(KELF)
	$(OBJCOPY) -O binary $< $@

include user/user.mk

# The boot image's root tree: root/ from the repository, the platform's
# own files (kernel/arch/$(ARCH)/root/: lumen's service table with its
# devices), the user programs (user/user.mk), then ROOT= if given.
ROOT ?=
KARCH_ROOT := kernel/arch/$(ARCH)/root
$(INITRD): $(shell find root $(KARCH_ROOT) $(ROOT) -print 2>/dev/null) \
		$(USER_IMAGE) user/user.mk
	@mkdir -p $(B)/root
	rm -rf $(B)/root && mkdir -p $(B)/root && \
		cp -a root/. $(KARCH_ROOT)/. $(B)/root/
	$(USER_INSTALL)
	$(if $(ROOT),cp -a $(ROOT)/. $(B)/root/)
	$(USER_LINKS)
	cd $(B)/root && find . | LC_ALL=C sort | \
		cpio -o -H newc -R 0:0 --quiet > ../initrd.cpio

initrd: $(INITRD)

iso: $(ISO)
# The platform's boot image maker (kernel/arch/<name>/mkiso.sh; x86_64:
# GRUB for BIOS and UEFI).
$(ISO): $(KELF) $(INITRD) kernel/arch/$(ARCH)/mkiso.sh
	kernel/arch/$(ARCH)/mkiso.sh $(KELF) $(INITRD) $@ "$(CMDLINE)"

# The disk `make run` attaches as /dev/vda (docs/storage.md): an ext2
# image made once, outside build/ so that `make clean` keeps it, with the
# user lux's home; lumen mounts it on /home. DISK=path attaches another
# image (made the same way if it does not exist).
DISK ?= disk.img
DISK_SIZE ?= 256M
MKE2FS := $(shell command -v mke2fs || echo /sbin/mke2fs)
DEBUGFS := $(shell command -v debugfs || echo /sbin/debugfs)
QEMU_DISK = -drive file=$(DISK),format=raw,if=none,id=vda \
	-device $(call VIRTIO_DEVICE,blk),drive=vda

$(DISK):
	$(MKE2FS) -q -t ext2 -E root_owner=0:0 -L lux $@.tmp $(DISK_SIZE)
	printf 'mkdir lux\nsif lux uid 1000\nsif lux gid 1000\n' | \
		$(DEBUGFS) -w -f - $@.tmp >/dev/null
	mv $@.tmp $@

# The Debian root (docs/decisions/0036-debian-root.md): `make debian`
# builds an ext2 image of a minimal Debian (debootstrap, root needed)
# once, rebuilt only when tools/debian.sh changes (another architecture
# than the host's: its programs run under DEB_BINFMT, arch.mk's); `make run DEBIAN=1`
# attaches it as the second disk, which lumen mounts on /debian
# (/etc/fstab): `chroot /debian /bin/bash` is Debian's shell.
DEBIAN_IMG := build/debian-$(DEB_ARCH).img
QEMU_DEBIAN = -drive file=$(DEBIAN_IMG),format=raw,if=none,id=vdb \
	-device $(call VIRTIO_DEVICE,blk),drive=vdb
# A platform whose arch.mk sets DEBIAN_TEST boots it in `make test`
# (tests/system/debian.py).
DEBIAN_TEST_IMG := $(if $(DEBIAN_TEST),$(DEBIAN_IMG))
debian: setup $(DEBIAN_IMG)
$(DEBIAN_IMG): tools/debian.sh
	tools/debian.sh $(DEB_ARCH) $@ $(DEB_BINFMT)

# The network `make run` gives lux (docs/network.md): a virtio-net device
# on QEMU's user network, whose DHCP gives the TCP/IP server 10.0.2.15.
# (VIRTIO_DEVICE, the platform's arch.mk: QEMU's name of a virtio device
# on the platform's bus, docs/platform.md.)
QEMU_NET = -netdev user,id=n0 -device $(call VIRTIO_DEVICE,net),netdev=n0
# The devices `make run` attaches.
RUN_DEVICES ?= $(QEMU_DISK) $(if $(DEBIAN),$(QEMU_DEBIAN)) $(QEMU_NET)

# The disk's PCI probe at boot can crash QEMU 7.2's multi-threaded TCG on
# a multi-CPU guest (docs/troubleshooting.md): run's TCG uses one thread.
comma := ,
run: TCG_THREAD = $(if $(filter tcg,$(ACCEL)),$(comma)thread=single)
run: setup all $(if $(RUN_DEVICES),$(DISK)) $(if $(DEBIAN),$(DEBIAN_IMG))
	$(QEMU) $(QEMU_DIRECT) $(RUN_DEVICES)

run-iso: setup $(ISO)
	$(QEMU) $(QEMU_BASE) $(if $(UEFI),-bios $(OVMF)) -cdrom $(ISO)

debug: setup all
	$(QEMU) $(QEMU_DIRECT) -s -S & \
	$(GDB) -q $(KELF) -ex 'target remote localhost:1234' -ex 'break kmain' \
		-ex 'continue'; kill %1 2>/dev/null; true

include tests/unit/unit.mk
include tools/bench/bench.mk

# The system-call fuzzer, long: `make fuzz CALLS=100000 SEED=7 CPUS=4
# UID=1000` (tests/user/fuzz.c, tools/fuzz.py, docs/testing.md).
SEED ?= 1
CALLS ?= 100000
CPUS ?= 2
UID ?=
KNOWN ?=
fuzz: setup all
	ARCH=$(ARCH) ACCEL=$(ACCEL) $(PYTHON) tools/fuzz.py --seed $(SEED) --calls $(CALLS) \
		--cpus $(CPUS) $(if $(UID),--uid $(UID)) \
		$(if $(KNOWN),--known $(KNOWN))

# T=word selects the tests whose names contain it (several words allowed).
# Every platform's tests, one after the other (this machine's first); ARCH=
# on the command line narrows them to one. The last line sums them.
TEST_ARCHS := $(if $(filter command line,$(origin ARCH)),$(ARCH),\
	$(HOST_ARCH) $(filter-out $(HOST_ARCH),$(ARCHS)))
TEST_SUMMARY := build/test-summary
test: setup
	@mkdir -p build && : > $(TEST_SUMMARY) && rc=0 && \
	for a in $(TEST_ARCHS); do \
		$(MAKE) --no-print-directory ARCH=$$a test-platform || rc=1; \
	done; awk -v want=$(words $(TEST_ARCHS)) -v t="$(T)" \
		'{p += $$1; f += $$2} END {if (NR < want) f++; \
		if (t != "" && p + f == 0) {print "FAIL filter: no test matches " t; f++} \
		print p " passed, " f " failed"; exit f > 0}' \
		$(TEST_SUMMARY) && exit $$rc

test-platform: all $(DEBIAN_TEST_IMG)
	LUX_TEST_SUMMARY=$(TEST_SUMMARY) ARCH=$(ARCH) B=$(B) ACCEL=$(ACCEL) \
		DEBIAN_IMG=$(DEBIAN_TEST_IMG) \
		OVMF=$(OVMF) QEMU_CPU=$(QEMU_CPU) $(PYTHON) tests/run.py $(T)

# The fault-injection test (tests/user/faults.c) for DURATION seconds.
DURATION ?= 600
soak: setup all
	ARCH=$(ARCH) ACCEL=$(ACCEL) $(PYTHON) tests/soak.py $(DURATION)

loc:
	@$(PYTHON) tools/loc.py

FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build

-include $(KOBJ:.o=.d)

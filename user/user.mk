# User-space programs for the boot image: static musl executables.
#
# Compiled by clang for $(UTRIPLE) against the distribution's musl
# (musl-dev: headers and libc.a), never with musl-gcc, so that the same
# lines build arm64 (ARCH=arm64 with musl-dev:arm64 installed). -nostdinc
# and -nostdlib keep the host's glibc out: the headers are musl's, then
# clang's own (intrinsics, stdatomic.h); the link is musl's crt1.o,
# crti.o, the program, libc.a, clang's builtins for compiler helper
# routines, crtn.o.
#
# Test programs: tests/user/<name>.c plus tests/user/utest.c become
# $(B)/user/tests/<name>, installed in the image as /tests/<name>.
# Debian's own static busybox is installed, unchanged, as /bin/busybox.
#
# `make user` builds the programs; `make utest-host` runs the test suite
# on this machine's Linux, for comparison with lux.

# UARCH (the target's name in the musl triple), BUSYBOX (Debian's
# busybox-static for the target) and UPARCH_CFLAGS (the personality's
# own flags, if any) come from kernel/arch/$(ARCH)/arch.mk.
UTRIPLE := $(UARCH)-linux-musl
UMUSL_INC := /usr/include/$(UTRIPLE)
UMUSL_LIB := /usr/lib/$(UTRIPLE)
URESOURCE_INC := $(shell $(CC) -print-resource-dir)/include
# Compiler helper routines (__udivti3, long double on arm64, ...).
URTLIB := $(shell $(CC) --target=$(UTRIPLE) -rtlib=compiler-rt \
	-print-libgcc-file-name)

# The platform's part of the headers user space includes
# (<lux/persona_ctx.h>, the per-platform helpers of the test programs):
# kernel/arch/$(ARCH)/uinclude/ (docs/platform.md).
UARCH_INC := kernel/arch/$(ARCH)/uinclude
UCFLAGS := --target=$(UTRIPLE) -std=gnu17 -O2 -g -Wall -Wextra -Werror \
	-fno-pie -fno-omit-frame-pointer -nostdinc -isystem $(UMUSL_INC) \
	-isystem $(URESOURCE_INC) -Iinclude -I$(UARCH_INC) -Iuser/lib -MMD -MP
ULDFLAGS := --target=$(UTRIPLE) -fuse-ld=lld -static -nostdlib
UCRT_START := $(UMUSL_LIB)/crt1.o $(UMUSL_LIB)/crti.o
UCRT_END := $(UMUSL_LIB)/libc.a $(URTLIB) $(UMUSL_LIB)/crtn.o

UB := $(B)/user
UTEST_NAMES := $(filter-out utest,\
	$(basename $(notdir $(wildcard tests/user/*.c))))
UTEST_BINS := $(UTEST_NAMES:%=$(UB)/tests/%)

# Servers and lumen: every directory user/<prog>/ but user/lib,
# user/lwip, user/persona and user/virtio becomes
# $(UB)/sbin/<prog> (its *.c plus the server library user/lib/*.c),
# installed in the image as /sbin/<prog>.
USRV_NAMES := $(sort $(filter-out lib lwip persona virtio,$(notdir $(patsubst %/,%,\
	$(dir $(wildcard user/*/*.c))))))
USRV_BINS := $(USRV_NAMES:%=$(UB)/sbin/%)
ULIB_OBJS := $(patsubst %.c,$(UB)/obj/%.o,$(wildcard user/lib/*.c))

# The Linux personality (user/persona/, docs/decisions/0006-reflection.md):
# its portable C and the platform's assembly file, freestanding (no musl:
# its own system calls), linked at LUX_PERSONA_BASE of include/lux/proto.h,
# installed as /lib/lux/persona, which exec maps into every process.
UPERSONA := $(UB)/lib/lux/persona
UPERSONA_BASE := $(shell sed -n \
	's/^\#define LUX_PERSONA_BASE *\(0x[0-9a-f]*\).*/\1/p' include/lux/proto.h)
UPERSONA_OBJS := $(patsubst %,$(UB)/obj/%.o,\
	$(wildcard user/persona/*.c user/persona/$(UARCH).S \
	user/persona/$(UARCH)/*.c))
UPCFLAGS := --target=$(UTRIPLE) -std=gnu17 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fpie -fno-stack-protector -fno-omit-frame-pointer \
	-mgeneral-regs-only -nostdinc -isystem $(URESOURCE_INC) -Iinclude \
	-I$(UARCH_INC) -I$(B)/gen -DPERSONA_MACHINE='"$(UARCH)"' -MMD -MP $(UPARCH_CFLAGS)

$(UB)/obj/user/persona/%.c.o: user/persona/%.c $(B)/gen/syscall_nr.h
	@mkdir -p $(dir $@)
	$(CC) $(UPCFLAGS) -c $< -o $@

$(UB)/obj/user/persona/%.S.o: user/persona/%.S
	@mkdir -p $(dir $@)
	$(CC) $(UPCFLAGS) -c $< -o $@

$(UPERSONA): $(UPERSONA_OBJS) include/lux/proto.h
	@mkdir -p $(dir $@)
	$(CC) --target=$(UTRIPLE) -fuse-ld=lld -static -nostdlib \
		-Wl,--image-base=$(UPERSONA_BASE) -Wl,-e,persona_entry \
		-Wl,-z,max-page-size=4096 -Wl,--build-id=none -Wl,--no-rosegment \
		$(UPERSONA_OBJS) -o $@

# An ext2 image made by the host's mke2fs (e2fsprogs, tools/setup.sh)
# holding tests/user/ext2-seed/: /tests/ext2.img, for tests/user/ext2.c.
UEXT2_IMG := $(UB)/tests/ext2.img
$(UEXT2_IMG): $(shell find tests/user/ext2-seed)
	@mkdir -p $(dir $@)
	rm -f $@ && PATH="$$PATH:/usr/sbin:/sbin" mke2fs -q -F -t ext2 -b 1024 \
		-E root_owner=0:0 -d tests/user/ext2-seed $@ 1024k >/dev/null

# Dynamically linked programs, their loaders and libraries.
include tests/dyn/dyn.mk

# What the $(INITRD) rule needs, and the command that copies it into the
# image tree $(B)/root after root/ and before ROOT=.
USER_IMAGE := $(UTEST_BINS) $(USRV_BINS) $(BUSYBOX) $(UPERSONA) $(UEXT2_IMG) \
	$(DYN_IMAGE)
USER_INSTALL = $(DYN_INSTALL) && \
	mkdir -p $(B)/root/tests $(B)/root/bin $(B)/root/sbin && \
	cp $(UTEST_BINS) $(UEXT2_IMG) $(B)/root/tests/ && \
	$(if $(USRV_BINS),cp $(USRV_BINS) $(B)/root/sbin/ &&) \
	cp $(BUSYBOX) $(B)/root/bin/busybox && \
	mkdir -p $(B)/root/lib/lux && cp $(UPERSONA) $(B)/root/lib/lux/ && \
	ln -sf busybox $(B)/root/bin/sh && \
	mkdir -p $(B)/root/root $(B)/root/tmp $(B)/root/run/inet $(B)/root/dev \
		$(B)/root/proc $(B)/root/home/lux $(B)/root/debian && chmod 1777 $(B)/root/tmp && \
	chmod 0700 $(B)/root/root

# Run after every other file is in the tree: a link /bin/busybox for each
# busybox applet (the host's busybox-static lists the same applets on
# every architecture), never replacing a file that is there.
HOST_BUSYBOX := /bin/busybox
USER_LINKS = for f in $$($(HOST_BUSYBOX) --list-full); do \
	[ -e $(B)/root/$$f ] || [ -L $(B)/root/$$f ] || \
	{ mkdir -p $$(dirname $(B)/root/$$f) && \
	ln -s /bin/busybox $(B)/root/$$f; } || exit 1; done

# Debian's busybox for the target, when absent: installed, or fetched from
# its package (arm64), by tools/setup.sh.
$(BUSYBOX):
	tools/setup.sh

.PHONY: user utest-host
user: $(UTEST_BINS) $(USRV_BINS) $(UPERSONA) $(DYN_IMAGE)

utest-host: $(UTEST_BINS) $(DYN_IMAGE)
	$(UB)/tests/runner $(UB)/tests

# Keep every intermediate object: make would otherwise delete the servers'
# objects after linking (and print the rm after the test summary). Named,
# since the unit tests' named .SECONDARY lists undo a bare one.
.SECONDARY: $(patsubst %.c,$(UB)/obj/%.o,$(wildcard tests/user/*.c user/*/*.c))

$(UB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -c $< -o $@

# musl and clang's builtins come from packages (tools/setup.sh): if one is
# missing, make names the file.
$(UB)/tests/%: $(UB)/obj/tests/user/%.o $(UB)/obj/tests/user/utest.o \
		| $(UMUSL_LIB)/libc.a $(URTLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ULDFLAGS) $(UCRT_START) $^ $(UCRT_END) -o $@

.SECONDEXPANSION:
$(UB)/sbin/%: $$(addprefix $(UB)/obj/,$$(subst .c,.o,$$(wildcard user/$$*/*.c))) \
		$(ULIB_OBJS) | $(UMUSL_LIB)/libc.a $(URTLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ULDFLAGS) $(UCRT_START) $^ $(UCRT_END) -o $@

# ramfs, the root, runs inside lumen too (user/ramfs/main.c's
# ramfs_main): a restart cannot read /sbin/ramfs while the root is down.
$(UB)/sbin/lumen: $(patsubst %.c,$(UB)/obj/%.o,\
	$(filter-out user/ramfs/prog.c,$(wildcard user/ramfs/*.c)))

# The virtio drivers (user/virtio-*/) share the transport, the
# virtqueues and DMA memory of user/virtio/ (docs/network.md).
UVIRTIO_OBJS := $(patsubst %.c,$(UB)/obj/%.o,$(wildcard user/virtio/*.c))
$(UB)/obj/user/virtio-%.o: UCFLAGS += -Iuser/virtio
$(filter $(UB)/sbin/virtio-%,$(USRV_BINS)): $(UVIRTIO_OBJS)

# The TCP/IP server (user/net/) links lwIP (user/lwip/lwip.mk), whose
# source is fetched before the server's objects are compiled.
include user/lwip/lwip.mk
$(UB)/obj/user/net/%.o: UCFLAGS += $(ULWIP_CFLAGS)
$(patsubst %.c,$(UB)/obj/%.o,$(wildcard user/net/*.c)): | $(ULWIP_STAMP)
$(UB)/sbin/net: $(ULWIP)

-include $(wildcard $(UB)/obj/tests/user/*.d $(UB)/obj/user/*/*.d)

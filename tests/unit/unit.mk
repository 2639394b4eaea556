# Host unit tests (cmocka) of the kernel's hardware-free logic.
#
# `make unit` builds $(HB)/test_<name> from each tests/unit/test_<name>.c,
# linked with the kernel files in UNIT_KSRC and the stand-ins in
# tests/unit/host/. Kernel files are compiled for the host with the host
# arch_defs.h first on the include path, and with the C library's names
# renamed (memcpy -> kmemcpy, ...) in them and in the tests, so the tests
# exercise the kernel's own copies and never clash with libc. Each test
# binary prints TAP with CMOCKA_MESSAGE_OUTPUT=TAP and exits non-zero when a
# case fails.
HOSTCC ?= clang
UNIT_KSRC := kernel/lib/string.c kernel/lib/printf.c kernel/mm/range.c \
	kernel/mm/pmm.c kernel/mm/heap.c kernel/sched/runq.c kernel/lib/cpio.c \
	user/persona/elf.c user/persona/ustack.c
UNIT_LIBC_NAMES := memset memcpy memmove memcmp strlen strlcpy strcmp \
	strncmp strstr vsnprintf snprintf
UNIT_CFLAGS := -std=gnu17 -g -O1 -Wall -Wextra -Werror -fno-builtin \
	-fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Itests/unit/host -Ikernel/include -Iinclude \
	-MMD -MP
UNIT_RENAME := $(foreach f,$(UNIT_LIBC_NAMES),-D$(f)=k$(f))

UNIT_BINS := $(patsubst tests/unit/test_%.c,$(HB)/test_%,\
	$(wildcard tests/unit/test_*.c))
UNIT_KOBJ := $(patsubst %.c,$(HB)/unit/%.o,$(UNIT_KSRC))
UNIT_HOBJ := $(patsubst %.c,$(HB)/unit/%.o,$(wildcard tests/unit/host/*.c))

unit: $(UNIT_BINS)

# Keep the objects make would otherwise delete as intermediates.
.SECONDARY: $(UNIT_KOBJ) $(UNIT_HOBJ) \
	$(patsubst $(HB)/test_%,$(HB)/unit/tests/unit/test_%.o,$(UNIT_BINS))

# ramfs (user/ramfs/ but main.c and prog.c) is user-space code: its test builds
# it with the host's C library as it is, no stand-ins, no renaming.
RAMFS_USRC := $(filter-out user/ramfs/main.c user/ramfs/prog.c,\
	$(wildcard user/ramfs/*.c)) user/lib/memobj.c user/lib/lock.c \
	user/lib/lux.c
RAMFS_UOBJ := $(patsubst %.c,$(HB)/unit/%.o,$(RAMFS_USRC))
RAMFS_UCFLAGS := $(filter-out -Itests/unit/host -Ikernel/include,\
	$(UNIT_CFLAGS)) -Iuser/ramfs -Iuser/lib

.SECONDARY: $(RAMFS_UOBJ)

$(HB)/unit/user/ramfs/%.o: user/ramfs/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(RAMFS_UCFLAGS) -c $< -o $@

# The server library's memory-object helpers and leases (lock.c, with
# lux.c's replies), which ramfs and ext2 link.
$(HB)/unit/user/lib/%.o: user/lib/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(RAMFS_UCFLAGS) -c $< -o $@

$(HB)/unit/tests/unit/test_ramfs.o: tests/unit/test_ramfs.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(RAMFS_UCFLAGS) -c $< -o $@

$(HB)/test_ramfs: $(HB)/unit/tests/unit/test_ramfs.o $(RAMFS_UOBJ)
	$(HOSTCC) $(RAMFS_UCFLAGS) $^ -lcmocka -o $@

# The stand-ins use the host's libc under its own names.
$(HB)/unit/tests/unit/host/%.o: tests/unit/host/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -c $< -o $@

$(HB)/unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) $(UNIT_RENAME) -c $< -o $@

# test_exec tests the personality's loader (user/persona/load.h); only it
# sees the personality's headers (its fs.h is not ramfs's or the kernel's).
$(HB)/unit/tests/unit/test_exec.o: UNIT_CFLAGS += -Iuser/persona

$(HB)/test_%: $(HB)/unit/tests/unit/test_%.o $(UNIT_KOBJ) $(UNIT_HOBJ)
	$(HOSTCC) $(UNIT_CFLAGS) $^ -lcmocka -o $@

-include $(wildcard $(HB)/unit/*/*.d $(HB)/unit/*/*/*.d \
	$(HB)/unit/*/*/*/*.d)

# Tests of user-space logic link the file they test.
$(HB)/test_tty: $(HB)/unit/user/tty/ldisc.o

# The personality's lexical path names (user/persona/pathname.c): user
# code, compiled against the host's C library under its own names.
UNIT_PERSONA_CFLAGS := $(filter-out -I%,$(UNIT_CFLAGS)) -Iinclude \
	-Iuser/persona
$(HB)/unit/tests/unit/test_persona_path.o: tests/unit/test_persona_path.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_PERSONA_CFLAGS) -c $< -o $@
$(HB)/unit/user/persona/pathname.o: user/persona/pathname.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_PERSONA_CFLAGS) -c $< -o $@
.SECONDARY: $(HB)/unit/user/persona/pathname.o
$(HB)/test_persona_path: $(HB)/unit/tests/unit/test_persona_path.o \
		$(HB)/unit/user/persona/pathname.o
	$(HOSTCC) $(UNIT_PERSONA_CFLAGS) $^ -lcmocka -o $@

# Host tests of lumen's pure logic (test_lumen_*.c with user/lumen/*.c
# named in UNIT_LUMEN_SRC): user-space code, so compiled against the host's
# C library under its own names, without the kernel's files.
UNIT_LUMEN_SRC := user/lumen/route.c user/lumen/tab.c
UNIT_LUMEN_CFLAGS := $(filter-out -I%,$(UNIT_CFLAGS)) -Iinclude -Iuser/lumen \
	-Iuser/lib
$(HB)/unit/tests/unit/test_lumen_%.o: tests/unit/test_lumen_%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_LUMEN_CFLAGS) -c $< -o $@
$(HB)/unit/user/lumen/%.o: user/lumen/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_LUMEN_CFLAGS) -c $< -o $@
UNIT_LUMEN_OBJ := $(patsubst %.c,$(HB)/unit/%.o,$(UNIT_LUMEN_SRC))
.SECONDARY: $(UNIT_LUMEN_OBJ)
$(filter $(HB)/test_lumen_%,$(UNIT_BINS)): $(HB)/test_lumen_%: \
		$(HB)/unit/tests/unit/test_lumen_%.o $(UNIT_LUMEN_OBJ)
	$(HOSTCC) $(UNIT_LUMEN_CFLAGS) $^ -lcmocka -o $@

# procfs's text formats: user/procfs/text.c compiled for the host as the
# user program it is (the host's libc, no kernel names); the test also
# drives the procfs program (musl, static) over a socket pair.
PROCFS_UCFLAGS := $(filter-out -Itests/unit/host -Ikernel/include,\
	$(UNIT_CFLAGS)) -Iuser/procfs

$(HB)/unit/user/procfs/%.o: user/procfs/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(PROCFS_UCFLAGS) -c $< -o $@

$(HB)/unit/tests/unit/test_procfs.o: tests/unit/test_procfs.c $(UB)/sbin/procfs
	@mkdir -p $(dir $@)
	$(HOSTCC) $(PROCFS_UCFLAGS) \
		-DPROCFS_BIN='"$(abspath $(UB)/sbin/procfs)"' -c $< -o $@

$(HB)/test_procfs: $(HB)/unit/tests/unit/test_procfs.o \
		$(HB)/unit/user/procfs/text.o
	$(HOSTCC) $(PROCFS_UCFLAGS) $^ -lcmocka -o $@

# devfs: the real program (musl, static) driven over a socket pair on the
# host; the test only needs the protocol header.
$(HB)/unit/tests/unit/test_devfs.o: tests/unit/test_devfs.c $(UB)/sbin/devfs
	@mkdir -p $(dir $@)
	$(HOSTCC) $(PROCFS_UCFLAGS) -DDEVFS_BIN='"$(abspath $(UB)/sbin/devfs)"' \
		-c $< -o $@

$(HB)/test_devfs: $(HB)/unit/tests/unit/test_devfs.o
	$(HOSTCC) $(PROCFS_UCFLAGS) $^ -lcmocka -o $@

# The tty server itself, built for the host with a stand-in UART
# (tests/unit/tty_fake_uart.c), driven over a socket pair.
TTY_HOST_SRC := user/tty/main.c user/tty/ldisc.c user/tty/klog.c user/lib/lux.c \
	user/lib/lock.c tests/unit/tty_fake_uart.c
TTY_HOST_CFLAGS := $(filter-out -Itests/unit/host -Ikernel/include,\
	$(UNIT_CFLAGS)) -Iuser/lib -Iuser/tty
$(HB)/tty-host: $(TTY_HOST_SRC)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(filter-out -MMD -MP,$(TTY_HOST_CFLAGS)) $(TTY_HOST_SRC) -o $@

$(HB)/unit/tests/unit/test_ttyserver.o: tests/unit/test_ttyserver.c \
		$(HB)/tty-host
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TTY_HOST_CFLAGS) -DTTY_BIN='"$(abspath $(HB)/tty-host)"' \
		-c $< -o $@

$(HB)/test_ttyserver: $(HB)/unit/tests/unit/test_ttyserver.o
	$(HOSTCC) $(TTY_HOST_CFLAGS) $^ -lcmocka -o $@

# The ext2 server (user/ext2/ but main.c): user-space code, built with the
# host's C library; its test makes images with the host's mke2fs and
# checks them with e2fsck and debugfs (e2fsprogs, tools/setup.sh).
EXT2_USRC := $(filter-out user/ext2/main.c,$(wildcard user/ext2/*.c)) \
	user/lib/memobj.c user/lib/lock.c user/lib/lux.c
EXT2_UOBJ := $(patsubst %.c,$(HB)/unit/%.o,$(EXT2_USRC))
EXT2_UCFLAGS := $(filter-out -Itests/unit/host -Ikernel/include,\
	$(UNIT_CFLAGS)) -Iuser/ext2 -Iuser/lib

.SECONDARY: $(EXT2_UOBJ)

$(HB)/unit/user/ext2/%.o: user/ext2/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(EXT2_UCFLAGS) -c $< -o $@

$(HB)/unit/tests/unit/test_ext2.o: tests/unit/test_ext2.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(EXT2_UCFLAGS) -c $< -o $@

$(HB)/test_ext2: $(HB)/unit/tests/unit/test_ext2.o $(EXT2_UOBJ)
	$(HOSTCC) $(EXT2_UCFLAGS) $^ -lcmocka -o $@

# Dynamically linked test programs (tests/dyn/, run by tests/user/dyn.c)
# and what they need in the boot image: the program interpreters and C
# libraries of the distribution's packages (musl and libc6 for the
# target, tools/setup.sh), copied by the build, never committed.
#
# tests/dyn/prog.c is linked four times into $(UB)/tests/dyn-progs/: musl and
# glibc, each PIE and not; tests/dyn/lib.c becomes libdyn.so (no C
# library: both loaders serve its TLS). Debian's env (coreutils: the
# host's, or a foreign platform's package unpacked by tools/setup.sh) is
# copied beside them. The image gets them as /tests/dyn-progs/, and the
# loaders and libc.so.6 where the distribution has them.

UGNU_TRIPLE := $(UARCH)-linux-gnu
UGNU_LIB := /usr/lib/$(UGNU_TRIPLE)
UMUSL_LD := /lib/ld-musl-$(UARCH).so.1
UGLIBC_SO := /lib/$(UGNU_TRIPLE)/libc.so.6
UGNU_RTLIB := $(shell $(CC) --target=$(UGNU_TRIPLE) -rtlib=compiler-rt \
	-print-libgcc-file-name)
# UGLIBC_LD (glibc's loader) and UDEBIAN_ENV (Debian's env for the
# platform) come from the platform's arch.mk.

UDYN := $(UB)/tests/dyn-progs
UDYN_BINS := $(addprefix $(UDYN)/,musl musl-pie glibc glibc-pie libdyn.so env)
UDYN_CFLAGS := -O2 -g -Wall -Wextra -Werror -MMD -MP -DPLATFORM='"$(UARCH)"'
UDYN_LDFLAGS := -fuse-ld=lld -nostdlib -Wl,--build-id=none

$(UB)/obj/dyn/musl.o: tests/dyn/prog.c
	@mkdir -p $(dir $@)
	$(CC) --target=$(UTRIPLE) $(UDYN_CFLAGS) -fno-pie -nostdinc \
		-isystem $(UMUSL_INC) -isystem $(URESOURCE_INC) -c $< -o $@

$(UB)/obj/dyn/musl-pie.o: tests/dyn/prog.c
	@mkdir -p $(dir $@)
	$(CC) --target=$(UTRIPLE) $(UDYN_CFLAGS) -fpie -nostdinc \
		-isystem $(UMUSL_INC) -isystem $(URESOURCE_INC) -c $< -o $@

$(UB)/obj/dyn/glibc.o: tests/dyn/prog.c
	@mkdir -p $(dir $@)
	$(CC) --target=$(UGNU_TRIPLE) $(UDYN_CFLAGS) -fno-pie -c $< -o $@

$(UB)/obj/dyn/glibc-pie.o: tests/dyn/prog.c
	@mkdir -p $(dir $@)
	$(CC) --target=$(UGNU_TRIPLE) $(UDYN_CFLAGS) -fpie -c $< -o $@

$(UDYN)/musl: $(UB)/obj/dyn/musl.o
	@mkdir -p $(dir $@)
	$(CC) --target=$(UTRIPLE) $(UDYN_LDFLAGS) -no-pie \
		-Wl,--dynamic-linker=$(UMUSL_LD) $(UMUSL_LIB)/crt1.o \
		$(UMUSL_LIB)/crti.o $< -L$(UMUSL_LIB) -lc $(URTLIB) \
		$(UMUSL_LIB)/crtn.o -o $@

$(UDYN)/musl-pie: $(UB)/obj/dyn/musl-pie.o
	@mkdir -p $(dir $@)
	$(CC) --target=$(UTRIPLE) $(UDYN_LDFLAGS) -pie \
		-Wl,--dynamic-linker=$(UMUSL_LD) $(UMUSL_LIB)/Scrt1.o \
		$(UMUSL_LIB)/crti.o $< -L$(UMUSL_LIB) -lc $(URTLIB) \
		$(UMUSL_LIB)/crtn.o -o $@

$(UDYN)/glibc: $(UB)/obj/dyn/glibc.o
	@mkdir -p $(dir $@)
	$(CC) --target=$(UGNU_TRIPLE) $(UDYN_LDFLAGS) -no-pie \
		-Wl,--dynamic-linker=$(UGLIBC_LD) $(UGNU_LIB)/crt1.o \
		$(UGNU_LIB)/crti.o $< -L$(UGNU_LIB) -lc $(UGNU_RTLIB) \
		$(UGNU_LIB)/crtn.o -o $@

$(UDYN)/glibc-pie: $(UB)/obj/dyn/glibc-pie.o
	@mkdir -p $(dir $@)
	$(CC) --target=$(UGNU_TRIPLE) $(UDYN_LDFLAGS) -pie \
		-Wl,--dynamic-linker=$(UGLIBC_LD) $(UGNU_LIB)/Scrt1.o \
		$(UGNU_LIB)/crti.o $< -L$(UGNU_LIB) -lc $(UGNU_RTLIB) \
		$(UGNU_LIB)/crtn.o -o $@

$(UDYN)/libdyn.so: tests/dyn/lib.c
	@mkdir -p $(dir $@)
	$(CC) --target=$(UTRIPLE) -O2 -g -Wall -Wextra -Werror -fpic -shared \
		$(UDYN_LDFLAGS) $< -o $@

$(UDYN)/env: $(UDEBIAN_ENV)
	@mkdir -p $(dir $@)
	cp $< $@

# Debian's env of a foreign platform, when absent: fetched from its
# package by tools/setup.sh.
$(UDEBIAN_ENV):
	tools/setup.sh

# The loaders and the C library, at the paths the programs name.
DYN_IMAGE := $(UDYN_BINS)
DYN_INSTALL = mkdir -p $(B)/root/tests/dyn-progs $(B)/root/lib/$(UGNU_TRIPLE) \
	$(B)/root$(dir $(UGLIBC_LD)) && cp $(UDYN_BINS) $(B)/root/tests/dyn-progs/ && \
	cp $(UMUSL_LD) $(B)/root/lib/ && cp $(UGLIBC_LD) $(B)/root$(UGLIBC_LD) && \
	cp $(UGLIBC_SO) $(B)/root$(UGLIBC_SO)

-include $(wildcard $(UB)/obj/dyn/*.d)

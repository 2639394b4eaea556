# lwIP 2.1.3 for musl (docs/network.md): Debian's source package, fetched
# and unpacked under build/lwip by tools/lwip.sh when the library is
# first needed (never committed), its core built as $(ULWIP) with
# user.mk's flags and lux's port (user/lwip/: lwipopts.h, arch/cc.h,
# sys_arch.c). A program that links $(ULWIP) compiles with
# $(ULWIP_CFLAGS). tools/lwip.sh needs apt-get and dpkg-source (dpkg-dev,
# tools/setup.sh).
ULWIP_SRC := build/lwip/lwip/src
ULWIP_STAMP := build/lwip/fetched
ULWIP := $(UB)/lib/liblwip.a
ULWIP_CFLAGS := -Iuser/lwip -I$(ULWIP_SRC)/include
ULWIP_FILES := core/init core/def core/dns core/inet_chksum core/ip \
	core/mem core/memp core/netif core/pbuf core/raw core/stats core/sys \
	core/tcp core/tcp_in core/tcp_out core/timeouts core/udp \
	core/ipv4/dhcp core/ipv4/etharp core/ipv4/icmp core/ipv4/ip4 \
	core/ipv4/ip4_addr core/ipv4/ip4_frag netif/ethernet
ULWIP_OBJS := $(ULWIP_FILES:%=$(UB)/obj/lwip/%.o) $(UB)/obj/lwip/sys_arch.o

$(ULWIP_STAMP): tools/lwip.sh
	tools/lwip.sh build/lwip

# The sources exist only once fetched, so they are named in the recipe
# rather than as prerequisites; -MMD's .d files give the headers.
$(UB)/obj/lwip/%.o: $(ULWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) $(ULWIP_CFLAGS) -c $(ULWIP_SRC)/$*.c -o $@

$(UB)/obj/lwip/sys_arch.o: user/lwip/sys_arch.c $(ULWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) $(ULWIP_CFLAGS) -c $< -o $@

$(ULWIP): $(ULWIP_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && llvm-ar rcs $@ $^

-include $(wildcard $(UB)/obj/lwip/*.d $(UB)/obj/lwip/*/*.d \
	$(UB)/obj/lwip/*/*/*.d)

.PHONY: lwip
lwip: $(ULWIP)

# `make bench`: lux and Linux side by side under the same QEMU
# (docs/performance.md). Not part of `make test`.
#
# tools/bench/bench.c is built like the user test programs (user/user.mk:
# clang for $(UTRIPLE) against musl, static) into $(UB)/bench/bench (and
# with the disk benchmarks into $(UB)/bench/bench-disk); the
# driver tools/bench/run.py packs it into a boot image for each system
# (on lux: $(INITRD) with the benchmark added),
# boots both with -icount and prints the table and build/bench.json
# (with ARCH=arm64: build/arm64/bench.json; BENCH of kernel/arch/<name>/platform.py).

BENCH_BIN := $(UB)/bench/bench
# The same program with the disk benchmarks (-DBENCH_DISK), for the boot
# with a disk: kept apart so that the ordinary one does not grow.
BENCH_DISK_BIN := $(UB)/bench/bench-disk

$(BENCH_BIN): $(UB)/obj/tools/bench/bench.o | $(UMUSL_LIB)/libc.a $(URTLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ULDFLAGS) $(UCRT_START) $^ $(UCRT_END) -o $@

$(UB)/obj/tools/bench/bench-disk.o: tools/bench/bench.c
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -DBENCH_DISK -c $< -o $@

$(BENCH_DISK_BIN): $(UB)/obj/tools/bench/bench-disk.o \
		| $(UMUSL_LIB)/libc.a $(URTLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ULDFLAGS) $(UCRT_START) $^ $(UCRT_END) -o $@

.PHONY: bench
bench: setup $(KBIN) $(INITRD) $(BENCH_BIN) $(BENCH_DISK_BIN)
	$(PYTHON) tools/bench/run.py --kernel $(KBIN) --bench $(BENCH_BIN) \
		--bench-disk $(BENCH_DISK_BIN) --image $(INITRD) \
		--busybox $(BUSYBOX) --mem $(MEM) --out build --arch $(ARCH)

-include $(UB)/obj/tools/bench/bench.d
-include $(UB)/obj/tools/bench/bench-disk.d

# `make bench-smp`: socket round trips between process pairs on 1, 2 and 4
# CPUs, wall time without -icount (tools/bench/smp.py).
.PHONY: bench-smp
bench-smp: setup $(KBIN) $(INITRD) $(BENCH_BIN)
	$(PYTHON) tools/bench/smp.py --kernel $(KBIN) --bench $(BENCH_BIN) \
		--image $(INITRD) --busybox $(BUSYBOX) --mem $(MEM) --out build

# `make bench-trace OP=read_4k`: one operation of a benchmark on lux,
# instruction by instruction through QEMU's gdb stub, summed by system
# call, process and function (tools/bench/trace.py).
OP ?= null_syscall
.PHONY: bench-trace
bench-trace: setup $(KBIN) $(INITRD) $(BENCH_BIN)
	$(PYTHON) tools/bench/trace.py $(OP) --kernel $(KBIN) \
		--elf $(KELF) --bench $(BENCH_BIN) --image $(INITRD) \
		--root $(B)/root --mem $(MEM) --out build

/*
 * cpu.c - per-CPU data (TPIDR_EL1), PSCI, and the CPU primitives of
 * arch.h.
 */
#include "arm64.h"

#define PSCI_SYSTEM_OFF   0x84000008
#define PSCI_SYSTEM_RESET 0x84000009

/* A PSCI call (DEN0022) through the conduit the device tree names. */
uint64_t psci_call(uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2)
{
	register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a0,
			     x2 __asm__("x2") = a1, x3 __asm__("x3") = a2;

	if (plat.psci_smc)
		__asm__ volatile("smc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "memory");
	else
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "memory");
	return x0;
}

/* Give this CPU its per-CPU pointer and a stack for overflow reports. */
void cpu_load(struct cpu *c)
{
	c->arch.self = c;
	c->arch.mpidr = read_sysreg(mpidr_el1) & 0xff00ffffffUL;
	write_sysreg(tpidr_el1, &c->arch);
	if (!(c->arch.emerg_stack = kstack_alloc()))
		panic("cpu %u: no memory for the emergency stack", c->id);
	c->arch.emerg_stack += KSTACK_SIZE;
	arm64_user_cpu_init();
}

BOOT_CODE void arch_cpu_init(void)
{
	cpu_load(&cpus[0]);
}

struct cpu *this_cpu(void)
{
	struct arch_cpu *a = (struct arch_cpu *)read_sysreg(tpidr_el1);
	return a->self;
}

/* WFI wakes on a pending interrupt even while it is masked. */
void arch_wait_for_interrupt(void)
{
	__asm__ volatile("msr daifset, #2; dsb sy; wfi; msr daifclr, #2"
			 :
			 :
			 : "memory");
}

static const struct {
	uint16_t part;
	const char *name;
} parts[] = {{0xd03, "Cortex-A53"},  {0xd07, "Cortex-A57"},
	     {0xd08, "Cortex-A72"},  {0xd0c, "Neoverse-N1"},
	     {0xd40, "Neoverse-V1"}, {0xd49, "Neoverse-N2"}};

/* "implementer variant part revision name" from MIDR_EL1; every CPU is
 * taken to be the boot CPU's model (as under QEMU). */
int arch_cpu_describe(unsigned cpu, char *buf, size_t len)
{
	uint64_t midr = read_sysreg(midr_el1);
	unsigned part = (midr >> 4) & 0xfff, impl = (midr >> 24) & 0xff;
	const char *name = "unknown";

	(void)cpu;
	for (size_t i = 0; impl == 0x41 && i < ARRAY_SIZE(parts); i++)
		if (parts[i].part == part)
			name = parts[i].name;
	int n = snprintf(
	    buf, len, "%s %u %u %u %s", impl == 0x41 ? "ARM" : "unknown",
	    (unsigned)(midr >> 20) & 15, part, (unsigned)midr & 15, name);
	return MIN(n, (int)len - 1);
}

void arch_power_off(bool restart)
{
	psci_call(restart ? PSCI_SYSTEM_RESET : PSCI_SYSTEM_OFF, 0, 0, 0);
}

void arch_halt(void)
{
	for (;;)
		__asm__ volatile("msr daifset, #0xf; wfi");
}

void arch_stop_others(void)
{
	if (plat.gicd)
		gic_send_sgi_others(SGI_STOP);
}
